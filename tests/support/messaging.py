"""One shop's messages as the message tests set them up: shop 2, past its July budget, a contact
of each kind, the queued notifications stamped with its policy, an e-mail's two bodies."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import update

from budgetguard.db.schema.tables import notifications
from budgetguard.domain.recipients import ChannelKind
from budgetguard.services.contacts import ContactSpec, add_contact
from support.world import World

SHOP = 2


def munich(world: World, name: str = "Modehaus München") -> None:
    """Shop 2, 104.20 % into its July budget: 1,250.50 of 1,200.00."""
    world.platform.add_shop(SHOP, name)
    world.platform.set_budget(SHOP, "2020-07", "1200.00", "1250.50")


def contact(world: World, kind: ChannelKind, target: str, secret: str | None = None) -> None:
    spec = ContactSpec(kind, target, secret)
    add_contact(actor="tests", context=world.context, shop_id=SHOP, spec=spec)


def stamp(world: World, **policy: object) -> None:
    """Give the queued notifications the shop's language, currency… as the evaluation does."""
    with world.context.engine.begin() as connection:
        connection.execute(update(notifications).values(**policy))


def bodies(message: EmailMessage) -> tuple[str, str]:
    """An e-mail's plain-text and HTML bodies."""
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()
