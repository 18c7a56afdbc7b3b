"""Raw tables out of CSV files and XLSX workbooks, streamed row by row.

CSV: UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1251 (detected when the bytes are
not UTF-8); delimiter `,`, `;` or tab, sniffed from the header; a `;` file may use decimal
commas. XLSX: one sheet per record kind, named as the CSV file would be. Either way, the
apostrophe AidLedger's own exports put before formula-like text is dropped (`ledger.formulas`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.formulas import restore_cells
from schemas.fields import COMMA_GROUPS, EXCEL_EPOCH

SAMPLE_BYTES = 1 << 20


class MalformedRow(ValueError):
    """A CSV record that cannot be parsed (an unterminated quote, an oversized cell)."""

    def __init__(self, row: int, column_index: int | None, reason: str) -> None:
        super().__init__(reason)
        self.row = row
        self.column_index = column_index


@dataclass
class Table:
    """One CSV file or one workbook sheet: its label for messages, kind, header and rows."""

    label: str
    kind: str
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (spreadsheet row number, cells)
    decimal_comma: bool = False
    comma_groups: bool = False  # a `;` file that also writes 1,234.50: its 12,500 is ambiguous
    excel_epoch: dt.date | None = None  # a workbook's day 0 for serial day numbers (1904 on Mac)


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        whole_file = len(sample) < SAMPLE_BYTES
        if whole_file or exc.start < len(sample) - 4:  # not a character cut at the sample's end
            return _one_byte_encoding(sample)
    return "utf-8"


# Latin i and I stand in for Ukrainian і and І in much typed text (`Рiвне`), so they say
# nothing about the code page.
_LATIN = frozenset("ABCDEFGHJKLMNOPQRSTUVWXYZabcdefghjklmnopqrstuvwxyz")


def _one_byte_encoding(sample: bytes) -> str:
    """Windows-1251 (Cyrillic, FORMATS.md), or Windows-1250 as Czech and Polish Excel save CSV.

    The same bytes are letters in both. Read as Windows-1251, Ukrainian words are runs of
    Cyrillic letters, while the Czech and Polish letters with diacritics turn into Cyrillic
    letters standing among Latin ones (`lйky`, `Pшнbram`, `Wrocіaw`): whichever kind of
    neighbour is more common decides.
    """
    text = sample.decode("cp1251", errors="replace")
    runs = mixed = 0
    for a, b in itertools.pairwise(text):
        a_cyr, b_cyr = "\u0400" <= a <= "\u04ff", "\u0400" <= b <= "\u04ff"
        if a_cyr and b_cyr:
            runs += 1
        elif (a_cyr and b in _LATIN) or (b_cyr and a in _LATIN):
            mixed += 1
    return "cp1250" if mixed and mixed >= runs else "cp1251"


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_csv(path: Path) -> Table:
    with path.open("rb") as fb:
        sample = fb.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample)
    first_line = sample.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()[:1]
    delimiter = _sniff_delimiter(first_line[0] if first_line else "")

    def rows() -> Iterator[tuple[int, list[Any]]]:
        with path.open(encoding=encoding, newline="") as f:
            reader = csv.reader(f, delimiter=delimiter, strict=True)
            next(reader, None)
            number = 1
            while True:
                number += 1
                first_line = reader.line_num + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise _malformed(path, encoding, delimiter, number, first_line, exc) from None
                if any(c.strip() for c in cells):
                    yield number, restore_cells(cells)

    with path.open(encoding=encoding, newline="") as f:
        header = restore_cells(next(csv.reader(f, delimiter=delimiter), []))
    semicolon = delimiter == ";"
    return Table(path.name, path.stem, header, rows(), decimal_comma=semicolon,
                 comma_groups=semicolon and _groups_with_commas(path, encoding))  # fmt: skip


# a cell (from the line's start, a `;` or a quote to the next) holding a number like 1,234.50
COMMA_GROUPED_CELL = re.compile(rf'(?:^|[;"])[ \t]*{COMMA_GROUPS}[ \t]*(?=[;"\r\n]|$)', re.M)
COMMA_GROUPED = re.compile(rf"^\s*{COMMA_GROUPS}\s*$")


def _groups_with_commas(path: Path, encoding: str) -> bool:
    """Whether a `;` file writes any number as 1,234.50 (commas grouping thousands). Then the
    file does not follow the decimal-comma convention throughout, and a 12,500 elsewhere in it
    may mean 12500 as well as 12.5: the importer refuses it rather than guess.

    A regular expression over the lines finds candidates (~20× quicker than parsing a large
    file as CSV twice); only then is the file parsed, as a `;` or a quote inside a quoted text
    cell is no cell boundary."""
    try:
        with path.open(encoding=encoding, newline="") as f:
            if not any(COMMA_GROUPED_CELL.search(line) for line in f):
                return False
        with path.open(encoding=encoding, newline="") as f:
            for cells in csv.reader(f, delimiter=";"):
                if any(COMMA_GROUPED.match(c) for c in cells if "," in c and "." in c):
                    return True
    except (csv.Error, UnicodeDecodeError):
        return False  # the row reader reports it
    return False


def _malformed(path: Path, encoding: str, delimiter: str, row: int, line: int,
               exc: csv.Error) -> MalformedRow:  # fmt: skip
    """Say which row and cell a CSV parse error starts at (the cell that opened a quote)."""
    with path.open(encoding=encoding, newline="") as f:
        physical = next(itertools.islice(f, line - 1, None), "")
    line_text = physical.rstrip("\r\n")
    try:
        cells = next(csv.reader([line_text], delimiter=delimiter), [])
    except csv.Error:  # the line alone is still too much for csv: split it plainly
        cells = line_text.split(delimiter)
    text = str(exc)
    index: int | None = max(len(cells) - 1, 0) if cells else None
    if "field larger" in text:
        reason = f"a cell is larger than {csv.field_size_limit()} characters"
        index = max(range(len(cells)), key=lambda i: len(cells[i])) if cells else None
    elif "unexpected end of data" in text or "EOF" in text:
        reason = "a quote opened in this cell is never closed, so it would swallow the rows below"
    else:
        reason = f"malformed CSV ({text})"
    return MalformedRow(row, index, reason)


def _cell(value: Any) -> Any:
    """Workbook cells as the row schemas expect them: text, or dates for date cells."""
    if value is None or isinstance(value, str | dt.date):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def read_xlsx(path: Path) -> Iterator[Table]:
    """Each non-empty sheet as a table; a file openpyxl refuses is a ValueError, as a bad CSV is
    (so openpyxl, ~0.3 s to import, is loaded only when a workbook is read)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except InvalidFileException as exc:
        raise ValueError(str(exc)) from exc
    # date cells come as dates either way; a day number in a date column counts from here
    epoch = EXCEL_EPOCH if workbook.epoch.year < 1904 else workbook.epoch.date()
    for sheet in workbook.worksheets:
        if getattr(sheet, "sheet_state", "visible") != "visible":
            continue  # a hidden sheet is a draft or a helper, not data to book
        it = sheet.iter_rows(values_only=True)
        first = next(it, None)
        if first is None:
            continue
        header = restore_cells(["" if h is None else str(h) for h in first])

        def rows(it: Iterator[tuple[Any, ...]] = it) -> Iterator[tuple[int, list[Any]]]:
            for number, cells in enumerate(it, start=2):
                values = [_cell(c) for c in cells]
                if any(v not in (None, "") for v in values):
                    yield number, restore_cells(values)

        yield Table(f"{path.name}[{sheet.title}]", sheet.title.strip().lower(), header, rows(),
                    excel_epoch=epoch)  # fmt: skip


def read_path(path: Path) -> Iterator[Table]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        yield from read_xlsx(path)
    else:
        raise ValueError(f"{path}: not a .csv or .xlsx file")


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; a folder contributes its .csv and .xlsx files (not recursively)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(
                f for f in p.iterdir()
                if f.suffix.lower() in (".csv", ".xlsx", ".xlsm") and not f.name.startswith(("~", "."))
            )  # fmt: skip
        else:
            out.append(p)
    return out
