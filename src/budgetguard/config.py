"""budgetguard's settings: one typed class, read from `BUDGETGUARD_*` environment variables."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from budgetguard.domain.errors import ConfigError
from budgetguard.domain.thresholds import ThresholdPolicy

DEFAULT_DATABASE_URL = "sqlite:///budgetguard.db"


class Settings(BaseSettings):
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
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

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

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def policy(self) -> ThresholdPolicy:
        return ThresholdPolicy.of(self.thresholds, self.pause_at)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.delivery_lease)

    @property
    def api_key_table(self) -> dict[str, str]:
        """The API keys by name."""
        return parse_api_keys(self.api_keys.get_secret_value())


MIN_KEY_LENGTH = 16


def parse_api_keys(text: str) -> dict[str, str]:
    """Parse `name:key,name:key`; names are unique words, keys at least 16 characters."""
    table: dict[str, str] = {}
    for position, entry in enumerate(filter(None, (e.strip() for e in text.split(","))), 1):
        name, colon, key = entry.partition(":")
        name, key = name.strip(), key.strip()
        if not colon or not name or not key:
            raise ValueError(f"entry {position} is not name:key")
        if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ValueError(f"entry {position}: the name may hold letters, digits, - _ . only")
        if len(key) < MIN_KEY_LENGTH:
            raise ValueError(f"entry {position} ({name}): a key needs {MIN_KEY_LENGTH}+ characters")
        if name in table:
            raise ValueError(f"the name {name!r} is given twice")
        table[name] = key
    return table


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
