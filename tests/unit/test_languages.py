"""Messages in the shop's language: Babel's numbers, money and dates per locale, the catalogs'
sentences, and the forecast read on the shop's clock."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent

from budgetguard.bootstrap import console_channel
from budgetguard.config import Settings
from budgetguard.domain.notification import Action, Kind, Notification
from budgetguard.domain.period import Month
from budgetguard.domain.policy import LANGUAGES
from budgetguard.domain.wording import forecast_sentence, headline, subject
from budgetguard.notify.channels.console import as_json, as_line
from budgetguard.notify.channels.slack import slack_text
from budgetguard.notify.channels.voice import MissingCatalog, Voice, voice
from budgetguard.notify.channels.webhook import payload

NBSP, NNBSP = "\u00a0", "\u202f"


def notification(**changes: object) -> Notification:
    values: dict[str, object] = {
        "id": 7, "kind": Kind.THRESHOLD, "shop_id": 2, "shop_name": "Modehaus München",
        "month": Month(2020, 7), "budget": Decimal("1200.00"), "spent": Decimal("1250.50"),
        "thresholds": (50, 100), "action": Action.PAUSED, "evaluated_on": date(2020, 7, 31),
        "created_at": datetime(2020, 7, 31, 6, 0, tzinfo=UTC),
    }  # fmt: skip
    values.update(changes)
    return Notification(**values)  # type: ignore[arg-type]


def forecast(**changes: object) -> Notification:
    """400.00 of 1,000.00 spent in the first ten days of July on the shop's clock (Berlin):
    4 % a day, so 100 % at the end of the 25th (25 days) and 124 % by the 31st's end."""
    values: dict[str, object] = {
        "kind": Kind.FORECAST, "budget": Decimal("1000.00"), "spent": Decimal("400.00"),
        "thresholds": (100,), "action": None, "evaluated_on": date(2020, 7, 11),
        "evaluated_at": datetime(2020, 7, 10, 22, 0, tzinfo=UTC), "timezone": "Europe/Berlin",
    }  # fmt: skip
    values.update(changes)
    return notification(**values)


@pytest.mark.parametrize(
    ("language", "currency", "money"),
    [("en", None, "1,250.50"), ("en", "USD", "$1,250.50"), ("en", "EUR", "€1,250.50"),
     ("de", None, "1.250,50"), ("de", "EUR", f"1.250,50{NBSP}€"),
     ("fr", "EUR", f"1{NNBSP}250,50{NBSP}€"), ("it", "EUR", f"1.250,50{NBSP}€"),
     ("es", "EUR", f"1.250,50{NBSP}€"), ("nl", "EUR", f"€{NBSP}1.250,50"),
     ("de", "CHF", f"1.250,50{NBSP}CHF"), ("en", "JPY", "¥1,250.50"),
     ("de", "JPY", f"1.250,50{NBSP}¥"), ("en", "KWD", "KWD1,250.50"),
     ("fr", "KWD", f"1{NNBSP}250,50{NBSP}KWD")],
)  # fmt: skip
def test_money_is_written_as_the_locale_writes_it(
    language: str, currency: str | None, money: str
) -> None:
    assert voice(language, currency).money(Decimal("1250.50")) == money


@pytest.mark.parametrize(
    ("currency", "spent", "budget", "half"),
    [("JPY", "¥999.99", "¥1,000.00", "¥0.50"),
     ("KWD", "KWD999.99", "KWD1,000.00", "KWD0.50")],
)  # fmt: skip
def test_amounts_keep_the_platforms_two_decimals_whatever_the_currency(
    currency: str, spent: str, budget: str, half: str
) -> None:
    # The yen has no decimals and the dinar three; an amount is still the platform's, to the
    # cent: a shop under its budget never reads "spent ¥1,000 of ¥1,000".
    under = notification(
        currency=currency, spent=Decimal("999.99"), budget=Decimal("1000.00"), thresholds=(50,)
    )
    speaking = voice("en", currency)

    assert speaking.money(Decimal("999.99")) == spent
    assert speaking.money(Decimal("1000")) == budget
    assert speaking.money(Decimal("0.5")) == half
    assert f"{spent} of {budget}" in slack_text(under)


