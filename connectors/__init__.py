"""Connectors: adapt one region's legacy system to the small async contract the gateway uses."""
