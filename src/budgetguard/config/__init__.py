"""budgetguard's settings: one typed class, read from `BUDGETGUARD_*` environment variables."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from budgetguard import DEFAULT_DATABASE_URL
from budgetguard.config.console import ConsoleSettings
from budgetguard.db.plumbing.sealing import NO_KEYS, Keyring
from budgetguard.domain.api_keys import parse_api_keys
from budgetguard.domain.errors import ConfigError
from budgetguard.domain.policy import PolicyDefaults, PolicyError, parse_currency, parse_language
from budgetguard.domain.recipients import (
    CONSOLE_KEY,
    ChannelKind,
    Recipient,
    operator_key,
    parse_operator_channel,
)
from budgetguard.domain.retention import Retention
from budgetguard.domain.shop_clock import known_zone
from budgetguard.domain.thresholds import ThresholdPolicy
from budgetguard.notify.channels.addresses import SmtpServer, normalize_email, parse_smtp_url


class Settings(ConsoleSettings, BaseSettings):
    """Every setting, with its default. The README documents each one."""

    model_config = SettingsConfigDict(env_prefix="BUDGETGUARD_", extra="ignore", frozen=True)

    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "UTC"
    thresholds: Annotated[tuple[int, ...], NoDecode] = (50, 100)
    pause_at: int = 100
    chunk_size: int = Field(default=20_000, ge=1, le=1_000_000)
    evaluation_workers: int = Field(default=2, ge=1, le=16)
    lock_timeout: float = Field(default=600.0, gt=0)
    delivery_batch_size: int = Field(default=500, ge=1, le=10_000)
    delivery_max_attempts: int = Field(default=30, ge=1, le=1000)
    delivery_lease: float = Field(default=60.0, gt=0)
    log_level: str = "INFO"

    # --- the HTTP API and `budgetguard serve` -----------------------------------------------
    api_keys: SecretStr = SecretStr("")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    check_interval: float = Field(default=30.0, gt=0, le=86_400)
    delivery_interval: float = Field(default=1.0, gt=0, le=3600)
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    log_format: Literal["text", "json"] = "text"

    # --- notifications that reach people (issue 4; README "Notifications and delivery") ----
    operator_channels: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    smtp_url: SecretStr | None = None
    smtp_from: str = "budgetguard <budgetguard@localhost>"
    template_dir: Path | None = None
    webhook_allow_private: bool = False
    delivery_timeout: float = Field(default=5.0, gt=0, le=120)
    delivery_concurrency: int = Field(default=200, ge=1, le=5_000)
    delivery_poll_interval: float = Field(default=0.25, gt=0, le=3_600)

    # --- connections and headers (issue 11) ---
    max_header_bytes: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024)
    max_connections: int = Field(default=512, ge=1, le=100_000)
    header_timeout: float = Field(default=10.0, gt=0, le=300)
    # Seconds a request's body may take to arrive in full once its head has arrived (then 408).
    body_timeout: float = Field(default=30.0, gt=0, le=3_600)
    keep_alive_timeout: int = Field(default=5, ge=1, le=300)
    metrics_cache_seconds: float = Field(default=5.0, ge=0, le=300)

    # --- contacts and the SSRF guard (issue 11) ---
    # Seconds a contact's host may take to resolve when it is added (a slow resolver: 422).
    contact_lookup_timeout: float = Field(default=2.0, gt=0, le=30)

    # --- database timeouts and outages (issue 11) ---
    # Seconds any wait for the database may take: an answer to a statement (PyMySQL's read and
    # write timeouts, psycopg's wait), a connection, SQLite's write lock, a pooled connection.
    database_timeout: float = Field(default=10.0, ge=1, le=3_600)  # GET_LOCK waits 1 s

    # --- retention: db prune (issue 11) ---
    # Days each kind is kept (0: forever); README "Retention: `db prune`".
    retain_spend_events_days: int = Field(default=400, ge=0, le=36_500)
    retain_delivered_days: int = Field(default=400, ge=0, le=36_500)
    retain_alerts_days: int = Field(default=400, ge=0, le=36_500)
    retain_evaluations_days: int = Field(default=90, ge=0, le=36_500)
    prune_batch_size: int = Field(default=5_000, ge=1, le=100_000)
    prune_pause: float = Field(default=0.1, ge=0, le=60)
    prune_interval: float = Field(default=86_400.0, gt=0, le=31 * 86_400)

    # --- group commit of single spend events (issue 10; README "Group commit") ---
    # Milliseconds a group of POST /v1/spend events stays open after its first event, and the
    # events it holds at most; either at 0 (or a maximum of 1) applies each event alone.
    spend_group_window: float = Field(default=2.0, ge=0, le=5_000)
    spend_group_max: int = Field(default=100, ge=0, le=10_000)

    # --- secrets at rest (issue 11; README "Secrets at rest") -----------------------------
    secret_key: SecretStr | None = None

    # --- the console straight from the outbox (issue 10; README "How delivery runs") --------
    # Notifications printed and recorded per page; 0 sends them through the delivery worker.
    console_page_size: int = Field(default=5_000, ge=0, le=100_000)

    # --- each shop on its own terms (issue 9; README "Policies") ----------------------------
    # The defaults of every shop's policy beside thresholds, pause_at and timezone above:
    # the language of what shops and operators receive, the currency shown with amounts
    # (none: amounts alone), forecast alerts, and the days of a month before one may fire.
    language: str = "en"
    currency: str | None = None
    forecast: bool = True
    forecast_min_days: int = Field(default=3, ge=0, le=28)

    @field_validator("secret_key")
    @classmethod
    def _readable_secret_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            Keyring.parse(value.get_secret_value())  # the messages never repeat a key
        return value

    @cached_property
    def keyring(self) -> Keyring:
        """The Fernet keys of BUDGETGUARD_SECRET_KEY (none: contacts are stored in clear)."""
        text = "" if self.secret_key is None else self.secret_key.get_secret_value()
        return Keyring.parse(text) if text.strip() else NO_KEYS

    @field_validator("operator_channels", mode="before")
    @classmethod
    def _split_channels(cls, value: Any) -> Any:
        # Whitespace or commas separate the URLs (a comma inside a URL must be %2C).
        if isinstance(value, str):
            return tuple(part for part in value.replace(",", " ").split() if part)
        return value

    @field_validator("smtp_url")
    @classmethod
    def _readable_smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_smtp_url(value.get_secret_value())
        return value

    @field_validator("template_dir")
    @classmethod
    def _existing_directory(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"not a directory: {str(value)!r}")
        return value

    @field_validator("thresholds", mode="before")
    @classmethod
    def _split_thresholds(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.isdigit() for part in parts):
                raise ValueError(f"expected whole percentages separated by commas, got {value!r}")
            return tuple(int(part) for part in parts)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not known_zone(value):  # not `America` (a directory), nor `localtime` (the host's)
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Europe/Berlin)")
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        try:
            return parse_language(value)
        except PolicyError as error:
            raise ValueError(error.reason) from None

    @field_validator("currency", mode="before")
    @classmethod
    def _known_currency(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.strip() in ("", "none")):
            return None
        try:
            return parse_currency(str(value))
        except PolicyError as error:
            raise ValueError(error.reason) from None

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"expected DEBUG, INFO, WARNING or ERROR, got {value!r}")
        return level

    @field_validator("api_keys")
    @classmethod
    def _valid_keys(cls, value: SecretStr) -> SecretStr:
        parse_api_keys(value.get_secret_value())  # the messages never repeat a key
        return value

    @model_validator(mode="after")
    def _valid_policy(self) -> Settings:
        try:
            ThresholdPolicy.of(self.thresholds, self.pause_at)
        except ValueError as error:
            raise ValueError(f"BUDGETGUARD_THRESHOLDS / BUDGETGUARD_PAUSE_AT: {error}") from None
        return self

    @model_validator(mode="after")
    def _valid_delivery(self) -> Settings:
        try:
            self.operator_recipients  # noqa: B018 - parses every channel
        except ValueError as error:
            raise ValueError(f"BUDGETGUARD_OPERATOR_CHANNELS: {error}") from None
        if self.delivery_lease < 3 * self.delivery_timeout:
            raise ValueError(
                "BUDGETGUARD_DELIVERY_LEASE must be at least 3 x BUDGETGUARD_DELIVERY_TIMEOUT, "
                "so that a claim outlives its attempt"
            )
        return self

    # Derived values are parsed once, at first use (the validators above see them first).

    @cached_property
    def operator_recipients(self) -> dict[str, Recipient]:
        """The operator channels by recipient key (raises ValueError for an unusable one)."""
        recipients = {}
        for secret_url in self.operator_channels:
            url = secret_url.get_secret_value()
            recipient = parse_operator_channel(url, allow_plain_http=self.webhook_allow_private)
            if recipient.kind is ChannelKind.EMAIL:
                recipient = Recipient(ChannelKind.EMAIL, normalize_email(recipient.target))
            key = CONSOLE_KEY if recipient.kind is ChannelKind.CONSOLE else operator_key(url)
            recipients[key] = recipient
        return recipients

    @cached_property
    def smtp_server(self) -> SmtpServer | None:
        url = self.smtp_url
        return None if url is None else parse_smtp_url(url.get_secret_value())

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def policy(self) -> ThresholdPolicy:
        return ThresholdPolicy.of(self.thresholds, self.pause_at)

    @cached_property
    def policy_defaults(self) -> PolicyDefaults:
        """What a shop's policy falls back to."""
        return PolicyDefaults(
            thresholds=self.policy.thresholds,
            pause_at=self.pause_at,
            timezone=self.timezone,
            language=self.language,
            currency=self.currency,
            forecast=self.forecast,
        )

    @property
    def retention(self) -> Retention:
        return Retention(
            spend_events_days=self.retain_spend_events_days,
            delivered_days=self.retain_delivered_days,
            alerts_days=self.retain_alerts_days,
            evaluations_days=self.retain_evaluations_days,
            history_days=self.retain_history_days,
        )

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.delivery_lease)

    @cached_property
    def api_key_table(self) -> dict[str, str]:
        """The API keys by name."""
        return parse_api_keys(self.api_keys.get_secret_value())


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment, with explicit overrides (CLI options) on top."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        name = "_".join(str(part) for part in item["loc"] if isinstance(part, str))
        message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(f"BUDGETGUARD_{name.upper()}: {message}" if name else message)
    return "; ".join(problems)
