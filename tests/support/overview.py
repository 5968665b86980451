"""A world with shops in every state the overview counts, and the overview's figures counted
again with plain SQL of their own, to compare with what the console shows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import delete, insert, text
from sqlalchemy.engine import Engine

from budgetguard.db.catalog import policies
from budgetguard.db.schema.console_tables import usage
from budgetguard.domain.policy import ShopPolicy
from budgetguard.domain.recipients import ChannelKind
from budgetguard.services.contacts import ContactSpec, add_contact
from support.receivers import WebhookReceiver, webhook_receiver
from support.world import World

MONTH = "2020-07"
FIRST_DAY = date(2020, 7, 1)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret


def record_usage(engine: Engine, month: date = FIRST_DAY) -> None:
    """Record each budget's usage of `month` in bg_usage as evaluations do (the floor of the
    basis points of the budget spent; NULL without a usable budget), replacing what is there."""
    with engine.begin() as connection:
        rows = connection.execute(
            text("SELECT a_shop_id, a_budget_amount, a_amount_spent FROM t_budgets "
                 "WHERE a_month = :month"),
            {"month": month},
        ).all()  # fmt: skip
        connection.execute(delete(usage).where(usage.c.month == month))
        values = [
            {"month": month, "shop_id": shop, "budget": budget, "spent": spent,
             "usage_bp": _basis_points(Decimal(budget), Decimal(spent)),
             "updated_at": datetime(2020, 7, 15, tzinfo=UTC), "day": date(2020, 7, 15)}
            for shop, budget, spent in rows
        ]  # fmt: skip
        if values:
            connection.execute(insert(usage), values)


def _basis_points(budget: Decimal, spent: Decimal) -> int | None:
    if budget <= 0 or spent < 0:
        return None
    return int(spent * 10_000 // budget)


def every_state(world: World) -> None:
    """Shops under, past 50 %, past their own 80 %, paused, offline by someone else (under and
    past), without a budget, with an unusable one; a webhook failing; a notification waiting."""
    local = world.with_settings(
        webhook_allow_private=True, delivery_timeout=10, delivery_max_attempts=5
    )
    platform = local.platform
    spends = {1: "5.00", 2: "55.00", 3: "120.00", 4: "10.00", 5: "150.00", 8: "85.00",
              9: "99.99", 10: "300.00"}  # fmt: skip
    for shop in range(1, 11):
        platform.add_shop(shop, f"Shop {shop}", online=shop not in {4, 5})
    for shop, spent in spends.items():
        platform.set_budget(shop, MONTH, "1000.00" if shop == 10 else "100.00", spent)
    platform.set_budget(6, "2020-06", "100.00", "20.00")  # a budget last month only
    platform.set_budget(7, MONTH, "-5.00", "1.00")  # unusable: skipped with a warning
    with local.context.engine.begin() as connection:
        policies.write(connection, 8, ShopPolicy(thresholds=(50, 80, 100)), now=local.clock(),
                       settings=local.context.settings.policy_defaults.thresholds)  # fmt: skip
    with webhook_receiver(WebhookReceiver(secret=SECRET, default=500)) as receiver:
        spec = ContactSpec(ChannelKind.WEBHOOK, receiver.url("/hook"), SECRET)
        add_contact(actor="tests", context=local.context, shop_id=2, spec=spec)
        local.check("2020-07-15T10:00:00Z")  # the hook answers 500: a failed record
        platform.set_spent(1, MONTH, "60.00")
        local.evaluate("2020-07-15T11:00:00Z")  # shop 1 past 50 %, not delivered yet
    record_usage(local.context.engine)


def counted(engine: Engine, month: date = FIRST_DAY) -> dict[str, int]:
    """The overview's figures, counted with SQL of the test's own."""
    one = {
        "shops": "SELECT COUNT(*) FROM t_shops",
        "budgets": "SELECT COUNT(*) FROM t_budgets WHERE a_month = :month",
        "paused": "SELECT COUNT(*) FROM bg_pauses",
        "offline": "SELECT COUNT(*) FROM t_shops WHERE NOT a_online "
        "AND a_id NOT IN (SELECT shop_id FROM bg_pauses)",
        "waiting": "SELECT COUNT(*) FROM bg_notifications WHERE next_attempt_at IS NOT NULL",
        "failed": "SELECT COUNT(*) FROM bg_deliveries WHERE status = 'failed'",
        "dead": "SELECT COUNT(*) FROM bg_deliveries WHERE status = 'dead'",
    }
    with engine.connect() as connection:
        found = {k: int(connection.execute(text(q), {"month": month}).scalar_one())
                 for k, q in one.items()}  # fmt: skip
        for threshold, count in connection.execute(
            text("SELECT threshold, COUNT(*) FROM bg_alerts WHERE month = :month "
                 "GROUP BY threshold"), {"month": month}
        ):  # fmt: skip
            found[f"past-{threshold}"] = int(count)
        buckets = [0] * 11
        for (bp,) in connection.execute(
            text("SELECT usage_bp FROM bg_usage WHERE month = :month AND usage_bp IS NOT NULL"),
            {"month": month},
        ):
            buckets[min(int(bp) // 1000, 10)] += 1
    found.update({f"bucket-{i}": count for i, count in enumerate(buckets)})
    return found
