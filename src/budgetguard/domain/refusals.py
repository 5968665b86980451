"""Why a request is refused: what it names does not exist, conflicts, or is not acceptable.

The HTTP API maps each to one problem response (api/problems.py); nothing was changed when one
is raised. Each may list the values at fault (`events[3].shop_id`), so that a batch names every
event it refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

from budgetguard.domain.errors import BudgetguardError

LISTED = 20
"""Values named in a refusal's message; `problems` holds them all."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One value at fault: where it is (`events[3].amount`) and why."""

    field: str
    reason: str


class Refusal(BudgetguardError):
    """A request that cannot be carried out as it stands."""

    def __init__(self, message: str, problems: Sequence[FieldProblem] = ()) -> None:
        self.problems = list(problems)
        super().__init__(message)

    @classmethod
    def listing(cls, problems: Sequence[FieldProblem]) -> Self:
        """A refusal whose message lists the reasons (the first LISTED of them)."""
        shown = "; ".join(p.reason for p in problems[:LISTED])
        more = len(problems) - LISTED
        return cls(shown + (f"; and {more} more" if more > 0 else ""), problems)


class NotFound(Refusal):
    """The shop, budget or resource a request names does not exist."""


class Conflict(Refusal):
    """The request contradicts what is stored (a budget missing, an event id reused, …)."""


class Unacceptable(Refusal):
    """Values that are well-formed but cannot be accepted."""
