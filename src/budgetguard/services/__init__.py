"""budgetguard's use cases, one module per area; the CLI, the HTTP API and `serve` call these.

Each use case is a keyword-only function that takes the `Context` (uow.py) and owns its
transaction through the one unit of work defined there.
"""
