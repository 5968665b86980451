"""Fixtures for driving the HTTP API over real loopback HTTP, on every database."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from support.api import Api
from support.server import AUTH, api_in_thread, stop_shared_server
from support.world import World


@pytest.fixture(scope="session", autouse=True)
def _shared_server() -> Iterator[None]:
    """Stop the session's API server (started by the first test that needs it) at the end."""
    yield
    stop_shared_server()


@pytest.fixture
def api(world: World) -> Iterator[Api]:
    with (
        api_in_thread(world.context) as (url, runtime, bell),
        httpx.Client(base_url=url, headers=AUTH, timeout=120) as http,
    ):
        yield Api(url, http, runtime, bell, world)
