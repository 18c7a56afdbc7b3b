"""Words and numbers for the reader: bilingual labels from translations.toml, Babel formatting.

Every label the packs print lives in `reports/translations.toml` (English and Ukrainian), so an
accountant can correct the wording without touching code. Money is shown at the currency's minor
unit (JPY 0 decimals, others 2), quantities as they are, dates in the reader's locale.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

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


@cache
def minor_digits(currency: str) -> int:
    from babel.numbers import get_currency_precision

    try:
        return int(get_currency_precision(currency))
    except Exception:  # unknown to Babel: the usual two
        return 2


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round only where a document shows money: at the currency's minor unit (invariant 6)."""
    return amount.quantize(Decimal(1).scaleb(-minor_digits(currency)), rounding=ROUND_HALF_UP)


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


def qty(amount: Decimal | int | None, locale: str = "en") -> str:
    """A quantity as recorded (no rounding): 1,250 or 12.5."""
    if amount is None:
        return ""
    from babel.numbers import format_decimal

    return format_decimal(amount, locale=locale, decimal_quantization=False)


def rate(amount: Decimal | None, locale: str = "en") -> str:
    if amount is None:
        return ""
    from babel.numbers import format_decimal

    return format_decimal(amount, format="#,##0.0000##", locale=locale)


def date(value: dt.date | None, locale: str = "en") -> str:
    if value is None:
        return ""
    from babel.dates import format_date

    return format_date(value, format="medium", locale=locale)


def fmt_value(kind: str, value: Any, currency: str | None, locale: str) -> str:
    """Text of one table cell by column kind (text, qty, money, rate, date, int)."""
    if value is None or value == "":
        return ""
    if kind == "money":
        return money(value, currency, locale)
    if kind in ("qty", "int"):
        return qty(value, locale)
    if kind == "rate":
        return rate(value, locale)
    if kind == "date":
        return date(value, locale)
    return str(value)
