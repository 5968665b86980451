"""Password checks are bounded over real HTTP, on every database: at most two at once in a
process; a sign-in that finds none free within the wait is answered 503, unchecked and
uncounted."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from budgetguard.domain.users import Role, User
from budgetguard.services import sign_in as sign_in_service
from budgetguard.services.sign_in import failures_counted
from budgetguard.services.users import add_user
from budgetguard.web import slots
from support.server import api_in_thread
from support.signing_in import PASSWORD, alert_of, visitor
from support.world import World


@pytest.fixture
def console_url(world: World) -> Iterator[str]:
    add_user(context=world.context, name="olga", role=Role.OPERATOR, password=PASSWORD)
    with api_in_thread(world.context) as (url, _runtime, _bell):
        yield url


@pytest.fixture
def all_checks_busy() -> Iterator[None]:
    """Both password checks of this process taken, as by two slow sign-ins."""
    assert slots.PASSWORD_CHECKS.take()
    assert slots.PASSWORD_CHECKS.take()
    try:
        yield
    finally:
        slots.PASSWORD_CHECKS.give_back()
        slots.PASSWORD_CHECKS.give_back()


def test_a_sign_in_finding_every_check_busy_is_answered_503_unchecked(
    world: World, console_url: str, all_checks_busy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slots, "PASSWORD_CHECK_WAIT", 0.3)
    with visitor(console_url) as guest:
        busy = guest.sign_in("olga", PASSWORD)

        assert (busy.status_code, busy.headers["retry-after"]) == (503, "2")
        assert alert_of(busy) == (
            "Many sign-ins are being checked right now: try again in a few seconds."
        )
        assert 'id="name" name="name" value="olga"' in busy.text  # the same form, to post again
        assert guest.session is None
        assert failures_counted(context=world.context) == []  # nothing counted


def test_a_sign_in_waits_for_a_check_to_come_free(
    console_url: str, all_checks_busy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slots, "PASSWORD_CHECK_WAIT", 30.0)  # a pause of the machine is no 503
    freed = threading.Timer(0.5, slots.PASSWORD_CHECKS.give_back)
    freed.start()
    try:
        with visitor(console_url) as guest:
            assert guest.sign_in("olga", PASSWORD).status_code == 303
    finally:
        freed.join()
        assert slots.PASSWORD_CHECKS.take()  # the fixture gives back two


def test_no_more_than_two_passwords_are_checked_at_once(
    console_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, most, lock = [0], [0], threading.Lock()
    check = sign_in_service.authenticate

    def slow_check(**arguments: object) -> User | None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.3)
            return check(**arguments)  # type: ignore[arg-type]
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(sign_in_service, "authenticate", slow_check)
    monkeypatch.setattr(slots, "PASSWORD_CHECK_WAIT", 30.0)

    def one(n: int) -> int:
        with visitor(console_url) as guest:
            headers = {"X-Forwarded-For": f"198.51.100.{n}"}
            return guest.sign_in(f"guess{n}", "not the password", headers=headers).status_code

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(one, range(6)))

    assert answers == [401] * 6
    assert most[0] == 2
