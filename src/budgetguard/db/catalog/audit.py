"""The audit trail (`bg_audit`), in the caller's transaction: recorded beside the change it
describes, so a change and its entry are committed together or not at all."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from budgetguard.db.schema.tables import audit
from budgetguard.domain.audit import ACTOR_LIMIT, AuditEntry

PAGE = 100


def record(
    connection: Connection,
    *,
    at: datetime,
    actor: str,
    action: str,
    shop_id: int | None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Add an entry; `detail` is stored as JSON text."""
    text = None if detail is None else json.dumps(detail, ensure_ascii=False, sort_keys=True)
    connection.execute(
        insert(audit).values(
            at=at, actor=actor[:ACTOR_LIMIT], action=action, shop_id=shop_id, detail=text
        )
    )


def of_shop(
    connection: Connection, shop_id: int, *, before: int | None = None, limit: int = PAGE
) -> list[AuditEntry]:
    """The shop's entries, newest first, up to `limit` of those with an id below `before`."""
    query = select(audit).where(audit.c.shop_id == shop_id)
    if before is not None:
        query = query.where(audit.c.id < before)
    rows = connection.execute(query.order_by(audit.c.id.desc()).limit(limit))
    return [_entry(row) for row in rows]


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=int(row.id),
        at=row.at,
        actor=row.actor,
        action=row.action,
        shop_id=row.shop_id,
        detail=None if row.detail is None else json.loads(row.detail),
    )
