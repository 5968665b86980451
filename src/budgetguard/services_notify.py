"""Use cases of delivery to people: shop contacts, the delivery records, the worker.

The CLI calls these; the HTTP routes call the same (README, "Notifications and delivery").
Each owns its transaction.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from budgetguard.bootstrap import App, delivery_setup
from budgetguard.db import contacts as contacts_db
from budgetguard.db.contacts import Contact
from budgetguard.db.deliveries import DeliveryRecord, list_records, retry_records
from budgetguard.db.outbox import Status
from budgetguard.domain.errors import InvalidContact, UnknownContact, UnknownShop
from budgetguard.domain.recipients import (
    CONSOLE_KEY,
    ChannelKind,
    Recipient,
    check_secret,
    check_web_url,
)
from budgetguard.notify.addresses import normalize_email
from budgetguard.notify.channel import Channel
from budgetguard.notify.delivery import DeliveryReport, deliver_until_signalled
from budgetguard.notify.guard import ForbiddenTarget, check_host
from budgetguard.services import open_database

LIST_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class ContactSpec:
    """A contact as someone asks for it: a kind, an address or URL, a webhook's secret."""

    kind: ChannelKind
    target: str
    secret: str | None = None


@dataclass(frozen=True, slots=True)
class AddedContact:
    contact: Contact
    created: bool
    """False when the shop had this contact already (it is enabled again, secret updated)."""
    new_secret: str | None
    """The signing secret budgetguard generated for a new webhook: shown once, only here."""


def add_contact(*, app: App, shop_id: int, spec: ContactSpec) -> AddedContact:
    """Add a contact to a shop (or enable it again); refuse bad addresses and unknown shops."""
    open_database(app)
    checked = check_contact(spec, allow_private=app.settings.webhook_allow_private)
    generated = (
        _new_secret() if checked.kind is ChannelKind.WEBHOOK and not checked.secret else None
    )
    secret = checked.secret or generated
    with app.engine.begin() as connection:
        _require_shop(connection, shop_id)
        existing = contacts_db.find_contact(
            connection, shop_id=shop_id, kind=checked.kind, target=checked.target
        )
        if existing is not None:
            contacts_db.enable_contact(connection, existing.id, secret=checked.secret)
            contact_id, created, generated = existing.id, False, None
        else:
            contact_id = contacts_db.insert_contact(
                connection, shop_id=shop_id, kind=checked.kind, target=checked.target,
                secret=secret, now=app.clock(),
            )  # fmt: skip
            created = True
        contact = _one(contacts_db.shop_contacts(connection, shop_id), contact_id)
    return AddedContact(contact, created, generated)


@dataclass(frozen=True, slots=True)
class ReplacedContacts:
    contacts: list[Contact]
    new_secrets: dict[int, str]
    """The secrets budgetguard generated for new webhooks, by contact id: shown once, only here."""


def replace_contacts(*, app: App, shop_id: int, specs: Sequence[ContactSpec]) -> ReplacedContacts:
    """Make the shop's contacts exactly `specs` (all checked first: all or nothing).

    Contacts that stay keep their id and, unless a new one is given, their secret; new webhooks
    without a secret get a generated one.
    """
    open_database(app)
    allow = app.settings.webhook_allow_private
    checked = {}
    for spec in specs:
        contact = check_contact(spec, allow_private=allow)
        checked[(contact.kind, contact.target)] = contact
    generated: dict[int, str] = {}
    with app.engine.begin() as connection:
        _require_shop(connection, shop_id)
        current = {(c.kind, c.target): c for c in contacts_db.shop_contacts(connection, shop_id)}
        stale = [c.id for key, c in current.items() if key not in checked]
        if stale:
            contacts_db.delete_contacts(connection, shop_id=shop_id, ids=stale)
        for key, spec in checked.items():
            if key in current:
                contacts_db.enable_contact(connection, current[key].id, secret=spec.secret)
                continue
            new = _new_secret() if spec.kind is ChannelKind.WEBHOOK and not spec.secret else None
            contact_id = contacts_db.insert_contact(
                connection, shop_id=shop_id, kind=spec.kind, target=spec.target,
                secret=spec.secret or new, now=app.clock(),
            )  # fmt: skip
            if new:
                generated[contact_id] = new
        return ReplacedContacts(contacts_db.shop_contacts(connection, shop_id), generated)


def list_contacts(*, app: App, shop_id: int) -> list[Contact]:
    """Return the shop's contacts, oldest first."""
    open_database(app)
    with app.engine.begin() as connection:
        _require_shop(connection, shop_id)
        return contacts_db.shop_contacts(connection, shop_id)


def remove_contact(*, app: App, shop_id: int, contact_id: int) -> None:
    """Remove one of the shop's contacts; its pending deliveries end dead, unsent."""
    open_database(app)
    with app.engine.begin() as connection:
        if not contacts_db.delete_contacts(connection, shop_id=shop_id, ids=[contact_id]):
            raise UnknownContact(f"shop {shop_id} has no contact {contact_id}")


