"""Self-hosted GPU deployments: their file, and the table the daily allocation reads it from."""
