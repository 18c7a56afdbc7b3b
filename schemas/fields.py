"""Field types shared by the row schemas: codes, dates, exact decimals, ISO codes.

Parsing is deliberately forgiving of how spreadsheets write things (DD.MM.YYYY, Excel dates,
decimal commas in `;` files) and strict about what they mean (codes, signs, known currencies).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
)

from ledger.decimals import dstr

CODE_RE = re.compile(r"^[A-Za-z0-9._-]+$")
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DMY_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", re.ASCII)
EXCEL_EPOCH = dt.date(1899, 12, 30)
MAX_DIGITS = 15  # whole digits of a quantity, unit value or rate
MAX_SCALE = 12  # digits after the decimal point
# In a file with decimal commas, `1.234` or `12.500.000`: thousands or a decimal point?
# Both marks in one number: groups of three digits, then the other mark and the decimals
COMMA_GROUPS = r"[+-]?\d{1,3}(?:,\d{3})+\.\d*"  # 1,234.50: commas group, a point marks
COMMA_GROUPED_NUMBER = re.compile(rf"^{COMMA_GROUPS}$")
GROUPED = re.compile(rf"^(?:[+-]?\d{{1,3}}(?:\.\d{{3}})+,\d*|{COMMA_GROUPS})$")
COMMAS_ONLY = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+$")  # 12,500 or 1,234,567; not 0,500
THOUSANDS_ONLY = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$")  # not 0.500: no thousands
# What a number may look like once decimal commas are resolved (an exponent as spreadsheets
# write tiny values, 1E-06, is exact and kept)
PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$", re.ASCII)


# Dates a ledger of today's aid can hold. Outside them a date is a typo (0202-03-01 for
# 2022-03-01), and the tools the books are exported to refuse it (ledger-cli reads years
# 1400–9999; a closing balance is asserted on the day after the last entry).
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def _date_field(v: Any, info: ValidationInfo) -> Any:
    """A row's date: serial day numbers count from the workbook's epoch, the context's
    `excel_epoch` (a Mac workbook of the 1904 date system starts four years later)."""
    return parse_date(v, (info.context or {}).get("excel_epoch", EXCEL_EPOCH))


def parse_date(v: Any, epoch: dt.date = EXCEL_EPOCH) -> Any:
    """ISO `YYYY-MM-DD`, `DD.MM.YYYY`, an Excel date cell, or an Excel serial day number
    (counted from `epoch`), between `FIRST_DATE` and `LAST_DATE`."""
    day = _parse_date(v, epoch)
    if day is not None and not FIRST_DATE <= day <= LAST_DATE:
        raise ValueError(f"year {day.year} is outside {FIRST_DATE.year}–{LAST_DATE.year}: a typo?")
    return day


def _parse_date(v: Any, epoch: dt.date) -> Any:
    if v is None or (isinstance(v, dt.date) and not isinstance(v, dt.datetime)):
        return v
    if isinstance(v, dt.datetime):
        if v.time() != dt.time(0):
            raise ValueError("expected a date without a time of day")
        return v.date()
    if isinstance(v, int | float) and not isinstance(v, bool):
        n = spreadsheet_number(v) if isinstance(v, float) else Decimal(v)
        if n == n.to_integral_value() and 20000 < n < 80000:
            return epoch + dt.timedelta(days=int(n))
        raise ValueError("not a date")
    if isinstance(v, str):
        s = v.strip()
        if not s.isascii():  # fromisoformat and int() would read ٠٤ and ０４ as digits
            raise ValueError("not a date: use YYYY-MM-DD or DD.MM.YYYY in ASCII digits")
        if s.isdigit() and 20000 < int(s) < 80000:  # an Excel serial day that lost its format
            return epoch + dt.timedelta(days=int(s))
        if m := DMY_RE.match(s):
            day, month, year = (int(x) for x in m.groups())
            try:
                return dt.date(year, month, day)
            except ValueError as e:
                raise ValueError(f"not a real date ({e})") from None
        if not ISO_DATE_RE.match(s):  # fromisoformat also reads 20240105 and 2024-W01-5
            raise ValueError("not a date: use YYYY-MM-DD or DD.MM.YYYY")
        try:
            return dt.date.fromisoformat(s)
        except ValueError as e:
            raise ValueError(f"not a real date ({e})") from None
    raise ValueError("not a date")


class ColumnError(ValueError):
    """A check across columns of a row, blamed on the column the user should look at (so the
    error names a column and its value, as single-column errors do)."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def loose_decimal(v: Any) -> Decimal | None:
    """A number from an optional column kept in a row's source (`extra`, text as typed, e.g.
    a wear % of "40" or "40,5"); None when it reads as none. The rules engine and the packs
    read such columns with this one function, so a pack never shows what a rule did not see."""
    if v is None or isinstance(v, Decimal):
        return v
    try:
        return Decimal(str(v).strip().replace(",", "."))
    except InvalidOperation:
        return None


