"""E-mail to a real SMTP server (aiosmtpd on loopback), Slack messages, operator channels."""

from __future__ import annotations

import json
import ssl
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme

from budgetguard.domain.delivery import Status
from budgetguard.domain.errors import ConfigError
from budgetguard.domain.recipients import ChannelKind
from budgetguard.services.contacts import ContactSpec, add_contact, list_contacts
from budgetguard.services.deliveries import list_deliveries
from support.receivers import WebhookReceiver, smtp_server, webhook_receiver
from support.world import World

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret
PASSWORD = "s3cret-Pa55"  # noqa: S105 - a test password


def quasar(world: World, *, budget: str = "670.00", spent: str = "715.64") -> None:
    world.platform.add_shop(2, "Fashion <Quasar> & Co")
    world.platform.set_budget(2, "2020-07", budget, spent)


def email_contact(world: World, address: str = "owner@quasar.example") -> None:
    spec = ContactSpec(ChannelKind.EMAIL, address)
    add_contact(actor="tests", context=world.context, shop_id=2, spec=spec)


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


def test_an_email_reaches_the_smtp_server_with_subject_bodies_and_headers(world: World) -> None:
    with smtp_server(login=("budget", PASSWORD)) as inbox:
        mailing = world.with_settings(
            smtp_url=f"smtp://budget:{PASSWORD}@127.0.0.1:{inbox.port}?starttls=0",
            smtp_from="Marketplace budgets <budgets@market.example>",
        )
        quasar(mailing, budget="1200.00", spent="1250.50")
        email_contact(mailing)
        mailing.check("2020-07-31")

    ((sender, recipients, message),) = inbox.messages
    (notification,) = mailing.platform.notifications()
    assert inbox.logins == [("budget", PASSWORD)]
    assert (sender, recipients) == ("budgets@market.example", ["owner@quasar.example"])
    assert message["Subject"] == (
        "Fashion <Quasar> & Co: 100 % of your July 2020 budget is spent — your shop is offline"
    )
    assert message["From"] == "Marketplace budgets <budgets@market.example>"
    assert message["To"] == "owner@quasar.example"
    assert message["X-Budgetguard-Notification-Id"] == str(notification["id"])
    (contact,) = list_contacts(context=mailing.context, shop_id=2)
    expected_id = f"<notification-{notification['id']}.contact-{contact.id}@market.example>"
    assert message["Message-ID"] == expected_id
    text, html = parts(message)
    assert "Spent:     1,250.50 (104.20 %)" in text
    assert "Budget:    1,200.00" in text
    assert "taken offline" in text
    assert "Fashion &lt;Quasar&gt; &amp; Co" in html, "what a shop typed is escaped in HTML"
    assert "<Quasar>" not in html
    assert mailing.channel.sent == []


def mail_quasar(world: World, smtp_url: str) -> World:
    """Queue Quasar's 100 % notification for its e-mail contact and deliver it via `smtp_url`."""
    mailing = world.with_settings(smtp_url=smtp_url)
    quasar(mailing)
    email_contact(mailing)
    mailing.check("2020-07-31")
    return mailing