def remove_contacts(*, app: App, shop_id: int) -> int:
    """Remove every contact of the shop; return how many there were."""
    open_database(app)
    with app.engine.begin() as connection:
        _require_shop(connection, shop_id)
        return contacts_db.delete_contacts(connection, shop_id=shop_id)


def check_contact(spec: ContactSpec, *, allow_private: bool) -> ContactSpec:
    """Return the contact in normal form, or raise InvalidContact saying what is wrong."""
    try:
        if spec.kind is ChannelKind.EMAIL:
            if spec.secret is not None:
                raise ValueError("only webhooks have a signing secret")
            return ContactSpec(spec.kind, normalize_email(spec.target))
        if spec.kind not in (ChannelKind.WEBHOOK, ChannelKind.SLACK):
            raise ValueError(f"a shop contact is email, webhook or slack, not {spec.kind}")
        url = check_web_url(spec.target, allow_plain_http=allow_private)
        if spec.secret is not None:
            if spec.kind is not ChannelKind.WEBHOOK:
                raise ValueError("only webhooks have a signing secret")
            check_secret(spec.secret)
        if not allow_private:
            parts = urlsplit(url)
            check_host(parts.hostname or "", parts.port or 443)
    except (ValueError, ForbiddenTarget) as error:
        raise InvalidContact(f"contact refused: {error}") from None
    return ContactSpec(spec.kind, url, spec.secret)


def deliver_continuously(*, app: App, channel: Channel) -> DeliveryReport:
    """Deliver as notifications come due, until SIGINT or SIGTERM (`budgetguard deliver`)."""
    open_database(app)
    return deliver_until_signalled(delivery_setup(app, channel))


# --- delivery records ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryReport:
    retried: list[int]
    unknown: list[int]
    left: dict[int, Status]
    """Records found but not retried (delivered, or in flight), with their status."""


def list_deliveries(
    *,
    app: App,
    status: Status | None = None,
    shop_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[DeliveryRecord]:
    """Return delivery records, newest first; page on with `before_id` = the last id seen."""
    open_database(app)
    with app.engine.begin() as connection:
        return list_records(
            connection, status=status, shop_id=shop_id, before_id=before_id,
            limit=max(1, min(limit, LIST_LIMIT)),
        )  # fmt: skip


def retry_deliveries(*, app: App, ids: Sequence[int]) -> RetryReport:
    """Make failed, dead or pending records due now, with a fresh schedule of attempts."""
    open_database(app)
    with app.engine.begin() as connection:
        found = retry_records(connection, ids, now=app.clock())
    retried = [
        i for i in ids if i in found and found[i] in {Status.PENDING, Status.FAILED, Status.DEAD}
    ]
    left = {i: s for i, s in found.items() if i not in retried}
    return RetryReport(retried, [i for i in ids if i not in found], left)


def recipient_label(app: App, record: DeliveryRecord) -> str:
    """Name a record's recipient for people: an address, a URL without secrets, the console."""
    if record.recipient == CONSOLE_KEY:
        return "console"
    if record.contact is not None:
        return record.contact.recipient.label
    if record.recipient.startswith("operator:"):
        operator = app.settings.operator_recipients.get(record.recipient)
        return f"operator {operator.label}" if operator else "operator channel (no longer set)"
    return "contact (removed)"


def contact_json(contact: Contact) -> dict[str, Any]:
    """Return a contact as JSON for people: never its secret."""
    return {
        "id": contact.id,
        "shop_id": contact.shop_id,
        "kind": contact.kind.value,
        "target": Recipient(contact.kind, contact.target).label
        if contact.kind is ChannelKind.SLACK
        else contact.target,
        "has_secret": contact.secret is not None,
        "created_at": contact.created_at.isoformat(),
        "disabled_at": contact.disabled_at.isoformat() if contact.disabled_at else None,
        "disabled_reason": contact.disabled_reason,
    }


def delivery_json(app: App, record: DeliveryRecord) -> dict[str, Any]:
    """Return a delivery record as JSON."""
    return {
        "id": record.id,
        "notification_id": record.notification_id,
        "shop_id": record.shop_id,
        "channel": record.channel.value,
        "recipient": recipient_label(app, record),
        "status": record.status.value,
        "attempts": record.attempts,
        "next_attempt_at": record.next_attempt_at.isoformat() if record.next_attempt_at else None,
        "last_error": record.last_error,
        "created_at": record.created_at.isoformat(),
        "delivered_at": record.delivered_at.isoformat() if record.delivered_at else None,
    }


def _require_shop(connection: Any, shop_id: int) -> None:
    if not contacts_db.shop_exists(connection, shop_id):
        raise UnknownShop(f"there is no shop {shop_id}")


def _one(contacts: list[Contact], contact_id: int) -> Contact:
    return next(c for c in contacts if c.id == contact_id)


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
