"""Upkeep of budgetguard's own tables: retention (`db prune`)."""