@pytest.fixture
def tls_server(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a certificate for 127.0.0.1, and the file of the CA that signed it."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return context, ca_file


def test_starttls_is_used_before_the_login_and_verifies_the_certificate(
    world: World, tls_server: tuple[ssl.SSLContext, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    context, ca_file = tls_server
    # The operator's way to trust a private CA: OpenSSL's standard variable (README).
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with smtp_server(login=("budget", PASSWORD), starttls=context) as inbox:
        mailing = mail_quasar(world, f"smtp://budget:{PASSWORD}@127.0.0.1:{inbox.port}?starttls=1")

    assert inbox.logins == [("budget", PASSWORD)]
    assert inbox.encrypted == [True]
    (record,) = list_deliveries(context=mailing.context)
    assert record.status is Status.DELIVERED


def test_smtps_speaks_tls_from_the_first_byte(
    world: World, tls_server: tuple[ssl.SSLContext, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    context, ca_file = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with smtp_server(login=("budget", PASSWORD), implicit_tls=context) as inbox:
        mail_quasar(world, f"smtps://budget:{PASSWORD}@127.0.0.1:{inbox.port}")

    assert inbox.logins == [("budget", PASSWORD)]
    assert inbox.encrypted == [True]


def test_an_untrusted_certificate_sends_nothing_and_the_delivery_is_retried(
    world: World, tls_server: tuple[ssl.SSLContext, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    context, _ = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with smtp_server(login=("budget", PASSWORD), starttls=context) as inbox:
        mailing = mail_quasar(world, f"smtp://budget:{PASSWORD}@127.0.0.1:{inbox.port}?starttls=1")

    assert inbox.logins == []
    assert inbox.messages == []
    (record,) = list_deliveries(context=mailing.context)
    assert record.status is Status.FAILED
    assert record.last_error is not None
    assert "CERTIFICATE_VERIFY_FAILED" in record.last_error
    assert PASSWORD not in record.last_error


def test_a_slow_smtp_server_gets_every_email_once_without_queueing_past_the_time_limit(
    world: World,
) -> None:
    """More e-mails than SMTP sessions: none may spend its time limit waiting for a session.

    One message takes the server 0.25 s, a tenth of the 2.5 s limit on each SMTP step (5 s in
    all for a send), so that only a stall of over 2 s on a noisy machine makes one late (0.1 s
    of 1 s was not enough: 3 of 240 timed out in CI). 240 e-mails queued at once on the
    8 sessions would wait 25 rounds or more (6.25 s): past the limit unless the worker starts no
    more sends to the server than it has sessions.
    """
    shops = 240
    with smtp_server(delay=0.25) as inbox:
        url = f"smtp://127.0.0.1:{inbox.port}"
        mailing = world.with_settings(smtp_url=url, delivery_timeout=2.5)
        for shop_id in range(1, shops + 1):
            mailing.platform.add_shop(shop_id)
            mailing.platform.set_budget(shop_id, "2020-07", "100.00", "100.00")
            spec = ContactSpec(ChannelKind.EMAIL, f"owner{shop_id}@shop.example")
            add_contact(actor="tests", context=mailing.context, shop_id=shop_id, spec=spec)
        report = mailing.check("2020-07-31").delivery

    late = {r.last_error for r in list_deliveries(context=mailing.context, status=Status.FAILED)}
    assert (report.delivered, report.retrying, report.dead) == (shops, 0, 0), late
    assert sorted(to for _, (to,), _ in inbox.messages) == sorted(
        f"owner{shop_id}@shop.example" for shop_id in range(1, shops + 1)
    )


def test_an_unreachable_smtp_server_is_retried_and_its_password_never_stored(
    world: World,
) -> None:
    with smtp_server() as inbox:
        port = inbox.port  # closed again when the block ends
    mailing = world.with_settings(smtp_url=f"smtp://budget:{PASSWORD}@127.0.0.1:{port}")
    quasar(mailing)
    email_contact(mailing)
    mailing.check("2020-07-31")

    (record,) = list_deliveries(context=mailing.context)
    assert record.status is Status.FAILED
    assert record.last_error
    assert record.last_error.startswith("SMTP:")
    assert PASSWORD not in record.last_error


def test_templates_can_be_overridden_from_a_directory(world: World, tmp_path: Path) -> None:
    (tmp_path / "email_subject.txt").write_text("Budget news for {{ shop_name }} ({{ percent }} %)")
    with smtp_server() as inbox:
        mailing = world.with_settings(
            smtp_url=f"smtp://127.0.0.1:{inbox.port}", template_dir=str(tmp_path)
        )
        quasar(mailing)
        email_contact(mailing)
        mailing.check("2020-07-31")

    ((_, _, message),) = inbox.messages
    assert message["Subject"] == "Budget news for Fashion <Quasar> & Co (106.81 %)"
    assert "106.81 %" in parts(message)[0], "the bodies not overridden are the built-in ones"


def test_a_broken_template_stops_delivery_before_anything_is_claimed(
    world: World, tmp_path: Path
) -> None:
    (tmp_path / "email.txt").write_text("Hello {{ no_such_name }}")
    broken = world.with_settings(template_dir=str(tmp_path))
    quasar(broken)
    with pytest.raises(ConfigError, match="BUDGETGUARD_TEMPLATE_DIR"):
        broken.check("2020-07-31")
    assert list_deliveries(context=broken.context) == []


def test_slack_gets_a_short_message_with_a_bar_and_the_action(world: World) -> None:
    with webhook_receiver() as slack:
        local = world.with_settings(webhook_allow_private=True)
        quasar(local)
        spec = ContactSpec(ChannelKind.SLACK, slack.url("/services/T0/B0/token"))
        add_contact(actor="tests", context=local.context, shop_id=2, spec=spec)
        local.check("2020-07-31")

    (got,) = slack.received
    text = json.loads(got.body)["text"]
    assert text.splitlines() == [
        "*Fashion &lt;Quasar&gt; &amp; Co* (shop 2) — July 2020: reached 50 %, 100 %",
        "`[████████████████████]` 106.81 % (spent 715.64 of 670.00)",
        "The shop was taken offline: its products are no longer advertised.",
    ]
    assert "webhook-signature" not in got.headers


def test_operator_channels_receive_every_notification_and_silence_the_console(
    world: World,
) -> None:
    with webhook_receiver(WebhookReceiver(secret=SECRET)) as ops, webhook_receiver() as slack:
        operators = f"{ops.url('/ops')}#{SECRET} slack+{slack.url('/services/x')}"
        local = world.with_settings(webhook_allow_private=True, operator_channels=operators)
        quasar(local)
        local.platform.add_shop(3)
        local.platform.set_budget(3, "2020-07", "100.00", "55.00")
        local.check("2020-07-31")

    assert sorted(r.payload["data"]["shop_id"] for r in ops.received if r.payload) == [2, 3]
    assert len(slack.received) == 2
    assert local.channel.sent == []
    labels = {r.recipient_label for r in list_deliveries(context=local.context)}
    assert labels == {f"operator {ops.url('/ops')}", f"operator http://127.0.0.1:{slack.port}/…"}


def test_an_operator_channel_removed_from_the_settings_ends_its_records(world: World) -> None:
    with webhook_receiver(WebhookReceiver(secret=SECRET, default=500)) as ops:
        local = world.with_settings(
            webhook_allow_private=True, operator_channels=f"{ops.url()}#{SECRET}"
        )
        quasar(local)
        local.check("2020-07-31")
    without = world.with_settings(webhook_allow_private=True, operator_channels="console:")
    without.clock.advance(timedelta(hours=1))
    without.deliver()

    (record,) = list_deliveries(context=without.context)
    assert (record.status, record.last_error) == (
        Status.DEAD,
        "the operator channel is no longer configured",
    )


@pytest.mark.parametrize(
    ("channels", "why"),
    [
        ("https://ops.example/hook", "needs its secret"),
        ("gopher://ops.example", "unknown kind of channel"),
        ("mailto:not-an-address", "not a valid e-mail address"),
        ("http://ops.example/hook#" + SECRET, "not HTTPS"),
    ],
)
def test_an_unusable_operator_channel_is_a_setting_error(
    world: World, channels: str, why: str
) -> None:
    with pytest.raises(ConfigError, match=f"BUDGETGUARD_OPERATOR_CHANNELS: .*{why}"):
        world.with_settings(operator_channels=channels)
