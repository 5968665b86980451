"""Signing in to the console in a real browser."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from budgetguard.domain.users import Role
from support.browser import check_accessibility, screenshots

from .conftest import Console


def test_an_operator_signs_in_and_lands_where_they_were_going(console: Console, page: Any) -> None:
    console.add_user("olga", Role.OPERATOR)

    page.goto(f"{console.url}/?month=2020-07")
    assert page.url.startswith(f"{console.url}/sign-in?next=")
    check_accessibility(page)
    screenshots(page, "sign-in")
    console.sign_in(page, "olga", here=True)

    assert page.url == f"{console.url}/?month=2020-07"


def test_a_wrong_password_says_only_that_the_name_or_password_is_wrong(
    console: Console, page: Any
) -> None:
    console.add_user("olga", Role.OPERATOR)

    console.sign_in(page, "olga", "not the password")

    assert page.get_by_role("alert").inner_text() == "The name or the password is wrong."
    assert "/sign-in" in page.url


def test_repeated_wrong_passwords_are_slowed_down_and_the_page_says_how_long_to_wait(
    console: Console, page: Any
) -> None:
    console.add_user("olga", Role.OPERATOR)
    for _ in range(5):
        console.sign_in(page, "olga", "not the password")
        assert page.get_by_role("alert").inner_text() == "The name or the password is wrong."

    console.sign_in(page, "olga", here=True)

    alert = page.get_by_role("alert").inner_text()
    assert alert == "Too many failed sign-ins: wait 1 second, then try again."
    assert page.get_by_label("Name").input_value() == "olga"
    check_accessibility(page)
    screenshots(page, "sign-in-throttled")
    console.world.clock.advance(timedelta(seconds=1))
    console.sign_in(page, "olga", here=True)
    assert page.url == f"{console.url}/"


def test_signing_out_ends_the_session_and_every_page_asks_to_sign_in_again_even_with_its_cookie(
    console: Console, page: Any
) -> None:
    console.add_user("vic", Role.VIEWER)
    console.sign_in(page, "vic")
    assert page.url == f"{console.url}/"
    (kept,) = [cookie for cookie in page.context.cookies() if cookie["name"] == "bg_session"]

    page.get_by_role("button", name="Sign out").click()

    assert page.url == f"{console.url}/sign-in"
    assert all(cookie["name"] != "bg_session" for cookie in page.context.cookies())
    page.goto(f"{console.url}/")
    assert page.url == f"{console.url}/sign-in?next=/"
    assert page.get_by_role("heading", name="Sign in").is_visible()

    page.context.add_cookies([kept])  # a copy of the cookie taken before signing out
    page.goto(f"{console.url}/")
    assert page.url == f"{console.url}/sign-in?next=/", "the session ended on the server"
