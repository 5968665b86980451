"""The domain's currency codes are Babel's (the domain itself imports only the standard library)."""

from __future__ import annotations

from itertools import product
from string import ascii_uppercase

from babel.numbers import is_currency

from budgetguard.domain.currencies import CURRENCIES


def test_the_domain_knows_exactly_the_currencies_babel_knows() -> None:
    babel = {
        code
        for letters in product(ascii_uppercase, repeat=3)
        if is_currency(code := "".join(letters))
    }

    assert babel == CURRENCIES
