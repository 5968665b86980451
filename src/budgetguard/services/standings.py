"""The standings of every shop for `status`: read only, in pages.

Apart from services/shops.py, whose writes evaluate budgets: `status` reads, and should not load
the evaluation's statements to do so.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from budgetguard.db.catalog.standings import PAGE_SIZE, status_rows
from budgetguard.domain.period import Month
from budgetguard.domain.standing import ShopStatus
from budgetguard.services.database import open_database
from budgetguard.services.uow import Context, reading


def shop_status(
    *, context: Context, at: datetime, shop_ids: Sequence[int] = ()
) -> Iterator[ShopStatus]:
    """Yield each shop's standing for the month containing `at`, in id order, a page at a time
    (each page read on a connection of its own), so that a million shops stream."""
    open_database(context=context)
    month = Month.containing(at, context.settings.zone)
    after = None
    while True:
        with reading(context) as connection:
            page = status_rows(
                connection,
                month=month,
                after=after,
                shop_ids=shop_ids,
                limit=PAGE_SIZE,
                defaults=context.settings.policy_defaults,
            )
        yield from page
        if len(page) < PAGE_SIZE:
            return
        after = page[-1].shop_id
