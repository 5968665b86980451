"""The contacts, deliver and deliveries commands, as operators and service managers run them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from budgetguard.bootstrap import build_context, delivery_setup
from budgetguard.config import load_settings
from budgetguard.services.deliveries import deliver_due, list_deliveries
from budgetguard.services.evaluation import evaluate_month
from support.cli import cli_env, command, invoke
from support.fakes import FakeClock, RecordingChannel
from support.platform import Platform
from support.receivers import HANG, WebhookReceiver, webhook_receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret


def overspent_shop(engine: Engine) -> None:
    platform = Platform(engine)
    platform.add_shop(2, "Fashion Quasar")
    platform.set_budget(2, "2020-07", "670.00", "715.64")


def test_contacts_are_added_listed_and_removed(engine: Engine, db_url: str) -> None:
    overspent_shop(engine)
    env = cli_env(db_url)

    added = invoke("contacts", "add", "2", "--webhook", "https://93.184.215.14/hook", env=env)
    mail = invoke("contacts", "add", "2", "--email", "owner@quasar.example", env=env)
    listed = invoke("contacts", "list", "2", "--json", env=env)
    rows = [json.loads(line) for line in listed.out.splitlines()]
    removed = invoke("contacts", "remove", "2", str(rows[0]["id"]), env=env)
    after = invoke("contacts", "list", "2", env=env)

    assert (added.code, mail.code, listed.code, removed.code) == (0, 0, 0, 0), added.err
    assert "Signing secret (shown once" in added.out
    secret = added.out.split(": ")[-1].strip()
    assert secret.startswith("whsec_")
    assert [r["kind"] for r in rows] == ["webhook", "email"]
    assert (
        f"Added contact {rows[0]['id']} of shop 2: webhook https://93.184.215.14/hook" in added.out
    )
    assert secret not in listed.out
    assert "owner@quasar.example" in after.out
    assert "93.184.215.14" not in after.out


def test_a_webhooks_credentials_and_query_are_never_printed(engine: Engine, db_url: str) -> None:
    """Issue 11, defect 6: `contacts add` and `contacts list` show the target as logs do."""
    overspent_shop(engine)
    env = cli_env(db_url)
    hook = "https://hook-user:hook-pass@93.184.215.14/hook?token=t0k3n"

    added = invoke("contacts", "add", "2", "--webhook", hook, "--secret", SECRET, env=env)
    table = invoke("contacts", "list", "2", env=env)
    lines = invoke("contacts", "list", "2", "--json", env=env)

    assert (added.code, table.code, lines.code) == (0, 0, 0), added.err
    assert "webhook https://93.184.215.14/hook\n" in added.out
    assert "https://93.184.215.14/hook" in table.out
    assert json.loads(lines.out)["target"] == "https://93.184.215.14/hook"
    for secret in ("hook-user", "hook-pass", "t0k3n"):
        assert secret not in added.out + table.out + lines.out


def test_a_target_with_a_control_character_is_refused_in_one_line(
    engine: Engine, db_url: str
) -> None:
    """Issue 11, defect 9: exit 2, one line that does not carry the character, nothing stored."""
    overspent_shop(engine)
    env = cli_env(db_url)

    crlf = invoke("contacts", "add", "2", "--webhook", "https://93.184.215.14/a\r\nb", env=env)
    rlo = invoke("contacts", "add", "2", "--email", "owner\u202e@example.com", env=env)
    listed = invoke("contacts", "list", "2", env=env)

    for refused, code in ((crlf, "U+000D"), (rlo, "U+202E")):
        assert refused.code == 2
        assert refused.err.startswith("budgetguard: error: contact refused:")
        assert code in refused.err
        assert refused.err.count("\n") == 1
        assert not {"\r", "\u202e"} & set(refused.err)
    assert listed.out == "Shop 2 has no contacts.\n"


def test_a_refused_contact_is_one_clear_line(engine: Engine, db_url: str) -> None:
    overspent_shop(engine)
    env = cli_env(db_url)

    plain = invoke("contacts", "add", "2", "--webhook", "http://93.184.215.14/hook", env=env)
    private = invoke("contacts", "add", "2", "--webhook", "https://192.168.1.5/hook", env=env)
    unknown = invoke("contacts", "add", "77", "--email", "a@b.example", env=env)
    both = invoke("contacts", "add", "2", "--email", "a@b.example", "--slack", "https://x", env=env)

    assert plain.code == 2
    assert plain.err.startswith("budgetguard: error: contact refused:")
    assert "is not HTTPS" in plain.err
    assert (private.code, "private" in private.err) == (2, True)
    assert (unknown.code, unknown.err) == (1, "budgetguard: error: there is no shop 77\n")
    assert (both.code, "exactly one of" in both.err) == (2, True)
    assert "Traceback" not in plain.err + private.err + unknown.err + both.err


def test_a_dead_delivery_shows_in_the_dead_letter_view_and_can_be_retried(
    engine: Engine, db_url: str
) -> None:
    overspent_shop(engine)
    env = cli_env(db_url, webhook_allow_private="1", delivery_max_attempts="1")
    with webhook_receiver(WebhookReceiver(secret=SECRET, script=[500])) as receiver:
        url = receiver.url()
        added = invoke("contacts", "add", "2", "--webhook", url, "--secret", SECRET, env=env)
        assert added.code == 0
        checked = invoke("check", "--at", "2020-07-31", env=env)
        dead = invoke("deliveries", "list", "--status", "dead", env=env)
        dead_json = invoke("deliveries", "list", "--status", "dead", "--json", env=env)
        (row,) = [json.loads(line) for line in dead_json.out.splitlines()]
        retried = invoke("deliveries", "retry", str(row["id"]), env=env)
        delivered = invoke("deliver", "--once", env=env)

    assert checked.code == 0, checked.err
    assert "1 given up" in checked.err
    assert "dead" in dead.out
    assert "HTTP 500" in dead.out
    assert (row["status"], row["attempts"], row["recipient"]) == ("dead", 1, url)
    assert (retried.code, retried.out) == (0, f"Due again: {row['id']}\n")
    assert delivered.code == 0, delivered.err
    assert "1 delivered" in delivered.err
    assert [r.answer for r in receiver.received] == [500, 200]


def test_deliveries_refuse_a_state_records_never_have_and_report_unknown_ids(
    engine: Engine, db_url: str
) -> None:
    overspent_shop(engine)
    env = cli_env(db_url)

    listed = invoke("deliveries", "list", "--status", "dispatched", env=env)
    too_many = invoke("deliveries", "list", "--limit", "1001", env=env)
    retried = invoke("deliveries", "retry", "424242", env=env)

    assert listed.code == 2
    assert "'dispatched' is not one of pending, delivering, delivered, failed, dead" in listed.err
    assert too_many.code == 2
    assert "--limit" in too_many.err
    assert retried.code == 1
    assert retried.err == "budgetguard: error: no such delivery record: 424242\n"


def test_a_worker_killed_mid_flight_leaves_nothing_stuck(engine: Engine, db_url: str) -> None:
    overspent_shop(engine)
    env = cli_env(db_url, webhook_allow_private="1", delivery_timeout="20")
    receiver = WebhookReceiver(secret=SECRET, script=[HANG])
    with webhook_receiver(receiver):
        assert invoke("contacts", "add", "2", "--webhook", receiver.url(), "--secret", SECRET,
                   env=env).code == 0  # fmt: skip
        settings = load_settings(database_url=db_url, webhook_allow_private=True)
        app = build_context(settings, clock=FakeClock(datetime.now(UTC)))
        evaluate_month(context=app, at=datetime(2020, 7, 31, tzinfo=UTC))
        worker = subprocess.Popen(command("deliver"), env=env, stderr=subprocess.DEVNULL)
        assert receiver.arrived.wait(60), "the worker sent the webhook"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        (in_flight,) = list_deliveries(context=app)

        later = build_context(settings, clock=FakeClock(datetime.now(UTC) + timedelta(minutes=2)))
        report = deliver_due(context=later, delivery=delivery_setup(later, RecordingChannel()))
        (after,) = list_deliveries(context=later)
        app.close()
        later.close()

    assert in_flight.status.value == "delivering"
    assert report.delivered == 1, "the lease expired and the record was claimed again"
    assert (after.status.value, after.attempts) == ("delivered", 2)
    assert len(receiver.received) == 2
    assert len(set(receiver.ids)) == 1, "the receiver can de-duplicate by webhook-id"


def test_the_worker_stops_cleanly_on_sigterm(engine: Engine, db_url: str) -> None:
    overspent_shop(engine)
    env = cli_env(db_url, webhook_allow_private="1", delivery_poll_interval="0.1")
    with webhook_receiver(WebhookReceiver(secret=SECRET)) as receiver:
        assert invoke("contacts", "add", "2", "--webhook", receiver.url(), "--secret", SECRET,
                   env=env).code == 0  # fmt: skip
        worker = subprocess.Popen(
            command("deliver"), env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        app = build_context(load_settings(database_url=db_url))
        evaluate_month(context=app, at=datetime(2020, 7, 31, tzinfo=UTC))  # queue only
        app.close()
        assert receiver.arrived.wait(60)
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)

    assert worker.returncode == 0, err
    assert "1 notifications dispatched, 1 delivered" in err
    assert "Traceback" not in err
    assert len(receiver.received) == 1
