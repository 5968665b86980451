"""What the console's shop pages read about one shop: its standing, its budgets by month, its
spend by day, its notifications with their delivery records, its audit trail and contacts.

Every read is bounded and keyed by the shop: budgets by a range of `t_budgets`' primary key,
spend by `bg_spend_days`' primary key, notifications newest first (`limit`), their records by
`bg_deliveries`' unique (notification_id, recipient), audit entries by (shop_id, id), contacts
by their unique (shop_id, kind, target).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from budgetguard.db.catalog import audit
from budgetguard.db.catalog.history import budgets_by_month, spend_by_day
from budgetguard.db.catalog.standings import status_rows
from budgetguard.db.outbox.contacts import shop_contacts
from budgetguard.db.outbox.deliveries import list_records
from budgetguard.db.outbox.shop_timeline import notifications_of_shop
from budgetguard.domain.audit import AuditEntry
from budgetguard.domain.delivery import DeliveryRecord
from budgetguard.domain.errors import NotFound
from budgetguard.domain.money import percent_of, unusable_reason
from budgetguard.domain.notification import Notification
from budgetguard.domain.period import Month
from budgetguard.domain.policy import EffectivePolicy
from budgetguard.domain.recipients import Contact
from budgetguard.domain.standing import ShopStatus
from budgetguard.services.deliveries import labelled
from budgetguard.services.uow import Context, reading

MONTHS_SHOWN = 12
TIMELINE = 30
"""Newest notifications (and, apart, audit entries) a shop page shows."""
RECORDS = 200
"""Most delivery records read for the notifications shown."""


@dataclass(frozen=True, slots=True)
class MonthBudget:
    """One month's budget row of the shop: what the bars of its budgets by month show."""

    month: Month
    budget: Decimal | None
    spent: Decimal | None

    @property
    def percent(self) -> Decimal | None:
        budget, spent = self.budget, self.spent
        if budget is None or spent is None or unusable_reason(budget=budget, spent=spent):
            return None
        return percent_of(spent=spent, budget=budget)


@dataclass(frozen=True, slots=True)
class ShopView:
    """One shop as its pages show it for `standing.month`."""

    standing: ShopStatus
    budgets: list[MonthBudget]
    """The shop's budgets of the months up to the shown one (at most MONTHS_SHOWN), oldest first."""
    spend: Sequence[tuple[date, Decimal]]
    notifications: list[Notification]
    deliveries: dict[int, list[DeliveryRecord]] = field(default_factory=dict)
    """The notifications' delivery records, by notification id."""
    audit: list[AuditEntry] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)

    @property
    def policy(self) -> EffectivePolicy:
        """The shop's effective policy (its zone and currency are the pages')."""
        policy = self.standing.policy
        if policy is None:  # read with the settings' defaults, so always resolved
            raise AssertionError("a shop view's standing holds its effective policy")
        return policy


def shop_view(*, context: Context, shop_id: int, month: Month) -> ShopView:
    """Return everything the console's shop page shows of the shop for `month`."""
    with reading(context) as connection:
        standing = _standing(connection, context, shop_id, month)
        notes = notifications_of_shop(connection, shop_id, limit=TIMELINE)
        records = list_records(
            connection, notification_ids=[n.id for n in notes], limit=RECORDS
        ) if notes else []  # fmt: skip
        by_note: dict[int, list[DeliveryRecord]] = {}
        for record in sorted(labelled(records, context=context), key=lambda r: r.id):
            by_note.setdefault(record.notification_id, []).append(record)
        return ShopView(
            standing=standing,
            budgets=_budgets(connection, shop_id, month),
            spend=spend_by_day(connection, shop_id, month),
            notifications=notes,
            deliveries=by_note,
            audit=audit.of_shop(connection, shop_id, limit=TIMELINE),
            contacts=shop_contacts(connection, shop_id),
        )


def public_view(*, context: Context, shop_id: int, now: datetime) -> ShopView:
    """Return what the shop's own page shows: its current month on its own clock (its standing,
    spend by day, notifications); nothing of its deliveries, contacts or audit trail."""
    with reading(context) as connection:
        platform_month = Month.containing(now, context.settings.zone)
        standing = _standing(connection, context, shop_id, platform_month)
        zone = standing.policy.timezone if standing.policy else context.settings.timezone
        month = Month.containing(now, ZoneInfo(zone))
        if month != platform_month:
            standing = _standing(connection, context, shop_id, month)
        return ShopView(
            standing=standing,
            budgets=[],
            spend=spend_by_day(connection, shop_id, month),
            notifications=notifications_of_shop(connection, shop_id, limit=TIMELINE),
        )


def _standing(connection: Connection, context: Context, shop_id: int, month: Month) -> ShopStatus:
    found = status_rows(
        connection, month=month, shop_ids=[shop_id], limit=1,
        defaults=context.settings.policy_defaults,
    )  # fmt: skip
    if not found:
        raise NotFound(f"shop {shop_id} does not exist")
    return found[0]


def _budgets(connection: Connection, shop_id: int, month: Month) -> list[MonthBudget]:
    first = month
    for _ in range(MONTHS_SHOWN):
        first = Month(first.year - (first.month == 1), (first.month - 2) % 12 + 1)
    rows = budgets_by_month(connection, shop_id, after=first, upto=month)
    return [MonthBudget(Month.of(day), budget, spent) for day, budget, spent in rows]
