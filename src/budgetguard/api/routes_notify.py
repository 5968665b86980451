"""Who hears about a shop's budget (its contacts), and the delivery records (dead letters too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from budgetguard import services_notify
from budgetguard.api.auth import Caller
from budgetguard.api.fields import LARGEST_BIG_ID, LARGEST_ID, cursor_id
from budgetguard.api.responses import problems
from budgetguard.api.runtime import Wired
from budgetguard.api.schemas_notify import (
    ContactOut,
    ContactsIn,
    ContactsOut,
    DeliveriesOut,
    DeliveryOut,
    DeliveryStatus,
    RetryIn,
    RetryOut,
)
from budgetguard.db.outbox import Status
from budgetguard.domain.recipients import ChannelKind
from budgetguard.services_notify import ContactSpec, contact_json, delivery_json

contacts = APIRouter(prefix="/v1/shops/{shop_id}/contacts", tags=["contacts"])
deliveries = APIRouter(prefix="/v1/deliveries", tags=["delivery records"])

ShopPath = Annotated[int, Path(ge=1, le=LARGEST_ID, description="The shop's id.")]


@contacts.get("", responses=problems(404))
def list_contacts(*, wired: Wired, _caller: Caller, shop_id: ShopPath) -> ContactsOut:
    """The shop's contacts, oldest first (never their secrets)."""
    found = services_notify.list_contacts(app=wired.app, shop_id=shop_id)
    return ContactsOut(contacts=[ContactOut(**contact_json(c)) for c in found])


@contacts.put("", responses=problems(404))
def replace_contacts(
    *, wired: Wired, _caller: Caller, shop_id: ShopPath, body: ContactsIn
) -> ContactsOut:
    """Make the shop's contacts exactly these (all checked first: all or nothing).

    A new webhook without a secret gets one; it is shown in `new_secrets` this once only.
    """
    specs = [ContactSpec(ChannelKind(c.kind), c.target, c.secret) for c in body.contacts]
    replaced = services_notify.replace_contacts(app=wired.app, shop_id=shop_id, specs=specs)
    return ContactsOut(
        contacts=[ContactOut(**contact_json(c)) for c in replaced.contacts],
        new_secrets={str(i): secret for i, secret in replaced.new_secrets.items()},
    )


@contacts.delete("", status_code=204, responses=problems(404))
def remove_contacts(*, wired: Wired, _caller: Caller, shop_id: ShopPath) -> Response:
    """Remove every contact of the shop; their pending deliveries end dead, unsent."""
    services_notify.remove_contacts(app=wired.app, shop_id=shop_id)
    return Response(status_code=204)


@contacts.delete("/{contact_id}", status_code=204, responses=problems(404))
def remove_contact(
    *,
    wired: Wired,
    _caller: Caller,
    shop_id: ShopPath,
    contact_id: Annotated[int, Path(ge=1, le=LARGEST_BIG_ID)],
) -> Response:
    """Remove one contact of the shop."""
    services_notify.remove_contact(app=wired.app, shop_id=shop_id, contact_id=contact_id)
    return Response(status_code=204)


@deliveries.get("", responses=problems())
def list_deliveries(
    *,
    wired: Wired,
    _caller: Caller,
    status: Annotated[DeliveryStatus | None, Query(description="`dead`: the dead letters.")] = None,
    shop_id: Annotated[int | None, Query(ge=1, le=LARGEST_ID)] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeliveriesOut:
    """Delivery records, newest first: one per (notification, recipient)."""
    records = services_notify.list_deliveries(
        app=wired.app,
        status=Status(status) if status else None,
        shop_id=shop_id,
        before_id=cursor_id(cursor, LARGEST_BIG_ID),
        limit=limit,
    )
    items = [DeliveryOut(**delivery_json(wired.app, r)) for r in records]
    more = len(items) == limit
    return DeliveriesOut(items=items, next_cursor=str(items[-1].id) if more else None)


@deliveries.post("/retry", responses=problems())
def retry_deliveries(*, wired: Wired, _caller: Caller, body: RetryIn) -> RetryOut:
    """Make failed, dead or pending records due now, with a fresh schedule of attempts."""
    report = services_notify.retry_deliveries(app=wired.app, ids=body.ids)
    return RetryOut(
        retried=report.retried,
        unknown=report.unknown,
        left={str(i): s.value for i, s in report.left.items()},
    )
