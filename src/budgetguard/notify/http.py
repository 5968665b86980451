"""Posting to webhooks: one shared HTTP client, timeouts, no redirects, a cap on what is read."""

from __future__ import annotations

import asyncio

import httpx

from budgetguard import __version__
from budgetguard.domain.recipients import scrub
from budgetguard.notify.channel import SendFailed
from budgetguard.notify.guard import ForbiddenTarget, GuardedTransport

RESPONSE_LIMIT = 64 * 1024
"""Bytes of a response body read at most; the rest is never read (the connection is dropped)."""
ERROR_DETAIL_LIMIT = 200


def make_client(*, timeout: float, connections: int, allow_private: bool) -> httpx.AsyncClient:
    """Return the client every webhook shares: pooled keep-alive connections, no redirects."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    transport = (
        httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
        if allow_private
        else GuardedTransport(limits=limits)
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": f"budgetguard/{__version__}"},
    )


async def post(
    client: httpx.AsyncClient,
    url: str,
    *,
    content: bytes,
    headers: dict[str, str],
    timeout: float,
) -> None:
    """POST `content`; return when the answer is 2xx, else raise SendFailed (410: gone)."""
    try:
        async with asyncio.timeout(timeout):
            status = await _post(client, url, content=content, headers=headers)
    except TimeoutError:
        raise SendFailed(f"no complete answer within {timeout:g} s") from None
    except ForbiddenTarget as error:
        raise SendFailed(f"refused: {error}") from None
    except httpx.HTTPError as error:
        detail = scrub(str(error) or "no detail", url)[:ERROR_DETAIL_LIMIT]
        raise SendFailed(f"{type(error).__name__}: {detail}") from None
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        raise SendFailed(f"HTTP {status}: redirects are not followed")
    raise SendFailed(f"HTTP {status}", gone=status == 410)


async def _post(
    client: httpx.AsyncClient, url: str, *, content: bytes, headers: dict[str, str]
) -> int:
    async with client.stream("POST", url, content=content, headers=headers) as response:
        # Read a little of the body, so a short answer keeps the connection reusable; a huge or
        # endless one is cut off (closing an unread response drops its connection).
        read = 0
        async for chunk in response.aiter_raw():
            read += len(chunk)
            if read >= RESPONSE_LIMIT:
                break
        return response.status_code
