"""The outbox's notifications, and an evaluation asked for over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from budgetguard.api.schemas.common import Body
from budgetguard.api.schemas.fields import Instant, MoneyOut, PercentOut
from budgetguard.domain.evaluation import EvaluationReport
from budgetguard.domain.notification import StoredNotification

NotificationStatus = Literal["pending", "delivering", "delivered", "failed", "dead"]


class NotificationOut(BaseModel):
    id: int
    kind: Literal["threshold", "resumed"]
    shop_id: int
    shop_name: str
    month: str = Field(examples=["2026-07"])
    thresholds: list[int]
    budget: MoneyOut
    spent: MoneyOut
    percent: PercentOut
    action: Literal["paused", "resumed"] | None
    date: str = Field(description="The evaluation date, YYYY-MM-DD, on the platform's clock.")
    created_at: datetime
    status: NotificationStatus
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, stored: StoredNotification) -> NotificationOut:
        n = stored.notification
        return cls(
            id=n.id,
            kind=n.kind.value,
            shop_id=n.shop_id,
            shop_name=n.shop_name,
            month=str(n.month),
            thresholds=list(n.thresholds),
            budget=n.budget,
            spent=n.spent,
            percent=n.percent,
            action=n.action.value if n.action else None,
            date=n.evaluated_on.isoformat(),
            created_at=n.created_at,
            status=stored.status,
            attempts=n.attempts,
            next_attempt_at=stored.next_attempt_at,
            delivered_at=stored.delivered_at,
            last_error=stored.last_error,
        )


class CheckIn(Body):
    at: Instant | None = Field(
        default=None, description="Evaluate the month containing this instant; default now."
    )


class CheckOut(BaseModel):
    evaluation_id: int
    month: str
    budgets: int
    notifications: int
    paused: int
    resumed: int
    skipped: int

    @classmethod
    def of(cls, report: EvaluationReport) -> CheckOut:
        return cls(
            evaluation_id=report.evaluation_id,
            month=str(report.month),
            budgets=report.budgets,
            notifications=report.notifications,
            paused=report.paused,
            resumed=report.resumed,
            skipped=len(report.skipped),
        )
