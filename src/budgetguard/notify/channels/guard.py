"""Server-side request forgery guard: webhooks never reach loopback, private or link-local hosts.

The address is checked where the connection is made: the HTTP client's resolver refuses a name
when any of the addresses it resolves to is not public, and the client connects to the addresses
it checked, so a name that resolves differently between a check and the connection (DNS
rebinding) cannot slip through. An address written in the URL is checked before the request.
`BUDGETGUARD_WEBHOOK_ALLOW_PRIVATE=1` turns the guard off (local testing).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from typing import Protocol

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from budgetguard.domain.recipients import forbidden_address


class ForbiddenTarget(Exception):
    """The host is, or resolves to, an address budgetguard must not connect to."""


def _refuse(host: str, addresses: Iterable[str]) -> None:
    found = list(addresses)
    if not found:
        raise ForbiddenTarget(f"{host} resolves to no address")
    for address in found:
        if forbidden_address(address):
            shown = host if host == address else f"{host} resolves to {address}, which"
            raise ForbiddenTarget(
                f"{shown} is a loopback, private or link-local address "
                "(BUDGETGUARD_WEBHOOK_ALLOW_PRIVATE=1 allows it for testing)"
            )


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def check_literal(host: str) -> None:
    """Refuse a URL whose host is written as a forbidden address (no resolver sees those)."""
    if is_address(host):
        _refuse(host, [host])


class Resolver(Protocol):
    """Resolves a host name to its addresses, blocking as getaddrinfo does; raises OSError
    (or UnicodeError, for a name IDNA cannot encode) when it cannot."""

    def __call__(self, host: str, port: int) -> list[str]: ...


def system_resolver(host: str, port: int) -> list[str]:
    """The system's resolver (getaddrinfo): what the HTTP client's resolver asks too."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


LOOKUP_THREADS = 16
"""Lookups of contacts' hosts in flight at once; more wait their turn (within their timeout)."""


@cache
def _lookups() -> ThreadPoolExecutor:
    # Threads of their own: a resolver that never answers holds one of these until the system
    # gives up, never a thread that serves requests. Made at first use, never at import.
    return ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="contact-lookup")


async def check_host(host: str, port: int, *, resolver: Resolver, timeout: float) -> None:
    """Refuse `host` unless every address it resolves to now, within `timeout` seconds, is
    public. The lookup runs in the guard's own threads; the caller's loop waits for it without
    holding a thread."""
    if is_address(host):
        _refuse(host, [host])
        return
    lookup: Future[list[str]] = _lookups().submit(resolver, host, port)
    try:
        async with asyncio.timeout(timeout):
            addresses = await asyncio.wrap_future(lookup)
    except TimeoutError:
        raise _too_slow(host, timeout) from None
    except (OSError, UnicodeError) as error:
        raise ForbiddenTarget(f"cannot resolve {host}: {error}") from None
    _refuse(host, addresses)


def _too_slow(host: str, timeout: float) -> ForbiddenTarget:
    return ForbiddenTarget(
        f"{host} did not resolve within {timeout:g} s (BUDGETGUARD_CONTACT_LOOKUP_TIMEOUT)"
    )


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp does, and refuses names that lead to non-public addresses."""

    def __init__(self) -> None:
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            results = await self._inner.resolve(host, port, family)
        except OSError as error:
            raise ForbiddenTarget(f"cannot resolve {host}: {error}") from None
        _refuse(host, (result["host"] for result in results))
        return results

    async def close(self) -> None:
        await self._inner.close()
