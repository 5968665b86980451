"""Real receivers on loopback: an HTTP server that verifies Standard Webhooks signatures with the
reference library, and an SMTP server (aiosmtpd) that keeps what it was sent."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from standardwebhooks import Webhook, WebhookVerificationError

HANG = "hang"
GARBAGE = "garbage"
REDIRECT = "redirect"
HUGE = "huge"
SLOW = "slow"
"""Answers 200 once `release` is set."""


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    payload: Any | None
    """The JSON the reference library verified, or None when the signature did not verify."""
    answer: int | str


@dataclass
class WebhookReceiver:
    """Answers each request with the next scripted answer (an HTTP status or a misbehaviour),
    then with `default`; verifies signatures with `secret` when it has one."""

    secret: str | None = None
    script: list[int | str] = field(default_factory=list)
    default: int | str = 200
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def next_answer(self) -> int | str:
        with self._lock:
            return self.script.pop(0) if self.script else self.default

    def record(self, handler: BaseHTTPRequestHandler, body: bytes, answer: int | str) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        payload = None
        if self.secret is not None:
            try:
                payload = Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError:
                payload = None
        with self._lock:
            self.received.append(Received(handler.path, headers, body, payload, answer))
        self.arrived.set()

    @property
    def ids(self) -> list[str]:
        return [r.headers.get("webhook-id", "") for r in self.received]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: WebhookReceiver


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        answer = receiver.next_answer()
        receiver.record(self, body, answer)
        if answer == HANG:
            receiver.release.wait(30)
            self.close_connection = True
        elif answer == GARBAGE:
            self.wfile.write(b"\x00\x01 this is not HTTP \xff\r\n\r\n")
            self.close_connection = True
        elif answer == HUGE:
            self._huge()
        elif answer == SLOW:
            receiver.release.wait(30)
            self._answer(200)
        else:
            self._answer(302 if answer == REDIRECT else int(answer))

    def _answer(self, status: int) -> None:
        self.send_response(status)
        if status == 302:
            self.send_header("location", "http://127.0.0.1:9/elsewhere")
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def _huge(self) -> None:
        chunk = b"x" * 65536
        self.send_response(200)
        self.send_header("content-length", str(len(chunk) * 800))  # 50 MiB
        self.end_headers()
        try:
            for _ in range(800):
                self.wfile.write(chunk)
        except OSError:
            self.close_connection = True  # the sender stopped reading: as it should

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def webhook_receiver(receiver: WebhookReceiver | None = None) -> Iterator[WebhookReceiver]:
    """Serve `receiver` on a loopback port for the length of the block."""
    receiver = receiver or WebhookReceiver()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = receiver
    receiver.port = server.server_address[1]
    # A short poll: shutdown() waits for the loop to look (0.5 s by default).
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class SmtpInbox:
    """What the SMTP server received: (envelope sender, recipients, parsed message)."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    encrypted: list[bool] = field(default_factory=list)
    """Per message: whether its session was encrypted (STARTTLS or implicit TLS)."""
    port: int = 0
    delay: float = 0.0
    """Seconds the server takes over each message before it answers (a slow server)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        # STARTTLS sets session.ssl; implicit TLS shows in the transport.
        implicit = server.transport.get_extra_info("ssl_object") is not None
        self.encrypted.append(session.ssl is not None or implicit)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(
    *,
    login: tuple[str, str] | None = None,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    delay: float = 0.0,
) -> Iterator[SmtpInbox]:
    """Run an aiosmtpd server on a loopback port; require `login` when given.

    `starttls`: the server offers STARTTLS with this context and requires it (before login too).
    `implicit_tls`: the server speaks TLS from the first byte (smtps://), with this context.
    """
    inbox = SmtpInbox(port=_free_port(), delay=delay)

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        given = (auth.login.decode(), auth.password.decode())
        inbox.logins.append(given)
        return AuthResult(success=given == login)

    options: dict[str, Any] = {}
    if login is not None:
        options = {"authenticator": authenticate, "auth_require_tls": starttls is not None}
    if starttls is not None:
        options |= {"tls_context": starttls, "require_starttls": True}
    if implicit_tls is not None:
        options["ssl_context"] = implicit_tls
    # ready_timeout: aiosmtpd's 5 s default for its thread to come up is short on a busy machine.
    controller = Controller(
        inbox, hostname="127.0.0.1", port=inbox.port, ready_timeout=30, **options
    )
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def payload_of(received: Received) -> dict[str, Any]:
    return dict(json.loads(received.body))
