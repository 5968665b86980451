"""Server-side request forgery guard: webhooks never reach loopback, private or link-local hosts.

The address is checked where the connection is made: the HTTP client's network backend resolves
the host, refuses it when any of its addresses is not public, and connects to the address it
checked. So a name that resolves differently between a check and the connection (DNS rebinding)
cannot slip through. `BUDGETGUARD_WEBHOOK_ALLOW_PRIVATE=1` turns the guard off (local testing).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from budgetguard.domain.recipients import forbidden_address


class ForbiddenTarget(Exception):
    """The host resolves to an address budgetguard must not connect to."""


def _check(host: str, infos: Iterable[tuple[Any, ...]]) -> str:
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise ForbiddenTarget(f"{host} resolves to no address")
    for address in addresses:
        if forbidden_address(address):
            raise ForbiddenTarget(
                f"{host} resolves to {address}, a loopback, private or link-local address "
                "(BUDGETGUARD_WEBHOOK_ALLOW_PRIVATE=1 allows it for testing)"
            )
    return addresses[0]


def check_host(host: str, port: int) -> None:
    """Refuse `host` unless every address it resolves to now is public (blocking; for adding)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ForbiddenTarget(f"cannot resolve {host}: {error}") from None
    _check(host, infos)


async def public_address(host: str, port: int) -> str:
    """Return an address of `host` to connect to, if every address it resolves to is public."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ForbiddenTarget(f"cannot resolve {host}: {error}") from None
    return _check(host, infos)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """A network backend that connects only to public addresses, checked at connection time."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await public_address(host, port)
        # TLS still verifies the certificate against the URL's host name (httpcore's SNI).
        return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise ForbiddenTarget("unix sockets are not webhook targets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the guarded network backend (httpx has no option for one)."""

    def __init__(self, *, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        # Same pool as httpx builds, plus our backend; httpx is pinned below 0.29 for this.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(),
        )
