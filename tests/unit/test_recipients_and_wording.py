"""Recipients' addresses, the SSRF rule, scrubbing, and how notifications read."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from standardwebhooks import Webhook

from budgetguard.domain.notification import Action, Kind, Notification
from budgetguard.domain.period import Month
from budgetguard.domain.recipients import (
    ChannelKind,
    Recipient,
    display_url,
    forbidden_address,
    operator_key,
    parse_operator_channel,
    scrub,
)
from budgetguard.domain.wording import progress_bar, subject
from budgetguard.notify.channels.addresses import parse_smtp_url
from budgetguard.notify.channels.voice import voice
from budgetguard.notify.channels.webhook import payload, signed_headers

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret


def notification(**changes: object) -> Notification:
    values: dict[str, object] = {
        "id": 7, "kind": Kind.THRESHOLD, "shop_id": 2, "shop_name": "Fashion Quasar",
        "month": Month(2020, 7), "budget": Decimal("670.00"), "spent": Decimal("715.64"),
        "thresholds": (50, 100), "action": Action.PAUSED, "evaluated_on": date(2020, 7, 31),
        "created_at": datetime(2020, 7, 31, 6, 0, tzinfo=UTC),
    }  # fmt: skip
    values.update(changes)
    return Notification(**values)  # type: ignore[arg-type]


def test_the_subject_names_the_highest_threshold_and_the_pause() -> None:
    english = voice("en")
    assert subject(notification(), english) == (
        "Fashion Quasar: 100 % of your July 2020 budget is spent — your shop is offline"
    )
    assert subject(notification(thresholds=(50,), action=None), english) == (
        "Fashion Quasar: 50 % of your July 2020 budget is spent"
    )
    resumed = notification(kind=Kind.RESUMED, thresholds=(), action=Action.RESUMED)
    assert subject(resumed, english) == (
        "Fashion Quasar: your July 2020 budget has headroom again — your shop is back online"
    )


@pytest.mark.parametrize(
    ("percent", "bar"),
    [("0", "[" + "░" * 20 + "]"), ("52.5", "[" + "█" * 10 + "░" * 10 + "]"),
     ("99.99", "[" + "█" * 19 + "░" + "]"), ("147.86", "[" + "█" * 20 + "]")],
)  # fmt: skip
def test_the_progress_bar_fills_whole_cells_and_stops_at_full(percent: str, bar: str) -> None:
    assert progress_bar(Decimal(percent)) == bar


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [("127.0.0.1", True), ("10.0.0.1", True), ("172.31.255.255", True), ("192.168.1.1", True),
     ("169.254.169.254", True), ("0.0.0.0", True), ("::1", True), ("fe80::1%eth0", True),  # noqa: S104
     ("fd00::1", True), ("::ffff:127.0.0.1", True), ("100.64.0.1", True), ("224.0.0.1", True),
     ("93.184.215.14", False), ("2606:2800:220:1::", False)],
)  # fmt: skip
def test_only_public_addresses_are_webhook_targets(address: str, forbidden: bool) -> None:
    assert forbidden_address(address) is forbidden


def test_operator_channels_are_read_by_their_scheme() -> None:
    webhook = parse_operator_channel(f"https://ops.example/hook#{SECRET}", allow_plain_http=False)
    slack = parse_operator_channel("https://hooks.slack.com/services/T/B/X", allow_plain_http=False)
    other_slack = parse_operator_channel(
        "slack+https://chat.example/hooks/x", allow_plain_http=False
    )

    assert webhook == Recipient(ChannelKind.WEBHOOK, "https://ops.example/hook", SECRET)
    assert (slack.kind, slack.target) == (
        ChannelKind.SLACK,
        "https://hooks.slack.com/services/T/B/X",
    )
    assert other_slack.target == "https://chat.example/hooks/x"
    assert parse_operator_channel("mailto:ops@market.example", allow_plain_http=False) == Recipient(
        ChannelKind.EMAIL, "ops@market.example"
    )
    assert parse_operator_channel("console:", allow_plain_http=False).kind is ChannelKind.CONSOLE


def test_an_operator_key_is_stable_and_holds_no_secret() -> None:
    url = f"https://ops.example/hook#{SECRET}"
    assert operator_key(url) == operator_key(url)
    assert SECRET.removeprefix("whsec_") not in operator_key(url)
    assert operator_key(url).startswith("operator:")


def test_labels_and_errors_give_away_no_secret() -> None:
    slack = Recipient(ChannelKind.SLACK, "https://hooks.slack.com/services/T0/B0/tok3n")
    assert slack.label == "https://hooks.slack.com/…"
    assert display_url("https://user:pw@ops.example:8443/hook?token=1", keep_path=True) == (
        "https://ops.example:8443/hook"
    )
    text = f"failed for https://user:pw@host/x with {SECRET} and tok3n"
    assert scrub(text, "tok3n") == "failed for https://***@host/x with whsec_*** and ***"


@pytest.mark.parametrize(
    "url",
    ["https://hooks.slack.com/services/T0/B0/tok3n", "https://discord.com/api/webhooks/1/tok3n",
     "https://Acme.webhook.office.com/webhookb2/tok3n", "https://hooks.zapier.com/hooks/catch/tok3n"],
)  # fmt: skip
def test_a_service_that_puts_its_token_in_the_path_is_listed_without_it(url: str) -> None:
    """Found in review: a Slack URL added as a plain webhook was listed with its token."""
    label = Recipient(ChannelKind.WEBHOOK, url).label

    assert "tok3n" not in label
    assert label.endswith("/…")


def test_the_smtp_url_says_how_to_connect() -> None:
    starttls = parse_smtp_url("smtp://us%40er:p%3Ass@mail.example:587?starttls=1")
    tls = parse_smtp_url("smtps://mail.example")
    plain = parse_smtp_url("smtp://mail.example")

    assert (starttls.host, starttls.port, starttls.start_tls, starttls.use_tls) == (
        "mail.example", 587, True, False,
    )  # fmt: skip
    assert (starttls.username, starttls.password) == ("us@er", "p:ss")
    assert "p:ss" not in repr(starttls)
    assert (tls.port, tls.use_tls, tls.start_tls) == (465, True, None)
    assert (plain.port, plain.start_tls) == (25, None)
    for bad in ("http://mail.example", "smtp://", "smtps://m.example?starttls=1", "smtp://m:x"):
        with pytest.raises(ValueError, match=r"."):
            parse_smtp_url(bad)


def test_a_signed_payload_verifies_with_the_reference_library() -> None:
    body = '{"type":"budget.threshold_crossed"}'
    headers = signed_headers(secret=SECRET, message_id="ntf_7", body=body, at=datetime.now(UTC))
    assert Webhook(SECRET).verify(body, headers) == {"type": "budget.threshold_crossed"}
    assert headers["webhook-id"] == "ntf_7"


def test_the_payload_carries_decimals_as_strings() -> None:
    data = payload(notification())["data"]
    assert (data["budget"], data["spent"], data["percent"]) == ("670.00", "715.64", "106.81")
    assert payload(notification(kind=Kind.RESUMED))["type"] == "budget.shop_resumed"
