"""Use cases of shop contacts: who at a shop hears about its budget, by e-mail, webhook, Slack.

The CLI (`budgetguard contacts …`) and the HTTP API (`/v1/shops/{id}/contacts`) call these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from budgetguard.db.catalog import audit
from budgetguard.db.catalog.shops import existing_shops, lock_shops
from budgetguard.db.outbox import contacts as stored
from budgetguard.domain import audit as actions
from budgetguard.domain.errors import Conflict, NotFound
from budgetguard.domain.recipients import Contact
from budgetguard.notify.channels.guard import Resolver, system_resolver
from budgetguard.services.contact_checks import CheckedContacts, ContactSpec, check_contacts_now
from budgetguard.services.database import open_database
from budgetguard.services.uow import Context, reading, write

__all__ = [  # ContactSpec and CheckedContacts: where callers have always found them
    "AddedContact", "CheckedContacts", "ContactSpec", "ReplacedContacts", "add_contact",
    "list_contacts", "remove_contact", "remove_contacts", "replace_contacts",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class AddedContact:
    contact: Contact
    created: bool
    """False when the shop had this contact already (it is enabled again, secret updated)."""
    new_secret: str | None
    """The signing secret budgetguard generated for a new webhook: shown once, only here."""


@dataclass(frozen=True, slots=True)
class ReplacedContacts:
    contacts: list[Contact]
    new_secrets: dict[int, str]
    """The secrets budgetguard generated for new webhooks, by contact id: shown once, only here."""


def add_contact(
    *,
    context: Context,
    shop_id: int,
    spec: ContactSpec,
    actor: str,
    resolver: Resolver = system_resolver,
) -> AddedContact:
    """Add a contact to a shop (or enable it again); refuse bad addresses and unknown shops.
    Audited under `actor` (the contact's address without credentials, never its secret)."""
    open_database(context=context)
    (checked,) = check_contacts_now(
        settings=context.settings, specs=[spec], resolver=resolver
    ).specs
    wanted, generated = checked.with_secret()

    def work(connection: Connection) -> AddedContact:
        _lock_shop(connection, shop_id)
        existing = stored.find_contact(
            connection, shop_id=shop_id, kind=checked.kind, target=checked.target
        )
        if existing is not None:
            stored.enable_contact(connection, existing.id, secret=checked.secret)
            added = AddedContact(_reloaded(connection, shop_id, existing.id), False, None)
        else:
            contact_id = _insert(connection, context, shop_id, wanted)
            added = AddedContact(_reloaded(connection, shop_id, contact_id), True, generated)
        action = actions.CONTACT_ADDED if added.created else actions.CONTACT_ENABLED
        _audit(connection, context, actor, action, shop_id, detail=_described(added.contact))
        return added

    return write(context, work, what="contact", shops=[shop_id])


def replace_contacts(
    *,
    context: Context,
    shop_id: int,
    specs: CheckedContacts | Sequence[ContactSpec],
    actor: str,
) -> ReplacedContacts:
    """Make the shop's contacts exactly `specs` (all checked first, unless they were: all or
    nothing).

    Contacts that stay keep their id and, unless a new one is given, their secret; new webhooks
    without a secret get a generated one.
    """
    open_database(context=context)
    if not isinstance(specs, CheckedContacts):
        specs = check_contacts_now(settings=context.settings, specs=specs)
    checked = {(c.kind, c.target): c for c in specs.specs}

    def work(connection: Connection) -> ReplacedContacts:
        _lock_shop(connection, shop_id)
        contacts = stored.shop_contacts(connection, shop_id)
        _refuse_unreadable(shop_id, contacts)
        current = {(c.kind, c.target): c for c in contacts}
        stale = [c.id for key, c in current.items() if key not in checked]
        if stale:
            stored.delete_contacts(connection, shop_id=shop_id, ids=stale)
        generated: dict[int, str] = {}
        for key, spec in checked.items():
            if key in current:
                stored.enable_contact(connection, current[key].id, secret=spec.secret)
                continue
            wanted, secret = spec.with_secret()
            contact_id = _insert(connection, context, shop_id, wanted)
            if secret is not None:
                generated[contact_id] = secret
        after = stored.shop_contacts(connection, shop_id)
        detail = {"removed": stale, "contacts": [_described(c) for c in after]}
        _audit(connection, context, actor, actions.CONTACTS_REPLACED, shop_id, detail=detail)
        return ReplacedContacts(after, generated)

    return write(context, work, what="contacts", shops=[shop_id])


def _refuse_unreadable(shop_id: int, contacts: Sequence[Contact]) -> None:
    """A contact this process cannot open (sealed with a key it lacks) cannot be compared with
    the wanted ones: replacing would delete it, ending its deliveries, and store it again with
    another secret. Refuse until BUDGETGUARD_SECRET_KEY holds its key."""
    unreadable = [c.id for c in contacts if c.unreadable is not None]
    if unreadable:
        ids = ", ".join(str(i) for i in unreadable)
        raise Conflict(
            f"shop {shop_id}'s contacts {ids} cannot be read with BUDGETGUARD_SECRET_KEY (sealed "
            "with a key it does not hold): add that key, then replace the contacts"
        )


def list_contacts(*, context: Context, shop_id: int) -> list[Contact]:
    """Return the shop's contacts, oldest first."""
    open_database(context=context)
    with reading(context) as connection:
        _require_shop(connection, shop_id)
        return stored.shop_contacts(connection, shop_id)


def remove_contact(*, context: Context, shop_id: int, contact_id: int, actor: str) -> None:
    """Remove one of the shop's contacts; its pending deliveries end dead, unsent."""
    open_database(context=context)

    def work(connection: Connection) -> None:
        found = None
        if lock_shops(connection, [shop_id]):
            found = next((c for c in stored.shop_contacts(connection, shop_id)
                          if c.id == contact_id), None)  # fmt: skip
        if found is None or not stored.delete_contacts(
            connection, shop_id=shop_id, ids=[contact_id]
        ):
            raise NotFound(f"shop {shop_id} has no contact {contact_id}")
        detail = _described(found)
        _audit(connection, context, actor, actions.CONTACT_REMOVED, shop_id, detail=detail)

    write(context, work, what="contact", shops=[shop_id])


def remove_contacts(*, context: Context, shop_id: int, actor: str) -> int:
    """Remove every contact of the shop; return how many there were."""
    open_database(context=context)

    def work(connection: Connection) -> int:
        _lock_shop(connection, shop_id)
        removed = stored.delete_contacts(connection, shop_id=shop_id)
        if removed:
            detail = {"count": removed}
            _audit(connection, context, actor, actions.CONTACTS_REMOVED, shop_id, detail=detail)
        return removed

    return write(context, work, what="contacts", shops=[shop_id])


def _require_shop(connection: Connection, shop_id: int) -> None:
    if not existing_shops(connection, [shop_id]):
        raise NotFound(f"there is no shop {shop_id}")


def _lock_shop(connection: Connection, shop_id: int) -> None:
    """Lock the shop's row before its contacts: every writer of a shop's rows locks the shop
    first (db/catalog/shops.py), so two requests changing its contacts queue instead of
    inserting the same contact at once or deadlocking over its delivery records."""
    if not lock_shops(connection, [shop_id]):
        raise NotFound(f"there is no shop {shop_id}")


def _insert(connection: Connection, context: Context, shop_id: int, spec: ContactSpec) -> int:
    return stored.insert_contact(
        connection, shop_id=shop_id, kind=spec.kind, target=spec.target, secret=spec.secret,
        now=context.clock(),
    )  # fmt: skip


def _described(contact: Contact) -> dict[str, object]:
    """A contact as the audit trail names it: never a secret or a credential."""
    return {"contact_id": contact.id, "kind": contact.kind.value, "recipient": contact.shown_target}


def _audit(
    connection: Connection,
    context: Context,
    actor: str,
    action: str,
    shop_id: int,
    *,
    detail: Mapping[str, object],
) -> None:
    audit.record(
        connection, at=context.clock(), actor=actor, action=action, shop_id=shop_id, detail=detail
    )


def _reloaded(connection: Connection, shop_id: int, contact_id: int) -> Contact:
    return next(c for c in stored.shop_contacts(connection, shop_id) if c.id == contact_id)
