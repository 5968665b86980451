"""What the evaluation's statements write into a queued notification, and the parameters that
stamp it (scope.Stamp gives them): shared by every statement module that queues notifications."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, literal

from budgetguard.db.evaluation.shop_terms import ShopTerms
from budgetguard.db.plumbing.types import UtcDateTime
from budgetguard.db.schema.tables import budgets, notifications, shops
from budgetguard.domain.delivery import Status
from budgetguard.domain.notification import Kind


def now_param() -> ColumnElement[Any]:
    """The clock when the statement runs."""
    return bindparam("now", type_=UtcDateTime())


def evaluation_id_param() -> ColumnElement[int]:
    """The evaluation whose statements write."""
    return bindparam("evaluation_id", type_=notifications.c.evaluation_id.type)


def notification_content(
    terms: ShopTerms, kind: Kind, thresholds: ColumnElement[Any], action: ColumnElement[Any]
) -> dict[str, ColumnElement[Any]]:
    """A queued notification's columns (SPEC §4), each with what it is made of: the date on
    the shop's clock, and the shop's zone, language and currency as the evaluation found them."""
    return {
        "evaluation_id": evaluation_id_param(),
        "kind": literal(kind.value),
        "shop_id": budgets.c.a_shop_id,
        "shop_name": shops.c.a_name,
        "month": budgets.c.a_month,
        "budget": budgets.c.a_budget_amount,
        "spent": budgets.c.a_amount_spent,
        "thresholds": thresholds,
        "action": action,
        "evaluated_on": terms.today(),
        "timezone": terms.zone(),
        "language": terms.language(),
        "currency": terms.currency(),
        "evaluated_at": bindparam("at", type_=UtcDateTime()),
        "created_at": now_param(),
        "status": literal(Status.PENDING.value),
        "attempts": literal(0),
        "next_attempt_at": now_param(),  # due for dispatch at once
    }


def labelled(content: dict[str, ColumnElement[Any]]) -> list[ColumnElement[Any]]:
    """The columns as a SELECT's labelled expressions (an INSERT ... SELECT's)."""
    return [expression.label(name) for name, expression in content.items()]
