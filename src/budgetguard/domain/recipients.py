"""Who hears about a notification: shop contacts, operator channels, the console.

Pure rules about recipients' addresses: which URLs are acceptable, which network addresses are
off limits (server-side request forgery), how a recipient is named in messages without giving
away a secret.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from budgetguard.domain.text import UNSAFE

TARGET_LIMIT = 512
"""Longest e-mail address or URL a contact may have (it is part of a unique key)."""

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not a secret
_SECRET_BODY = re.compile(r"^[A-Za-z0-9+/]{16,240}={0,2}$")
_CREDENTIALS_IN_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_WHSEC = re.compile(r"whsec_[A-Za-z0-9+/=]+")


class ChannelKind(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    SLACK = "slack"
    CONSOLE = "console"


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where one delivery goes: a kind, an address or URL, and a webhook's signing secret."""

    kind: ChannelKind
    target: str = ""
    secret: str | None = None

    @property
    def label(self) -> str:
        """The recipient as people may see it: no secret, no credential, no Slack token."""
        if self.kind is ChannelKind.CONSOLE:
            return "console"
        if self.kind is ChannelKind.EMAIL:
            return self.target
        return display_url(self.target, keep_path=self.kind is ChannelKind.WEBHOOK)


# A delivery record names its recipient by a key without a secret in it: `console`,
# `operator:<hash of the channel's URL>`, or `contact:<contact id>` (built in SQL by dispatch).
CONSOLE_KEY = "console"
OPERATOR_PREFIX = "operator:"
CONTACT_PREFIX = "contact:"


def operator_key(url: str) -> str:
    """Return the recipient key of an operator channel: stable, and no secret in it."""
    return OPERATOR_PREFIX + hashlib.sha256(url.encode()).hexdigest()[:16]


def is_operator_key(key: str) -> bool:
    """Whether a delivery record's recipient key names an operator channel."""
    return key.startswith(OPERATOR_PREFIX)


@dataclass(frozen=True, slots=True)
class Route:
    """A recipient that every notification goes to: an operator channel, or the console."""

    key: str
    kind: ChannelKind


@dataclass(frozen=True, slots=True)
class Contact:
    """One of a shop's recipients. The webhook secret is kept out of `repr`."""

    id: int
    shop_id: int
    kind: ChannelKind
    target: str
    created_at: datetime
    disabled_at: datetime | None = None
    disabled_reason: str | None = None
    secret: str | None = field(default=None, repr=False)
    unreadable: str | None = None
    """Why its sealed URL and secret cannot be read (no key, or a wrong one); None when they can.
    A delivery to it fails and is retried; `target` is then a stand-in without secrets."""

    @property
    def recipient(self) -> Recipient:
        return Recipient(self.kind, self.target, self.secret)

    @property
    def shown_target(self) -> str:
        """The address or URL as people may see it: as the logs and `deliveries list` name it
        (`Recipient.label`: no credentials, no query; a Slack URL's path is its token)."""
        return self.recipient.label


def parse_operator_channel(url: str, *, allow_plain_http: bool) -> Recipient:
    """Read one URL of BUDGETGUARD_OPERATOR_CHANNELS.

    `mailto:ops@example.com` is e-mail; `slack+https://…` or `https://hooks.slack.com/…` is a
    Slack incoming webhook; any other `https://…#whsec_…` is a signed webhook whose secret is
    the fragment (a fragment is never sent over HTTP); `console:` is standard output.
    """
    scheme = url.split(":", 1)[0].lower()
    if scheme == "console":
        return Recipient(ChannelKind.CONSOLE)
    if scheme == "mailto":
        return Recipient(ChannelKind.EMAIL, url.split(":", 1)[1])
    if scheme.startswith("slack+"):
        target = url.split("+", 1)[1]
        return Recipient(
            ChannelKind.SLACK, check_web_url(target, allow_plain_http=allow_plain_http)
        )
    if scheme not in {"http", "https"}:
        raise ValueError(f"unknown kind of channel {display_url(url)!r}")
    if urlsplit(url).hostname == "hooks.slack.com":
        return Recipient(ChannelKind.SLACK, check_web_url(url, allow_plain_http=allow_plain_http))
    base, _, secret = url.partition("#")
    if not secret:
        raise ValueError(f"the webhook {display_url(url)!r} needs its secret as #whsec_…")
    checked = check_web_url(base, allow_plain_http=allow_plain_http)
    return Recipient(ChannelKind.WEBHOOK, checked, check_secret(secret))


