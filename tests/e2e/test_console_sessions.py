"""The console's session over real HTTP, on every database: the cookie's flags and life, what
ends it (expiry on the runtime's clock, tampering, a new password, removal, signing out), the
form token of signing out, and the signing secret shared by replicas or given by a setting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Table, func, select

from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema.console_tables import ended_sessions, signing_keys
from budgetguard.db.schema.tables import audit
from budgetguard.domain.users import Role
from budgetguard.services.uow import Context
from budgetguard.services.users import add_user, remove_user, set_password
from support.server import api_in_thread
from support.signing_in import PASSWORD, Visitor, replica, tampered, token_of, visitor
from support.world import World

HOME = "127.0.0.1"
SECRET = "a-session-secret-of-at-least-32-characters"  # noqa: S105 - a test secret
NEW_PASSWORD = "a brand new password"  # noqa: S105


@pytest.fixture
def olga(world: World) -> Iterator[Visitor]:
    """The operator olga, signed in to the world's console."""
    add_user(context=world.context, name="olga", role=Role.OPERATOR, password=PASSWORD)
    with api_in_thread(world.context) as (url, _runtime, _bell), visitor(url) as olga:
        assert olga.sign_in("olga").status_code == 303
        yield olga


def set_cookie(answer_headers: list[str]) -> dict[str, str]:
    """The bg_session Set-Cookie header's attributes, lowercased (`value` holds its value)."""
    (header,) = [h for h in answer_headers if h.startswith("bg_session=")]
    first, *rest = (part.strip() for part in header.split(";"))
    attributes = {"value": first.partition("=")[2]}
    for part in rest:
        key, _, value = part.partition("=")
        attributes[key.lower()] = value.lower()
    return attributes


def signed_in(guest: Visitor) -> bool:
    answer = guest.http.get("/")
    assert answer.status_code in {200, 303}
    return answer.status_code == 200


def rows_in(world: World, table: Table) -> int:
    with world.context.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_cookie_is_http_only_same_site_lax_and_lasts_the_session_hours(world: World) -> None:
    hours = world.with_settings(session_hours=2)
    add_user(context=world.context, name="olga", role=Role.VIEWER, password=PASSWORD)
    with api_in_thread(hours.context) as (url, _r, _b), visitor(url) as guest:
        plain = set_cookie(guest.sign_in("olga").headers.get_list("set-cookie"))

    assert plain["max-age"] == "7200"
    assert {"httponly", "samesite", "path"} <= set(plain)
    assert (plain["samesite"], plain["path"]) == ("lax", "/")
    assert "secure" not in plain


def test_over_https_the_cookie_is_secure(world: World) -> None:
    # https as a reverse proxy on loopback reports it (X-Forwarded-Proto); the sign-in form's
    # own cookie is then Secure too, so this plain-HTTP client sends it back by hand.
    add_user(context=world.context, name="olga", role=Role.VIEWER, password=PASSWORD)
    https = {"X-Forwarded-Proto": "https"}
    with api_in_thread(world.context) as (url, _r, _b), visitor(url) as guest:
        form = guest.http.get("/sign-in", headers=https)
        token = token_of(form)
        data = {"name": "olga", "password": PASSWORD, "csrf": token, "next": "/"}
        answer = guest.http.post(
            "/sign-in", data=data, headers={**https, "Cookie": f"bg_sign_in={token}"}
        )

    assert "secure" in form.headers["set-cookie"].lower()
    assert answer.status_code == 303
    assert "secure" in set_cookie(answer.headers.get_list("set-cookie"))


def test_a_session_ends_after_the_session_hours_on_the_runtimes_clock(
    olga: Visitor, world: World
) -> None:
    world.clock.advance(timedelta(hours=12))
    assert signed_in(olga)

    world.clock.advance(timedelta(seconds=1))

    answer = olga.http.get("/")
    assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in?next=/")


def test_a_tampered_cookie_is_no_session(olga: Visitor) -> None:
    value = olga.session
    assert value is not None

    for forged in (tampered(value), "x" + value, value[:-1]):
        with visitor(olga.url) as thief:
            thief.http.cookies.set("bg_session", forged)
            assert not signed_in(thief)
    assert signed_in(olga)


def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(
    olga: Visitor, world: World
) -> None:
    world.clock.advance(timedelta(minutes=1))
    set_password(context=world.context, name="olga", password=NEW_PASSWORD)

    assert not signed_in(olga)
    assert olga.sign_in("olga", NEW_PASSWORD).status_code == 303
    assert signed_in(olga)


def test_removing_a_user_ends_their_session(olga: Visitor, world: World) -> None:
    remove_user(context=world.context, name="olga")

    assert not signed_in(olga)


