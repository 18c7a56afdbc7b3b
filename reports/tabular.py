"""Writing rows as a terminal table, CSV or JSON, safely.

CSV cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) are
neutralised with a leading apostrophe, unless they are plain numbers; JSON keeps decimals exact
as strings.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ledger.decimals import dstr
from ledger.formulas import FORMULA_START, is_number, neutralise

_FORMULA_FIRST = frozenset(FORMULA_START)


def cell(value: Any) -> Any:
    """One output cell; the exact-type checks first, as a large answer has ~10⁶ cells."""
    kind = type(value)
    if kind is str:
        return neutralise(value) if value[:1] in _FORMULA_FIRST else value
    if kind is Decimal:
        return dstr(value)
    if value is None:
        return ""
    if kind is int:
        return value
    if isinstance(value, Decimal):
        return dstr(value)
    return neutralise(str(value)) if isinstance(value, str) else value


# The common cell types, formatted without going through `cell`'s checks (an answer on a large
# ledger has 10⁵–10⁶ cells); anything else (text included) takes `cell`.
_PLAIN = {Decimal: dstr, type(None): lambda _v: "", int: lambda v: v}


def to_csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    plain = _PLAIN.get
    for row in rows:
        writer.writerow([(plain(type(v)) or cell)(v) for v in map(row.get, columns)])
    return buf.getvalue()


def to_json(rows: Sequence[dict[str, Any]]) -> str:
    def default(v: Any) -> Any:
        if isinstance(v, Decimal):
            return dstr(v)
        return str(v)

    return json.dumps(list(rows), default=default, ensure_ascii=False, indent=2)


# Control characters (C0, DEL, C1) would let a cell move the cursor, recolour or clear the
# terminal (an ESC sequence in a memo) or break the table's rows (a newline in a remark): in a
# terminal table they are shown escaped, as Python writes them ("\\x1b", "\\n").
_CONTROLS = {c: repr(chr(c))[1:-1] for c in (*range(0x20), *range(0x7F, 0xA0))}
GAP = "  "


@lru_cache(maxsize=1 << 14)
def _wide_width(text: str) -> int:
    from wcwidth import wcswidth

    return max(wcswidth(text), 0)


def display_width(text: str) -> int:
    """Terminal columns a cell takes: CJK characters take two, combining marks none."""
    return len(text) if text.isascii() else _wide_width(text)


def _text(value: Any) -> str:
    """A terminal cell: the value as written, not neutralised (a terminal runs no formulas,
    and "'-" or "'=x" would misquote the data); control characters shown escaped."""
    text = dstr(value) if isinstance(value, Decimal) else "" if value is None else str(value)
    return (text if text.isprintable() else text.translate(_CONTROLS)).strip()


def table_lines(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> Iterator[str]:
    """A plain terminal table, line by line: header, dashes, one line per row (tabulate's
    "simple" layout). A number column (by its first row) is right-aligned.

    Built here rather than by `tabulate`, which guesses a type for every cell and keeps
    several copies of the table: at a million postings `balance` spent 2.3 s of 3 s there,
    and `check` 17 s and 1.1 GB on 247k findings. Lines are yielded so that a caller can
    write a long table out without holding it whole (247k findings pad to 230 MB of text).
    """
    texts = [[_text(r.get(c)) for c in columns] for r in rows]
    right = [bool(texts) and is_number(v or "x") for v in (texts[0] if texts else columns)]
    by_column = list(zip(*texts, strict=True)) if texts else [()] * len(columns)
    widths = [
        max(len(name) + len(GAP), max(map(display_width, column), default=0))
        for name, column in zip(columns, by_column, strict=True)
    ]
    del by_column

    def line(cells: Sequence[str]) -> str:
        padded = [
            " " * (width - display_width(text)) + text if to_right
            else text + " " * (width - display_width(text))
            for text, width, to_right in zip(cells, widths, right, strict=True)
        ]  # fmt: skip
        return GAP.join(padded).rstrip()

    yield line(columns)
    yield GAP.join("-" * w for w in widths)
    yield from map(line, texts)


def to_table(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    return "\n".join(table_lines(columns, rows))


def render(fmt: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    if fmt == "csv":
        return to_csv(columns, rows)
    if fmt == "json":
        return to_json(rows)
    return to_table(columns, rows)
