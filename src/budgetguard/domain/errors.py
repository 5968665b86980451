"""Exceptions the outer layers map to one clear message (CLI) or a problem response (HTTP)."""


class BudgetguardError(Exception):
    """Base of every error budgetguard reports to its user."""


class ConfigError(BudgetguardError):
    """A setting or an argument is unusable; the message names it."""


class DatabaseUnavailable(BudgetguardError):
    """The database cannot be reached or refused the connection."""


class SchemaNotReady(BudgetguardError):
    """The database has not been upgraded to budgetguard's current schema."""


class EvaluationBusy(BudgetguardError):
    """Another evaluation held the evaluation lock for longer than the lock timeout."""


class ConcurrentChange(BudgetguardError):
    """Rows changed between a transaction's read and its write; the transaction is retried."""


class InvalidContact(ConfigError):
    """A contact cannot be added: a bad address, a URL that is not HTTPS, a private host, …"""


class UnknownShop(BudgetguardError):
    """No shop has this id."""


class UnknownContact(BudgetguardError):
    """The shop has no contact with this id."""
