"""Signed webhooks (Standard Webhooks): a versioned JSON payload, HMAC-SHA256 with a `whsec_`.

The `webhook-id` is the notification's, so it is the same on every retry and receivers can
de-duplicate; `webhook-timestamp` is the time of the attempt (receivers reject stale ones).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from standardwebhooks import Webhook

from budgetguard.domain.notification import Kind, Notification
from budgetguard.domain.recipients import Recipient
from budgetguard.domain.wording import action_taken, headline, projection, subject
from budgetguard.notify.channels.base import SendFailed
from budgetguard.notify.channels.http import HttpClient
from budgetguard.notify.channels.voice import voice

PAYLOAD_VERSION = 1
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""Made once: `json.dumps` with options builds an encoder for every body."""
EVENT_TYPES = {
    Kind.THRESHOLD: "budget.threshold_crossed",
    Kind.RESUMED: "budget.shop_resumed",
    Kind.FORECAST: "budget.forecast_exceeded",
}


def webhook_id(notification: Notification) -> str:
    return f"ntf_{notification.id}"


def payload(notification: Notification) -> dict[str, Any]:
    """Return the webhook's JSON body: SPEC §4's fields, decimals as strings, the currency; a
    forecast's projection; and, in the notification's language, `summary` (the subject line),
    `message` (its first sentence) and `action_text` for people; `shop_url`, the page of the
    shop its reader may open, when there is one (BUDGETGUARD_PUBLIC_URL)."""
    n = notification
    data: dict[str, Any] = {
        "notification_id": n.id,
        "kind": n.kind.value,
        "date": n.evaluated_on.isoformat(),
        "shop_id": n.shop_id,
        "shop_name": n.shop_name,
        "month": str(n.month),
        "budget": str(n.budget),
        "spent": str(n.spent),
        "currency": n.currency,
        "percent": str(n.percent),
        "thresholds": list(n.thresholds),
        "action": n.action.value if n.action else None,
    }
    if n.kind is Kind.FORECAST:
        seen = projection(n)
        data["runs_out_on"] = seen.runs_out_on.isoformat() if seen else None
        data["month_end_percent"] = str(seen.month_end_percent) if seen else None
    speaking = voice(n.language, n.currency)
    data["language"] = speaking.language
    data["summary"] = subject(n, speaking)
    data["message"] = headline(n, speaking)
    data["action_text"] = action_taken(n, speaking)
    if n.link is not None:  # BUDGETGUARD_PUBLIC_URL is set: the shop's page (README)
        data["shop_url"] = n.link.url
    return {
        "type": EVENT_TYPES[n.kind],
        "version": PAYLOAD_VERSION,
        "id": webhook_id(n),
        "created_at": n.created_at.isoformat(),
        "data": data,
    }


@lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    return Webhook(secret)


def signed_headers(*, secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    """Return the Standard Webhooks headers for `body` sent at `at`."""
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": _signer(secret).sign(message_id, at.astimezone(UTC), body),
    }


class WebhookTransport:
    """POSTs signed notifications to webhook endpoints; only 2xx counts as delivered."""

    def __init__(self, client: HttpClient) -> None:
        self._client = client

    async def send(self, notification: Notification, recipient: Recipient, *, key: str) -> None:
        if not recipient.secret:
            raise SendFailed("the webhook has no signing secret")
        body = _JSON.encode(payload(notification))
        # The wall clock, not the evaluation's: receivers compare it with theirs.
        headers = signed_headers(
            secret=recipient.secret,
            message_id=webhook_id(notification),
            body=body,
            at=datetime.now(UTC),
        )
        await self._client.post(recipient.target, content=body.encode(), headers=headers)

    async def aclose(self) -> None:
        await self._client.aclose()
