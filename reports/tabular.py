"""Writing rows as a terminal table, CSV or JSON, safely.

CSV cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) are
neutralised with a leading apostrophe, unless they are plain numbers; JSON keeps decimals exact
as strings.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ledger.db.types import dstr

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def neutralise(value: Any) -> Any:
    """Make text inert for spreadsheets; numbers, dates and None pass through unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


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


def to_table(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    from tabulate import tabulate

    body = [[cell(r.get(c)) for c in columns] for r in rows]
    return tabulate(body, headers=list(columns), disable_numparse=True,
                    colalign=["left" if not body or not _is_number(str(v) or "x") else "right"
                              for v in (body[0] if body else columns)])  # fmt: skip


def render(fmt: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    if fmt == "csv":
        return to_csv(columns, rows)
    if fmt == "json":
        return to_json(rows)
    return to_table(columns, rows)
