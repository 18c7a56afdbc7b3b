"""The ledger's records back in the exchange format: what `aidledger import` reads (FORMATS.md).

Every record keeps the validated row it was made from (`src`), so the bundle writes those rows
again, one CSV file per kind (or one workbook with a sheet per kind): master data whole, events
whose entry stands (a reversed record is left out; a corrected one appears as corrected), in
the order they were booked. Importing the bundle into an empty ledger books the same events
again. Columns are the format's, in its order, then any extra columns the rows came with.
Text a spreadsheet would run as a formula gets the usual apostrophe, which the importer drops.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, String, select, type_coerce

from ledger.book import RECORD_TABLES
from ledger.db.ordering import bytewise
from ledger.errors import LedgerError
from ledger.formulas import neutralise, writable
from ledger.importer.readers import expand
from reports.data import reversed_entries
from reports.outfiles import replaced
from schemas.rows import ROW_TYPES


@dataclass
class BundleStats:
    path: Path
    rows: dict[str, int] = field(default_factory=dict)  # kind -> rows written


STREAM_ROWS = 5_000  # records fetched at a time: a 1M-posting ledger has ~350k of them


def _raw(column: Any) -> Any:
    """The stored JSON as the driver gives it: text on SQLite (parsed here only when needed),
    a dict on PostgreSQL."""
    return type_coerce(column, String()).label("src")


def _src(value: str | dict[str, Any]) -> dict[str, Any]:
    """A stored row: JSON text on SQLite, already a dict on PostgreSQL."""
    return value if isinstance(value, dict) else json.loads(value)


def records(conn: Connection, kind: str, gone: set[int]) -> Iterator[dict[str, Any]]:
    """The validated rows of one kind's standing records, in booking order, streamed."""
    table = RECORD_TABLES[kind].__table__
    has_entry = "entry_id" in table.c
    order = [table.c.entry_id, table.c.id] if has_entry else list(table.primary_key.columns)
    query = select(_raw(table.c.src), *([table.c.entry_id] if has_entry else [])).order_by(
        *bytewise(conn.dialect.name, *order)
    )
    for row in conn.execution_options(yield_per=STREAM_ROWS).execute(query):
        if not (has_entry and row.entry_id in gone):
            yield _src(row.src)


def columns(conn: Connection, kind: str) -> list[str]:
    """The format's columns for the kind, then the extra columns its rows came with, in
    first-seen order (a first pass that parses only rows whose `extra` is not empty)."""
    extra: dict[str, None] = {}
    table = RECORD_TABLES[kind].__table__
    for (src,) in conn.execution_options(yield_per=STREAM_ROWS).execute(select(_raw(table.c.src))):
        if isinstance(src, str) and src.startswith(NO_EXTRA):
            continue
        extra.update(dict.fromkeys(_src(src).get("extra") or {}))
    known = ROW_TYPES[kind].columns()
    return known + [c for c in extra if c not in known]


NO_EXTRA = '{"extra":{}'  # how `Row.canonical` starts a row without extra columns


def text(value: Any) -> str:
    """A cell as the importer reads it back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(str(value))


def cells(header: list[str], row: dict[str, Any]) -> list[str]:
    extra = row.get("extra") or {}
    return [text(row[c] if c in row else extra.get(c)) for c in header]


def write_bundle(conn: Connection, out: Path) -> BundleStats:
    """Write every kind that has records: CSV files into the folder `out`, or, when `out` ends
    in `.xlsx`, one workbook with a sheet per kind. Rows are streamed: memory stays flat.

    A folder written before is written again: a kind that has no records any more loses its
    file, which would otherwise bring them back on import. Other files the importer would read
    with the bundle are refused rather than deleted.
    """
    gone = reversed_entries(conn)
    stats = BundleStats(Path(out))
    workbook = Path(out).suffix.lower() == ".xlsx"
    if workbook:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
    else:
        _check_folder(Path(out))
        Path(out).mkdir(parents=True, exist_ok=True)
    for kind in RECORD_TABLES:
        rows = records(conn, kind, gone)
        first = next(rows, None)
        if first is None:
            if not workbook:
                (Path(out) / f"{kind}.csv").unlink(missing_ok=True)
            continue
        header = columns(conn, kind)
        n = 0
        if workbook:
            ws = wb.create_sheet(kind)
            ws.append([_string_cell(ws, text(h)) for h in header])  # extra columns: any text
            for row in chain([first], rows):
                ws.append([_string_cell(ws, v) for v in cells(header, row)])
                n += 1
        else:
            with replaced(Path(out) / f"{kind}.csv", "w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow([text(h) for h in header])
                for row in chain([first], rows):
                    writer.writerow(cells(header, row))
                    n += 1
        stats.rows[kind] = n
    if workbook:
        with replaced(Path(out), "wb") as f:
            wb.save(f)
    return stats


def _check_folder(folder: Path) -> None:
    """Refuse a folder holding files the importer would read that a bundle does not write."""
    if not folder.is_dir():
        return
    ours = {f"{kind}.csv" for kind in RECORD_TABLES}
    foreign = [p.name for p in expand([folder]) if p.name not in ours]
    if foreign:
        raise LedgerError(
            f"{folder} holds files that are not part of a bundle and would be imported with it "
            f"({', '.join(foreign)}); export into a new or empty folder"
        )


def _string_cell(ws: Any, value: str) -> Any:
    """A text cell that is never a formula, whatever it holds (openpyxl would read `=…` as one)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=writable(value) or None)
    if value:
        cell.data_type = "s"
    return cell
