"""Database access: tables, migrations, the set-based evaluator and the notification outbox."""
