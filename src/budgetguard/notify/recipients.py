"""Recipient resolution: where each claimed delivery record goes now — which transport and which
recipient — or why it goes nowhere (its contact was removed or disabled, its operator channel
is no longer configured)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from budgetguard.domain.delivery import CONTACT_REMOVED, Claimed
from budgetguard.domain.links import Link, console_link
from budgetguard.domain.notification import Notification
from budgetguard.domain.recipients import (
    CONSOLE_KEY,
    ChannelKind,
    Recipient,
    Route,
    is_operator_key,
)
from budgetguard.notify.channels.addresses import SmtpServer
from budgetguard.notify.channels.base import Channel, Transport
from budgetguard.notify.channels.email import EmailTransport
from budgetguard.notify.channels.http import HttpClient
from budgetguard.notify.channels.slack import SlackTransport
from budgetguard.notify.channels.templates import Templates
from budgetguard.notify.channels.webhook import WebhookTransport


@dataclass(frozen=True)
class RecipientConfig:
    """What the delivery side is configured with (built from the settings by bootstrap)."""

    operators: Mapping[str, Recipient]
    """Operator channels by recipient key."""
    smtp: SmtpServer | None
    sender: str
    templates: Templates
    timeout: float
    connections: int
    allow_private: bool
    language: str = "en"
    """The platform's language (BUDGETGUARD_LANGUAGE): operator channels' and the console's, and
    a shop's when its notification names none."""
    zone: str = "UTC"
    """The platform's time zone: a notification's when it names none (queued before policies)."""
    currency: str | None = None
    """The platform's currency (BUDGETGUARD_CURRENCY): a notification's when it names none."""
    shop_page: Callable[[int], str | None] | None = None
    """The link to a shop's own page, made when called (each send: valid its days from then);
    None, or a None link, without BUDGETGUARD_PUBLIC_URL."""
    public_url: str | None = None
    """BUDGETGUARD_PUBLIC_URL: operator channels link the shop's page in the console."""

    @property
    def operator_routes(self) -> list[Route]:
        """The operator channels, as dispatch makes a record for each."""
        return [Route(key, recipient.kind) for key, recipient in self.operators.items()]


class Unroutable(Exception):
    """A delivery record whose recipient no longer exists: it is dead without an attempt."""


class Unreadable(Exception):
    """A contact whose encrypted URL and secret cannot be read (BUDGETGUARD_SECRET_KEY is
    missing or wrong): the attempt fails and is retried, as the key may be fixed meanwhile."""


@dataclass(frozen=True)
class Recipients:
    """Resolves claimed records to recipients, with the transports that reach them open."""

    config: RecipientConfig
    console: Channel
    transports: Mapping[ChannelKind, Transport]

    def resolve(self, claimed: Claimed) -> Recipient:
        """Return where `claimed` goes now, or raise Unroutable saying why it goes nowhere (or
        Unreadable when its contact cannot be read now)."""
        if claimed.recipient == CONSOLE_KEY:
            return Recipient(ChannelKind.CONSOLE)
        if is_operator_key(claimed.recipient):
            operator = self.config.operators.get(claimed.recipient)
            if operator is None:
                raise Unroutable("the operator channel is no longer configured")
            return operator
        contact = claimed.contact
        if contact is None:
            raise Unroutable(CONTACT_REMOVED)
        if contact.disabled_at is not None:
            raise Unroutable(f"the contact is disabled ({contact.disabled_reason})")
        if contact.unreadable is not None:
            raise Unreadable(contact.unreadable)
        return contact.recipient

    def addressed(self, claimed: Claimed) -> Notification:
        """The notification as its recipient reads it: in the platform's language on an operator
        channel, in the shop's on its own contacts (the platform's when it names none); on the
        platform's clock and in its currency when it names neither (queued before policies);
        with its link (domain/links.py), made now, when BUDGETGUARD_PUBLIC_URL is set."""
        n = claimed.notification
        shops = not (claimed.recipient == CONSOLE_KEY or is_operator_key(claimed.recipient))
        language = (n.language if shops else None) or self.config.language
        zone = n.timezone or self.config.zone
        currency = n.currency or self.config.currency
        link = self._link(n.shop_id, shops=shops)
        if (language, zone, currency, link) == (n.language, n.timezone, n.currency, n.link):
            return n
        return n._replace(language=language, timezone=zone, currency=currency, link=link)

    def _link(self, shop_id: int, *, shops: bool) -> Link | None:
        """The shop's own page for its contacts, made now; its page in the console for
        operators; None without BUDGETGUARD_PUBLIC_URL."""
        if not shops:
            return console_link(self.config.public_url, shop_id)
        made = None if self.config.shop_page is None else self.config.shop_page(shop_id)
        return None if made is None else Link(made)


@asynccontextmanager
async def open_recipients(config: RecipientConfig, console: Channel) -> AsyncIterator[Recipients]:
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
        yield Recipients(config, console, transports)
    finally:
        await webhook.aclose()
