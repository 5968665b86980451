"""Slack incoming webhooks: a short message with the shop, month, percent, a bar, the action, and
the link to the shop's page when there is one, in the notification's language (its recipient's,
notify/recipients.py)."""

from __future__ import annotations

import json

from budgetguard.domain.notification import Kind, Notification
from budgetguard.domain.recipients import Recipient
from budgetguard.domain.wording import (
    action_taken,
    forecast_sentence,
    link_message,
    outcome,
    progress_bar,
)
from budgetguard.notify.channels.http import HttpClient
from budgetguard.notify.channels.voice import voice


def _escape(text: str) -> str:
    # Slack's message formatting reserves these three characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(notification: Notification, *, zone: str = "UTC") -> str:
    """Return the Slack message (mrkdwn); `zone`: the clock of a forecast queued without the
    shop's (delivery fills the platform's in, notify/recipients.py)."""
    n = notification
    speaking = voice(n.language, n.currency)
    _ = speaking.gettext
    head = _("%(shop)s (shop %(shop_id)s) — %(month)s: %(what)s") % {
        "shop": f"*{_escape(n.shop_name)}*",
        "shop_id": n.shop_id,
        "month": speaking.month(n.month),
        "what": outcome(n, speaking, zone=zone),
    }
    spent = _("spent %(spent)s of %(budget)s") % {
        "spent": speaking.money(n.spent),
        "budget": speaking.money(n.budget),
    }
    last = forecast_sentence(n, speaking, zone=zone) if n.kind is Kind.FORECAST else None
    text = (
        f"{head}\n"
        f"`{progress_bar(n.percent)}` {speaking.percent(n.percent)} ({spent})\n"
        f"{last or action_taken(n, speaking)}"
    )
    link = link_message(n, speaking)
    if link is None or n.link is None:
        return text
    # <url> is Slack's own link markup: the URL stays whole, whatever the sentence around it.
    return text + "\n" + _escape(link) % {"url": f"<{_escape(n.link.url)}>"}


class SlackTransport:
    """POSTs a short text to a Slack incoming webhook; only 2xx counts as delivered."""

    def __init__(self, client: HttpClient) -> None:
        self._client = client

    async def send(self, notification: Notification, recipient: Recipient, *, key: str) -> None:
        text = slack_text(notification)
        body = json.dumps({"text": text}, ensure_ascii=False)
        headers = {"content-type": "application/json"}
        await self._client.post(recipient.target, content=body.encode(), headers=headers)

    async def aclose(self) -> None:
        """The HTTP clients are shared with the webhooks, which close them."""