SPREADSHEET_DIGITS = 15  # significant digits a spreadsheet program keeps of a number


def spreadsheet_number(v: float) -> Decimal:
    """A binary float (a workbook's number cell) as the spreadsheet program shows it: its
    value at 15 significant digits, whole numbers unchanged.

    A formula's result is stored as the nearest binary float (`=0.1+0.2` as
    0.30000000000000004, 370370.367 as 370370.36699999997); Excel shows and computes with 15
    digits, so that is the number the user sees and means. Every float out of a workbook turns
    into a number or text here, so a cell reads the same in a number, a code or a text column.
    """
    if v.is_integer():
        return Decimal(int(v))
    return Decimal(format(v, f".{SPREADSHEET_DIGITS}g"))


def spreadsheet_text(v: float) -> str:
    """A float cell as text (a code, a remark, a number column's input): canonical digits,
    without an exponent, as `spreadsheet_number` reads it."""
    return dstr(spreadsheet_number(v))


def parse_decimal(v: Any, info: ValidationInfo) -> Any:
    """Exact decimal from text; a decimal comma only where the file allows it (`;` files)."""
    if v is None or isinstance(v, Decimal):
        return v
    if isinstance(v, bool):
        raise ValueError("not a number")
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):  # a number cell handed over as a float: as the program shows it
        return _in_range(_finite(spreadsheet_number(v)))
    if isinstance(v, dt.date):
        raise ValueError(DATE_FOR_NUMBER)
    if not isinstance(v, str):
        raise ValueError("not a number")
    s = v.strip().replace("\u00a0", "").replace("\u202f", "")
    comma_ok = bool(info.context and info.context.get("decimal_comma"))
    if comma_ok and "," not in s and THOUSANDS_ONLY.match(s):
        raise ValueError(
            "ambiguous where decimal commas are used: a point before three digits may group "
            "thousands (12.500 = 12500) or be a decimal point (12.5); write 12500 or 12,5"
        )
    if comma_ok and "." not in s and info.context.get("comma_groups") and COMMAS_ONLY.match(s):
        raise ValueError(
            "ambiguous: this file groups thousands with commas elsewhere (1,234.50), so a comma "
            "before three digits may group thousands (12,500 = 12500) or be a decimal comma "
            "(12.5); write 12500 or 12.5"
        )
    if "," in s:
        # "use a decimal point" would make 1,000 (as spreadsheets group thousands) 1.000 = 1
        if not comma_ok and COMMAS_ONLY.match(s):
            raise ValueError(
                "ambiguous: a comma before three digits may group thousands (as spreadsheets "
                f"write {s.replace(',', '')}) or be a decimal comma, and this file uses decimal "
                f"points: remove the thousands separator ({s.replace(',', '')}), or write a "
                "decimal point if the comma marks decimals"
            )
        if not comma_ok and COMMA_GROUPED_NUMBER.match(s):
            raise ValueError(
                f"a comma grouping thousands: remove the thousands separator ({s.replace(',', '')})"
            )
        if not comma_ok:
            raise ValueError(
                "decimal comma where decimal points are used (only a ;-delimited "
                "CSV file may use decimal commas): use a decimal point"
            )
        s = s.replace(" ", "")
        if "." in s and not GROUPED.match(s):
            raise ValueError(
                "a number with both a point and a comma must group thousands with one of them "
                "and mark decimals with the other (1.234,5 or 1,234.5)"
            )
        if "." in s and s.rfind(".") > s.rfind(","):  # 12,500.75: the comma groups thousands
            s = s.replace(",", "")
        else:  # 12.500,75 or 12,5: the comma is the decimal mark
            s = s.replace(".", "").replace(",", ".")
    try:
        d = _finite(Decimal(s))
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not PLAIN_NUMBER.match(s):  # Decimal also reads 1_000, ٣ and ５: FORMATS says digits
        raise ValueError("not a plain number: write ASCII digits 0-9 with a decimal point, "
                         "without _ or other separators")  # fmt: skip
    return _in_range(d)


