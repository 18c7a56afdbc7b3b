"""A document as data: titled sections of tables, fields and text, independent of the format.

A pack builder (reports/packs/) fills a `Document` from the ledger; the renderers turn the same
`Document` into HTML/PDF (reports/render.py), XLSX (reports/xlsx.py) or CSV. Money cells hold
the amount as the document shows it: the builder rounds each shown line at the currency's minor
unit and adds up totals from those rounded lines (reports/rounding.py), so every document foots
on paper and in a spreadsheet. Quantities, unit values ("price") and rates keep their exact
values; formatting happens only in the renderer, for the reader's locale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from reports import i18n


@dataclass
class Column:
    key: str
    label: str  # translation key, e.g. "col.received"
    kind: str = "text"  # text | qty | money | price | rate | date | int
    currency_key: str | None = None  # for money/price: the row field naming the currency
    currency: str | None = None  # for money/price: a fixed currency (e.g. UAH)
    width: str | None = None  # CSS width hint, e.g. "8%"

    def currency_of(self, row: dict[str, Any]) -> str | None:
        if self.currency:
            return self.currency
        return row.get(self.currency_key) if self.currency_key else None

    @property
    def numeric(self) -> bool:
        return self.kind in ("qty", "money", "price", "rate", "int")


@dataclass(frozen=True)
class Amount:
    """A figure among a section's fields: the text a page shows (formatted for the document's
    locale), and the number a workbook stores, so a spreadsheet can add it up."""

    value: Decimal
    text: str
    currency: str | None = None  # money: its currency; None: a quantity

    def __str__(self) -> str:
        return self.text

    @classmethod
    def money(cls, value: Decimal, currency: str, locale: str, suffix: str = "") -> Amount:
        return cls(value, i18n.money_cur(value, currency, locale) + suffix, currency)

    @classmethod
    def quantity(cls, value: Decimal, locale: str) -> Amount:
        return cls(value, i18n.qty(value, locale))

    @classmethod
    def quantity_or_dash(cls, value: Decimal | None, locale: str) -> Amount | str:
        """A total of figures that may all be missing (no weights given): "—", not 0."""
        return "—" if value is None else cls.quantity(value, locale)


@dataclass
class Section:
    key: str  # sheet name / anchor
    title: str  # translation key
    columns: list[Column] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    totals: list[dict[str, Any]] = field(default_factory=list)  # rows shown bold after rows
    fields: list[tuple[str, Any]] = field(default_factory=list)  # (translation key, text|Amount)
    paragraphs: list[dict[str, str]] = field(default_factory=list)  # {"en": ..., "uk": ...}
    charts: list[str] = field(default_factory=list)  # SVG from reports/charts.py (escaped labels)
    note: dict[str, str] | None = None
    wide: bool = False  # landscape pages
    empty_text: str = "doc.none"
    page_break: bool = False


@dataclass
class Document:
    kind: str  # reconciliation | customs-pack | accounting-pack | donor-pack
    title: str  # translation key
    subtitle: str
    scope: list[tuple[str, str]]  # (translation key, value) shown under the title
    sections: list[Section]
    entry_ids: list[int] = field(default_factory=list)
    code: str = ""
    as_of: int = 0
    not_ready: list[str] = field(default_factory=list)  # reasons; any -> stamped NOT READY
    findings: list[dict[str, Any]] | None = None
    locale: str = "en"
    landscape: bool = False  # every page A4 landscape (documents of wide tables)
    csv_columns: list[str] = field(default_factory=list)  # CSV: these keys of section 0's rows
    generated: dt.date = field(default_factory=dt.date.today)

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    def cell_text(self, col: Column, row: dict[str, Any]) -> str:
        return i18n.fmt_value(col.kind, row.get(col.key), col.currency_of(row), self.locale)


def dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))
