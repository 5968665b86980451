"""The HTTP API: FastAPI routes (thin), their schemas, problem responses, keys and metrics."""
