"""Sign-in throttling on every database, as replicas share it: failures counted per name and
per client in bg_sign_in_failures, with the world's standing clock moved by hand."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from sqlalchemy import select

from budgetguard.db.schema.tables import audit
from budgetguard.domain.sign_in import WINDOW
from budgetguard.domain.users import Role
from budgetguard.services.sign_in import Attempt, failures_counted, sign_in
from budgetguard.services.users import add_user
from support.world import World

PASSWORD = "correct horse battery"  # noqa: S105 - the test users' password
WRONG = "not the password"
HOME = "203.0.113.5"
SECOND = timedelta(seconds=1)


def attempt(world: World, name: str, password: str = WRONG, client: str = HOME) -> Attempt:
    return sign_in(context=world.context, name=name, password=password, client=client)


def fail(world: World, name: str, times: int, client: str = HOME) -> None:
    for _ in range(times):
        assert attempt(world, name, client=client) == Attempt(None)


def counts(world: World) -> dict[str, int]:
    return {f.subject: f.failures for f in failures_counted(context=world.context)}


def test_five_wrong_passwords_for_a_name_make_the_sixth_attempt_wait_unchecked(
    world: World,
) -> None:
    add_user(context=world.context, name="olga", role=Role.OPERATOR, password=PASSWORD)
    fail(world, "olga", 5)

    refused = attempt(world, "OLGA", PASSWORD)  # even the right password is not looked at

    assert refused == Attempt(None, SECOND)
    assert counts(world) == {"name:olga": 5, f"client:{HOME}": 5}
    world.clock.advance(SECOND)
    assert attempt(world, "olga").wait == timedelta(0)
    assert attempt(world, "olga", client="198.51.100.7").wait == 2 * SECOND  # any client


def test_the_wait_doubles_with_each_failure_and_stops_at_a_minute(world: World) -> None:
    fail(world, "olga", 5)
    waits = []
    for _ in range(8):
        refused = attempt(world, "olga")
        waits.append(refused.wait.total_seconds())
        world.clock.advance(refused.wait)
        assert attempt(world, "olga").wait == timedelta(0)  # a failure, counted

    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_success_clears_the_names_failures(world: World) -> None:
    add_user(context=world.context, name="olga", role=Role.OPERATOR, password=PASSWORD)
    fail(world, "olga", 4)

    signed = attempt(world, "olga", PASSWORD)

    assert signed.user is not None
    assert signed.user.name == "olga"
    assert counts(world) == {f"client:{HOME}": 4}  # the client's own count stays, less this one
    fail(world, "olga", 5)
    assert attempt(world, "olga").wait == SECOND


def test_twenty_failures_from_one_client_slow_down_every_name_it_tries(world: World) -> None:
    for n in range(20):
        fail(world, f"name{n}", 1)
    add_user(context=world.context, name="olga", role=Role.OPERATOR, password=PASSWORD)

    assert attempt(world, "olga", PASSWORD) == Attempt(None, SECOND)
    assert attempt(world, "olga", PASSWORD, client="198.51.100.7").user is not None
    world.clock.advance(SECOND)
    assert attempt(world, "olga", PASSWORD).user is not None


def test_failures_are_forgotten_after_the_window_and_pruned_when_a_new_subject_fails(
    world: World,
) -> None:
    fail(world, "olga", 5)
    world.clock.advance(WINDOW)

    assert attempt(world, "olga").wait == timedelta(0)  # counted again from one
    assert counts(world) == {"name:olga": 1, f"client:{HOME}": 1}
    fail(world, "vic", 1, client="198.51.100.7")
    world.clock.advance(WINDOW - SECOND)
    fail(world, "ada", 1, client="198.51.100.8")
    assert set(counts(world)) == {
        "name:olga", f"client:{HOME}", "name:vic", "client:198.51.100.7", "name:ada",
        "client:198.51.100.8",
    }  # fmt: skip
    world.clock.advance(2 * SECOND)
    fail(world, "bob", 1, client="198.51.100.9")
    assert set(counts(world)) == {"name:ada", "client:198.51.100.8", "name:bob",
                                  "client:198.51.100.9"}  # fmt: skip


def test_parallel_guesses_are_counted_one_after_another(world: World) -> None:
    fail(world, "olga", 4)
    answers: list[Attempt] = []
    lock = threading.Lock()

    def guess() -> None:
        answer = attempt(world, "olga")
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=guess) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    checked = [a for a in answers if a.wait == timedelta(0)]
    assert len(answers) == 6
    assert len(checked) == 1  # the fifth failure; every other one found it and had to wait
    assert counts(world)["name:olga"] == 5


def test_a_sign_in_is_recorded_in_the_audit_trail_and_a_failure_is_not(world: World) -> None:
    add_user(context=world.context, name="olga", role=Role.VIEWER, password=PASSWORD)
    fail(world, "olga", 1)
    attempt(world, "olga", PASSWORD)

    with world.context.engine.connect() as connection:
        rows = connection.execute(select(audit).order_by(audit.c.id)).all()

    assert [(r.actor, r.action, r.shop_id) for r in rows] == [
        ("budgetguard", "user.added", None),
        ("web:olga", "user.signed_in", None),
    ]
    assert json.loads(rows[1].detail) == {"name": "olga", "role": "viewer", "client": HOME}