@pytest.mark.parametrize(
    ("language", "percent", "month", "day"),
    [("en", "104.20 %", "July 2020", "July 23, 2020"),
     ("de", f"104,20{NBSP}%", "Juli 2020", "23. Juli 2020"),
     ("fr", f"104,20{NBSP}%", "juillet 2020", "23 juillet 2020"),
     ("it", "104,20%", "luglio 2020", "23 luglio 2020"),
     ("es", f"104,20{NBSP}%", "julio de 2020", "23 de julio de 2020"),
     ("nl", "104,20%", "juli 2020", "23 juli 2020")],
)  # fmt: skip
def test_percentages_months_and_dates_follow_the_locale(
    language: str, percent: str, month: str, day: str
) -> None:
    speaking = voice(language)

    assert speaking.percent(Decimal("104.20")) == percent
    assert speaking.month(Month(2020, 7)) == month
    assert speaking.date(date(2020, 7, 23)) == day


def test_english_keeps_the_figures_it_always_had() -> None:
    english = voice("en")

    assert english.money(Decimal("1234567.5")) == "1,234,567.50"
    assert english.thresholds((50, 100)) == "50 %, 100 %"
    assert english.percent(Decimal("0")) == "0.00 %"


def test_a_german_shop_reads_german_sentences_and_german_figures() -> None:
    german = notification(language="de", currency="EUR")

    assert subject(german, voice("de", "EUR")) == (
        f"Modehaus München: 100{NBSP}% Ihres Budgets für Juli 2020 sind ausgegeben"
        " — Ihr Shop ist offline"
    )
    text = slack_text(german)
    assert f"1.250,50{NBSP}€ von 1.200,00{NBSP}€ ausgegeben" in text
    assert f"104,20{NBSP}%" in text
    assert text.endswith(
        "Der Shop wurde offline genommen: Seine Produkte werden nicht mehr beworben."
    )


def test_every_language_has_its_own_words_for_a_resume() -> None:
    resumed = notification(kind=Kind.RESUMED, thresholds=(), action=Action.RESUMED)
    subjects = {language: subject(resumed, voice(language)) for language in LANGUAGES}
    lines = {language: headline(resumed, voice(language)) for language in LANGUAGES}

    assert len(set(subjects.values())) == len(set(lines.values())) == len(LANGUAGES)
    assert (
        lines["fr"] == "Votre budget publicitaire de juillet 2020 dispose de nouveau d'une marge."
    )
    assert lines["es"] == "Su presupuesto publicitario de julio de 2020 vuelve a tener margen."


def test_the_forecast_says_when_the_budget_runs_out_on_the_shops_clock() -> None:
    assert forecast_sentence(forecast(), voice("en")) == (
        "At this pace your July 2020 budget runs out on July 25, 2020; by the month's end you "
        "would have spent 124.00 % of it."
    )
    assert forecast_sentence(forecast(), voice("de")) == (
        "Bei diesem Tempo ist Ihr Budget für Juli 2020 am 25. Juli 2020 aufgebraucht; bis "
        f"Monatsende hätten Sie 124,00{NBSP}% davon ausgegeben."
    )


def test_a_forecast_without_the_shops_zone_is_read_on_the_platforms() -> None:
    unzoned = forecast(timezone=None)

    assert "124.00 %" in forecast_sentence(unzoned, voice("en"), zone="Europe/Berlin")
    # On UTC's clock the same instant is 2 hours short of ten days: a faster pace.
    assert "125.04 %" in forecast_sentence(unzoned, voice("en"))


def test_a_forecast_to_a_pause_threshold_below_100_names_it() -> None:
    at_80 = forecast(thresholds=(80,))

    assert forecast_sentence(at_80, voice("en")) == (
        "At this pace your shop reaches 80 % of its July 2020 budget on July 20, 2020; by the "
        "month's end it would have spent 124.00 % of it."
    )


