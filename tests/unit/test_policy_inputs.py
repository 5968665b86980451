"""What people type into a policy that the parsers must refuse cleanly, and the domain's copy of
the currency codes, which is the one Babel formats (the domain may not import Babel)."""

from __future__ import annotations

from zoneinfo import available_timezones

import pytest
from babel.numbers import list_currencies

from budgetguard.domain.currencies import CURRENCIES
from budgetguard.domain.policy import PolicyError, parse_currency, parse_timezone
from budgetguard.domain.shop_clock import NOT_ZONES, known_zone


def test_the_domain_knows_the_currencies_babel_knows() -> None:
    assert set(list_currencies()) == CURRENCIES


def test_a_code_babel_does_not_know_is_refused_naming_the_currency() -> None:
    assert parse_currency(" eur ") == "EUR"
    with pytest.raises(PolicyError) as refused:
        parse_currency("XYZ")
    assert refused.value.field == "currency"


@pytest.mark.parametrize(
    "name",
    [
        "America", "America/", "Europe/../Europe/Berlin", "/etc/passwd", "europe/berlin",
        "localtime", "posixrules", "Factory", "right/UTC", "posix/Europe/Berlin", "zone.tab",
        "tzdata.zi", "",
    ],
)  # fmt: skip
def test_a_name_that_is_no_zone_of_the_database_is_refused_naming_the_timezone(name: str) -> None:
    with pytest.raises(PolicyError) as refused:
        parse_timezone(name)
    assert refused.value.field == "timezone"


def test_every_zone_of_the_database_is_known_but_the_hosts_own_and_posix_rules() -> None:
    zones = available_timezones()
    known = {name for name in zones if known_zone(name)}

    assert known == zones - NOT_ZONES
    assert {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5"} <= known
