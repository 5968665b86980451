"""uvicorn as `serve` runs it: HTTP/1.1 over h11, with bounds on what one client may hold.

h11 rather than httptools (which uvicorn picks by itself when installed): httptools buffers a
request's headers without limit, so a client could hold the event loop and hundreds of
megabytes before authentication. On top of uvicorn's h11 protocol this module adds what it
lacks: a bound on the request head (request line and headers) answered with 431, a
deadline for the head to arrive (a slowloris, or a connection that never sends anything, is
closed), and a deadline for the body to arrive once the head has (a body trickled byte by byte
is answered 408 and its connection closed), and a request h11 cannot read (a malformed request
line or header, a bad Content-Length) answered 400 as every API error is, problem+json, where
uvicorn would answer plain text. uvicorn itself caps the connections
(`limit_concurrency`: a request arriving while more are open is answered 503 and its connection
closed) and closes idle keep-alive ones.
README "Connections and headers" documents each bound.
"""

from __future__ import annotations

import asyncio
import logging
import re
import resource
import sys
from typing import Any, ClassVar, Literal

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol, RequestResponseCycle

from budgetguard.api.problems import MEDIA_TYPE, problem
from budgetguard.config import Settings

log = logging.getLogger(__name__)

GRACEFUL_SECONDS = 30
# File descriptors besides the HTTP connections: the database pool, log files, the listening
# socket, the libraries' own.
OTHER_FILES = 64
# After refusing a head, keep reading (and dropping) what the client still sends for this
# long before closing: closing a socket with unread data resets it, and the client would
# lose the 431 it has not read yet.
LINGER_SECONDS = 2.0
_END_OF_HEAD = re.compile(rb"\n\r?\n")


def server_config(
    app: FastAPI,
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    lifespan: Literal["auto", "on", "off"] = "auto",
) -> uvicorn.Config:
    """Return uvicorn's configuration for `app` with the bounds of `settings`."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=bounded_protocol(settings),
        lifespan=lifespan,
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        # uvicorn counts the connection asking too: N + 1 lets N connections be served.
        limit_concurrency=settings.max_connections + 1,
        timeout_keep_alive=settings.keep_alive_timeout,
        h11_max_incomplete_event_size=settings.max_header_bytes,
    )


def warn_if_few_files(settings: Settings) -> None:
    """Warn when the process may open fewer files than the connections and deliveries need:
    past the limit, new connections are reset instead of answered 503."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = settings.max_connections + settings.delivery_concurrency + OTHER_FILES
    if soft != resource.RLIM_INFINITY and soft < needed:
        log.warning(
            "the process may open %d files, BUDGETGUARD_MAX_CONNECTIONS and "
            "BUDGETGUARD_DELIVERY_CONCURRENCY need about %d: raise `ulimit -n` or lower them",
            soft,
            needed,
        )


