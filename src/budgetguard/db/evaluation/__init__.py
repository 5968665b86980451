"""SPEC §3 as set-based SQL over a scope of budgets: the sweep's chunks and a request's budgets."""
