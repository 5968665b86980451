"""Server-side request forgery guard: webhooks never reach loopback, private or link-local hosts.

The address is checked where the connection is made: the HTTP client's resolver refuses a name
when any of the addresses it resolves to is not public, and the client connects to the addresses
it checked, so a name that resolves differently between a check and the connection (DNS
rebinding) cannot slip through. An address written in the URL is checked before the request.
`BUDGETGUARD_WEBHOOK_ALLOW_PRIVATE=1` turns the guard off (local testing).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

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


def check_host(host: str, port: int) -> None:
    """Refuse `host` unless every address it resolves to now is public (blocking; for adding)."""
    if is_address(host):
        _refuse(host, [host])
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ForbiddenTarget(f"cannot resolve {host}: {error}") from None
    _refuse(host, (str(info[4][0]) for info in infos))


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
