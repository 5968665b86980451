"""Database access, by concern: plumbing, schema, the evaluation as SQL, the outbox, the catalog.

What reads or writes data runs in the caller's transaction and never commits: the use cases
own their transactions (services/uow.py). Only the plumbing's session locks and planner
statistics end the short statements they run themselves.
"""
