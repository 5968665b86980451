"""Delivery to people: the channels, recipient resolution, and the worker that delivers."""
