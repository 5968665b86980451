"""The Deliveries page in a real browser: an operator retries a dead delivery; a viewer sees the
records and no way to retry them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from budgetguard.domain.users import Role
from support.aside import aside
from support.browser import check_accessibility, screenshots
from support.deliveries import on_loopback, statuses, troubled_records
from support.receivers import WebhookReceiver, webhook_receiver

from .conftest import Console


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """Answers 500 to the first attempts of the scenario, then 200."""
    with webhook_receiver(WebhookReceiver(script=[500, 500, 500])) as answering:
        yield answering


def same_port(receiver: WebhookReceiver) -> dict[str, str]:
    """The receiver's port as the screenshots show it: the same every run (it is ephemeral)."""
    return {f"127.0.0.1:{receiver.port}/": "127.0.0.1:8080/"}


def test_an_operator_retries_a_dead_delivery_and_it_is_delivered(
    console: Console, page: Any, receiver: WebhookReceiver
) -> None:
    console.add_user("olga", Role.OPERATOR)
    aside(troubled_records, console.world, receiver, dead=(1, 2), failed=(3,))
    dead = min(i for i, s in statuses(console.world).items() if s == "dead")
    console.sign_in(page, "olga")
    page.goto(f"{console.url}/deliveries?month=2020-07")
    check_accessibility(page)
    screenshots(page, "deliveries", shown_as=same_port(receiver))

    page.get_by_role("button", name=f"Retry record {dead}").click()

    assert page.get_by_role("status").inner_text() == "1 record due again."
    assert statuses(console.world)[dead] == "pending"
    page.wait_for_load_state()  # the whole list: a row not parsed yet would count as gone
    assert page.locator(f"#record-{dead}").count() == 0
    aside(on_loopback(console.world).deliver)
    assert statuses(console.world)[dead] == "delivered"
    assert receiver.received[-1].answer == 200


def test_an_operator_retries_the_ticked_records(
    console: Console, page: Any, receiver: WebhookReceiver
) -> None:
    console.add_user("olga", Role.OPERATOR)
    aside(troubled_records, console.world, receiver, dead=(1, 2, 3))
    one, two, three = sorted(statuses(console.world))
    console.sign_in(page, "olga")
    page.goto(f"{console.url}/deliveries?status=dead")

    page.get_by_label(f"Select record {one}").check()
    page.get_by_label(f"Select record {three}").check()
    page.get_by_role("button", name="Retry selected").click()

    assert page.get_by_role("status").inner_text() == "2 records due again."
    assert statuses(console.world) == {one: "pending", two: "dead", three: "pending"}


def test_retry_selected_with_nothing_ticked_shows_the_error_beside_the_button(
    console: Console, page: Any, receiver: WebhookReceiver
) -> None:
    console.add_user("olga", Role.OPERATOR)
    aside(troubled_records, console.world, receiver, dead=(1,))
    before = statuses(console.world)
    console.sign_in(page, "olga")
    page.goto(f"{console.url}/deliveries")

    page.get_by_role("button", name="Retry selected").click()

    button = page.get_by_role("button", name="Retry selected")
    assert page.locator("#retry-error").inner_text() == "Tick at least one record to retry."
    assert button.get_attribute("aria-describedby") == "retry-error"
    assert statuses(console.world) == before
    check_accessibility(page)


def test_a_viewer_sees_the_records_and_no_retry_controls(
    console: Console, page: Any, receiver: WebhookReceiver
) -> None:
    console.add_user("vera", Role.VIEWER)
    aside(troubled_records, console.world, receiver, dead=(1,), failed=(2,))
    console.sign_in(page, "vera")
    page.goto(f"{console.url}/deliveries")

    assert page.locator("#deliveries tbody tr").count() == len(statuses(console.world))
    assert page.get_by_role("button", name="Retry").count() == 0
    assert page.get_by_role("checkbox").count() == 0
    assert page.locator("form[action='/deliveries/retry']").count() == 0
    check_accessibility(page)
    screenshots(page, "deliveries-viewer", shown_as=same_port(receiver))
