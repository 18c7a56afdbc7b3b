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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from ledger.book import RECORD_TABLES
from ledger.formulas import neutralise
from reports.data import reversed_entries
from schemas.rows import ROW_TYPES


@dataclass
class BundleStats:
    path: Path
    rows: dict[str, int] = field(default_factory=dict)  # kind -> rows written


def records(conn: Connection, kind: str, gone: set[int]) -> list[dict[str, Any]]:
    """The validated rows of one kind's standing records, in booking order."""
    table = RECORD_TABLES[kind].__table__
    has_entry = "entry_id" in table.c
    order = [table.c.entry_id, table.c.id] if has_entry else list(table.primary_key.columns)
    query = select(table.c.src, *([table.c.entry_id] if has_entry else [])).order_by(*order)
    out = []
    for row in conn.execute(query):
        if has_entry and row.entry_id in gone:
            continue
        src = row.src if isinstance(row.src, dict) else json.loads(row.src)
        out.append(src)
    return out


def columns(kind: str, rows: list[dict[str, Any]]) -> list[str]:
    """The format's columns for the kind, then the rows' extra columns in first-seen order."""
    extra: dict[str, None] = {}
    for row in rows:
        extra.update(dict.fromkeys(row.get("extra") or {}))
    known = ROW_TYPES[kind].columns()
    return known + [c for c in extra if c not in known]


def text(value: Any) -> str:
    """A cell as the importer reads it back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(str(value))


def table(kind: str, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    header = columns(kind, rows)
    body = [[text(row.get(c, (row.get("extra") or {}).get(c))) for c in header] for row in rows]
    return header, body


def write_bundle(conn: Connection, out: Path) -> BundleStats:
    """Write every kind that has records: CSV files into the folder `out`, or, when `out` ends
    in `.xlsx`, one workbook with a sheet per kind."""
    gone = reversed_entries(conn)
    tables = {kind: table(kind, rows) for kind in RECORD_TABLES
              if (rows := records(conn, kind, gone))}  # fmt: skip
    stats = BundleStats(Path(out), {kind: len(body) for kind, (_h, body) in tables.items()})
    if Path(out).suffix.lower() == ".xlsx":
        _write_workbook(Path(out), tables)
    else:
        Path(out).mkdir(parents=True, exist_ok=True)
        for kind, (header, body) in tables.items():
            with (Path(out) / f"{kind}.csv").open("w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(body)
    return stats


def _write_workbook(path: Path, tables: dict[str, tuple[list[str], list[list[str]]]]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for kind, (header, body) in tables.items():
        ws = wb.create_sheet(kind)
        ws.append(header)
        for values in body:
            ws.append([_string_cell(ws, v) for v in values])
    wb.save(path)


def _string_cell(ws: Any, value: str) -> Any:
    """A text cell that is never a formula, whatever it holds (openpyxl would read `=…` as one)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value or None)
    if value:
        cell.data_type = "s"
    return cell
