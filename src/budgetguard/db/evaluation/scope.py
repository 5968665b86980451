"""Which budgets an evaluation's statements cover, and the values they stamp on what they write.

The statements (statements.py) are built once per process and take both as parameters, so a
request that evaluates one budget pays for no statement building.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
    `terms` are the month pass's parameters (shop_terms.pass_params: the settings' policy and
    the pass's clocks), which every statement takes beside the bounds.
    """

    month: date
    after: int | None
    upto: int | None
    only: tuple[int, ...] = ()
    terms: Mapping[str, Any] = field(default_factory=dict, hash=False)

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
        params = {**self.terms, **bounds}
        return params | {"ids": list(self.only)} if self.only else params


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who queues what, when: the evaluation's id, the clock, and the instant evaluated (the
    date on each shop's clock comes from the pass: shop_terms)."""

    evaluation_id: int
    now: datetime
    at: datetime

    def params(self) -> dict[str, Any]:
        """The statements' parameters that stamp what they write."""
        return {"evaluation_id": self.evaluation_id, "now": self.now, "at": self.at}
