"""Posting to webhooks: one shared HTTP client (aiohttp), timeouts, no redirects, a read limit.

aiohttp rather than httpx: on the delivery benchmark httpx cost 1.2-1.6 ms of CPU per request
on this 2-core machine (its connection pool scans every connection for every request), which
caps a worker below the 1,000 deliveries/s target; aiohttp costs about 0.2 ms.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache

import aiohttp
import yarl

from budgetguard import __version__
from budgetguard.domain.recipients import scrub
from budgetguard.notify.channels.base import SendFailed
from budgetguard.notify.channels.guard import ForbiddenTarget, GuardedResolver, check_literal

RESPONSE_LIMIT = 64 * 1024
"""Bytes of a response body read at most; the rest is never read (the connection is dropped)."""
ERROR_DETAIL_LIMIT = 200


@lru_cache(maxsize=4096)
def _parsed(url: str) -> yarl.URL:
    """`url` as aiohttp reads it, parsed once per target rather than once per request."""
    return yarl.URL(url)


class HttpClient:
    """The HTTP client every webhook and Slack message shares (keep-alive connections)."""

    def __init__(self, *, timeout: float, connections: int, allow_private: bool) -> None:
        self._timeout = timeout
        self._allow_private = allow_private
        connector = aiohttp.TCPConnector(
            limit=connections, resolver=None if allow_private else GuardedResolver()
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            # No timers of aiohttp's own: `post` bounds the whole exchange with one (aiohttp's
            # read timeout was re-armed at every chunk received, a cost paid per request).
            timeout=aiohttp.ClientTimeout(total=None, connect=None, sock_connect=None),
            headers={"user-agent": f"budgetguard/{__version__}"},
            trust_env=False,  # no proxy from the environment: it would bypass the guard
        )

    async def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> None:
        """POST `content`; return when the answer is 2xx, else raise SendFailed (410: gone)."""
        try:
            target = _parsed(url)
            if not self._allow_private:
                # The host as aiohttp will connect to it (yarl folds full-width digits and
                # ideographic full stops into an IP address that skips the resolver).
                if target.scheme != "https":
                    raise ForbiddenTarget("the URL is not HTTPS")
                check_literal(target.host or "")
            async with asyncio.timeout(self._timeout):
                status = await self._post(target, content=content, headers=headers)
        except TimeoutError:
            raise SendFailed(f"no complete answer within {self._timeout:g} s") from None
        except ForbiddenTarget as error:
            raise SendFailed(f"refused: {error}") from None
        except aiohttp.ClientError as error:
            detail = scrub(str(error) or "no detail", url)[:ERROR_DETAIL_LIMIT]
            raise SendFailed(f"{type(error).__name__}: {detail}") from None
        if 200 <= status < 300:
            return
        if 300 <= status < 400:
            raise SendFailed(f"HTTP {status}: redirects are not followed")
        raise SendFailed(f"HTTP {status}", gone=status == 410)

    async def _post(self, url: yarl.URL, *, content: bytes, headers: dict[str, str]) -> int:
        async with self._session.post(
            url, data=content, headers=headers, allow_redirects=False
        ) as response:
            # Read a little of the body, so a short answer keeps the connection reusable; a huge
            # or endless one is cut off and its connection closed.
            read = 0
            async for chunk in response.content.iter_any():
                read += len(chunk)
                if read >= RESPONSE_LIMIT:
                    response.close()
                    break
            return response.status

    async def aclose(self) -> None:
        await self._session.close()
