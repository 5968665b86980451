"""How a notification reads to people, in the language of a `Voice`: the subject line, the
headline, the action sentence, the forecast, a text progress bar.

The sentences are gettext message ids (extracted by `pybabel extract`, README "Languages,
currencies and dates"); the voice translates them and formats numbers, money and dates for its
locale. The voice is Babel's (notify/channels/voice.py): the domain only names what it needs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

from budgetguard.domain.forecast import Projection, project
from budgetguard.domain.notification import Action, Kind, Notification
from budgetguard.domain.period import Month
from budgetguard.domain.shop_clock import zone_clock

BAR_WIDTH = 20


class Voice(Protocol):
    """Words and numbers in one language, amounts in one currency."""

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def money(self, amount: Decimal) -> str: ...

    def percent(self, value: Decimal) -> str: ...

    def thresholds(self, values: tuple[int, ...]) -> str: ...

    def month(self, month: Month) -> str: ...

    def date(self, day: date) -> str: ...


def subject(notification: Notification, voice: Voice) -> str:
    """Return the one-line summary, e.g. `Fashion Quasar: 100 % of your July 2020 budget is …`."""
    n, _ = notification, voice.gettext
    values = {"shop": n.shop_name, "month": voice.month(n.month)}
    if n.kind is Kind.RESUMED:
        return (
            _("%(shop)s: your %(month)s budget has headroom again — your shop is back online")
            % values
        )
    values["percent"] = voice.thresholds((max(n.thresholds),)) if n.thresholds else ""
    if n.kind is Kind.FORECAST and n.thresholds == (100,):
        return _("%(shop)s: at this pace your %(month)s budget runs out before the month ends") % (
            values
        )
    if n.kind is Kind.FORECAST:
        return (
            _(
                "%(shop)s: at this pace your shop reaches %(percent)s of its %(month)s budget "
                "before the month ends"
            )
            % values
        )
    if n.action is Action.PAUSED:
        return (
            _("%(shop)s: %(percent)s of your %(month)s budget is spent — your shop is offline")
            % values
        )
    return _("%(shop)s: %(percent)s of your %(month)s budget is spent") % values


def headline(notification: Notification, voice: Voice, *, zone: str = "UTC") -> str:
    """Return the message's first sentence: what happened to the shop's budget."""
    n, _ = notification, voice.gettext
    month = voice.month(n.month)
    if n.kind is Kind.RESUMED:
        return _("Your advertising budget for %(month)s has headroom again.") % {"month": month}
    if n.kind is Kind.FORECAST:
        return forecast_sentence(n, voice, zone=zone)
    return _("Your shop has spent %(thresholds)s of its advertising budget for %(month)s.") % {
        "thresholds": voice.thresholds(n.thresholds),
        "month": month,
    }


def action_taken(notification: Notification, voice: Voice) -> str:
    """Return what budgetguard did about the shop, in words."""
    _ = voice.gettext
    if notification.action is Action.PAUSED:
        return _("The shop was taken offline: its products are no longer advertised.")
    if notification.action is Action.RESUMED:
        return _("The shop is back online: its products are advertised again.")
    return _("No action was taken: the shop's listing is unchanged.")


def projection(notification: Notification, *, zone: str = "UTC") -> Projection | None:
    """A forecast's projection, from the instant evaluated on the shop's clock (its zone, else
    `zone`); None for another kind, or one queued without that instant or with nothing spent."""
    n = notification
    if n.kind is not Kind.FORECAST or n.evaluated_at is None or not n.thresholds:
        return None
    clock = zone_clock(n.evaluated_at, n.timezone or zone)
    try:
        return project(spent=n.spent, budget=n.budget, limit=n.thresholds[0], clock=clock)
    except ValueError:  # nothing spent yet, or the month's first instant: nothing to project
        return None


def forecast_sentence(notification: Notification, voice: Voice, *, zone: str = "UTC") -> str:
    """Return the forecast: `At this pace your July 2020 budget runs out on July 23, 2020; by
    the month's end you would have spent 136.51 % of it.`"""
    n, _ = notification, voice.gettext
    seen = projection(n, zone=zone)
    month = voice.month(n.month)
    if seen is None:
        return _("At this pace your %(month)s budget runs out before the month ends.") % {
            "month": month
        }
    values = {
        "month": month,
        "date": voice.date(seen.runs_out_on),
        "percent": voice.percent(seen.month_end_percent),
        "limit": voice.thresholds((seen.limit,)),
    }
    if seen.limit == 100:
        return (
            _(
                "At this pace your %(month)s budget runs out on %(date)s; by the month's end you "
                "would have spent %(percent)s of it."
            )
            % values
        )
    return (
        _(
            "At this pace your shop reaches %(limit)s of its %(month)s budget on %(date)s; by the "
            "month's end it would have spent %(percent)s of it."
        )
        % values
    )


def link_message(notification: Notification, voice: Voice) -> str | None:
    """Return the sentence leading to the message's link, its `%(url)s` still to fill (an HTML
    body fills in an anchor); None when the message has no link."""
    link, _ = notification.link, voice.gettext
    if link is None:
        return None
    if link.console:
        return _("Open this shop in the console: %(url)s")
    return _("Follow your budget day by day on your shop's page: %(url)s")


def link_sentence(notification: Notification, voice: Voice) -> str | None:
    """Return the sentence with the message's link, or None when it has none."""
    message = link_message(notification, voice)
    if message is None or notification.link is None:
        return None
    return message % {"url": notification.link.url}


def progress_bar(percent: Decimal, *, width: int = BAR_WIDTH) -> str:
    """Return `[██████████░░░░░░░░░░]` filled to `percent` (capped at full; whole cells)."""
    filled = min(width, max(0, int(percent * width // 100)))
    return "[" + "█" * filled + "░" * (width - filled) + "]"


def outcome(notification: Notification, voice: Voice, *, zone: str = "UTC") -> str:
    """Return what happened in a few words, for one-line messages (Slack, the console):
    `reached 50 %, 100 %`, `budget has headroom again`, or the forecast in brief."""
    n, _ = notification, voice.gettext
    if n.kind is Kind.RESUMED:
        return _("budget has headroom again")
    if n.kind is Kind.THRESHOLD:
        return _("reached %(thresholds)s") % {"thresholds": voice.thresholds(n.thresholds)}
    seen = projection(n, zone=zone)
    if seen is None:
        return _("at this pace the budget runs out before the month ends")
    values = {
        "date": voice.date(seen.runs_out_on),
        "percent": voice.percent(seen.month_end_percent),
        "limit": voice.thresholds((seen.limit,)),
    }
    if seen.limit == 100:
        return _(
            "at this pace the budget runs out on %(date)s (%(percent)s by the month's end)"
        ) % (values)
    return _("at this pace it reaches %(limit)s on %(date)s (%(percent)s by the month's end)") % (
        values
    )
