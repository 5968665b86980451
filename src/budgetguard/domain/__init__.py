"""Pure rules and value types: periods, money, thresholds, standings, notifications, delivery
records, recipients, spend, wording, back-off, the clock, errors. Standard library only."""
