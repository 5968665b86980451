"""Figures with two decimals as Babel writes them, at the cost of Python's own formatting.

Babel's `NumberPattern.apply` and `format_currency` cost 5-15 µs a figure: ten times the line the
console printed before (benchmarks/console.py prints 200,000). A `Figures` asks Babel once how the
locale writes one sample figure (its symbols, and what stands before and after the number: the
currency sign, the percent sign and their spaces), then writes every other figure with Python's
`{:,.2f}` and those symbols. It keeps to what that covers — groups of three, two decimals, a
figure not negative — and leaves anything else to Babel (`tests/unit/test_languages.py` compares
both on many figures in every language).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from babel import Locale
from babel.numbers import get_decimal_symbol, get_group_symbol

SAMPLE = Decimal("1234.5")


class Figures:
    """Writes a figure as `babel` (a Babel call) does; the fast way when it can."""

    def __init__(
        self, babel: Callable[[Decimal], str], locale: Locale, *, grouping: tuple[int, int]
    ) -> None:
        self._babel = babel
        table = {",": get_group_symbol(locale), ".": get_decimal_symbol(locale)}
        self._symbols = str.maketrans(table)
        number = self._number(SAMPLE)
        prefix, found, suffix = babel(SAMPLE).partition(number)
        self._fast = bool(found) and grouping == (3, 3)
        self._prefix, self._suffix = prefix, suffix

    def __call__(self, value: Decimal) -> str:
        if not self._fast or value < 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
            return self._babel(value)
        return self._prefix + self._number(value) + self._suffix

    def _number(self, value: Decimal) -> str:
        return f"{value:,.2f}".translate(self._symbols)
