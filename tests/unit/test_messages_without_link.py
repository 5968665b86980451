"""Without BUDGETGUARD_PUBLIC_URL, what is sent is what was sent before links existed: every
channel's rendering of a few notifications, byte for byte, against the renderings saved from
the code before links (tests/fixtures/messages_before_links.json, written by this module run as
a script on that code)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

from budgetguard.domain.notification import Action, Kind, Notification
from budgetguard.domain.period import Month
from budgetguard.notify.channels.console import as_json, as_line
from budgetguard.notify.channels.email import build_message
from budgetguard.notify.channels.slack import slack_text
from budgetguard.notify.channels.templates import Templates
from budgetguard.notify.channels.voice import voice
from budgetguard.notify.channels.webhook import payload

SAVED = Path(__file__).parents[1] / "fixtures" / "messages_before_links.json"

PAUSED = Notification(
    id=7,
    kind=Kind.THRESHOLD,
    shop_id=2,
    shop_name="Fashion <Quasar> & Co",
    month=Month(2020, 7),
    budget=Decimal("1200.00"),
    spent=Decimal("1250.50"),
    thresholds=(50, 100),
    action=Action.PAUSED,
    evaluated_on=date(2020, 7, 31),
    created_at=datetime(2020, 7, 31, 8, 30, tzinfo=UTC),
    timezone="UTC",
)
SAMPLES = {
    "paused-en": PAUSED,
    "paused-de": PAUSED._replace(language="de", currency="EUR", timezone="Europe/Berlin"),
    "resumed-fr": PAUSED._replace(
        kind=Kind.RESUMED, thresholds=(), action=Action.RESUMED, language="fr", currency="EUR"
    ),
    "forecast-nl": PAUSED._replace(
        kind=Kind.FORECAST,
        spent=Decimal("300.00"),
        thresholds=(100,),
        action=None,
        evaluated_on=date(2020, 7, 10),
        evaluated_at=datetime(2020, 7, 10, 12, tzinfo=UTC),
        language="nl",
    ),
}


def bodies(message: EmailMessage) -> list[str]:
    """The plain-text and HTML bodies (the MIME boundary between them is random)."""
    parts = [message.get_body((kind,)) for kind in ("plain", "html")]
    return [part.get_content() for part in parts if part is not None]


def rendered() -> dict[str, str]:
    """Every channel's rendering of every sample, by `sample/channel`."""
    templates = Templates()
    found = {}
    for name, n in SAMPLES.items():
        message = build_message(
            n, to="owner@quasar.example", sender="b <b@market.example>", templates=templates,
            key="contact:1",
        )  # fmt: skip
        found[f"{name}/email"] = "\n".join(
            [*(f"{k}: {v}" for k, v in message.items() if k != "Content-Type"), *bodies(message)]
        )
        found[f"{name}/webhook"] = json.dumps(payload(n), ensure_ascii=False, sort_keys=True)
        found[f"{name}/slack"] = slack_text(n)
        found[f"{name}/console"] = as_line(n, voice(n.language or "en", n.currency))
        found[f"{name}/console-json"] = json.dumps(as_json(n), ensure_ascii=False)
    return found


def test_without_a_link_every_channel_sends_what_it_sent_before_links() -> None:
    saved = json.loads(SAVED.read_text(encoding="utf-8"))

    assert rendered() == saved


if __name__ == "__main__":  # run on the code before links to save its renderings
    json.dump(rendered(), sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
