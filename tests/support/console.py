"""Signing in to the console over real HTTP, as a browser without JavaScript does."""

from __future__ import annotations

import re

import httpx

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The form token of the first form on a page."""
    found = _CSRF.search(html)
    assert found is not None, "no csrf field on the page"
    return found[1]


def signed_in_client(url: str, name: str, password: str) -> httpx.Client:
    """A client of the console at `url`, signed in as `name` (its cookies kept); the caller
    closes it."""
    client = httpx.Client(base_url=url, timeout=60)
    form = client.get("/sign-in")
    form.raise_for_status()
    done = client.post(
        "/sign-in", data={"name": name, "password": password, "csrf": csrf_of(form.text)}
    )
    assert done.status_code == 303, f"signing in as {name} failed: {done.status_code}"
    return client
