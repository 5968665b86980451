"""Use cases of the spend history: what the console's burn chart reads."""

from __future__ import annotations

from budgetguard.db.catalog.history import spend_by_day
from budgetguard.domain.history import SpendDay
from budgetguard.domain.period import Month
from budgetguard.services.database import open_database
from budgetguard.services.uow import Context, reading


def spend_history(*, context: Context, shop_id: int, month: Month) -> list[SpendDay]:
    """Return the shop's spend of `month` at the end of each day it changed, by day."""
    open_database(context=context)
    with reading(context) as connection:
        return spend_by_day(connection, shop_id, month)
