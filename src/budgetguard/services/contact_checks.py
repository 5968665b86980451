"""Checking contacts before anything is stored: an address or URL in normal form, no control
or bidi characters, a well-formed secret, and a host that resolves in time to public addresses
only (the SSRF guard). All of a request's contacts are checked, or none is stored.

The HTTP API awaits `check_contacts` on its event loop: the lookups run in the guard's own
threads, so a resolver that never answers costs a request its lookup timeout, never one of the
threads that serve requests. Commands call `check_contacts_now`, which runs the same checks
and blocks until they are done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from budgetguard.config import Settings
from budgetguard.domain.errors import Unacceptable
from budgetguard.domain.recipients import (
    ChannelKind,
    check_printable,
    check_secret,
    check_web_url,
    new_webhook_secret,
)
from budgetguard.notify.channels.addresses import normalize_email
from budgetguard.notify.channels.guard import (
    ForbiddenTarget,
    Resolver,
    check_host,
    check_literal,
    system_resolver,
)

__all__ = [  # Resolver and system_resolver: for the API, which may not import notify
    "CheckedContacts", "ContactSpec", "Resolver", "check_contacts", "check_contacts_now",
    "system_resolver",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class ContactSpec:
    """A contact as someone asks for it: a kind, an address or URL, a webhook's secret."""

    kind: ChannelKind
    target: str
    secret: str | None = None

    def with_secret(self) -> tuple[ContactSpec, str | None]:
        """The same, with a secret generated if it is a webhook without one; and that secret,
        when it was generated here (shown once)."""
        if self.kind is not ChannelKind.WEBHOOK or self.secret:
            return self, None
        generated = new_webhook_secret()
        return ContactSpec(self.kind, self.target, generated), generated


@dataclass(frozen=True, slots=True)
class CheckedContacts:
    """Contacts in normal form whose hosts resolved, just now, to public addresses only."""

    specs: tuple[ContactSpec, ...]


class _Refused(ValueError):
    """One contact's value at fault: `field` (target, secret, kind) and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


async def check_contacts(
    *, settings: Settings, specs: Sequence[ContactSpec], resolver: Resolver = system_resolver
) -> CheckedContacts:
    """Check every contact; their hosts are looked up at once, each within the lookup timeout."""
    normal = _normal_forms(specs, settings)
    lookups = [
        _looked_up(index, spec, settings, resolver)
        for index, spec in enumerate(normal)
        if _needs_lookup(spec, settings)
    ]
    refusals = [r for r in await asyncio.gather(*lookups) if r is not None]
    if refusals:
        raise refusals[0]  # the first contact's (gather keeps the order)
    return CheckedContacts(tuple(normal))


def check_contacts_now(
    *, settings: Settings, specs: Sequence[ContactSpec], resolver: Resolver = system_resolver
) -> CheckedContacts:
    """`check_contacts` for callers without an event loop (commands, a request's worker
    thread): it blocks until every lookup answered or ran out of time."""
    return asyncio.run(check_contacts(settings=settings, specs=specs, resolver=resolver))


def _normal_forms(specs: Sequence[ContactSpec], settings: Settings) -> list[ContactSpec]:
    normal = []
    for index, spec in enumerate(specs):
        try:
            normal.append(_normal_form(spec, allow_private=settings.webhook_allow_private))
        except _Refused as error:
            raise _refusal(index, error) from None
    return normal


def _normal_form(spec: ContactSpec, *, allow_private: bool) -> ContactSpec:
    """Return the contact in normal form, or raise _Refused saying what is wrong (no lookup)."""
    if spec.kind not in (ChannelKind.EMAIL, ChannelKind.WEBHOOK, ChannelKind.SLACK):
        raise _Refused("kind", f"a shop contact is email, webhook or slack, not {spec.kind}")
    try:
        target = _normal_target(spec, allow_private=allow_private)
    except (ValueError, ForbiddenTarget) as error:
        raise _Refused("target", str(error)) from None
    if spec.secret is not None:
        if spec.kind is not ChannelKind.WEBHOOK:
            raise _Refused("secret", "only webhooks have a signing secret")
        try:
            check_secret(spec.secret)
        except ValueError as error:
            raise _Refused("secret", str(error)) from None
    return ContactSpec(spec.kind, target, spec.secret)


def _normal_target(spec: ContactSpec, *, allow_private: bool) -> str:
    check_printable(spec.target)
    if spec.kind is ChannelKind.EMAIL:
        return normalize_email(spec.target)
    target = check_web_url(spec.target, allow_plain_http=allow_private)
    if not allow_private:
        check_literal(urlsplit(target).hostname or "")
    return target


def _needs_lookup(spec: ContactSpec, settings: Settings) -> bool:
    return spec.kind is not ChannelKind.EMAIL and not settings.webhook_allow_private


def _host_of(spec: ContactSpec) -> tuple[str, int]:
    parts = urlsplit(spec.target)
    return parts.hostname or "", parts.port or 443


async def _looked_up(
    index: int, spec: ContactSpec, settings: Settings, resolver: Resolver
) -> Unacceptable | None:
    host, port = _host_of(spec)
    try:
        await check_host(host, port, resolver=resolver, timeout=settings.contact_lookup_timeout)
    except ForbiddenTarget as error:
        return _refusal(index, _Refused("target", str(error)))
    return None


def _refusal(index: int, error: _Refused) -> Unacceptable:
    return Unacceptable.of_field(
        f"contacts[{index}].{error.field}", str(error), message=f"contact refused: {error}"
    )
