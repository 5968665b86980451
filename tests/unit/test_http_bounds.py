"""The HTTP server's bounds as settings: refused when unusable, checked against `ulimit -n`."""

from __future__ import annotations

import logging
import resource
from collections.abc import Iterator

import pytest

from budgetguard.config import Settings, load_settings
from budgetguard.domain.errors import ConfigError
from budgetguard.server.http import bounded_protocol, warn_if_few_files


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BUDGETGUARD_MAX_HEADER_BYTES", "100"),
        ("BUDGETGUARD_MAX_CONNECTIONS", "0"),
        ("BUDGETGUARD_HEADER_TIMEOUT", "0"),
        ("BUDGETGUARD_BODY_TIMEOUT", "0"),
        ("BUDGETGUARD_BODY_TIMEOUT", "3601"),
        ("BUDGETGUARD_KEEP_ALIVE_TIMEOUT", "soon"),
        ("BUDGETGUARD_METRICS_CACHE_SECONDS", "-1"),
    ],
)
def test_an_unusable_bound_is_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError, match=f"^{name}: "):
        load_settings()


@pytest.fixture
def few_files() -> Iterator[int]:
    """This process may open 256 files for the test's duration."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        yield 256
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_serve_warns_when_the_file_limit_is_below_what_the_bounds_need(
    few_files: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        warn_if_few_files(Settings(max_connections=100, delivery_concurrency=50))
        quiet = list(caplog.messages)
        warn_if_few_files(Settings(max_connections=512, delivery_concurrency=200))

    assert quiet == []
    assert caplog.messages == [
        "the process may open 256 files, BUDGETGUARD_MAX_CONNECTIONS and "
        "BUDGETGUARD_DELIVERY_CONCURRENCY need about 776: raise `ulimit -n` or lower them"
    ]


def test_the_body_timeout_defaults_to_30_seconds_and_reaches_the_protocol() -> None:
    assert Settings().body_timeout == 30
    assert bounded_protocol(Settings(body_timeout=3600)).body_timeout == 3600
