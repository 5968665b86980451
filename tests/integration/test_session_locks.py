"""Session locks belong to one database: budgetguards on two databases of one server never wait
for each other, while two sessions on the same database do."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.plumbing.locks import LOCK_NAME, session_lock
from budgetguard.domain.errors import EvaluationBusy


@pytest.mark.parametrize("backend", ["mariadb", "postgresql"])
def test_a_lock_held_on_one_database_does_not_hold_another(engine: Engine, fresh_url: str) -> None:
    other = make_engine(fresh_url)
    try:
        with (
            engine.connect() as holder,
            engine.connect() as same_database,
            other.connect() as other_database,
            session_lock(holder, LOCK_NAME, timeout=0, busy=EvaluationBusy),
        ):
            with (
                pytest.raises(EvaluationBusy),
                session_lock(same_database, LOCK_NAME, timeout=0, busy=EvaluationBusy),
            ):
                pass
            with session_lock(other_database, LOCK_NAME, timeout=0, busy=EvaluationBusy):
                pass
    finally:
        other.dispose()
