"""E-mail templates (Jinja2): built in, each overridable from BUDGETGUARD_TEMPLATE_DIR, and
written in the notification's language through Jinja2's i18n extension (`{% trans %}`).

Jinja2 rather than `string.Template`: the HTML body must escape what shops typed (a shop name
with `<` or `&`), and the wording differs between kinds; Jinja2 autoescapes `.html` templates and
has conditionals. Undefined names are errors, and every template is rendered once at start-up in
every language, so a broken override or a missing catalog stops the command instead of failing
every e-mail. New-style gettext: a translation's `%(name)s` are filled, and escaped, by Jinja2.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from budgetguard.domain.errors import ConfigError
from budgetguard.domain.links import Link
from budgetguard.domain.notification import Action, Kind, Notification
from budgetguard.domain.period import Month
from budgetguard.domain.policy import LANGUAGES
from budgetguard.domain.wording import (
    action_taken,
    headline,
    link_message,
    progress_bar,
    projection,
    subject,
)
from budgetguard.notify.channels.voice import Voice, voice

BUILT_IN = Path(__file__).parent / "templates"
_ONE_LINE = re.compile(r"[^\S\u00a0\u202f]+")
"""Runs of white space, line breaks included, but not the no-break spaces of the locale's
figures (`100\u00a0%`, `1\u202f250,50\u00a0€`)."""
NAMES = ("email_subject.txt", "email.txt", "email.html")


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def context(notification: Notification, *, zone: str = "UTC") -> dict[str, Any]:
    """Return what the templates may use: amounts, percentages and dates in the notification's
    language (`percent` and `date` as they always were: `106.81`, `2020-07-31`)."""
    n = notification
    speaking = voice(n.language, n.currency)
    seen = projection(n, zone=zone)
    return {
        "subject": subject(n, speaking),
        "headline": headline(n, speaking, zone=zone),
        "kind": n.kind.value,
        "language": speaking.language,
        "currency": n.currency,
        "notification_id": n.id,
        "shop_id": n.shop_id,
        "shop_name": n.shop_name,
        "month": str(n.month),
        "month_label": speaking.month(n.month),
        "date": n.evaluated_on.isoformat(),
        "date_text": speaking.date(n.evaluated_on),
        "budget": speaking.money(n.budget),
        "spent": speaking.money(n.spent),
        "percent": str(n.percent),
        "percent_text": speaking.percent(n.percent),
        "thresholds": list(n.thresholds),
        "thresholds_text": speaking.thresholds(n.thresholds),
        "action": n.action.value if n.action else None,
        "action_text": action_taken(n, speaking),
        "bar": progress_bar(n.percent),
        "runs_out_on": speaking.date(seen.runs_out_on) if seen else None,
        "month_end_percent": speaking.percent(seen.month_end_percent) if seen else None,
        **_link(n, speaking),
    }


def _link(notification: Notification, speaking: Voice) -> dict[str, str | None]:
    """The link's sentence whole (`link_text`), and around its URL (`link_before`, `shop_url`,
    `link_after`: the HTML body makes an anchor of the URL); all None without a link."""
    message, link = link_message(notification, speaking), notification.link
    if message is None or link is None:
        return dict.fromkeys(("shop_url", "link_text", "link_before", "link_after"))
    before, _, after = (message % {"url": "\0"}).partition("\0")
    return {"shop_url": link.url, "link_text": before + link.url + after,
            "link_before": before, "link_after": after}  # fmt: skip


class Templates:
    """The e-mail templates, loaded and checked once."""

    def __init__(self, directory: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(BUILT_IN)]
        if directory is not None:
            loaders.insert(0, jinja2.FileSystemLoader(directory))
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(["html"]),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            extensions=["jinja2.ext.i18n"],
        )
        self._env.policies["ext.i18n.trimmed"] = True  # as babel.cfg extracts them
        # One environment (templates compiled once) for every language: its gettext asks the
        # voice of the message being rendered (rendering never awaits, so one at a time).
        self._env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=lambda message: _SPEAKING.get().gettext(message),
            ngettext=lambda singular, plural, n: _SPEAKING.get().ngettext(singular, plural, n),
            newstyle=True,
        )
        try:
            for language in LANGUAGES:  # a missing catalog raises MissingCatalog, a ConfigError
                for sample in _SAMPLES:
                    self.render(sample._replace(language=language))
        except (jinja2.TemplateError, OSError) as error:
            raise ConfigError(
                f"BUDGETGUARD_TEMPLATE_DIR: {type(error).__name__}: {error}"
            ) from None

    def render(self, notification: Notification) -> RenderedEmail:
        values = context(notification)
        token = _SPEAKING.set(voice(notification.language, notification.currency))
        try:
            line = self._env.get_template(NAMES[0]).render(values)
            text = self._env.get_template(NAMES[1]).render(values)
            html = self._env.get_template(NAMES[2]).render(values)
        finally:
            _SPEAKING.reset(token)
        # One line, whatever the template did.
        return RenderedEmail(subject=_ONE_LINE.sub(" ", line).strip(), text=text, html=html)


_SPEAKING: ContextVar[Voice] = ContextVar("speaking")
"""The voice of the e-mail being rendered."""

_SAMPLE = Notification(
    id=1,
    kind=Kind.THRESHOLD,
    shop_id=1,
    shop_name="Sample <Shop> & Co",
    month=Month(2020, 7),
    budget=Decimal("670.00"),
    spent=Decimal("715.64"),
    thresholds=(50, 100),
    action=Action.PAUSED,
    evaluated_on=date(2020, 7, 1),
    created_at=datetime(2020, 7, 1, tzinfo=UTC),
    currency="EUR",
)
_SAMPLES = (
    _SAMPLE,
    _SAMPLE._replace(kind=Kind.RESUMED, thresholds=(), action=Action.RESUMED, currency=None),
    _SAMPLE._replace(
        kind=Kind.FORECAST,
        spent=Decimal("300.00"),
        thresholds=(100,),
        action=None,
        evaluated_on=date(2020, 7, 10),
        evaluated_at=datetime(2020, 7, 10, 12, tzinfo=UTC),
        timezone="Europe/Berlin",
    ),
    _SAMPLE._replace(link=Link("https://budgets.example/s/sample-token")),
)
