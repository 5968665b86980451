"""Where each claimed delivery record goes: which transport, which recipient, or why nowhere."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from budgetguard.db.contacts import CONTACT_REMOVED
from budgetguard.db.deliveries import Claimed
from budgetguard.db.dispatch import Route
from budgetguard.domain.recipients import CONSOLE_KEY, ChannelKind, Recipient
from budgetguard.notify.addresses import SmtpServer
from budgetguard.notify.channel import Channel, Transport
from budgetguard.notify.email import EmailTransport
from budgetguard.notify.http import HttpClient
from budgetguard.notify.slack import SlackTransport
from budgetguard.notify.templates import Templates
from budgetguard.notify.webhook import WebhookTransport


@dataclass(frozen=True)
class RouteConfig:
    """What the delivery side is configured with (built from the settings by bootstrap)."""

    operators: Mapping[str, Recipient]
    """Operator channels by recipient key."""
    smtp: SmtpServer | None
    sender: str
    templates: Templates
    timeout: float
    connections: int
    allow_private: bool

    @property
    def dispatch_routes(self) -> list[Route]:
        return [Route(key, recipient.kind) for key, recipient in self.operators.items()]


class Unroutable(Exception):
    """A delivery record whose recipient no longer exists: it is dead without an attempt."""


@dataclass(frozen=True)
class Routes:
    config: RouteConfig
    console: Channel
    transports: Mapping[ChannelKind, Transport]

    def recipient(self, claimed: Claimed) -> Recipient:
        """Return where `claimed` goes now, or raise Unroutable saying why it goes nowhere."""
        if claimed.recipient == CONSOLE_KEY:
            return Recipient(ChannelKind.CONSOLE)
        if claimed.recipient.startswith("operator:"):
            operator = self.config.operators.get(claimed.recipient)
            if operator is None:
                raise Unroutable("the operator channel is no longer configured")
            return operator
        contact = claimed.contact
        if contact is None:
            raise Unroutable(CONTACT_REMOVED)
        if contact.disabled_at is not None:
            raise Unroutable(f"the contact is disabled ({contact.disabled_reason})")
        return contact.recipient


@asynccontextmanager
async def open_routes(config: RouteConfig, console: Channel) -> AsyncIterator[Routes]:
    """Open the transports (one shared HTTP client) for the length of a delivery run."""
    client = HttpClient(
        timeout=config.timeout, connections=config.connections, allow_private=config.allow_private
    )
    webhook = WebhookTransport(client)
    transports: dict[ChannelKind, Transport] = {
        ChannelKind.WEBHOOK: webhook,
        ChannelKind.SLACK: SlackTransport(client),
        ChannelKind.EMAIL: EmailTransport(
            server=config.smtp,
            sender=config.sender,
            templates=config.templates,
            timeout=config.timeout,
        ),
    }
    try:
        yield Routes(config, console, transports)
    finally:
        await webhook.aclose()
