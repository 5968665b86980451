"""The console over real HTTP without a browser: an httpx client that keeps its cookies as a
browser would, signs in through the sign-in form, and reads the form tokens off the pages."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from budgetguard.api.dependencies import KeyRing, Runtime
from budgetguard.api.metrics import Metrics
from budgetguard.services.uow import Context
from budgetguard.web.app import create_app
from support.server import KEY, Bell, ThreadServer

PASSWORD = "correct horse battery"  # noqa: S105 - the test users' password
_HIDDEN = re.compile(r'name="csrf" value="([^"]+)"')
_ALERT = re.compile(r'<p class="error" role="alert"[^>]*>(.*?)</p>', re.S)


def token_of(page: httpx.Response) -> str:
    """The form token a page holds (the sign-in form's, or the sign-out form's)."""
    found = _HIDDEN.search(page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


def tampered(signed: str) -> str:
    """`signed` (payload.signature, as itsdangerous writes it) with its signature's first character
    changed: every bit of that one counts, where the last character of a base64 HMAC carries
    padding bits a decoder drops (changing only those would leave the signature valid)."""
    payload, dot, signature = signed.rpartition(".")
    return payload + dot + ("A" if signature[0] != "A" else "B") + signature[1:]


def alert_of(page: httpx.Response) -> str | None:
    found = _ALERT.search(page.text)
    return None if found is None else html.unescape(found.group(1))


@dataclass
class Visitor:
    """One browser's worth of cookies, talking to the console at `url`."""

    url: str
    http: httpx.Client

    def sign_in(
        self,
        name: str,
        password: str = PASSWORD,
        *,
        next: str = "/",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Open the sign-in form and post it; return the answer (not followed)."""
        form = self.http.get("/sign-in", headers=headers)
        data = {"name": name, "password": password, "csrf": token_of(form), "next": next}
        return self.http.post("/sign-in", data=data, headers=headers)

    def sign_out(self, token: str | None) -> httpx.Response:
        return self.http.post("/sign-out", data={} if token is None else {"csrf": token})

    @property
    def session(self) -> str | None:
        return self.http.cookies.get("bg_session")


@contextmanager
def visitor(url: str) -> Iterator[Visitor]:
    with httpx.Client(base_url=url, timeout=120, follow_redirects=False) as http:
        yield Visitor(url, http)


@contextmanager
def replica(context: Context) -> Iterator[str]:
    """A server of its own for `context` (another replica of the service); yield its URL."""
    runtime = Runtime(context, KeyRing({"tests": KEY}), Metrics(context), Bell())
    server = ThreadServer(create_app(runtime), context.settings)
    try:
        yield server.url
    finally:
        server.stop()
