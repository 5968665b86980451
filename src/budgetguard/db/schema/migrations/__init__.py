"""Alembic migrations of budgetguard's schema (run through `budgetguard db upgrade`)."""
