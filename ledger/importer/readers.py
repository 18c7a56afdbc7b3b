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
from schemas.fields import COMMA_GROUPS, EXCEL_EPOCH, spreadsheet_text

SAMPLE_BYTES = 1 << 20


class MalformedRow(ValueError):
    """A record that cannot be read as it stands (an unterminated quote, an oversized cell, a
    byte of another code page, a formula never calculated). Raised when the rest of the table
    cannot be read either; otherwise a table's `rows` yields it in place of the row's cells,
    and the rows below are still read (every bad row at once)."""

    def __init__(self, row: int, column_index: int | None, reason: str,
                 value: object = None) -> None:  # fmt: skip
        super().__init__(reason)
        self.row = row
        self.column_index = column_index
        self.value = value


@dataclass
class Table:
    """One CSV file or one workbook sheet: its label for messages, kind, header and rows."""

    label: str
    kind: str
    header: list[str]
    # (spreadsheet row number, cells), or a MalformedRow for a row that cannot be read
    rows: Iterator[tuple[int, list[Any] | MalformedRow]]
    decimal_comma: bool = False
    comma_groups: bool = False  # a `;` file that also writes 1,234.50: its 12,500 is ambiguous
    excel_epoch: dt.date | None = None  # a workbook's day 0 for serial day numbers (1904 on Mac)
    hidden: bool = False  # a hidden sheet: not read (no header, no rows), only named in a note


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        whole_file = len(sample) < SAMPLE_BYTES
        cut = not whole_file and exc.start >= len(sample) - 4  # a character cut at the end
        if not cut and not _mostly_utf8(sample):
            return _one_byte_encoding(sample)
    return "utf-8"


# A well-formed UTF-8 sequence of two to four bytes (no overlong forms, no surrogates)
UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
HIGH_BYTES = bytes(range(0x80, 0x100))


def _mostly_utf8(sample: bytes) -> bool:
    """Whether bytes that are not all UTF-8 are still mostly UTF-8 text: more well-formed
    multi-byte sequences than stray bytes. Then the stray bytes are refused on their rows
    rather than the whole file read in a one-byte code page (every other letter garbled).
    Text in Windows-1251 or 1250 forms such a sequence only by chance (`Ві` is C2 B3), far
    less often than it has bytes that fit none."""
    sequences = UTF8_SEQUENCE.findall(sample)
    stray = len(sample) - len(sample.translate(None, HIGH_BYTES)) - sum(map(len, sequences))
    return len(sequences) > stray


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
    with path.open(encoding=encoding, errors=MARK, newline="") as f:
        header = restore_cells(next(csv.reader(f, delimiter=delimiter), []))
    columns = len(header)

    def rows() -> Iterator[tuple[int, list[Any] | MalformedRow]]:
        marks = _undecodable[0]
        if any(_SURROGATE.search(h) for h in header):
            yield from ((1, bad) for bad in _bad_bytes(1, header, encoding))
        with path.open(encoding=encoding, errors=MARK, newline="") as f:
            reader = csv.reader(f, delimiter=delimiter, strict=True)
            next(reader, None)
            number = 1
            firsts: list[str] = []  # the first cells of the first rows: what a row starts like
            while True:
                number += 1
                first_line = reader.line_num + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise _malformed(path, encoding, delimiter, number, first_line, exc) from None
                if reader.line_num > first_line and (
                    swallowed := _swallowed(cells, number, first_line, delimiter, columns, firsts)
                ):
                    yield number, swallowed
                    continue
                if _undecodable[0] != marks and any(_SURROGATE.search(c) for c in cells):
                    yield from ((number, bad) for bad in _bad_bytes(number, cells, encoding))
                    continue
                if any(c.strip() for c in cells):
                    if len(firsts) < FIRST_CELLS:
                        firsts.append(cells[0])
                    yield number, restore_cells(cells)

    semicolon = delimiter == ";"
    return Table(path.name, path.stem, header, rows(), decimal_comma=semicolon,
                 comma_groups=semicolon and _groups_with_commas(path, encoding))  # fmt: skip


