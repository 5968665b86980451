"""Field types of the HTTP API: exact money as decimal strings, RFC 3339 instants, ids, months.

Amounts travel as JSON strings ("12.50"), never as JSON numbers, which most clients read and
write as binary floating point. Each validator says exactly what is wrong with a value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)

from budgetguard.domain.errors import Unacceptable
from budgetguard.domain.ids import LARGEST_ID
from budgetguard.domain.money import CENT
from budgetguard.domain.spend import LARGEST_AMOUNT
from budgetguard.domain.text import unsafe_characters

_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
EARLIEST_YEAR, LATEST_YEAR = 1970, 9998


def _amount(value: object) -> Decimal:
    if not isinstance(value, str):
        raise ValueError('must be a decimal string such as "12.50" (not a JSON number)')
    if len(value) > 40 or not _DECIMAL.fullmatch(value):
        raise ValueError('must be a decimal string such as "12.50" or "-3"')
    try:
        amount = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise ValueError("is not a decimal number") from None
    if amount != amount.quantize(CENT):
        raise ValueError("has more than two decimals")
    if abs(amount) > LARGEST_AMOUNT:
        raise ValueError(f"must be between -{LARGEST_AMOUNT} and {LARGEST_AMOUNT}")
    return amount.quantize(CENT)


def _not_zero(amount: Decimal) -> Decimal:
    if amount == 0:
        raise ValueError("must not be zero (positive: spend, negative: refund or correction)")
    return amount


def _positive(amount: Decimal) -> Decimal:
    if amount <= 0:
        raise ValueError("must be greater than zero")
    return amount


_MONEY_SCHEMA = {"type": "string", "pattern": r"^-?[0-9]{1,8}(\.[0-9]{1,2})?$"}
Money = Annotated[
    Decimal,
    PlainValidator(_amount),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({**_MONEY_SCHEMA, "examples": ["12.50"]}),
]
SpendAmount = Annotated[Money, AfterValidator(_not_zero)]
BudgetAmount = Annotated[Money, AfterValidator(_positive)]
MoneyOut = Annotated[Decimal, PlainSerializer(str, return_type=str), WithJsonSchema(_MONEY_SCHEMA)]
PercentOut = Annotated[
    Decimal,
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$", "examples": ["105.52"]}),
]


def _rfc3339(value: object) -> object:
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError(
            "must be an RFC 3339 date-time with a zone, e.g. 2026-07-31T18:00:00+02:00 or …Z"
        )
    return value


def _in_range(value: datetime) -> datetime:
    # The wall-clock year first: converting 0001-01-01T00:00+01:00 to UTC overflows.
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR or not (
        EARLIEST_YEAR <= value.astimezone(UTC).year <= LATEST_YEAR
    ):
        raise ValueError(f"must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


Instant = Annotated[
    datetime,
    BeforeValidator(_rfc3339),
    AfterValidator(_in_range),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-07-31T18:00:00Z"]}),
]

EventId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="1 to 128 printable ASCII characters, no spaces; case matters.",
        examples=["order-8812-line-1"],
    ),
]


def _printable(value: str) -> str:
    # Names are shown on terminals and in logs: no escape sequence, line break or reordering.
    if unsafe := unsafe_characters(value):
        raise ValueError(
            f"must not contain control or bidirectional characters: {', '.join(unsafe)}"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text") from None
    return value


ShopName = Annotated[
    str,
    Field(min_length=1, max_length=255, examples=["As Seen On Sale"]),
    AfterValidator(_printable),
]
ShopId = Annotated[int, Field(strict=True, ge=1, le=LARGEST_ID, examples=[3])]


def cursor_id(text: str | None, largest: int) -> int | None:
    """The id a `cursor` stands for; refuse one no page of this API ends with."""
    if text is None:
        return None
    if not text.isdigit() or int(text) > largest:
        reason = "is not a cursor of this list"
        raise Unacceptable.of_field("cursor", reason, message=reason)
    return int(text)
