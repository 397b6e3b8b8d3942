"""The simulated legacy estate: a seeded population and the regional systems that hold its slices."""
