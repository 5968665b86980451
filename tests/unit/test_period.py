from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from budgetguard.domain.period import Month, parse_instant

BERLIN = ZoneInfo("Europe/Berlin")


def test_the_month_contains_the_instant_on_the_platforms_clock() -> None:
    late_june_utc = datetime(2020, 6, 30, 22, 30, tzinfo=UTC)
    assert Month.containing(late_june_utc, ZoneInfo("UTC")) == Month(2020, 6)
    assert Month.containing(late_june_utc, BERLIN) == Month(2020, 7)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Month.containing(datetime(2020, 6, 30), BERLIN)  # noqa: DTZ001 - the point of the test


def test_months_parse_print_and_step_over_the_year() -> None:
    december = Month.parse("2020-12")
    assert str(december) == "2020-12"
    assert december.first_day == date(2020, 12, 1)
    assert december.next() == Month(2021, 1)
    assert december.label == "December 2020"


@pytest.mark.parametrize("text", ["2020-13", "2020-6", "June 2020", "", "2020-00"])
def test_a_malformed_month_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="month"):
        Month.parse(text)


def test_an_instant_without_zone_is_read_on_the_platforms_clock() -> None:
    assert parse_instant("2020-07-01", BERLIN) == datetime(2020, 7, 1, tzinfo=BERLIN)
    assert parse_instant("2020-07-01T00:30:00Z", BERLIN) == datetime(2020, 7, 1, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["yesterday", "2020-02-30", "2020-07-01T25:00", ""])
def test_a_bad_instant_names_the_problem(text: str) -> None:
    with pytest.raises(ValueError, match="not an ISO-8601 date"):
        parse_instant(text, BERLIN)
