"""Contacts changed by many clients at once, over real HTTP, on every database (issue 11,
defect 5): no request fails, and each shop ends with exactly the set one of its PUTs asked for."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from support.server import AUTH, api_in_thread
from support.world import World

SHOPS = (11, 12, 13)
CLIENTS = 18
REQUESTS = 10  # per client: 180 requests in all
HOST = "https://93.184.215.14"  # a public address, never contacted here


def contact_set(client: int, request: int) -> list[dict[str, str]]:
    """What one PUT asks for: shared targets (every client inserts them) and one of its own."""
    return [
        {"kind": "email", "target": "owner@example.com"},
        {"kind": "webhook", "target": f"{HOST}/hook-{request % 2}"},
        {"kind": "slack", "target": f"{HOST}/services/T{client}/B{request}"},
    ]


def as_listed(contacts: list[dict[str, Any]]) -> frozenset[tuple[str, str]]:
    return frozenset((c["kind"], c["target"]) for c in contacts)


@pytest.fixture
def url(world: World) -> Iterator[str]:
    for shop in SHOPS:
        world.platform.add_shop(shop)
    with api_in_thread(world.context) as (base, _runtime, _bell):
        yield base


def _client(url: str, client: int, *, deleting: bool) -> list[tuple[int, int, str]]:
    """Send this client's requests; return (shop, status, body) of each."""
    answers = []
    with httpx.Client(base_url=url, headers=AUTH, timeout=120) as http:
        for request in range(REQUESTS):
            shop = SHOPS[0] if client % 2 else SHOPS[(client + request) % len(SHOPS)]
            path = f"/v1/shops/{shop}/contacts"
            if deleting and request % 3 == 2:
                answer = http.delete(path)
            else:
                answer = http.put(path, json={"contacts": contact_set(client, request)})
            answers.append((shop, answer.status_code, answer.text))
    return answers


def _race(url: str, *, deleting: bool) -> list[tuple[int, int, str]]:
    with ThreadPoolExecutor(CLIENTS) as pool:
        runs = [pool.submit(_client, url, c, deleting=deleting) for c in range(CLIENTS)]
        return [answer for run in runs for answer in run.result()]


def _possible_sets(deleting: bool) -> set[frozenset[tuple[str, str]]]:
    sets = {
        frozenset((c["kind"], c["target"].replace(f"/services/T{client}/B{request}", "/…"))
                  for c in contact_set(client, request))
        for client in range(CLIENTS) for request in range(REQUESTS)
    }  # fmt: skip
    return sets | {frozenset()} if deleting else sets


@pytest.mark.parametrize("deleting", [False, True], ids=["puts", "puts-and-deletes"])
def test_concurrent_puts_of_a_shops_contacts_all_succeed(url: str, *, deleting: bool) -> None:
    answers = _race(url, deleting=deleting)

    failed = [(status, body[:200]) for _shop, status, body in answers if status >= 300]
    assert failed == []
    with httpx.Client(base_url=url, headers=AUTH) as http:
        final = {s: http.get(f"/v1/shops/{s}/contacts").json()["contacts"] for s in SHOPS}
    for shop, contacts in final.items():
        assert as_listed(contacts) in _possible_sets(deleting), (shop, contacts)
        assert len(contacts) in ({0, 3} if deleting else {3})