# Undecodable bytes: each becomes a lone surrogate (U+DC80 + byte), as with "surrogateescape",
# and the count goes up, so the row reader looks for them only once there are any (a row-by-row
# search would cost every good file); the row that holds one is refused showing the byte.
_undecodable = [0]
MARK = "aidledger-undecodable"


def _mark_undecodable(exc: UnicodeError) -> tuple[str, int]:
    _undecodable[0] += 1
    return codecs.lookup_error("surrogateescape")(exc)


codecs.register_error(MARK, _mark_undecodable)
_SURROGATE = re.compile("[\udc80-\udcff]")
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16",
                  "cp1251": "Windows-1251", "cp1250": "Windows-1250"}  # fmt: skip


def _bad_bytes(row: int, cells: list[str], encoding: str) -> Iterator[MalformedRow]:
    """Each cell of a row holding bytes the file's encoding cannot read, showing the byte."""
    name = ENCODING_NAMES.get(encoding, encoding)
    for index, cell in enumerate(cells):
        found = _SURROGATE.search(cell)
        if found is None:
            continue
        byte = ord(found.group()) - 0xDC00
        shown = _SURROGATE.sub("\ufffd", cell)
        yield MalformedRow(row, index, f"byte 0x{byte:02X} (character {found.start() + 1} of the "
                           f"cell, shown as \ufffd) is not {name}, which the rest of the file is: "
                           "a character saved in another code page, or a damaged file; retype "
                           f"the text and save the file as {name} again", shown)  # fmt: skip


FIRST_CELLS = 20  # first cells of rows kept to recognise a row swallowed into a quoted cell
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DIGITS = re.compile(r"\d+")


def _shape(text: str) -> str:
    """A first cell with its numbers as 0: `GRN-S1` and `GRN-S2` start rows alike."""
    return _DIGITS.sub("0", text.strip())


def _swallowed(cells: list[str], row: int, first_line: int, delimiter: str, columns: int,
               firsts: list[str]) -> MalformedRow | None:  # fmt: skip
    """A quoted cell spanning lines that look like rows of the file: as many separators as a
    row has, or starting as the rows do (`GRN-S2,...` under `GRN-S1,...`). A quote opened by
    mistake (`"2 boxes wet`) and closed by another stray quote rows below is valid CSV, but the
    rows between would vanish into one cell; a remark of several lines stays a remark."""
    shapes = {s for c in [*firsts, *cells[:1]] if re.search("[^\\W\\d_]", s := _shape(c))}
    line = first_line
    for index, cell in enumerate(cells):
        parts = _LINE_BREAK.split(cell)
        lines = [
            line + k
            for k, text in enumerate(parts)
            if k and delimiter in text and (
                (columns > 1 and text.count(delimiter) >= columns - 1)
                or _shape(text.split(delimiter, 1)[0]) in shapes
            )
        ]  # fmt: skip
        if lines:
            span = f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]}–{lines[-1]}"
            preview = parts[lines[0] - line][:60]
            return MalformedRow(row, index, "a quote opened in this cell is not closed where it "
                                f"should be: it runs on over {span} of the file, which look like "
                                f"rows of their own ({preview!r}), and they would not be booked; "
                                "remove the stray quote, or close it at the end of the cell "
                                '(a quote inside a cell is written twice: "")', parts[0][:60])  # fmt: skip
        line += len(parts) - 1
    return None


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
        with path.open(encoding=encoding, errors="surrogateescape", newline="") as f:
            if not any(COMMA_GROUPED_CELL.search(line) for line in f):
                return False
        with path.open(encoding=encoding, errors="surrogateescape", newline="") as f:
            for cells in csv.reader(f, delimiter=";"):
                if any(COMMA_GROUPED.match(c) for c in cells if "," in c and "." in c):
                    return True
    except (csv.Error, UnicodeDecodeError):
        return False  # the row reader reports it
    return False


def _malformed(path: Path, encoding: str, delimiter: str, row: int, line: int,
               exc: csv.Error) -> MalformedRow:  # fmt: skip
    """Say which row and cell a CSV parse error starts at (the cell that opened a quote)."""
    with path.open(encoding=encoding, errors="surrogateescape", newline="") as f:
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
    """Workbook cells as the row schemas expect them: text, or dates for date cells. A number
    is the text the program shows for it (15 significant digits, `spreadsheet_text`): a
    formula's 0.30000000000000004 is 0.3, in a quantity and in a code or remark alike."""
    if value is None or value is UNCALCULATED or isinstance(value, str | dt.date):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return spreadsheet_text(value)
    return str(value)


