"""A language and a currency as messages speak them: the gettext catalogs of the package
(`budgetguard/locale/<lang>/LC_MESSAGES/budgetguard.mo`) and Babel's number and date formats.

Babel is imported here, where messages are rendered, and nowhere on the way to `--version` or
`status` (tests/e2e/test_cli_startup.py). A voice is built once per language and currency
(`voice`): its patterns are parsed once, since delivery renders many messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_skeleton
from babel.numbers import format_currency, parse_pattern
from babel.support import Translations

from budgetguard.domain.errors import ConfigError
from budgetguard.domain.period import Month
from budgetguard.domain.policy import LANGUAGES
from budgetguard.notify.channels.figures import Figures

LOCALE_DIR = Path(__file__).parents[2] / "locale"
DOMAIN = "budgetguard"
THRESHOLD_LISTS = 1024
"""Lists of thresholds a voice keeps written (a few lists recur in many messages)."""
HOUSE_PERCENT = {"en": "#,##0 %"}
"""Where the project's own way of writing a percentage differs from the locale's: English has
always read `104.20 %`, with a space (as ISO 80000 writes it), where CLDR writes `104.20%`."""


class MissingCatalog(ConfigError):
    """A language's compiled catalog (.mo) is not in the package: `make install` compiles it."""


class Voice:
    """Words and numbers in one language, amounts in one currency (None: amounts alone)."""

    def __init__(self, language: str, currency: str | None) -> None:
        self.language = language
        self.currency = currency
        self.translations = _catalog(language)
        self._locale = locale = Locale.parse(language)
        plain = parse_pattern("#,##0.00")
        percent = HOUSE_PERCENT.get(language) or str(locale.percent_formats[None].pattern)
        self._whole = parse_pattern(percent)
        fraction = parse_pattern(percent.replace("#,##0", "#,##0.00", 1))
        self._percent = Figures(
            lambda value: str(fraction.apply(value / 100, locale)),
            locale,
            grouping=fraction.grouping,
        )
        if currency is None:
            self._money = Figures(
                lambda value: str(plain.apply(value, locale)), locale, grouping=plain.grouping
            )
        else:
            # `currency_digits=False`: the locale pattern's two decimals, not the currency's own
            # (JPY has none, KWD three) — amounts stay the platform's decimals (issue 9), and
            # 999.99 of a 1,000 budget never reads `¥1,000 of ¥1,000`.
            self._money = Figures(
                lambda value: str(
                    format_currency(value, currency, locale=locale, currency_digits=False)
                ),
                locale,
                grouping=locale.currency_formats["standard"].grouping,
            )
        self._thresholds: dict[tuple[int, ...], str] = {}

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def money(self, amount: Decimal) -> str:
        """`1.250,50 €` with a currency (German), `1.250,50` without; always two decimals,
        whatever the currency's own (`¥1,250.50`)."""
        return self._money(amount)

    def percent(self, value: Decimal) -> str:
        """A percentage with two decimals: `104.20 %` (English), `104,20 %` (German)."""
        return self._percent(value)

    def thresholds(self, values: Iterable[int]) -> str:
        """Whole percentages in a list: `50 %, 100 %` (a few lists, many messages: kept)."""
        key = tuple(values)
        text = self._thresholds.get(key)
        if text is None:
            apply = self._whole.apply
            text = ", ".join(str(apply(Decimal(v) / 100, self._locale)) for v in key)
            if len(self._thresholds) >= THRESHOLD_LISTS:
                self._thresholds.clear()
            self._thresholds[key] = text
        return text

    def month(self, month: Month) -> str:
        """The month as the locale names it with its year: `July 2020`, `julio de 2020`."""
        return _month_label(self.language, month)

    def date(self, day: date) -> str:
        """A date written out: `July 23, 2020`, `23. Juli 2020`."""
        return _long_date(self.language, day)


@lru_cache(maxsize=64)
def voice(language: str | None, currency: str | None = None) -> Voice:
    """The voice of `language` (None: English) and `currency`, built once."""
    return Voice(language or "en", currency)


@lru_cache(maxsize=len(LANGUAGES))
def _catalog(language: str) -> Translations:
    found = Translations.load(LOCALE_DIR, [language], DOMAIN)
    if not isinstance(found, Translations):  # Babel falls back to no translation at all
        raise MissingCatalog(
            f"the {language!r} message catalog is not compiled ({LOCALE_DIR}): "
            "run `make install` (pybabel compile)"
        )
    return found


@lru_cache(maxsize=1024)
def _month_label(language: str, month: Month) -> str:
    # The locale's own pattern for a month and its year (`yMMMM`): Spanish writes `de`.
    return str(format_skeleton("yMMMM", month.first_day, locale=language))


@lru_cache(maxsize=4096)
def _long_date(language: str, day: date) -> str:
    return str(babel_date(day, "long", locale=language))
