"""Which budgets an evaluation's statements cover, and the values they stamp on what they write.

The statements (statements.py) are built once per process and take both as parameters, so a
request that evaluates one budget pays for no statement building.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from budgetguard.domain.period import Month

# The platform's shop ids are INT: these bounds (BIGINT parameters) leave out none of them.
BELOW_EVERY_ID = -(2**31) - 1
ABOVE_EVERY_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class ChunkScope:
    """Shops with `after < id <= upto` (None: unbounded) and their budget for `month`.

    `only`, when given, narrows the range to those shop ids: the budgets a request touched.
    """

    month: date
    after: int | None
    upto: int | None
    only: tuple[int, ...] = ()

    @property
    def evaluated_month(self) -> Month:
        """The month whose budgets the scope holds (for messages)."""
        return Month.of(self.month)

    def params(self) -> dict[str, Any]:
        """The statements' parameters that say which budgets they cover."""
        bounds = {
            "month": self.month,
            "after": BELOW_EVERY_ID if self.after is None else self.after,
            "upto": ABOVE_EVERY_ID if self.upto is None else self.upto,
        }
        return bounds | {"ids": list(self.only)} if self.only else bounds


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who queues what, when: the evaluation's id, the clock, and the evaluation date."""

    evaluation_id: int
    now: datetime
    today: date

    def params(self) -> dict[str, Any]:
        """The statements' parameters that stamp what they write."""
        return {"evaluation_id": self.evaluation_id, "now": self.now, "today": self.today}