# A date cell where a number belongs: a number column the spreadsheet formatted as dates shows
# 5 as 1900-01-05, which "not a number" alone leaves the user puzzling over
DATE_FOR_NUMBER = (
    "the cell holds a date where a number is expected (is the cell formatted as a date?): "
    "format it as a number"
)


def _finite(d: Decimal) -> Decimal:
    if not d.is_finite():
        raise ValueError("not a finite number")
    return d


def _in_range(d: Decimal) -> Decimal:
    """What the ledger's exact columns hold (`MAX_DIGITS`, `MAX_SCALE`), for text and float
    input alike."""
    if d != 0 and not (-MAX_SCALE <= d.as_tuple().exponent and d.adjusted() < MAX_DIGITS):
        raise ValueError(
            f"number out of range: at most {MAX_DIGITS} digits before and {MAX_SCALE} after the point"
        )
    return d


def _positive(d: Decimal) -> Decimal:
    if d <= 0:
        raise ValueError("must be greater than 0")
    return d


def _non_negative(d: Decimal) -> Decimal:
    if d < 0:
        raise ValueError("must not be negative")
    return d


def _code(s: str) -> str:
    if not CODE_RE.match(s):
        why = "codes may only use Latin letters A–Z, digits, '.', '_' and '-'"
        if any(ch.isalpha() and not ch.isascii() for ch in s):  # АКТ-5 looks like letters
            why += "; not Latin: " + " ".join(
                dict.fromkeys(c for c in s if c.isalpha() and not c.isascii())
            )
        raise ValueError(why)
    # One string object per distinct code: a large import keeps codes in hundreds of thousands
    # of running balances, and the same item or warehouse code read from each row would
    # otherwise be a copy of its own.
    return sys.intern(s)


@cache
def iso_currencies() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


@cache
def iso_countries() -> frozenset[str]:
    from babel import Locale

    return frozenset(k for k in Locale("en").territories if len(k) == 2 and k.isalpha())


def _currency(s: str) -> str:
    if s not in iso_currencies():
        raise ValueError("unknown ISO 4217 currency code")
    return s


def _country(s: str) -> str:
    if s not in iso_countries():
        raise ValueError("unknown ISO 3166-1 alpha-2 country code")
    return s


