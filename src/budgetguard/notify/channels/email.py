"""E-mail over SMTP (aiosmtplib): a plain-text and an HTML body from the templates."""

from __future__ import annotations

import asyncio
import email.policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

import aiosmtplib

from budgetguard.domain.notification import Notification
from budgetguard.domain.recipients import Recipient, scrub
from budgetguard.notify.channels.addresses import SmtpServer
from budgetguard.notify.channels.base import SendFailed
from budgetguard.notify.channels.templates import Templates

# Headers unfolded up to RFC 5322's hard limit: the standard library's folding of a long subject
# with a non-ASCII character puts a second space into it (CPython's header folder).
POLICY = email.policy.SMTP.clone(max_line_length=998)
SMTP_CONNECTIONS = 8
"""SMTP sessions open at once: one server takes them all, so they are few."""


def build_message(
    notification: Notification, *, to: str, sender: str, templates: Templates, key: str
) -> EmailMessage:
    """Return the e-mail for one recipient. Its Message-ID is the same on every retry."""
    rendered = templates.render(notification)
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(notification.created_at)
    domain = (getaddresses([sender])[0][1].rpartition("@")[2] or "budgetguard").strip()
    recipient = key.replace(":", "-")
    message["Message-ID"] = f"<notification-{notification.id}.{recipient}@{domain}>"
    message["X-Budgetguard-Notification-Id"] = str(notification.id)
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


class EmailTransport:
    """Sends each notification as one e-mail, one SMTP session per message."""

    def __init__(
        self, *, server: SmtpServer | None, sender: str, templates: Templates, timeout: float
    ) -> None:
        self._server = server
        self._sender = sender
        self._templates = templates
        self._timeout = timeout
        self._sessions = asyncio.Semaphore(SMTP_CONNECTIONS)

    async def send(self, notification: Notification, recipient: Recipient, *, key: str) -> None:
        server = self._server
        if server is None:
            raise SendFailed("no SMTP server is configured (BUDGETGUARD_SMTP_URL)")
        message = build_message(
            notification, to=recipient.target, sender=self._sender, templates=self._templates,
            key=key,
        )  # fmt: skip
        async with self._sessions:
            try:
                await aiosmtplib.send(
                    # Flattened here, with our policy (aiosmtplib would refold the headers).
                    message.as_bytes(),
                    sender=getaddresses([self._sender])[0][1],
                    recipients=[recipient.target],
                    hostname=server.host,
                    port=server.port,
                    username=server.username,
                    password=server.password,
                    use_tls=server.use_tls,
                    start_tls=server.start_tls,
                    timeout=self._timeout,
                )
            except (aiosmtplib.SMTPException, OSError) as error:
                detail = scrub(str(error) or "no detail", server.password)
                raise SendFailed(f"SMTP: {type(error).__name__}: {detail}"[:300]) from None

    async def aclose(self) -> None:
        """Each message has its own session: nothing stays open."""
