"""The offender graph: strawberry types and resolvers over merged domain records."""
