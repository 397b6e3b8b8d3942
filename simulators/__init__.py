"""The simulated legacy estate: a seeded population and the systems that hold its slices."""
