"""Slack incoming webhooks: a short message with the shop, month, percent, a bar, the action."""

from __future__ import annotations

import json

from budgetguard.domain.money import format_money
from budgetguard.domain.notification import Kind, Notification
from budgetguard.domain.recipients import Recipient
from budgetguard.domain.wording import action_taken, progress_bar
from budgetguard.notify.channels.http import HttpClient


def _escape(text: str) -> str:
    # Slack's message formatting reserves these three characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(notification: Notification) -> str:
    """Return the Slack message (mrkdwn)."""
    n = notification
    if n.kind is Kind.RESUMED:
        what = "budget has headroom again"
    else:
        what = "reached " + ", ".join(f"{t} %" for t in n.thresholds)
    return (
        f"*{_escape(n.shop_name)}* (shop {n.shop_id}) — {n.month.label}: {what}\n"
        f"`{progress_bar(n.percent)}` {n.percent} % "
        f"(spent {format_money(n.spent)} of {format_money(n.budget)})\n"
        f"{action_taken(n)}"
    )


class SlackTransport:
    """POSTs a short text to a Slack incoming webhook; only 2xx counts as delivered."""

    def __init__(self, client: HttpClient) -> None:
        self._client = client

    async def send(self, notification: Notification, recipient: Recipient, *, key: str) -> None:
        body = json.dumps({"text": slack_text(notification)}, ensure_ascii=False)
        headers = {"content-type": "application/json"}
        await self._client.post(recipient.target, content=body.encode(), headers=headers)

    async def aclose(self) -> None:
        """The HTTP clients are shared with the webhooks, which close them."""
