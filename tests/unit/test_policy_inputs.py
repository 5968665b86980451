"""What people type into a policy that the parsers must refuse cleanly, and the domain's copy of
the currency codes, which is the one Babel formats (the domain may not import Babel)."""

from __future__ import annotations

import pytest
from babel.numbers import list_currencies

from budgetguard.domain.currencies import CURRENCIES
from budgetguard.domain.policy import PolicyError, parse_currency, parse_timezone


def test_the_domain_knows_the_currencies_babel_knows() -> None:
    assert set(list_currencies()) == CURRENCIES


def test_a_code_babel_does_not_know_is_refused_naming_the_currency() -> None:
    assert parse_currency(" eur ") == "EUR"
    with pytest.raises(PolicyError) as refused:
        parse_currency("XYZ")
    assert refused.value.field == "currency"


@pytest.mark.parametrize("name", ["America", "America/", "Europe/../Europe/Berlin", "/etc/passwd"])
def test_a_name_that_is_no_zone_of_the_database_is_refused_naming_the_timezone(name: str) -> None:
    with pytest.raises(PolicyError) as refused:
        parse_timezone(name)
    assert refused.value.field == "timezone"
