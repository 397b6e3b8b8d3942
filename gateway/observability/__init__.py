"""What operators see: metrics, traces, logs, the per-region window and the status page."""
