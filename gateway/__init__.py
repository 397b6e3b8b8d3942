"""The gateway: owns each request (context, loaders, deadlines, identity) and the HTTP app."""
