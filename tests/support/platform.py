"""The platform's side of the database, as tests drive it: shops, budgets, spend, online flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select, text, update
from sqlalchemy.engine import Connection, Engine, RowMapping

from budgetguard.db.schema.console_tables import (
    ended_sessions,
    sign_in_failures,
    signing_keys,
    spend_days,
    usage,
    users,
)
from budgetguard.db.schema.tables import (
    alerts,
    audit,
    budgets,
    contacts,
    deliveries,
    evaluations,
    forecasts,
    notifications,
    pauses,
    policies,
    prunes,
    shops,
    spend_events,
    threshold_bits,
)
from budgetguard.domain.period import Month

ALL_TABLES = (
    ended_sessions,
    users,
    signing_keys,
    sign_in_failures,
    spend_days,
    usage,
    audit,
    forecasts,
    policies,
    threshold_bits,
    prunes,
    spend_events,
    deliveries,
    contacts,
    notifications,
    alerts,
    pauses,
    evaluations,
    budgets,
    shops,
)


def first_day(month: str) -> date:
    return Month.parse(month).first_day


def wipe(engine: Engine) -> None:
    """Delete every row budgetguard and the platform keep (children first), and let the
    platform's next shop take a small id again, as on a fresh database (a test may have created
    shop 2147483647 over the API, which moves the id counter to its end)."""
    with engine.begin() as connection:
        for table in ALL_TABLES:
            connection.execute(delete(table))
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('t_shops', 'a_id'), 1, false)")
            )
        elif engine.dialect.name == "mysql" and _shop_id_counter(connection) > FAR_ID:
            # DDL, and slow: only when a test moved the counter far.
            connection.execute(text("ALTER TABLE t_shops AUTO_INCREMENT = 1"))


FAR_ID = 1_000_000


def _shop_id_counter(connection: Connection) -> int:
    counter = connection.execute(
        text(
            "SELECT AUTO_INCREMENT FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't_shops'"
        )
    ).scalar()
    return int(counter or 0)


@dataclass
class Platform:
    """Writes what the platform writes, and reads back what budgetguard decided."""

    engine: Engine

    def add_shop(self, shop_id: int, name: str | None = None, *, online: bool = True) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                shops.insert().values(
                    a_id=shop_id, a_name=name or f"Shop {shop_id}", a_online=online
                )
            )

    def set_budget(self, shop_id: int, month: str, budget: str, spent: str = "0.00") -> None:
        """Create or replace the budget row of `shop_id` for `month` (YYYY-MM)."""
        key = (budgets.c.a_shop_id == shop_id) & (budgets.c.a_month == first_day(month))
        values = {"a_budget_amount": Decimal(budget), "a_amount_spent": Decimal(spent)}
        with self.engine.begin() as connection:
            if connection.execute(update(budgets).where(key).values(**values)).rowcount == 0:
                connection.execute(
                    budgets.insert().values(a_shop_id=shop_id, a_month=first_day(month), **values)
                )

    def set_spent(self, shop_id: int, month: str, spent: str) -> None:
        self._update_budget(shop_id, month, a_amount_spent=Decimal(spent))

    def set_budget_amount(self, shop_id: int, month: str, budget: str) -> None:
        self._update_budget(shop_id, month, a_budget_amount=Decimal(budget))

    def delete_budget(self, shop_id: int, month: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                delete(budgets).where(
                    budgets.c.a_shop_id == shop_id, budgets.c.a_month == first_day(month)
                )
            )

    def set_online(self, shop_id: int, online: bool) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(shops).where(shops.c.a_id == shop_id).values(a_online=online))

    def _update_budget(self, shop_id: int, month: str, **values: Decimal) -> None:
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(budgets)
                .where(budgets.c.a_shop_id == shop_id, budgets.c.a_month == first_day(month))
                .values(**values)
            ).rowcount
        assert changed == 1, f"no budget row for shop {shop_id} in {month}"

    # --- what budgetguard decided ---------------------------------------------------------

    def online(self, shop_id: int) -> bool:
        with self.engine.connect() as connection:
            return bool(
                connection.execute(
                    select(shops.c.a_online).where(shops.c.a_id == shop_id)
                ).scalar_one()
            )

    def fired(self, shop_id: int, month: str) -> tuple[int, ...]:
        query = (
            select(alerts.c.threshold)
            .where(alerts.c.shop_id == shop_id, alerts.c.month == first_day(month))
            .order_by(alerts.c.threshold)
        )
        with self.engine.connect() as connection:
            return tuple(connection.execute(query).scalars())

    def paused_by_budgetguard(self) -> set[int]:
        with self.engine.connect() as connection:
            return set(connection.execute(select(pauses.c.shop_id)).scalars())

    def notifications(self) -> list[RowMapping]:
        with self.engine.connect() as connection:
            query = select(notifications).order_by(notifications.c.id)
            return list(connection.execute(query).mappings())


def populate(engine: Engine, *, shops_count: int, month: str) -> None:
    """Add shops 1..N, all online, whose spend runs from 0 % to 150 % of a 100.00 budget."""
    with engine.begin() as connection:
        connection.execute(
            shops.insert(),
            [
                {"a_id": i, "a_name": f"Shop {i}", "a_online": True}
                for i in range(1, shops_count + 1)
            ],
        )
        connection.execute(
            budgets.insert(),
            [
                {
                    "a_shop_id": i,
                    "a_month": first_day(month),
                    "a_budget_amount": Decimal("100.00"),
                    "a_amount_spent": Decimal(i * 15_000 // shops_count).scaleb(-2),
                }
                for i in range(1, shops_count + 1)
            ],
        )


def expected_for_population(shops_count: int) -> dict[int, tuple[tuple[int, ...], str | None]]:
    """What one evaluation of `populate` must fire and do, by shop."""
    expected = {}
    for i in range(1, shops_count + 1):
        spent = Decimal(i * 15_000 // shops_count).scaleb(-2)
        crossed = tuple(t for t in (50, 100) if spent * 100 >= Decimal(100) * t)
        if crossed:
            expected[i] = (crossed, "paused" if 100 in crossed else None)
    return expected


def assert_consistent(engine: Engine, shops_count: int) -> None:
    """After evaluations of `populate`, each crossing was queued exactly once and acted on."""
    expected = expected_for_population(shops_count)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                notifications.c.shop_id,
                notifications.c.thresholds,
                notifications.c.action,
                notifications.c.kind,
            )
        ).all()
        offline = set(
            connection.execute(select(shops.c.a_id).where(shops.c.a_online.is_(False))).scalars()
        )
        claims = set(connection.execute(select(pauses.c.shop_id)).scalars())
        fired = connection.execute(select(alerts.c.shop_id, alerts.c.threshold)).all()
    queued = {}
    forecast: set[int] = set()  # at most one per shop and month, beside its thresholds
    for shop_id, thresholds, action, kind in rows:
        if kind == "forecast":
            assert shop_id not in forecast, f"shop {shop_id} got two forecasts"
            forecast.add(shop_id)
            continue
        assert shop_id not in queued, f"shop {shop_id} was notified twice"
        queued[shop_id] = (tuple(int(t) for t in thresholds.split(",")), action)
    assert queued == expected
    paused = {shop for shop, (_, action) in expected.items() if action == "paused"}
    assert offline == claims == paused
    assert sorted(fired) == sorted((s, t) for s, (ts, _) in expected.items() for t in ts)
