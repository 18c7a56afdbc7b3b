"""Words and numbers for the reader: bilingual labels from translations.toml, Babel formatting.

Every label the packs print lives in `reports/translations.toml` (English and Ukrainian), so an
accountant can correct the wording without touching code. Money is shown at the currency's minor
unit (JPY 0 decimals, others 2; reports/rounding.py says how documents round so that they foot),
unit values, prices, rates and quantities as they are, dates in the reader's locale.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from reports.rounding import exact, minor_digits, round_money, unsigned_zero

TRANSLATIONS = Path(__file__).resolve().parent / "translations.toml"
LOCALES = ("en", "uk")


@cache
def _table() -> dict[str, dict[str, dict[str, str]]]:
    with TRANSLATIONS.open("rb") as f:
        return tomllib.load(f)


def label(key: str) -> dict[str, str]:
    """`"col.received"` -> {"en": "received", "uk": "отримано"}; unknown keys fail loudly."""
    group, _, name = key.partition(".")
    try:
        entry = _table()[group][name]
    except KeyError:
        raise KeyError(f"no translation {key!r} in {TRANSLATIONS.name}") from None
    return {"en": entry["en"], "uk": entry.get("uk", entry["en"])}


def en(key: str) -> str:
    return label(key)["en"]


def both(key: str, sep: str = " / ") -> str:
    words = label(key)
    return words["en"] if words["en"] == words["uk"] else f"{words['en']}{sep}{words['uk']}"


def term(group: str, value: str | None) -> str:
    """A value the ledger keeps as an English code (a customs event, a write-off reason, a
    consignment's status) as a document shows it: bilingual, like every label, from the
    `[group]` table of translations.toml ("held" -> "held / затримано"). A value the table does
    not know is shown as recorded, never dropped. CSV files keep the code itself (FORMATS.md)."""
    if not value:
        return ""
    if value not in _table().get(group, {}):
        return value
    return both(f"{group}.{value}")


def money(amount: Decimal | None, currency: str | None, locale: str = "en") -> str:
    """Amount without the currency code, at the currency's minor unit: 1,234.50 / 1 234,50."""
    if amount is None:
        return ""
    from babel.numbers import format_decimal

    digits = minor_digits(currency or "XXX")
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(round_money(amount, currency or "XXX"), format=fmt, locale=locale,
                          decimal_quantization=True)  # fmt: skip


def money_cur(amount: Decimal | None, currency: str | None, locale: str = "en") -> str:
    """Amount with its currency, Babel style: CZK 1,234.50 (en) / 1 234,50 CZK (uk)."""
    if amount is None or currency is None:
        return ""
    from babel.numbers import format_currency

    return format_currency(round_money(amount, currency), currency, locale=locale)


def price(amount: Decimal | None, currency: str | None, locale: str = "en") -> str:
    """A unit value or price as recorded, never rounded: at least the currency's minor digits,
    more when it has them (10.005 CZK -> 10.005, 12.5 CZK -> 12.50, 1234.5 JPY -> 1,234.5)."""
    if amount is None:
        return ""
    from babel.numbers import format_decimal

    digits = minor_digits(currency or "XXX")
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(exact(amount), format=fmt, locale=locale, decimal_quantization=False)


def qty(amount: Decimal | int | None, locale: str = "en") -> str:
    """A quantity as recorded (no rounding): 1,250 or 12.5."""
    if amount is None:
        return ""
    from babel.numbers import format_decimal

    if isinstance(amount, Decimal):
        amount = exact(amount)
    return format_decimal(amount, locale=locale, decimal_quantization=False)


def rate(amount: Decimal | None, locale: str = "en") -> str:
    """An exchange rate as recorded, at least 4 decimals (1.6789, 0.28123456)."""
    if amount is None:
        return ""
    from babel.numbers import format_decimal

    return format_decimal(unsigned_zero(amount), format="#,##0.0000", locale=locale,
                          decimal_quantization=False)  # fmt: skip


def date(value: dt.date | None, locale: str = "en") -> str:
    if value is None:
        return ""
    from babel.dates import format_date

    return format_date(value, format="medium", locale=locale)


def fmt_value(kind: str, value: Any, currency: str | None, locale: str) -> str:
    """Text of one table cell by column kind (text, qty, money, price, rate, date, int)."""
    if value is None or value == "":
        return ""
    if kind == "money":
        return money(value, currency, locale)
    if kind == "price":
        return price(value, currency, locale)
    if kind in ("qty", "int"):
        return qty(value, locale)
    if kind == "rate":
        return rate(value, locale)
    if kind == "date":  # a word where no date is (e.g. "not confirmed") is shown as it is
        return date(value, locale) if isinstance(value, dt.date) else str(value)
    return str(value)
