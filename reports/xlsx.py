"""XLSX from a `Document`: one sheet per section, numbers as numbers, text always inert.

Numbers are written as numbers. Money is stored as the document shows it (rounded at the
currency's minor unit, JPY 0 decimals, by the pack builder), so a SUM of a column equals its total
cell; unit values, rates and quantities are stored as recorded, each with a number format of
exactly the decimals it has (a format never hides a digit the value has); every text cell is a string cell (data_type 's'), and text a spreadsheet would run as a formula
(=, +, -, @ ...) also gets a leading apostrophe, as in CSV (reports/tabular.neutralise).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger.formulas import neutralise, writable
from reports import i18n
from reports.model import Amount, Column, Document
from reports.rounding import decimals, exact

BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _number_format(col: Column, row: dict[str, Any], value: Any = None) -> str:
    """The cell's format: money at its minor unit; a price, rate or quantity with as many
    decimals as the value has (at least the currency's minor digits, four for a rate)."""
    if col.kind == "date":
        return "yyyy-mm-dd"
    if col.kind not in ("money", "price", "rate", "qty", "int"):
        return "General"
    have = decimals(value) if isinstance(value, Decimal) else 0
    if col.kind == "money":
        digits = i18n.minor_digits(col.currency_of(row) or "XXX")
    elif col.kind == "price":
        digits = max(i18n.minor_digits(col.currency_of(row) or "XXX"), have)
    elif col.kind == "rate":
        digits = max(4, have)
    else:
        digits = have
    return "#,##0" + ("." + "0" * digits if digits else "")


def _put(ws: Any, r: int, c: int, value: Any, col: Column | None = None,
         row: dict[str, Any] | None = None) -> Any:  # fmt: skip
    cell = ws.cell(row=r, column=c)
    if value is None or value == "":
        return cell
    if isinstance(value, bool):
        value = str(value).lower()
    if col is not None and col.kind == "money" and isinstance(value, Decimal):
        value = i18n.round_money(value, col.currency_of(row or {}) or "XXX")
    elif isinstance(value, Decimal):
        value = exact(value)
    if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
        cell.value = value
        if col is not None:
            cell.number_format = _number_format(col, row or {}, value)
    elif isinstance(value, (dt.date, dt.datetime)):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        cell.value = writable(neutralise(str(value)))
        cell.data_type = "s"  # never a formula, whatever the text
    return cell


def _stamp_printout(ws: Any, doc: Document) -> None:
    """A pack that is NOT READY says so in the header of every printed page of every sheet."""
    if doc.not_ready:
        ws.oddHeader.center.text = i18n.both("doc.not_ready")
        ws.oddHeader.center.color = "B00020"


def write_xlsx(doc: Document, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="E8EDF3")
    cover = wb.active
    cover.title = "About"
    title = i18n.label(doc.title)
    _put(cover, 1, 1, title["en"]).font = Font(bold=True, size=14)
    _put(cover, 2, 1, title["uk"])
    _put(cover, 3, 1, doc.subtitle)
    r = 5
    for key, value in doc.scope:
        _put(cover, r, 1, i18n.both(key))
        _put(cover, r, 2, value)
        r += 1
    _put(cover, r, 1, i18n.both("doc.as_of_entry"))
    _put(cover, r, 2, doc.as_of)
    _put(cover, r + 1, 1, i18n.both("doc.verification_code"))
    _put(cover, r + 1, 2, doc.code)
    r += 3
    if doc.not_ready:
        _put(cover, r, 1, i18n.both("doc.not_ready")).font = Font(bold=True, color="B00020")
        for reason in doc.not_ready:
            r += 1
            _put(cover, r, 2, reason)
    _stamp_printout(cover, doc)
    cover.column_dimensions["A"].width = 45
    cover.column_dimensions["B"].width = 80
    used: set[str] = {"About"}
    for section in doc.sections:
        name = BAD_SHEET_CHARS.sub("-", section.key)[:31]
        while name in used:
            name = name[:28] + f"_{len(used)}"
        used.add(name)
        ws = wb.create_sheet(name)
        words = i18n.label(section.title)
        heading = f"{words['en']} / {words['uk']}"
        if doc.not_ready:  # every sheet says it, as every PDF page does: one may be sent alone
            heading += f" — {i18n.both('doc.not_ready')}"
        _put(ws, 1, 1, heading).font = Font(bold=True, color="B00020") if doc.not_ready else bold
        _stamp_printout(ws, doc)
        r = 2
        for p in section.paragraphs:
            _put(ws, r, 1, p["en"])
            _put(ws, r + 1, 1, p["uk"])
            r += 2
        for key, value in section.fields:
            _put(ws, r, 1, i18n.both(key))
            if isinstance(value, Amount):  # a number, with its currency beside it
                kind = "money" if value.currency else "qty"
                _put(ws, r, 2, value.value, Column(key, key, kind, currency=value.currency))
                _put(ws, r, 3, value.currency)
            else:
                _put(ws, r, 2, value)
            r += 1
        if section.columns:
            r += 1
            header = r
            for c, col in enumerate(section.columns, 1):
                cell = _put(ws, r, c, i18n.both(col.label, "\n"))
                cell.font, cell.fill = bold, head_fill
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                ws.column_dimensions[cell.column_letter].width = 22 if col.kind == "text" else 14
            for row in section.rows:
                r += 1
                for c, col in enumerate(section.columns, 1):
                    _put(ws, r, c, row.get(col.key), col, row)
            for row in section.totals:
                r += 1
                for c, col in enumerate(section.columns, 1):
                    _put(ws, r, c, row.get(col.key), col, row).font = bold
            ws.freeze_panes = ws.cell(row=header + 1, column=1)
        if section.note:
            _put(ws, r + 2, 1, section.note["en"])
            _put(ws, r + 3, 1, section.note["uk"])
    wb.properties.keywords = doc.code
    wb.properties.title = title["en"]
    path.write_bytes(_workbook_bytes(wb, dt.datetime.combine(doc.generated, dt.time())))


def _workbook_bytes(wb: Any, stamp: dt.datetime) -> bytes:
    """The workbook's file, the same bytes for the same document: stamped with the document's
    day, not the moment of writing (openpyxl's `save` stamps `modified` and every zip member
    with the clock), as the PDFs are."""
    import io
    import zipfile

    from openpyxl.writer.excel import ExcelWriter

    class _Stamped(zipfile.ZipFile):
        def writestr(self, name: Any, data: Any, *args: Any, **kwargs: Any) -> None:
            if isinstance(name, str):
                name = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                name.compress_type = zipfile.ZIP_DEFLATED
                name.external_attr = 0o600 << 16  # as ZipFile.writestr gives a plain name
            super().writestr(name, data, *args, **kwargs)

        def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
            # worksheets come from temporary files: their stamp would be the file's mtime
            self.writestr(str(arcname or filename), Path(filename).read_bytes())

    wb.properties.created = wb.properties.modified = stamp
    buffer = io.BytesIO()
    with _Stamped(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()
    return buffer.getvalue()
