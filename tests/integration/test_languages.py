"""Messages in the shop's language, to real peers: e-mail to an SMTP server (aiosmtpd), Slack
and signed webhooks to HTTP receivers on loopback; operator channels in the platform's language.

The evaluation stamps each notification with the shop's language, currency and time zone when
it queues it; these tests stamp the queued rows themselves (`stamp`), so that they test how
delivery speaks, whatever queued the notification.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import insert

from budgetguard.db.schema.tables import notifications
from budgetguard.domain.recipients import ChannelKind
from support.messaging import bodies, contact, munich, stamp
from support.receivers import WebhookReceiver, smtp_server, webhook_receiver
from support.world import World

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret
NBSP, NNBSP = "\u00a0", "\u202f"


def test_a_german_shops_email_reads_euros_the_german_way(world: World) -> None:
    with smtp_server() as inbox:
        mailing = world.with_settings(smtp_url=f"smtp://127.0.0.1:{inbox.port}")
        munich(mailing)
        contact(mailing, ChannelKind.EMAIL, "inhaber@modehaus.example")
        mailing.evaluate("2020-07-31")
        stamp(mailing, language="de", currency="EUR", timezone="Europe/Berlin")
        mailing.deliver()

    ((_, _, message),) = inbox.messages
    text, html = bodies(message)
    assert message["Subject"] == (
        f"Modehaus München: 100{NBSP}% Ihres Budgets für Juli 2020 sind ausgegeben"
        " — Ihr Shop ist offline"
    )
    assert "Hallo Modehaus München," in text
    assert f"Ausgegeben: 1.250,50{NBSP}€ (104,20{NBSP}%)" in text
    assert f"Budget:     1.200,00{NBSP}€" in text
    assert "ausgewertet am 31. Juli 2020" in text
    assert "Der Shop wurde offline genommen" in text
    assert '<html lang="de">' in html
    assert f"1.250,50{NBSP}€ (104,20{NBSP}%)" in html


def test_slack_and_webhooks_speak_the_shops_language_and_keep_the_data_neutral(
    world: World,
) -> None:
    with webhook_receiver(WebhookReceiver(secret=SECRET)) as hook, webhook_receiver() as slack:
        local = world.with_settings(webhook_allow_private=True)
        munich(local)
        contact(local, ChannelKind.WEBHOOK, hook.url("/hook"), SECRET)
        contact(local, ChannelKind.SLACK, slack.url("/services/T0/B0/token"))
        local.evaluate("2020-07-31")
        stamp(local, language="fr", currency="EUR")
        local.deliver()

    (posted,) = hook.received
    assert posted.payload is not None, "the reference library verified the signature"
    data = posted.payload["data"]
    assert (data["budget"], data["spent"], data["percent"]) == ("1200.00", "1250.50", "104.20")
    assert (data["currency"], data["language"]) == ("EUR", "fr")
    assert data["summary"] == (
        f"Modehaus München{NBSP}: 100{NBSP}% de votre budget de juillet 2020 est dépensé"
        " — votre boutique est hors ligne"
    )
    assert data["action_text"].startswith("La boutique a été mise hors ligne")
    (said,) = slack.received
    lines = json.loads(said.body)["text"].splitlines()
    assert lines[0] == (
        f"*Modehaus München* (boutique 2) — juillet 2020{NBSP}: a atteint 50{NBSP}%, 100{NBSP}%"
    )
    assert lines[1].endswith(f"(1{NNBSP}250,50{NBSP}€ dépensés sur 1{NNBSP}200,00{NBSP}€)")


def test_operator_channels_hear_the_platforms_language_while_the_shop_hears_its_own(
    world: World,
) -> None:
    with webhook_receiver() as ops, webhook_receiver() as shop:
        local = world.with_settings(
            webhook_allow_private=True, operator_channels=f"slack+{ops.url('/ops')}"
        )
        munich(local)
        contact(local, ChannelKind.SLACK, shop.url("/services/T0/B0/token"))
        local.evaluate("2020-07-31")
        stamp(local, language="de", currency="EUR")
        local.deliver()

    (operator,) = [json.loads(r.body)["text"] for r in ops.received]
    (owner,) = [json.loads(r.body)["text"] for r in shop.received]
    assert operator.splitlines()[0] == (
        "*Modehaus München* (shop 2) — July 2020: reached 50 %, 100 %"
    )
    assert "(spent €1,250.50 of €1,200.00)" in operator, "the shop's currency, the platform's way"
    assert owner.splitlines()[0] == (
        f"*Modehaus München* (Shop 2) — Juli 2020: 50{NBSP}%, 100{NBSP}% erreicht"
    )
    assert local.channel.sent == [], "operator channels silence the console"


def test_a_shop_without_a_language_hears_the_platforms(world: World) -> None:
    with webhook_receiver() as shop:
        local = world.with_settings(webhook_allow_private=True, language="nl")
        munich(local)
        contact(local, ChannelKind.SLACK, shop.url("/services/T0/B0/token"))
        local.check("2020-07-31")

    (said,) = [json.loads(r.body)["text"] for r in shop.received]
    assert said.splitlines()[0] == "*Modehaus München* (winkel 2) — juli 2020: 50%, 100% bereikt"
    assert "(1.250,50 van 1.200,00 besteed)" in said, "no currency: amounts alone"


def queue_forecast(world: World) -> None:
    """Queue a forecast for shop 2 as the evaluation does: 400.00 of 1,000.00 spent in July's
    first ten days on Berlin's clock (4 % a day: 100 % at the end of the 25th, 124 % by the
    31st)."""
    now = world.clock.now
    with world.context.engine.begin() as connection:
        connection.execute(
            insert(notifications).values(
                evaluation_id=1, kind="forecast", shop_id=2, shop_name="Modehaus München",
                month=date(2020, 7, 1), budget=Decimal("1000.00"), spent=Decimal("400.00"),
                thresholds="100", action=None, evaluated_on=date(2020, 7, 11), created_at=now,
                status="pending", attempts=0, next_attempt_at=now, timezone="Europe/Berlin",
                language="de", currency="EUR", evaluated_at=datetime(2020, 7, 10, 22, tzinfo=UTC),
            )
        )  # fmt: skip


def test_a_forecast_reaches_the_shop_by_email_and_webhook(world: World) -> None:
    with smtp_server() as inbox, webhook_receiver(WebhookReceiver(secret=SECRET)) as hook:
        local = world.with_settings(
            webhook_allow_private=True, smtp_url=f"smtp://127.0.0.1:{inbox.port}"
        )
        local.platform.add_shop(2, "Modehaus München")
        contact(local, ChannelKind.EMAIL, "inhaber@modehaus.example")
        contact(local, ChannelKind.WEBHOOK, hook.url("/hook"), SECRET)
        queue_forecast(local)
        local.deliver()

    ((_, _, message),) = inbox.messages
    text, _ = bodies(message)
    assert message["Subject"] == (
        "Modehaus München: Bei diesem Tempo ist Ihr Budget für Juli 2020 vor Monatsende "
        "aufgebraucht"
    )
    assert (
        "Bei diesem Tempo ist Ihr Budget für Juli 2020 am 25. Juli 2020 aufgebraucht; bis "
        f"Monatsende hätten Sie 124,00{NBSP}% davon ausgegeben."
    ) in text
    (posted,) = hook.received
    assert posted.payload is not None
    assert posted.payload["type"] == "budget.forecast_exceeded"
    data = posted.payload["data"]
    assert (data["kind"], data["thresholds"], data["action"]) == ("forecast", [100], None)
    assert (data["runs_out_on"], data["month_end_percent"]) == ("2020-07-25", "124.00")
