"""The composition root: wires settings, the database engine, the clock and the delivery side
into what the use cases (services/) are handed. Nothing connects until a use case runs."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from budgetguard.config import Settings
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.domain.clock import Clock, utc_now
from budgetguard.services.uow import Context

if TYPE_CHECKING:
    from collections.abc import Callable

    from budgetguard.notify.channels.base import Channel
    from budgetguard.notify.channels.console import ConsoleChannel
    from budgetguard.services.deliveries import Delivery


def build_context(settings: Settings, *, clock: Clock = utc_now) -> Context:
    """Wire a Context for `settings`."""
    engine = make_engine(settings.database_url, timeout=settings.database_timeout)
    return Context(settings=settings, engine=engine, clock=clock)


def console_channel(settings: Settings, *, json_lines: bool) -> ConsoleChannel:
    """The console (standard output): the notifications nobody else receives, as readable lines
    or JSON Lines. An operators' channel: the platform's language, and its zone and currency for
    a notification queued before policies (which names neither)."""
    # Imported here, as in delivery_setup: the console's voice loads Babel.
    from budgetguard.notify.channels.console import ConsoleChannel  # noqa: PLC0415

    return ConsoleChannel(
        sys.stdout,
        json_lines=json_lines,
        language=settings.language,
        zone=settings.timezone,
        currency=settings.currency,
        public_url=settings.public_url,
    )


def delivery_setup(
    context: Context, console: Channel, *, poll_interval: float | None = None
) -> Delivery:
    """Wire the delivery worker from the settings: operator channels, SMTP, templates, limits.

    `console` takes the notifications nobody else receives; `poll_interval` overrides
    BUDGETGUARD_DELIVERY_POLL_INTERVAL (`serve` looks every BUDGETGUARD_DELIVERY_INTERVAL).
    """
    # Imported here: the channels' libraries (aiohttp, Jinja2, e-mail) are for the commands that
    # deliver; the others build their context with this module too (STYLE rule 1).
    from budgetguard.notify.channels.templates import Templates  # noqa: PLC0415
    from budgetguard.notify.recipients import RecipientConfig  # noqa: PLC0415
    from budgetguard.notify.worker import WorkerOptions  # noqa: PLC0415
    from budgetguard.services.deliveries import Delivery  # noqa: PLC0415

    settings = context.settings
    recipients = RecipientConfig(
        operators=settings.operator_recipients,
        smtp=settings.smtp_server,
        sender=settings.smtp_from,
        templates=Templates(settings.template_dir),
        timeout=settings.delivery_timeout,
        connections=settings.delivery_concurrency,
        allow_private=settings.webhook_allow_private,
        language=settings.language,
        zone=settings.timezone,
        currency=settings.currency,
        shop_page=shop_page(context),
        public_url=settings.public_url,
    )
    options = WorkerOptions(
        batch_size=settings.delivery_batch_size,
        concurrency=settings.delivery_concurrency,
        per_recipient=max(1, settings.delivery_concurrency // 4),
        poll_interval=settings.delivery_poll_interval if poll_interval is None else poll_interval,
        send_limit=2 * settings.delivery_timeout,
    )
    return Delivery(
        recipients=recipients,
        console=console,
        options=options,
        lease=settings.lease,
        max_attempts=settings.delivery_max_attempts,
    )


def shop_page(context: Context) -> Callable[[int], str | None] | None:
    """The maker of a shop's link to its own page, each made at the instant it is called (the
    send's, on the context's clock); None without BUDGETGUARD_PUBLIC_URL, and then the console's
    secret is not even read. With it, the secret is read (or made, once) here, at start-up."""
    if context.settings.public_url is None:
        return None
    from budgetguard.services.database import open_database  # noqa: PLC0415
    from budgetguard.services.shop_links import ShopLinks  # noqa: PLC0415 - itsdangerous

    open_database(context=context)  # one clear error on a database not upgraded yet
    links = ShopLinks.of(context)
    return lambda shop_id: links.url(shop_id, context.clock())
