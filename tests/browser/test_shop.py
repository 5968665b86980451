"""The shop page and the shop's own page in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import func, insert, select

from budgetguard.db.schema.console_tables import spend_days
from budgetguard.db.schema.tables import contacts
from budgetguard.domain.recipients import ChannelKind
from budgetguard.domain.users import Role
from budgetguard.services.contacts import ContactSpec, add_contact
from budgetguard.services.deliveries import list_deliveries
from budgetguard.services.shop_links import ShopLinks
from support.browser import check_accessibility, screenshots
from support.receivers import WebhookReceiver, webhook_receiver
from support.signing_in import tampered
from support.world import World

from .conftest import Console

JUNE = "2020-06"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret
NOW = "2020-06-30T12:00:00Z"  # the world's clock
T = TypeVar("T")


def aside(work: Callable[[], T]) -> T:
    """Run `work` on a thread of its own: Playwright's event loop runs on the test's, and
    `check` and contact look-ups run loops of their own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


def paused_shop(world: World) -> None:
    """Shop 7 overspent June and was paused; its spend of a few days is on record."""
    aside(lambda: _paused_shop(world))


def _paused_shop(world: World) -> None:
    world.platform.add_shop(7, "Maison Lumière")
    world.platform.add_shop(8, "Other Shop")
    world.platform.set_budget(7, "2020-01", "800.00", "640.00")
    for month, budget, spent in (("2020-03", "900.00", "910.50"), ("2020-04", "900.00", "450.00"),
                                 ("2020-05", "1000.00", "870.25")):  # fmt: skip
        world.platform.set_budget(7, month, budget, spent)
    world.platform.set_budget(7, JUNE, "1000.00", "1012.40")
    world.platform.set_budget(8, JUNE, "50.00", "1.00")
    world.check(NOW)
    rows = [(2, "35.00"), (5, "160.00"), (9, "310.20"), (14, "505.00"), (18, "690.75"),
            (23, "844.10"), (27, "966.00")]  # fmt: skip
    with world.context.engine.begin() as connection:
        connection.execute(insert(spend_days), [
            {"shop_id": 7, "month": date(2020, 6, 1), "day": date(2020, 6, d), "spent": Decimal(s)}
            for d, s in rows
        ])  # fmt: skip


def test_an_operator_raises_a_paused_shops_budget_and_sees_it_online_and_resumed(
    console: Console, page: Any
) -> None:
    console.add_user("olga", Role.OPERATOR)
    paused_shop(console.world)
    console.sign_in(page, "olga")

    page.goto(f"{console.url}/shops/7")
    assert page.get_by_text("Paused by budgetguard.").is_visible()
    check_accessibility(page)
    screenshots(page, "shop")
    page.get_by_label("Budget for June 2020").fill("1500.00")
    page.get_by_role("button", name="Save the budget").click()

    assert page.get_by_role("status").inner_text() == "The budget is saved."
    page.locator(".standing .tag.online").wait_for()  # visible, or a timeout fails the test
    page.locator(".timeline").get_by_text("Resumed: back online").wait_for()
    assert console.world.platform.online(7)


def test_a_webhook_to_a_private_network_is_refused_beside_the_field(
    console: Console, page: Any
) -> None:
    console.add_user("olga", Role.OPERATOR)
    paused_shop(console.world)
    console.sign_in(page, "olga")
    page.goto(f"{console.url}/shops/7")

    page.get_by_label("Kind").select_option("webhook")
    page.get_by_label("Address (e-mail address or https URL)").fill("https://192.168.1.20/hook")
    page.get_by_role("button", name="Add the contact").click()

    field = page.get_by_label("Address (e-mail address or https URL)")
    assert field.get_attribute("aria-invalid") == "true"
    error = page.locator("#address-error")
    assert "private" in error.inner_text()
    assert field.input_value() == "https://192.168.1.20/hook"
    check_accessibility(page)
    with console.world.context.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(contacts)).scalar_one() == 0


def test_an_operator_retries_a_dead_delivery(console: Console, page: Any) -> None:
    console.add_user("olga", Role.OPERATOR)
    stubborn = console.world.with_settings(webhook_allow_private=True, delivery_max_attempts=1,
                                           delivery_timeout=10)  # fmt: skip
    with webhook_receiver(WebhookReceiver(secret=SECRET, script=[500])) as receiver:
        stubborn.platform.add_shop(7, "Maison Lumière")
        stubborn.platform.set_budget(7, JUNE, "1000.00", "600.00")
        spec = ContactSpec(ChannelKind.WEBHOOK, receiver.url(), SECRET)
        aside(lambda: add_contact(actor="tests", context=stubborn.context, shop_id=7, spec=spec))
        aside(lambda: stubborn.check(NOW))
    (dead,) = list_deliveries(context=stubborn.context)
    assert dead.status.value == "dead"
    console.sign_in(page, "olga")
    page.goto(f"{console.url}/shops/7")
    assert page.locator(".records").get_by_text("HTTP 500").is_visible()

    page.get_by_role("button", name="Retry").click()

    assert page.get_by_role("status").inner_text() == "The delivery will be tried again."
    assert page.locator(".records .tag").inner_text() == "pending"
    (retried,) = list_deliveries(context=stubborn.context)
    assert retried.status.value == "pending"


def test_a_viewer_sees_no_action_forms_and_the_pace_of_the_month(
    console: Console, page: Any
) -> None:
    console.add_user("vera", Role.VIEWER)
    world = console.world
    world.clock.now = datetime(2020, 6, 16, 12, 0, tzinfo=UTC)  # 15.5 days into June
    world.platform.add_shop(9, "Atelier Nord")
    world.platform.set_budget(9, "2020-05", "2800.00", "2650.00")
    world.platform.set_budget(9, JUNE, "3000.00", "1700.00")
    with world.context.engine.begin() as connection:
        connection.execute(insert(spend_days), [
            {"shop_id": 9, "month": date(2020, 6, 1), "day": date(2020, 6, d),
             "spent": Decimal(110 * d - (d % 3) * 15)}
            for d in range(1, 16)
        ])  # fmt: skip
    console.sign_in(page, "vera")

    page.goto(f"{console.url}/shops/9")

    assert page.locator("main form[method=post]").count() == 0
    assert page.get_by_role("button", name="Save the budget").count() == 0
    # 1,700 in 15.5 days: 3,000 is reached 27.35 days into the month.
    assert page.locator(".outlook").inner_text() == "At this pace the budget runs out on 28 June."
    assert page.locator("svg.burn path.projection").count() == 1
    check_accessibility(page)
    screenshots(page, "shop-viewer")


def test_a_shop_link_opens_that_shops_page_and_a_tampered_or_expired_one_does_not(
    console: Console, page: Any
) -> None:
    paused_shop(console.world)
    world = console.world
    token = ShopLinks.of(world.context).token(7, world.clock())

    page.goto(f"{console.url}/s/{token}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Maison Lumière")
    assert page.locator("form").count() == 0
    assert page.get_by_text("Other Shop").count() == 0
    check_accessibility(page)
    screenshots(page, "shop-public")

    refused = page.goto(f"{console.url}/s/{tampered(token)}")
    assert refused is not None
    assert refused.status == 404
    assert page.get_by_text("Maison").count() == 0

    world.clock.advance(timedelta(days=36))
    expired = page.goto(f"{console.url}/s/{token}")
    assert expired is not None
    assert expired.status == 410
    assert page.get_by_text("Maison").count() == 0
    check_accessibility(page)
    screenshots(page, "link-expired")