def test_the_forecast_webhook_carries_its_projection_and_german_words() -> None:
    body = payload(forecast(language="de", currency="EUR"))

    assert body["type"] == "budget.forecast_exceeded"
    data = body["data"]
    assert (data["runs_out_on"], data["month_end_percent"]) == ("2020-07-25", "124.00")
    assert (data["budget"], data["spent"], data["currency"]) == ("1000.00", "400.00", "EUR")
    assert data["summary"] == (
        "Modehaus München: Bei diesem Tempo ist Ihr Budget für Juli 2020 vor Monatsende "
        "aufgebraucht"
    )
    assert data["message"].startswith("Bei diesem Tempo ist Ihr Budget für Juli 2020 am 25. Juli")


def test_the_console_line_and_json_of_a_forecast() -> None:
    line = as_line(forecast())
    record = as_json(forecast())

    assert line == (
        "2020-07-11  #7 Modehaus München (shop 2), July 2020: spent 400.00 of 1,000.00 "
        "(40.00 %) — at this pace the budget runs out on July 25, 2020 (124.00 % by the "
        "month's end)"
    )
    assert (record["kind"], record["runs_out_on"], record["month_end_percent"]) == (
        "forecast", "2020-07-25", 124.0,
    )  # fmt: skip


def test_the_console_speaks_the_platforms_language_when_asked() -> None:
    line = as_line(notification(language="fr", currency="EUR"), voice("de", "EUR"))

    assert f"Modehaus München (Shop 2), Juli 2020: 1.250,50{NBSP}€ von 1.200,00{NBSP}€" in line
    assert line.endswith(f"— 50{NBSP}%, 100{NBSP}% erreicht — Shop pausiert")


def test_the_console_is_built_on_the_platforms_language_zone_and_currency(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(language="fr", timezone="Europe/Berlin", currency="CHF")
    # Queued before policies: no zone, no currency of its own.
    old = forecast(language="de", timezone=None, currency=None)

    assert console_channel(settings, json_lines=False).deliver([old]) == {}
    assert console_channel(settings, json_lines=True).deliver([old]) == {}

    line, record = capsys.readouterr().out.splitlines()
    # French words, the platform's currency, the run-out day on Berlin's clock (UTC's pace is
    # faster: test_a_forecast_without_the_shops_zone_is_read_on_the_platforms).
    assert f"juillet 2020{NBSP}: 400,00{NBSP}CHF dépensés" in line
    assert f"épuisé le 25 juillet 2020 (124,00{NBSP}% à la fin du mois)" in line
    assert json.loads(record)["month_end_percent"] == 124.0


def test_a_language_without_its_compiled_catalog_is_a_configuration_error() -> None:
    with pytest.raises(MissingCatalog, match="'pt' message catalog is not compiled"):
        Voice("pt", None)


FIGURES = [Decimal(text) for text in (
    "0", "0.01", "0.5", "1", "9.99", "99.9", "999.99", "1000", "1250.5", "12345.67",
    "999999.99", "1000000", "12345678.9", "99999999.99", "104.2", "1.005",
)]  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("currency", [None, "EUR", "USD", "CHF", "GBP", "JPY", "KWD"])
def test_figures_written_the_fast_way_are_babels(language: str, currency: str | None) -> None:
    speaking = voice(language, currency)
    for figure in FIGURES:
        expected = (
            format_decimal(figure, "#,##0.00", locale=language)
            if currency is None
            else format_currency(figure, currency, locale=language, currency_digits=False)
        )
        assert speaking.money(figure) == expected, figure
    if language != "en":  # English keeps the project's `104.20 %` (voice.HOUSE_PERCENT)
        locale = Locale.parse(language)
        pattern = str(locale.percent_formats[None].pattern).replace("#,##0", "#,##0.00", 1)
        for figure in FIGURES:
            expected = format_percent(figure / 100, pattern, locale=language)
            assert speaking.percent(figure) == expected, figure
