"""What one client may hold of the server: the request head's size and time, connections.

Raw sockets against a real uvicorn configured as `serve` configures it, with small bounds.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from budgetguard.config import Settings
from support.server import ThreadServer, thread_server

CHUNK = b"a" * 65536
HUGE = 16 * 1024 * 1024


@contextlib.contextmanager
def bounded(**limits: object) -> Iterator[ThreadServer]:
    with thread_server(Settings.model_validate(limits)) as server:
        yield server


def connect(server: ThreadServer) -> socket.socket:
    return socket.create_connection(server.address, timeout=10)


def read_until_closed(sock: socket.socket, timeout: float) -> bytes:
    """Everything the server sends until it closes the connection; fails after `timeout`."""
    sock.settimeout(timeout)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def healthz_answers(server: ThreadServer) -> int:
    return httpx.get(f"{server.url}/healthz", timeout=5).status_code


def send_huge_header(sock: socket.socket) -> int:
    """Send a header line of up to 16 MB; stop as soon as the server answers or closes.
    Return the bytes sent."""
    sent = 0
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Huge: ")
    while sent < HUGE:
        if select.select([sock], [], [], 0)[0]:
            break
        try:
            sock.sendall(CHUNK)
        except OSError:
            break
        sent += len(CHUNK)
    return sent


def test_a_request_head_over_the_limit_gets_431_and_other_clients_are_served() -> None:
    with bounded(max_header_bytes=16 * 1024) as server, connect(server) as huge:
        sending = threading.Thread(target=send_huge_header, args=(huge,))
        sending.start()
        statuses = [healthz_answers(server) for _ in range(5)]
        sending.join(60)
        answer = read_until_closed(huge, timeout=15)

    assert statuses == [200] * 5
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"larger than 16384 bytes" in answer


def test_a_head_within_the_limit_is_served_and_one_byte_more_is_not() -> None:
    limit = 4096
    head = b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\nX-Pad: "
    fitting = head + b"a" * (limit - len(head) - 4) + b"\r\n\r\n"
    with bounded(max_header_bytes=limit) as server:
        with connect(server) as sock:
            sock.sendall(fitting)
            served = read_until_closed(sock, timeout=10)
        with connect(server) as sock:
            sock.sendall(fitting[:-4] + b"a\r\n\r\n")
            refused = read_until_closed(sock, timeout=10)

    assert len(fitting) == limit
    assert served.startswith(b"HTTP/1.1 200 "), served[:200]
    assert refused.startswith(b"HTTP/1.1 431 "), refused[:200]


def test_a_body_larger_than_the_head_limit_still_reaches_the_app() -> None:
    body = b"{" + b" " * 8000 + b"}"
    head = (
        b"POST /v1/spend HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    with bounded(max_header_bytes=1024) as server, connect(server) as sock:
        sock.sendall(head + body)  # one segment: the head and a body 8 times the limit
        answer = read_until_closed(sock, timeout=10)

    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]


@pytest.mark.parametrize(
    ("request_head", "why"),
    [
        (b"GET /v1/shops/1 HTTP/1.1\r\nHost: t\r\nContent-Length: \r\n\r\n", "bad Content-Length"),
        (b"GET /healthz HTTP/1.1\r\n\r\n", "Missing mandatory Host: header"),
        (b"GE<T /healthz HTTP/1.1\r\nHost: test\r\n\r\n", "illegal request line"),
        (b"GET /healthz HTTP/1.1\r\nHost: test\r\nBad<Header: 1\r\n\r\n", "illegal header line"),
    ],
)
def test_a_request_that_is_not_valid_http_gets_a_problem_naming_what_is_wrong(
    request_head: bytes, why: str
) -> None:
    """uvicorn answers these itself, before the app, in plain text; the API's errors are
    problem+json, these included (found by the contract test's generated headers)."""
    with bounded() as server:
        with connect(server) as sock:
            sock.sendall(request_head)
            answer = read_until_closed(sock, timeout=10)
        served = healthz_answers(server)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer[:300]
    assert b"content-type: application/problem+json" in head.lower()
    assert b"<" not in body, "the request's own bytes are not sent back"
    problem = json.loads(body)
    assert (problem["status"], problem["detail"]) == (
        400,
        f"The request is not valid HTTP/1.1: {why}.",
    )
    assert served == 200


def test_beyond_the_connection_cap_a_request_gets_a_fast_503_not_a_reset() -> None:
    with bounded(max_connections=4, header_timeout=60, keep_alive_timeout=60) as server:
        held = [connect(server) for _ in range(4)]
        for sock in held:  # served once each, then idle: every one is open at the server
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        with connect(server) as extra:
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            beyond = read_until_closed(extra, timeout=15)
        answered_within = time.monotonic() - started
        for sock in held:
            sock.close()
        after = _eventually_ok(server)

    assert beyond.startswith(b"HTTP/1.1 503 "), beyond[:200]
    assert answered_within < 15
    assert after == 200


def _eventually_ok(server: ThreadServer, tries: int = 50) -> int:
    """/healthz once the server has seen the held connections close (it notices at once on
    loopback; a few tries allow for the event loop's turn)."""
    status = 0
    for _ in range(tries):
        status = healthz_answers(server)
        if status == 200:
            break
        time.sleep(0.1)
    return status


def test_a_slowloris_is_closed_after_the_head_timeout() -> None:
    with bounded(header_timeout=1.0) as server, connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
        started = time.monotonic()
        closed_after = None
        while time.monotonic() - started < 20:  # a header line every 0.2 s, never the end
            if select.select([sock], [], [], 0.2)[0]:
                assert sock.recv(65536) == b"", "no answer: the connection is just closed"
                closed_after = time.monotonic() - started
                break
            try:
                sock.sendall(b"X-Drip: a\r\n")
            except OSError:
                closed_after = time.monotonic() - started
                break
        still_served = healthz_answers(server)

    assert closed_after is not None, "the slow head was still being read after 20 s"
    assert closed_after < 10
    assert still_served == 200


@pytest.mark.parametrize(
    ("served_before", "header_timeout", "keep_alive_timeout"),
    [(False, 1.0, 60), (True, 1.0, 60), (True, 60, 1)],
    ids=["fresh-head-deadline", "kept-alive-head-deadline", "kept-alive-idle-timeout"],
)
def test_a_connection_that_sends_nothing_is_closed(
    served_before: bool, header_timeout: float, keep_alive_timeout: int
) -> None:
    limits = {"header_timeout": header_timeout, "keep_alive_timeout": keep_alive_timeout}
    with bounded(**limits) as server, connect(server) as sock:
        if served_before:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        received = read_until_closed(sock, timeout=10)

    assert received == b""


def trickle_body(sock: socket.socket, path: bytes, seconds: float) -> tuple[bytes, float | None]:
    """Send a head announcing a 1000-byte body, then one byte of it every 0.3 s for up to
    `seconds`, stopping once the server answers or closes. Return what the server sent and
    after how long it answered (None: no answer within `seconds`)."""
    sock.sendall(
        b"PUT %s HTTP/1.1\r\nHost: test\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n" % path
    )
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if select.select([sock], [], [], 0.3)[0]:
            break
        try:
            sock.sendall(b" ")
        except OSError:
            break
    else:
        return b"", None
    answered_after = time.monotonic() - started
    try:
        return read_until_closed(sock, timeout=10), answered_after
    except ConnectionResetError:
        return b"", answered_after


def test_a_body_trickled_past_the_body_timeout_gets_408_and_is_closed() -> None:
    limits = {"header_timeout": 1.0, "body_timeout": 2.0, "keep_alive_timeout": 60}
    with bounded(**limits) as server, connect(server) as sock:
        answer, answered_after = trickle_body(sock, b"/v1/shops/1/contacts", seconds=20)
        still_served = healthz_answers(server)

    assert answered_after is not None, "the trickled body was still being read after 20 s"
    assert 1.5 < answered_after < 10
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"connection: close" in answer.lower()
    assert b"application/problem+json" in answer
    assert b"within 2 s of its head" in answer
    assert still_served == 200


def test_connections_trickling_bodies_hold_the_connection_cap_only_until_the_body_timeout() -> None:
    # A body timeout of 3 s: room for the 503 below to be asked while the bodies still trickle.
    limits = {"max_connections": 4, "header_timeout": 1.0, "body_timeout": 3.0}
    with bounded(**limits) as server:
        socks = [connect(server) for _ in range(4)]
        threads = [
            threading.Thread(target=trickle_body, args=(sock, b"/v1/shops/1/contacts", 20))
            for sock in socks
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        while_held = healthz_answers(server)
        started = time.monotonic()
        after = _eventually_ok(server, tries=250)
        freed_after = time.monotonic() - started
        for thread in threads:
            thread.join(30)
        for sock in socks:
            sock.close()

    assert while_held == 503  # the cap is real: four trickling bodies hold it...
    assert after == 200  # ...but only until their deadline (3 s) and the 2 s linger
    assert freed_after < 20


def send_in_chunks(sock: socket.socket, body: bytes, pause: float) -> bytes:
    """Send a POST /v1/spend of `body` in 5-byte chunks `pause` apart; return the answer."""
    sock.sendall(
        b"POST /v1/spend HTTP/1.1\r\nHost: test\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    for start in range(0, len(body), 5):
        time.sleep(pause)
        sock.sendall(body[start : start + 5])
    return sock.recv(65536)


def test_bodies_sent_in_chunks_within_the_body_timeout_are_served_kept_alive() -> None:
    body = b'{"events": []}'  # 3 chunks 0.5 s apart: 1.5 s, past the head's deadline
    # The body's deadline far beyond the 1.5 s it takes, so that a pause of the machine
    # cannot turn the answer into a 408.
    limits = {"header_timeout": 1.0, "body_timeout": 10.0, "keep_alive_timeout": 60}
    with bounded(**limits) as server, connect(server) as sock:
        first = send_in_chunks(sock, body, pause=0.5)
        second = send_in_chunks(sock, body, pause=0.5)  # 3 s after the first head
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        third = sock.recv(65536)

    assert first.startswith(b"HTTP/1.1 401 "), first[:200]  # the app's answer: no key
    assert second.startswith(b"HTTP/1.1 401 "), second[:200]
    assert third.startswith(b"HTTP/1.1 200 "), third[:200]
