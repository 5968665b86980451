"""The console's routes, one module per page or group of pages."""
