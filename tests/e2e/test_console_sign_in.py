"""Signing in to the console over real HTTP, on every database: one message for a wrong name or
password, throttling per name and per client, where `next` may lead, what a signed-out visitor
gets, and the console's 404 beside the API's."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute

from budgetguard.domain.users import Role
from budgetguard.services.users import add_user
from budgetguard.web import routes
from budgetguard.web.auth import signed_in
from support.server import api_in_thread
from support.signing_in import PASSWORD, Visitor, alert_of, visitor
from support.world import World

WRONG = "The name or the password is wrong."


@pytest.fixture
def guest(world: World) -> Iterator[Visitor]:
    """A visitor of the world's console, with the operator olga added."""
    add_user(context=world.context, name="olga", role=Role.OPERATOR, password=PASSWORD)
    with api_in_thread(world.context) as (url, _runtime, _bell), visitor(url) as guest:
        yield guest


def from_client(address: str) -> dict[str, str]:
    """Headers of a request that a reverse proxy on loopback passed on from `address`."""
    return {"X-Forwarded-For": address}


def test_a_wrong_name_and_a_wrong_password_get_the_same_answer(guest: Visitor) -> None:
    unknown = guest.sign_in("nobody", PASSWORD)
    wrong = guest.sign_in("olga", "not the password")

    assert (unknown.status_code, alert_of(unknown)) == (401, WRONG)
    assert (wrong.status_code, alert_of(wrong)) == (401, WRONG)
    assert unknown.headers["content-type"] == wrong.headers["content-type"]
    assert guest.session is None


def test_the_right_password_signs_in_and_goes_where_the_visitor_was_going(guest: Visitor) -> None:
    answer = guest.sign_in("olga", next="/?month=2020-07")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/?month=2020-07"
    assert guest.http.get("/").status_code == 200


def test_after_five_failures_for_a_name_the_next_attempt_waits_unchecked(
    guest: Visitor,
) -> None:
    for _ in range(5):
        assert guest.sign_in("olga", "not the password").status_code == 401

    refused = guest.sign_in("Olga", PASSWORD, headers=from_client("198.51.100.7"))

    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert alert_of(refused) == "Too many failed sign-ins: wait 1 second, then try again."
    assert 'id="name" name="name" value="Olga"' in refused.text  # the same page
    assert guest.session is None  # the right password was not even checked


def test_after_twenty_failures_from_a_client_any_name_it_tries_waits(guest: Visitor) -> None:
    busy, other = from_client("198.51.100.7"), from_client("198.51.100.8")
    for n in range(20):
        assert guest.sign_in(f"guess{n}", "not the password", headers=busy).status_code == 401

    refused = guest.sign_in("olga", PASSWORD, headers=busy)

    assert (refused.status_code, refused.headers["retry-after"]) == (429, "1")
    assert guest.session is None
    assert guest.sign_in("olga", PASSWORD, headers=other).status_code == 303


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example",
     "javascript:alert(1)", "evil.example", "/%0a/evil.example".replace("%0a", "\n")],
)  # fmt: skip
def test_next_never_leads_to_another_site(guest: Visitor, target: str) -> None:
    answer = guest.sign_in("olga", next=target)

    assert (answer.status_code, answer.headers["location"]) == (303, "/")
    again = guest.http.get("/sign-in", params={"next": target})
    assert (again.status_code, again.headers["location"]) == (303, "/")


def test_signed_out_every_console_page_redirects_to_sign_in_and_back(guest: Visitor) -> None:
    pages = console_pages()

    assert "/" in pages
    for path in pages:
        answer = guest.http.get(path, params={"month": "2020-07"})
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/sign-in?next={quote(path)}%3Fmonth%3D2020-07"
    signed_out = guest.http.post("/sign-out", data={"csrf": "x"})
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/sign-in?next=/")


def console_pages() -> list[str]:
    """Every GET path of the console's routers (web/routes/) that needs a signed-in user, its
    parameters filled in with 1."""
    paths = set()
    for found in pkgutil.iter_modules(routes.__path__):
        router = getattr(importlib.import_module(f"{routes.__name__}.{found.name}"), "router", None)
        for route in getattr(router, "routes", ()):
            if isinstance(route, APIRoute) and "GET" in route.methods and _needs(route.dependant):
                paths.add(re.sub(r"\{[^}]+\}", "1", route.path))
    return sorted(paths)


def _needs(dependant: Any) -> bool:
    return any(d.call is signed_in or _needs(d) for d in dependant.dependencies)


def test_an_unknown_console_path_is_the_consoles_404_page_and_the_apis_stay_json(
    guest: Visitor,
) -> None:
    page = guest.http.get("/no/such/page")
    api = guest.http.get("/v1/no-such-thing")

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "There is no such page." in page.text
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
