"""Channels that carry notifications to people, and the loop that delivers the outbox."""
