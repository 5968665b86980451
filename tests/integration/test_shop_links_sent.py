"""The shop's link in its notifications (issue 8, item 5), to real peers: e-mail to an SMTP server
(aiosmtpd), signed webhooks and Slack to HTTP receivers on loopback, the console. With
BUDGETGUARD_PUBLIC_URL, a shop's contacts get its own page's link, made when the message is sent;
operators get the shop's page in the console; without it, nothing changes and no secret is read.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from budgetguard.db.schema.console_tables import signing_keys
from budgetguard.domain.recipients import ChannelKind
from budgetguard.notify.channels.console import ConsoleChannel
from budgetguard.services.shop_links import LinkExpired, ShopLinks
from support.messaging import bodies, contact, munich, stamp
from support.receivers import WebhookReceiver, smtp_server, webhook_receiver
from support.world import World

PUBLIC = "https://budgets.example.com"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret
SHOP_LINK = re.compile(re.escape(PUBLIC) + r"/s/[A-Za-z0-9_.\-]+")
NBSP = "\u00a0"
SENTENCE = "Follow your budget day by day on your shop's page: "


def only_link(text: str) -> str:
    (url,) = set(SHOP_LINK.findall(text))
    return url


def shop_named(world: World, url: str, at: datetime) -> int:
    """The shop the link's token names at `at`, read as the shop's page reads it."""
    return ShopLinks.of(world.context).shop_of(url.rsplit("/", 1)[1], at)


def stored_secrets(world: World) -> int:
    with world.context.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(signing_keys)).scalar_one())


def test_a_german_shops_email_links_its_page_in_german_valid_its_days_from_the_send(
    world: World,
) -> None:
    with smtp_server() as inbox:
        mailing = world.with_settings(
            smtp_url=f"smtp://127.0.0.1:{inbox.port}", public_url=PUBLIC, shop_link_days=10
        )
        munich(mailing)
        contact(mailing, ChannelKind.EMAIL, "inhaber@modehaus.example")
        mailing.evaluate("2020-07-31")
        stamp(mailing, language="de", currency="EUR", timezone="Europe/Berlin")
        mailing.clock.advance(timedelta(days=3))  # sent three days after it was queued
        sent = mailing.clock()
        mailing.deliver()

    ((_, _, message),) = inbox.messages
    text, html = bodies(message)
    url = only_link(text)
    assert f"Verfolgen Sie Ihr Budget Tag für Tag auf der Seite Ihres Shops: {url}" in text
    assert f'Seite Ihres Shops: <a href="{url}">{url}</a></p>' in html
    assert only_link(html) == url
    assert shop_named(mailing, url, sent + timedelta(days=10)) == 2
    with pytest.raises(LinkExpired):
        shop_named(mailing, url, sent + timedelta(days=10, seconds=1))


def test_a_webhook_carries_the_link_signed_and_each_attempt_makes_its_own(world: World) -> None:
    with webhook_receiver(WebhookReceiver(secret=SECRET, script=[500])) as receiver:
        local = world.with_settings(webhook_allow_private=True, public_url=PUBLIC)
        munich(local)
        contact(local, ChannelKind.WEBHOOK, receiver.url(), SECRET)
        local.check("2020-07-31")
        local.clock.advance(timedelta(hours=2))
        retried = local.clock()
        local.deliver()

    first, second = receiver.received
    assert first.payload is not None, "the reference library verified the signature"
    assert second.payload is not None
    links = [r.payload["data"]["shop_url"] for r in (first, second)]
    assert all(SHOP_LINK.fullmatch(url) for url in links)
    assert links[0] != links[1], "the retry's link is made when it is sent"
    days = local.context.settings.shop_link_days
    assert shop_named(local, links[1], retried + timedelta(days=days)) == 2
    with pytest.raises(LinkExpired):
        shop_named(local, links[0], retried + timedelta(days=days))
    assert json.loads(second.body)["data"]["shop_url"] == links[1]


def test_slack_ends_with_the_link_as_slack_writes_links(world: World) -> None:
    with webhook_receiver() as slack:
        local = world.with_settings(webhook_allow_private=True, public_url=PUBLIC)
        munich(local, name="Fashion <Quasar> & Co")
        contact(local, ChannelKind.SLACK, slack.url("/services/T0/B0/token"))
        local.check("2020-07-31")

    (got,) = slack.received
    lines = json.loads(got.body)["text"].splitlines()
    assert len(lines) == 4
    url = only_link(lines[3])
    assert lines[3] == f"{SENTENCE}<{url}>"
    assert shop_named(local, url, local.clock()) == 2


def test_operators_get_the_shops_page_in_the_console_and_the_shop_its_own(world: World) -> None:
    with (
        webhook_receiver(WebhookReceiver(secret=SECRET)) as ops,
        webhook_receiver() as ops_slack,
        webhook_receiver(WebhookReceiver(secret=SECRET)) as shop,
    ):
        local = world.with_settings(
            webhook_allow_private=True, public_url=PUBLIC, language="fr",
            operator_channels=f"{ops.url('/ops')}#{SECRET} slack+{ops_slack.url('/services/x')}",
        )  # fmt: skip
        munich(local)
        contact(local, ChannelKind.WEBHOOK, shop.url(), SECRET)
        local.check("2020-07-31")

    (to_ops,), (to_ops_slack,), (to_shop,) = ops.received, ops_slack.received, shop.received
    assert to_ops.payload is not None
    assert to_shop.payload is not None
    assert to_ops.payload["data"]["shop_url"] == f"{PUBLIC}/shops/2"
    last = json.loads(to_ops_slack.body)["text"].splitlines()[-1]
    assert last == f"Ouvrir cette boutique dans la console{NBSP}: <{PUBLIC}/shops/2>"
    assert shop_named(local, to_shop.payload["data"]["shop_url"], local.clock()) == 2


def test_the_console_links_each_shops_page_in_the_console(world: World) -> None:
    printed = io.StringIO()
    linked = world.with_settings(public_url=PUBLIC)
    munich(linked)
    linked.evaluate("2020-07-31")
    linked.deliver(ConsoleChannel(printed, public_url=PUBLIC))

    (line,) = printed.getvalue().splitlines()
    assert line.endswith(" — shop paused — Open this shop in the console: " + f"{PUBLIC}/shops/2")


def test_without_a_public_url_nothing_links_and_no_secret_is_read(world: World) -> None:
    with smtp_server() as inbox, webhook_receiver(WebhookReceiver(secret=SECRET)) as receiver:
        local = world.with_settings(
            smtp_url=f"smtp://127.0.0.1:{inbox.port}", webhook_allow_private=True
        )
        munich(local)
        contact(local, ChannelKind.EMAIL, "owner@modehaus.example")
        contact(local, ChannelKind.WEBHOOK, receiver.url(), SECRET)
        local.check("2020-07-31")

    ((_, _, message),) = inbox.messages
    (got,) = receiver.received
    assert got.payload is not None
    assert "shop_url" not in got.payload["data"]
    assert all("/s/" not in body and SENTENCE not in body for body in bodies(message))
    assert stored_secrets(local) == 0


def test_the_console_secret_is_made_once_at_start_only_when_links_need_it(world: World) -> None:
    given = world.with_settings(public_url=PUBLIC, session_secret="k" * 40)
    given.delivery()
    assert stored_secrets(given) == 0, "BUDGETGUARD_SESSION_SECRET is the secret"

    made = world.with_settings(public_url=PUBLIC)
    made.delivery()
    made.delivery(ConsoleChannel(io.StringIO()))
    assert stored_secrets(made) == 1
