"""The outbox: notifications, their dispatch into delivery records, the records, contacts."""