def test_signing_out_needs_the_sessions_form_token_and_ends_the_session(olga: Visitor) -> None:
    page = olga.http.get("/")

    assert olga.sign_out(None).status_code == 403
    assert olga.sign_out("not-the-token").status_code == 403
    assert signed_in(olga)
    signed_out = olga.sign_out(token_of(page))
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/sign-in")
    assert olga.session is None
    assert not signed_in(olga)


def test_a_copy_of_a_signed_out_cookie_is_refused_by_every_replica(
    olga: Visitor, world: World, db_url: str
) -> None:
    """Signing out ends the session on the server: a copy of the cookie taken before is no
    session, on this replica or another; the user's other sessions go on."""
    copy = olga.session
    assert copy is not None
    with visitor(olga.url) as phone:
        assert phone.sign_in("olga").status_code == 303
        assert olga.sign_out(token_of(olga.http.get("/"))).status_code == 303

        with visitor(olga.url) as thief:
            thief.http.cookies.set("bg_session", copy)
            assert not signed_in(thief)
            stale = thief.http.post("/sign-out", data={"csrf": "anything"})
            assert (stale.status_code, stale.headers["location"]) == (303, "/sign-in?next=/")
        other = Context(world.context.settings, make_engine(db_url), world.clock)
        try:
            with replica(other) as elsewhere, visitor(elsewhere) as thief:
                thief.http.cookies.set("bg_session", copy)
                assert not signed_in(thief)
        finally:
            other.close()
        assert signed_in(phone), "another session of the same user"

    with world.context.engine.connect() as connection:
        rows = connection.execute(select(audit).order_by(audit.c.id)).all()
    assert [(r.actor, r.action) for r in rows] == [
        ("budgetguard", "user.added"),
        ("web:olga", "user.signed_in"),
        ("web:olga", "user.signed_in"),
        ("web:olga", "user.signed_out"),
    ]
    assert json.loads(rows[-1].detail) == {"name": "olga", "role": "operator", "client": HOME}


def test_a_signed_out_session_is_kept_until_its_cookies_expire_then_forgotten(
    olga: Visitor, world: World
) -> None:
    copy = olga.session
    assert copy is not None
    olga.sign_out(token_of(olga.http.get("/")))
    world.clock.advance(timedelta(hours=12))
    with visitor(olga.url) as thief:
        thief.http.cookies.set("bg_session", copy)
        assert not signed_in(thief), "signed 12 hours ago: still valid but for signing out"
    assert rows_in(world, ended_sessions) == 1

    world.clock.advance(timedelta(seconds=1))
    assert olga.sign_in("olga").status_code == 303
    olga.sign_out(token_of(olga.http.get("/")))

    assert rows_in(world, ended_sessions) == 1, "the first one, expired, forgotten"


def test_replicas_on_one_database_read_each_others_cookies_without_any_setting(
    world: World, db_url: str
) -> None:
    add_user(context=world.context, name="olga", role=Role.VIEWER, password=PASSWORD)
    first, second = (Context(world.context.settings, make_engine(db_url)) for _ in range(2))
    try:
        with replica(first) as a, replica(second) as b, visitor(a) as on_a, visitor(b) as on_b:
            assert on_a.sign_in("olga").status_code == 303
            on_b.http.cookies.set("bg_session", on_a.session or "")
            assert signed_in(on_b)
    finally:
        first.close()
        second.close()
    assert rows_in(world, signing_keys) == 1


def test_the_session_secret_setting_replaces_the_stored_one(world: World, db_url: str) -> None:
    add_user(context=world.context, name="olga", role=Role.VIEWER, password=PASSWORD)
    given = world.with_settings(session_secret=SECRET).context.settings
    stored = Context(world.context.settings, make_engine(db_url))
    set_a, set_b = (Context(given, make_engine(db_url)) for _ in range(2))
    try:
        with (
            replica(stored) as s, replica(set_a) as a, replica(set_b) as b,
            visitor(s) as on_s, visitor(a) as on_a, visitor(b) as on_b,
        ):  # fmt: skip
            assert on_s.sign_in("olga").status_code == 303
            assert on_a.sign_in("olga").status_code == 303
            from_stored, from_setting = on_s.session or "", on_a.session or ""
            on_b.http.cookies.set("bg_session", from_stored)
            assert not signed_in(on_b)
            on_b.http.cookies.set("bg_session", from_setting)
            assert signed_in(on_b)
            on_s.http.cookies.set("bg_session", from_setting)
            assert not signed_in(on_s)
    finally:
        for context in (stored, set_a, set_b):
            context.close()