def bounded_protocol(settings: Settings) -> type[BoundedH11Protocol]:
    """Return the protocol class bound to the head and body limits of `settings`."""
    limits = {
        "max_head_bytes": settings.max_header_bytes,
        "head_timeout": settings.header_timeout,
        "body_timeout": settings.body_timeout,
    }
    return type("ConfiguredH11Protocol", (BoundedH11Protocol,), limits)


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a size limit and a deadline for each request head, and a
    deadline for each request body counted from the end of its head."""

    max_head_bytes: ClassVar[int] = 64 * 1024
    head_timeout: ClassVar[float] = 10.0
    body_timeout: ClassVar[float] = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None
        self._body_deadline: asyncio.TimerHandle | None = None
        self._timed_cycle: RequestResponseCycle | None = None
        self._lingering = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        self._stop_body_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        if self._head_too_large(data):
            self._refuse_head()
            return
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        self._await_body()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_head()  # the next request's head has the same deadline

    def _await_head(self) -> None:
        self._stop_head_timer()
        self._head_deadline = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        """Close the connection if it is still waiting for a request's head (the timer is not
        cancelled when a head arrives: a request in progress lets it pass)."""
        self._head_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.conn.send(h11.ConnectionClosed())
            self.transport.close()

    def _await_body(self) -> None:
        """Arm the body's deadline when a request whose body is still to come has just begun
        (a new cycle: its head was read, here or from the pipelined data). Called after every
        turn of uvicorn's event handling, which is where heads are read."""
        cycle = self.cycle
        if cycle is None or cycle is self._timed_cycle:
            return
        if self.conn.their_state is not h11.SEND_BODY:
            return
        self._stop_body_timer()
        self._timed_cycle = cycle
        self._body_deadline = self.loop.call_later(self.body_timeout, self._body_timed_out, cycle)

    def _stop_body_timer(self) -> None:
        if self._body_deadline is not None:
            self._body_deadline.cancel()
            self._body_deadline = None

    def _body_timed_out(self, cycle: RequestResponseCycle) -> None:
        """Answer 408 (if no response has begun) and close when the request of `cycle` is still
        sending its body; a body received in full lets the deadline pass (the app's time to
        answer is not bounded here)."""
        self._body_deadline = None
        if (
            cycle is not self.cycle
            or self.conn.their_state is not h11.SEND_BODY
            or self.transport.is_closing()
            or self._lingering
        ):
            return
        self.logger.warning("Request body incomplete %g s after its head: 408.", self.body_timeout)
        self._stop_head_timer()
        if self.conn.our_state is h11.SEND_RESPONSE:  # nothing of the app's answer sent yet
            for event in _body_timeout_events(self.body_timeout):
                self.transport.write(self.conn.send(event) or b"")
        # The app stops waiting for the body: its receive() answers http.disconnect, and
        # whatever it still sends is dropped.
        cycle.disconnected = True
        cycle.message_event.set()
        self._linger_then_close()

    def send_400_response(self, msg: str) -> None:
        """Answer a request h11 could not read with the API's problem+json and close (uvicorn
        calls this while handling h11's error, whose text names what was wrong; the request's
        own bytes that it may quote are left out of the answer)."""
        error = sys.exception()
        if isinstance(error, h11.RemoteProtocolError):
            msg = f"The request is not valid HTTP/1.1: {str(error).partition(': bytearray(')[0]}."
        for event in _problem_events(400, b"Bad Request", msg):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()

    def _head_too_large(self, data: bytes) -> bool:
        if self.conn.their_state is not h11.IDLE:
            return False  # a body: the app's body limit counts it
        buffered = self.conn.trailing_data[0]
        if len(buffered) + len(data) <= self.max_head_bytes:
            return False
        pending = buffered + data
        return _END_OF_HEAD.search(pending, 0, self.max_head_bytes) is None

    def _refuse_head(self) -> None:
        """Answer 431 and stop reading the head; close once the client has had time to read."""
        self.logger.warning("Request head over %d bytes refused.", self.max_head_bytes)
        self._stop_head_timer()
        self.transport.write(_head_refusal(self.max_head_bytes))
        self._linger_then_close()

    def _linger_then_close(self) -> None:
        """Stop reading (what arrives is dropped), end the writing side, and close once the
        client has had time to read the answer."""
        self._lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


def _body_timeout_events(seconds: float) -> list[h11.Event]:
    detail = f"The request body did not arrive in full within {seconds:g} s of its head."
    return _problem_events(408, b"Request Timeout", detail)


def _problem_events(status: int, reason: bytes, detail: str) -> list[h11.Event]:
    """A whole problem+json answer as h11 events, closing the connection."""
    body = _problem_body(status, detail)
    headers = [
        ("content-type", MEDIA_TYPE),
        ("content-length", str(len(body))),
        ("connection", "close"),
    ]
    return [
        h11.Response(status_code=status, headers=headers, reason=reason),
        h11.Data(data=body),
        h11.EndOfMessage(),
    ]


def _head_refusal(limit: int) -> bytes:
    # Written by hand: h11 sends a response only once it has read a request's head.
    body = _problem_body(431, f"The request line and headers are larger than {limit} bytes.")
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        f"content-type: {MEDIA_TYPE}\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def _problem_body(status: int, detail: str) -> bytes:
    """The body of the API's problem answer (api/problems.py), for answers uvicorn's protocol
    writes itself."""
    return bytes(problem(status, detail).body)
