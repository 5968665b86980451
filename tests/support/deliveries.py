"""Failed and dead delivery records, made as they are made in production: webhooks to a real
receiver on loopback that answers 500."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text

from budgetguard.domain.recipients import ChannelKind
from budgetguard.services.contacts import ContactSpec, add_contact
from support.receivers import WebhookReceiver
from support.world import World

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret
MONTH = "2020-07"


def troubled_records(
    world: World,
    receiver: WebhookReceiver,
    *,
    dead: Sequence[int] = (1,),
    failed: Sequence[int] = (),
    hooks: int = 1,
) -> None:
    """Shops `dead` past their budget with `hooks` webhooks each, delivered once with one
    attempt allowed (dead records); then shops `failed` likewise with five allowed (failed)."""
    for shops, attempts in ((dead, 1), (failed, 5)):
        if not shops:
            continue
        local = on_loopback(world, attempts)
        for shop in shops:
            local.platform.add_shop(shop, f"Shop {shop}")
            local.platform.set_budget(shop, MONTH, "100.00", "120.00")
            for hook in range(hooks):
                spec = ContactSpec(
                    ChannelKind.WEBHOOK, receiver.url(f"/hook/{shop}/{hook}"), SECRET
                )
                add_contact(actor="tests", context=local.context, shop_id=shop, spec=spec)
        local.check(f"{MONTH}-15")


def on_loopback(world: World, attempts: int = 5) -> World:
    """The world allowed to deliver to receivers on loopback, `attempts` at most per record."""
    return world.with_settings(
        webhook_allow_private=True, delivery_timeout=10, delivery_max_attempts=attempts
    )


def statuses(world: World) -> dict[int, str]:
    """Every delivery record's status, by id."""
    with world.context.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, status FROM bg_deliveries")).all()
    return {int(i): str(s) for i, s in rows}


def retried_audit(world: World) -> list[tuple[str, int]]:
    """(actor, shop) of each `delivery.retried` entry of the audit trail."""
    with world.context.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT actor, shop_id FROM bg_audit WHERE action = 'delivery.retried' ORDER BY id"
            )
        ).all()
    return [(str(a), int(s)) for a, s in rows]
