"""`budgetguard serve`: the process, its background workers (interval evaluation, delivery) and
its logging."""
