"""Every error budgetguard reports to its user, in one hierarchy.

The CLI maps each to one line and an exit code (cli/__init__.py), the HTTP API to one problem
response (api/problems.py). A refusal (`NotFound`, `Conflict`, `Unacceptable`) changed nothing
and may list the values at fault (`events[3].shop_id`), so that a batch names every event it
refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

LISTED = 20
"""Values named in a refusal's message; `problems` holds them all."""


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


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One value at fault: where it is (`events[3].amount`) and why."""

    field: str
    reason: str


class Refusal(BudgetguardError):
    """A request that cannot be carried out as it stands; nothing was changed."""

    def __init__(self, message: str, problems: Sequence[FieldProblem] = ()) -> None:
        self.problems = list(problems)
        super().__init__(message)

    @classmethod
    def listing(cls, problems: Sequence[FieldProblem], *, with_fields: bool = False) -> Self:
        """A refusal whose message lists the reasons (the first LISTED of them), each after
        its field when `with_fields` (`events[3].event_id: …`, as the other 422s read)."""
        shown = "; ".join(f"{p.field}: {p.reason}" if with_fields else p.reason
                          for p in problems[:LISTED])  # fmt: skip
        more = len(problems) - LISTED
        return cls(shown + (f"; and {more} more" if more > 0 else ""), problems)

    @classmethod
    def of_field(cls, field: str, reason: str, *, message: str | None = None) -> Self:
        """A refusal of one value: `field` and why."""
        return cls(message or f"{field}: {reason}", [FieldProblem(field, reason)])


class NotFound(Refusal):
    """The shop, budget, contact or record named does not exist."""


class Conflict(Refusal):
    """The request contradicts what is stored (a budget missing, an event id reused, …)."""


class Unacceptable(Refusal):
    """Values that are well-formed but cannot be accepted (a contact's address, a name, …)."""
