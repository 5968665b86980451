"""The catalog: shops and budgets, spend events, each shop's standing for a month."""
