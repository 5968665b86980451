"""Who hears about a shop's budget: its contacts (e-mail, signed webhooks, Slack)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from starlette.concurrency import run_in_threadpool

from budgetguard.api.dependencies import Actor, Wired
from budgetguard.api.responses import problems
from budgetguard.api.schemas.contacts import ContactOut, ContactsIn, ContactsOut
from budgetguard.domain.ids import LARGEST_BIG_ID, LARGEST_ID
from budgetguard.domain.recipients import ChannelKind
from budgetguard.services import contacts
from budgetguard.services.contact_checks import ContactSpec, check_contacts

router = APIRouter(prefix="/shops/{shop_id}/contacts", tags=["contacts"])

ShopPath = Annotated[int, Path(ge=1, le=LARGEST_ID, description="The shop's id.")]


@router.get("", operation_id="contacts-list", responses=problems(404))
def list_contacts(*, wired: Wired, shop_id: ShopPath) -> ContactsOut:
    """The shop's contacts, oldest first (never their secrets)."""
    found = contacts.list_contacts(context=wired.context, shop_id=shop_id)
    return ContactsOut(contacts=[ContactOut.of(c) for c in found])


@router.put("", operation_id="contacts-put", responses=problems(404))
async def replace_contacts(
    *, wired: Wired, actor: Actor, shop_id: ShopPath, body: ContactsIn
) -> ContactsOut:
    """Make the shop's contacts exactly these (all checked first: all or nothing).

    A new webhook without a secret gets one; it is shown in `new_secrets` this once only.
    """
    # Async: the hosts are looked up while no request thread waits (a resolver that never
    # answers costs this request BUDGETGUARD_CONTACT_LOOKUP_TIMEOUT, and nobody else anything).
    specs = [ContactSpec(ChannelKind(c.kind), c.target, c.secret) for c in body.contacts]
    settings = wired.context.settings
    checked = await check_contacts(settings=settings, specs=specs, resolver=wired.resolver)
    replaced = await run_in_threadpool(
        contacts.replace_contacts,
        context=wired.context,
        shop_id=shop_id,
        specs=checked,
        actor=actor,
    )
    return ContactsOut(
        contacts=[ContactOut.of(c) for c in replaced.contacts],
        new_secrets={str(i): secret for i, secret in replaced.new_secrets.items()},
    )


@router.delete("", operation_id="contacts-delete-all", status_code=204, responses=problems(404))
def remove_contacts(*, wired: Wired, actor: Actor, shop_id: ShopPath) -> Response:
    """Remove every contact of the shop; their pending deliveries end dead, unsent."""
    contacts.remove_contacts(context=wired.context, shop_id=shop_id, actor=actor)
    return Response(status_code=204)


@router.delete(
    "/{contact_id}", operation_id="contacts-delete", status_code=204, responses=problems(404)
)
def remove_contact(
    *,
    wired: Wired,
    actor: Actor,
    shop_id: ShopPath,
    contact_id: Annotated[int, Path(ge=1, le=LARGEST_BIG_ID)],
) -> Response:
    """Remove one contact of the shop."""
    contacts.remove_contact(
        context=wired.context, shop_id=shop_id, contact_id=contact_id, actor=actor
    )
    return Response(status_code=204)
