"""Plumbing: engines per database, column types, key lists, locks, lost races, the chunk pool."""
