"""Keep the planner's view of budgetguard's own tables current while an evaluation fills them.

The first evaluation after an upgrade can write a million rows into tables that were empty when
PostgreSQL last analysed them; with "empty table" statistics the planner keeps choosing plans
that scan the whole table for every chunk, and the evaluation slows down as it goes. Autovacuum
would analyse them, but only a minute or so later. So the evaluator analyses them itself
whenever they have grown several-fold since it last did (a sample; about 0.1 s on 1M rows).
MySQL/MariaDB recalculate InnoDB statistics by themselves as tables grow; SQLite's planner
prefers the primary keys without statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

_TABLES = "bg_alerts, bg_pauses, bg_notifications"
GROWTH = 4
FIRST_AT = 20_000


@dataclass
class StatisticsKeeper:
    """Counts rows written; analyses budgetguard's tables after each several-fold growth."""

    written: int = 0
    next_refresh: int = FIRST_AT

    def wrote(self, connection: Connection, rows: int) -> None:
        self.written += rows
        if self.written < self.next_refresh or connection.dialect.name != "postgresql":
            return
        connection.execute(text(f"ANALYZE {_TABLES}"))
        connection.commit()
        self.next_refresh = self.written * GROWTH
