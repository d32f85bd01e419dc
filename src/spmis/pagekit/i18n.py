"""Khmer and English: message catalogues, the reader's language, and locale formatting.

The catalogues are the ``translations/<locale>/LC_MESSAGES/messages.po`` files; they are compiled
in memory with Babel when first used, so a fresh checkout needs no build step. Numbers, dates and
money are formatted by Babel for the reader's locale; money is an integer in the smallest unit
(riel have none, US dollars have cents).
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, get_date_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations

#: the one catalogue of every package's pages (files, kept beside the web pages)
TRANSLATIONS_DIR = Path(__file__).parents[1] / "web" / "translations"
LOCALES: tuple[str, ...] = ("km", "en")
DEFAULT_LOCALE = "km"
LANG_COOKIE = "spmis_lang"
LANG_PARAM = "lang"
TIMEZONE = ZoneInfo("Asia/Phnom_Penh")
#: names of the languages, each in its own language (for the switch)
LANGUAGE_NAMES = {"km": "ខ្មែរ", "en": "English"}
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
Day = date  # the class's ``date`` method hides the type inside it


def po_path(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> Translations:
    """The compiled catalogue of ``locale`` (built from its .po file on first use)."""
    with po_path(locale).open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain="messages")


def choose_locale(query: str | None, cookie: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The language asked for in the query, else the one remembered in the cookie, else Khmer."""
    for value in (query, cookie):
        if value in LOCALES:
            return str(value)
    return default


class Formatter:
    """Locale formatting bound to one language (given to templates as ``fmt``)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.babel_locale = Locale.parse(locale)

    def digits(self, text: str) -> str:
        """Khmer digits on Khmer pages (as the screener's reasons and printed forms use)."""
        return text.translate(KHMER_DIGITS) if self.locale == "km" else text

    def number(self, value: int | float) -> str:
        return self.digits(format_decimal(value, locale=self.babel_locale))

    def date(self, value: date | None, style: str = "medium") -> str:
        if value is None:
            return ""
        return self.digits(format_date(value, style, locale=self.babel_locale))

    def month(self, value: str | Day | None) -> str:
        """A month for people: 'December 2026' / 'ធ្នូ ២០២៦', from 'YYYY-MM' (periods) or a date.
        Text that is not a month is returned as it is."""
        if value is None:
            return ""
        if isinstance(value, str):
            try:
                day = Day.fromisoformat(f"{value[:7]}-01")
            except ValueError:
                return value
        else:
            day = value
        return self.digits(format_date(day, "MMMM y", locale=self.babel_locale))

    def percent(self, value: float) -> str:
        """A rate as a percentage: 0.026 -> '2.6%'."""
        return self.digits(format_percent(value, "#,##0.##%", locale=self.babel_locale))

    def datetime(self, value: datetime | None,
                 style: Literal["full", "long", "medium", "short"] = "medium") -> str:
        """A moment shown in Cambodia's time (stored times are UTC). Khmer pages use the 24-hour
        clock: CLDR's Khmer times end in the English "AM"/"PM"."""
        if value is None:
            return ""
        if self.locale == "km":
            pattern = get_date_format(style, locale=self.babel_locale).pattern
            return self.digits(format_datetime(value, f"{pattern}, HH:mm", tzinfo=TIMEZONE,
                                               locale=self.babel_locale))
        return self.digits(
            format_datetime(value, style, tzinfo=TIMEZONE, locale=self.babel_locale)
        )

    def money(self, amount: int, currency: str = "KHR") -> str:
        """``amount`` in the smallest unit of ``currency``: riel whole, US dollars from cents."""
        if currency == "KHR":
            text = format_currency(
                amount, "KHR", "#,##0 ¤", locale=self.babel_locale, currency_digits=False
            )
        else:
            text = format_currency(Decimal(amount) / 100, currency, locale=self.babel_locale)
        return self.digits(text)