def check_web_url(url: str, *, allow_plain_http: bool) -> str:
    """Return `url` if it is an absolute HTTPS URL (HTTP too when allowed); raise ValueError."""
    if len(url) > TARGET_LIMIT:
        raise ValueError(f"the URL is longer than {TARGET_LIMIT} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError(f"not a URL: {display_url(url)!r}") from None
    allowed = {"https", "http"} if allow_plain_http else {"https"}
    if parts.scheme not in allowed:
        raise ValueError(
            f"{display_url(url)!r} is not HTTPS (plain HTTP only with "
            "BUDGETGUARD_WEBHOOK_ALLOW_PRIVATE=1)"
        )
    if not parts.hostname:
        raise ValueError(f"{display_url(url)!r} names no host")
    if any(character.isspace() for character in url):
        raise ValueError(f"{display_url(url)!r} contains a space (write it as %20)")
    if parts.fragment:
        raise ValueError(f"{display_url(url)!r} has a fragment (#…), which is never sent")
    return url


def check_printable(target: str, *, what: str = "the address or URL") -> str:
    """Return `target` if it holds no control or bidi character; else raise ValueError naming
    the first (a CR/LF could forge a line of output, U+202E reverse what follows it)."""
    for position, character in enumerate(target, 1):
        if character in UNSAFE:  # the set every readable output escapes (domain/text.py)
            raise ValueError(
                f"{what} contains the control character U+{ord(character):04X} "
                f"(character {position})"
            )
    return target


def new_webhook_secret() -> str:
    """Return a fresh Standard Webhooks signing secret: `whsec_` and base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def check_secret(secret: str) -> str:
    """Return a Standard Webhooks secret (`whsec_` and base64 of at least 12 bytes)."""
    body = secret.removeprefix(SECRET_PREFIX)
    if not secret.startswith(SECRET_PREFIX) or not _SECRET_BODY.match(body):
        raise ValueError("a webhook secret is `whsec_` followed by base64 of at least 12 bytes")
    return secret


def forbidden_address(address: str) -> bool:
    """Whether a webhook may not connect to `address`: loopback, private, link-local, shared,
    reserved, site-local or multicast, or an IPv6 address carrying such an IPv4 address.

    An IPv4-mapped or NAT64 (64:ff9b::/96) address reaches the IPv4 address inside it, so it
    is judged by that alone: DNS64 gives IPv6-only hosts such addresses for public receivers.
    Any other IPv6 address must be public itself and carry no forbidden IPv4 address (6to4,
    Teredo, IPv4-compatible); the local-use NAT64 prefix 64:ff9b:1::/48 is reserved.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return _not_public(ip)
    inside = _embedded_ipv4(ip)
    if ip.ipv4_mapped is not None or ip in _NAT64:
        return any(_not_public(v4) for v4 in inside)
    return _not_public(ip) or ip.is_site_local or any(_not_public(v4) for v4 in inside)


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _not_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not ip.is_global or ip.is_reserved or ip.is_multicast


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: mapped, NAT64, IPv4-compatible, 6to4, and
    both of Teredo's (the server, and the client, un-XOR-ed by `ipaddress`)."""
    found = [v4 for v4 in (ip.ipv4_mapped, ip.sixtofour) if v4 is not None]
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF))
    return found


# Services whose webhook URLs carry their token in the path (Slack, Discord, Microsoft Teams,
# Zapier): their path is never shown, whatever the contact's kind.
_TOKEN_IN_PATH = ("hooks.slack.com", "discord.com", "discordapp.com", "webhook.office.com",
                  "hooks.zapier.com")  # fmt: skip


def _token_in_path(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == known or host.endswith("." + known) for known in _TOKEN_IN_PATH)


def display_url(url: str, *, keep_path: bool = False) -> str:
    """Return `url` without credentials, query or fragment; without its path unless asked (and
    never the path of a service that puts its token there, `_TOKEN_IN_PATH`).

    A Slack incoming-webhook URL carries its token in the path, so by default only the
    scheme and host are shown.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unreadable URL>"
    keep_path = keep_path and not _token_in_path(host)
    if ":" in host:
        host = f"[{host}]"
    path = parts.path if keep_path else ("/…" if parts.path not in {"", "/"} else "")
    return urlunsplit((parts.scheme, host + port, path, "", ""))


def scrub(text: str, *secrets: str | None) -> str:
    """Remove every given secret, URL credentials and webhook secrets from an error text."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _CREDENTIALS_IN_URL.sub(r"\1***@", text)
    return _WHSEC.sub("whsec_***", text)
