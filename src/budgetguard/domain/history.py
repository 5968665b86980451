"""A budget's spend history: the spend recorded at the end of each day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple


class SpendDay(NamedTuple):
    """The day's last known spend of a budget (the day on the shop's clock)."""

    day: date
    spent: Decimal
