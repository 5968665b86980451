"""The HTTP API as the end-to-end tests drive it: a client over real loopback HTTP, and the
world behind it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select

from budgetguard.api.dependencies import Runtime
from budgetguard.db.schema.tables import budgets, spend_events
from support.platform import first_day
from support.server import Bell
from support.world import World

JUNE = "2020-06"
DEFAULT_POLICY = {
    "thresholds": [50, 100], "pause_at": 100, "timezone": "UTC", "language": "en",
    "currency": None, "forecast": True, "recurring_budget": None,
    "sources": {"thresholds": "default", "pause_at": "default", "timezone": "default",
                "language": "default", "currency": "default", "forecast": "default",
                "recurring_budget": "none"},
}  # fmt: skip
"""The effective policy of a shop that has none, under the default settings."""
WORLD_POLICY = {**DEFAULT_POLICY, "forecast": False}
"""The same in the test world, which turns forecasts off (tests/conftest.py): the API's tests."""
IN_JUNE = "2020-06-20T10:00:00Z"  # the world's clock stands on 2020-06-30: June is current


@dataclass
class Api:
    """The API in a thread over the world's database, and a client holding a valid key."""

    url: str
    http: httpx.Client
    runtime: Runtime
    bell: Bell
    world: World

    def spend(self, event_id: str, shop_id: int, amount: str, at: str = IN_JUNE) -> httpx.Response:
        body = {"event_id": event_id, "shop_id": shop_id, "amount": amount, "occurred_at": at}
        return self.http.post("/v1/spend", json=body)

    def batch(self, events: list[dict[str, Any]]) -> httpx.Response:
        return self.http.post("/v1/spend/batch", json={"events": events})

    def spent(self, shop_id: int, month: str = JUNE) -> Decimal:
        query = select(budgets.c.a_amount_spent).where(
            budgets.c.a_shop_id == shop_id, budgets.c.a_month == first_day(month)
        )
        with self.world.context.engine.connect() as connection:
            return Decimal(connection.execute(query).scalar_one())

    def events_stored(self) -> int:
        with self.world.context.engine.connect() as connection:
            query = select(func.count()).select_from(spend_events)
            return int(connection.execute(query).scalar_one())


def event(event_id: str, shop_id: int, amount: str, at: str = IN_JUNE) -> dict[str, Any]:
    return {"event_id": event_id, "shop_id": shop_id, "amount": amount, "occurred_at": at}
