"""Adding contacts while the DNS resolver never answers (issue 11, defect 8), over real HTTP:
each PUT is refused (422 naming the target) within its lookup timeout, nothing is stored, and
the rest of the API keeps answering meanwhile."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest

from support.resolvers import SilentResolver, silent_resolver
from support.server import AUTH, api_in_thread
from support.world import World

# Long enough for the other requests below to be answered while every PUT is still waiting, on
# a busy machine (48 clients to build first; the first PUT's timer starts as it arrives).
LOOKUP_TIMEOUT = 8.0
PUTS = 48  # more than the request threads of the test server (anyio's 40) and of serve (8)
BUSY_LOOKUPS = 16  # the guard's lookup threads: all of them held by the silent resolver
KEPT = {"kind": "email", "target": "owner@example.com"}


@pytest.fixture
def silent() -> Iterator[SilentResolver]:
    with silent_resolver() as resolver:
        yield resolver


@pytest.fixture
def url(world: World, silent: SilentResolver) -> Iterator[str]:
    world.platform.add_shop(1)
    slow = world.with_settings(contact_lookup_timeout=LOOKUP_TIMEOUT)
    with api_in_thread(slow.context, resolver=silent) as (base, _runtime, _bell):
        yield base


def _put(url: str, index: int) -> tuple[httpx.Response, float]:
    body = {"contacts": [{"kind": "webhook", "target": f"https://hook-{index}.example/budget"}]}
    started = time.monotonic()
    with httpx.Client(base_url=url, headers=AUTH, timeout=120) as http:
        answer = http.put("/v1/shops/1/contacts", json=body)
    return answer, time.monotonic() - started


def _wait_until(condition: str, test: Callable[[], bool], deadline: float = 30) -> None:
    end = time.monotonic() + deadline
    while not test():
        assert time.monotonic() < end, f"gave up waiting until {condition}"
        time.sleep(0.02)


def test_a_resolver_that_never_answers_refuses_each_put_in_time_and_stalls_nobody(
    url: str, silent: SilentResolver
) -> None:
    with httpx.Client(base_url=url, headers=AUTH, timeout=60) as http:
        assert http.put("/v1/shops/1/contacts", json={"contacts": [KEPT]}).status_code == 200
        with ThreadPoolExecutor(PUTS) as pool:
            puts: list[Future[tuple[httpx.Response, float]]] = [
                pool.submit(_put, url, i) for i in range(PUTS)
            ]
            _wait_until("the lookups hang", lambda: silent.waiting >= BUSY_LOOKUPS)
            others = [http.get("/v1/shops/1/contacts") for _ in range(3)]
            others.append(http.get("/healthz"))
            answered_while_stuck = not any(put.done() for put in puts)
            done = [put.result() for put in puts]

    assert [o.status_code for o in others] == [200] * 4
    assert answered_while_stuck, "the other requests waited for the stuck lookups"
    assert {answer.status_code for answer, _ in done} == {422}
    problem = done[0][0].json()
    assert problem["errors"][0]["field"] == "contacts[0].target"
    assert "hook-0.example did not resolve within 8 s" in problem["detail"]
    # A bound, not a speed: the timeout, plus generous room for a machine shared with others.
    assert max(seconds for _, seconds in done) < LOOKUP_TIMEOUT + 12
    with httpx.Client(base_url=url, headers=AUTH) as http:
        kept = http.get("/v1/shops/1/contacts").json()["contacts"]
    assert [c["target"] for c in kept] == [KEPT["target"]], "nothing was stored"
