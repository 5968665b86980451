"""The schema: tables, Alembic migrations and their revisions, the sample data."""
