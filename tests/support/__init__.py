"""Helpers shared by the tests: scratch databases, the platform's side of the tables, fakes."""
