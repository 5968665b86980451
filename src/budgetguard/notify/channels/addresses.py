"""Checking what people type: e-mail addresses and the SMTP server URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from budgetguard.domain.recipients import TARGET_LIMIT

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def normalize_email(address: str) -> str:
    """Return the address in its normal form, or raise ValueError saying what is wrong."""
    # Imported here: the settings import this module, and every command reads them, but only
    # an e-mail address being checked needs the validator (and its DNS and IDNA libraries).
    from email_validator import EmailNotValidError, validate_email  # noqa: PLC0415

    if len(address) > TARGET_LIMIT:
        raise ValueError(f"the address is longer than {TARGET_LIMIT} characters")
    try:
        # Syntax only: no DNS lookups when a contact is added.
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"not a valid e-mail address {address!r}: {error}") from None


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where e-mail goes: `smtp://user:pass@host:587?starttls=1` or `smtps://…`."""

    host: str
    port: int
    use_tls: bool
    start_tls: bool | None
    """True: STARTTLS required; False: never; None: when the server offers it."""
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_smtp_url(url: str) -> SmtpServer:
    """Read BUDGETGUARD_SMTP_URL; raise ValueError (without the password) when unusable."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"}:
        raise ValueError("expected smtp://… or smtps://…")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the port is not a number") from None
    if not parts.hostname:
        raise ValueError("no host")
    starttls = parse_qs(parts.query).get("starttls", [""])[-1].lower()
    if starttls and starttls not in _TRUE | _FALSE:
        raise ValueError("starttls must be 1 or 0")
    use_tls = parts.scheme == "smtps"
    if use_tls and starttls in _TRUE:
        raise ValueError("smtps:// is TLS already; starttls=1 is for smtp://")
    return SmtpServer(
        host=parts.hostname,
        port=port or (465 if use_tls else 25),
        use_tls=use_tls,
        start_tls=None if not starttls or use_tls else starttls in _TRUE,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