def _bool(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    s = str(v).strip().lower()
    if s in ("true", "yes", "1", "так", "ano", "tak", "y"):
        return True
    if s in ("false", "no", "0", "ні", "ne", "nie", "n"):
        return False
    raise ValueError("expected true or false")


def _int(v: Any) -> Any:
    """A whole number (a line number, a count of packages) from text or a number cell.

    A fraction (24.5) or a date cell is refused in words the user can act on, not pydantic's
    "unable to parse string as an integer"; other text is left to pydantic's int check."""
    if isinstance(v, bool) or v is None or isinstance(v, int):
        return v
    if isinstance(v, float):
        return _whole(spreadsheet_number(v))
    if isinstance(v, dt.date):
        raise ValueError(DATE_FOR_NUMBER)
    if isinstance(v, str):
        s = v.strip()
        if s.isascii() and s.isdigit():
            return _whole(Decimal(s))
        if "_" in s or not s.isascii() or not POINT_NUMBER.match(s):  # int() reads 1_000, ٣, ５
            raise ValueError("not a whole number: write ASCII digits 0-9")
        return _whole(Decimal(s))  # 24.5, 24.0: a number, but is it whole?
    return v


# A number with at most a decimal point: no exponent, which `int(Decimal("1e1000000"))` would
# expand to a million digits (one cell held an import for minutes)
POINT_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$", re.ASCII)


def _whole(d: Decimal) -> int:
    if not d.is_finite() or d != d.to_integral_value():
        text = dstr(d) if d.is_finite() else str(d)
        shown = text if len(text) <= 30 else f"{text[:27]}…"
        raise ValueError(f"must be a whole number, not {shown}")
    if d > MAX_WHOLE:  # before int(): a giant stays a Decimal
        raise ValueError(f"too large: a whole number here is at most {MAX_WHOLE:,}")
    return int(d)


Code = Annotated[str, StringConstraints(max_length=64), AfterValidator(_code)]


def _subject(s: str) -> str:
    parts = s.split("/")
    if len(parts) > 2 or not all(CODE_RE.match(p) for p in parts):
        raise ValueError(
            "a subject is a reference (letters, digits, '.', '_', '-'), or two joined by one "
            "'/' to say whose it is: receipt_ref/shipment_ref, donor/pledge_ref"
        )
    return sys.intern(s)


HS_CODE = re.compile(r"^\d{6,10}$", re.ASCII)


def _hs_code(s: str) -> str:
    """An HS code, 6 to 10 digits. Many start with 0 (040221, milk powder), which a spreadsheet
    drops when it stores the column as numbers: say so, not pydantic's pattern."""
    if HS_CODE.match(s):
        return s
    why = "an HS code is 6 to 10 digits"
    if s.isascii() and s.isdigit() and len(s) < 6:
        why += (f"; a spreadsheet may have dropped a leading zero ({s.zfill(6)} stored as the "
                f"number {s}): store the column as text and type the code again")  # fmt: skip
    raise ValueError(why)


HsCode = Annotated[str, AfterValidator(_hs_code)]


# what a document belongs to: a code, or two (`GRN1/S2`: receipt GRN1 of shipment S2)
Subject = Annotated[str, StringConstraints(max_length=64), AfterValidator(_subject)]
Date = Annotated[dt.date, BeforeValidator(_date_field)]
# In JSON mode (a row's stored `src`) a decimal is its canonical text: "1.50" and "1.5" alike.
_CANONICAL = PlainSerializer(dstr, return_type=str, when_used="json")
Dec = Annotated[Decimal, BeforeValidator(parse_decimal), _CANONICAL]
Quantity = Annotated[Decimal, BeforeValidator(parse_decimal), AfterValidator(_positive), _CANONICAL]
NonNegative = Annotated[
    Decimal, BeforeValidator(parse_decimal), AfterValidator(_non_negative), _CANONICAL
]
Currency = Annotated[str, AfterValidator(_currency)]
Country = Annotated[str, AfterValidator(_country)]
Flag = Annotated[bool, BeforeValidator(_bool)]
# PostgreSQL's INTEGER (SQLite's would take up to 2^63 − 1): one limit on every engine, checked
# with the row's other values instead of failing in the database's own words
MAX_WHOLE = 2_147_483_647


def _storable(v: int) -> int:
    if v > MAX_WHOLE:
        raise ValueError(f"too large: a whole number here is at most {MAX_WHOLE:,}")
    return v


LineNo = Annotated[int, BeforeValidator(_int), AfterValidator(_storable)]
