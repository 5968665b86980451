"""The domain's copy of the currency codes is the one Babel formats (the domain may not import
Babel)."""

from __future__ import annotations

import pytest
from babel.numbers import list_currencies

from budgetguard.domain.currencies import CURRENCIES
from budgetguard.domain.policy import PolicyError, parse_currency


def test_the_domain_knows_the_currencies_babel_knows() -> None:
    assert set(list_currencies()) == CURRENCIES


def test_a_code_babel_does_not_know_is_refused_naming_the_currency() -> None:
    assert parse_currency(" eur ") == "EUR"
    with pytest.raises(PolicyError) as refused:
        parse_currency("XYZ")
    assert refused.value.field == "currency"