def read_xlsx(path: Path) -> Iterator[Table]:
    """Each non-empty sheet as a table, a hidden one as an unread `hidden` table; a file
    openpyxl refuses is a ValueError, as a bad CSV is (so openpyxl, ~0.3 s to import, is
    loaded only when a workbook is read)."""
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
            # a draft or a helper, not data to book; handed over unread, so the import can
            # say it left out a sheet named like a kind of row
            yield Table(f"{path.name}[{sheet.title}]", sheet.title.strip().lower(), [],
                        iter(()), hidden=True)  # fmt: skip
            continue
        it = _sheet_rows(sheet)
        first = next(it, None)
        if first is None:
            continue
        header = restore_cells(["" if h is None or h is UNCALCULATED else str(_cell(h))
                                for h in first[1]])  # fmt: skip

        def rows(it: Iterator[tuple[int, list[Any]]] = it,
                 title: str = sheet.title) -> Iterator[tuple[int, list[Any] | MalformedRow]]:  # fmt: skip
            for number, cells in it:
                values = [_cell(c) for c in cells]
                if UNCALCULATED in values:
                    yield from _uncalculated(number, values)
                elif any(v not in (None, "") for v in values):
                    yield number, restore_cells(values)

        yield Table(f"{path.name}[{sheet.title}]", sheet.title.strip().lower(), header, rows(),
                    excel_epoch=epoch)  # fmt: skip


class _Uncalculated:
    """A formula cell saved without its result (a generator that writes formulas and does not
    calculate them): read as empty it would book 0, or be "missing", silently or misleadingly."""

    def __repr__(self) -> str:
        return "UNCALCULATED"


UNCALCULATED: Any = _Uncalculated()


def _uncalculated(number: int, values: list[Any]) -> Iterator[tuple[int, MalformedRow]]:
    from openpyxl.utils import get_column_letter

    for i, v in enumerate(values):
        if v is UNCALCULATED:
            yield number, MalformedRow(number, i, f"cell {get_column_letter(i + 1)}{number} holds "
                                       "a formula with no calculated value: open and save the "
                                       "file in a spreadsheet program, or type the value")  # fmt: skip


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    """A read-only sheet's rows as (row number, values), formula cells without a saved result
    as UNCALCULATED.

    openpyxl's own `iter_rows` reads such a cell as None, the same as an empty one. This is its
    read-only row loop (openpyxl 3.1 `ReadOnlyWorksheet._cells_by_row`) with a parser that
    tells them apart; it looks for a formula only in cells without a value, so a workbook of
    values costs one more call per cell. Rows are not padded to the sheet's width: asking for
    it reads a sheet without a `<dimension>` (as streaming writers save it) twice.
    """
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class Parser(WorkSheetParser):  # type: ignore[misc]
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell = super().parse_cell(element)
            # no saved result: no `<v>`, or an empty one that is no text (openpyxl saves
            # `<v></v>`); a formula whose result is empty text (`=IF(…,"")`, saved as
            # t="str" with an empty `<v>`) is a blank cell, as the program shows it
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                saved = element.find(VALUE_TAG)
                if saved is None or element.get("t") not in ("str", "inlineStr"):
                    cell["value"] = UNCALCULATED
            return cell

    workbook = sheet.parent
    expected = 1
    with sheet._get_source() as src:
        parser = Parser(src, sheet._shared_strings, data_only=True, epoch=workbook.epoch,
                        date_formats=workbook._date_formats,
                        timedelta_formats=workbook._timedelta_formats)  # fmt: skip
        for number, cells in parser.parse():
            if number < expected:
                continue  # a row written twice: openpyxl reads the first
            while expected < number:  # rows not written at all are empty
                yield expected, []
                expected += 1
            values: list[Any] = [None] * (cells[-1]["column"] if cells else 0)
            for cell in cells:
                values[cell["column"] - 1] = cell["value"]
            yield number, values
            expected = number + 1


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
