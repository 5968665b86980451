"""The web console's settings (issue 8; README "The web console"), a part of `Settings`."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

SHORTEST_SECRET = 32


class ConsoleSettings(BaseSettings):
    """Sign-in sessions, the shops' own links, the spend history and the overview's cache."""

    # The secret signing session cookies and shop links; unset: one generated once and kept in
    # bg_signing_keys, shared by every replica.
    session_secret: SecretStr | None = None
    # Hours a sign-in lasts.
    session_hours: float = Field(default=12.0, gt=0, le=24 * 90)
    # The console's address as shops reach it (https://budgets.example.com); unset: no links.
    public_url: str | None = None
    # Days a shop's link in a notification stays valid.
    shop_link_days: int = Field(default=35, ge=1, le=366)
    # Days of spend history kept (bg_spend_days; 0: forever).
    retain_history_days: int = Field(default=400, ge=0, le=36_500)
    # Seconds the overview's counts are reused before the database is read again.
    overview_cache_seconds: float = Field(default=5.0, ge=0, le=300)

    @field_validator("session_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < SHORTEST_SECRET:
            raise ValueError(f"must be at least {SHORTEST_SECRET} characters")
        return value

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an absolute http:// or https:// URL")
        if parts.query or parts.fragment:
            raise ValueError("must not hold a query or a fragment")
        return value.strip().rstrip("/")
