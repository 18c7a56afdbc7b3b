"""The terminal table: tabulate's "simple" layout, built fast, wide characters aligned, and no
control character from the data reaching the terminal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tabulate import tabulate
from wcwidth import wcswidth

from ledger.decimals import dstr
from reports.tabular import is_number, to_table

# Printable text of every script the ledger meets (Latin, Czech, Ukrainian, Japanese), with
# combining marks and spaces; control characters have their own test below.
TEXT = st.text(
    st.characters(categories=("L", "M", "N", "P", "S", "Zs"), exclude_characters="\x85"),
    max_size=12,
)
VALUE = st.one_of(
    TEXT,
    st.none(),
    st.integers(-(10**6), 10**6),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.sampled_from(["Київ", "京都市", "Praha – Řež", "e\u0301", "=1+2", "-5", " padded "]),
)
COLUMNS = ["a", "bb", "quantity"]


def oracle(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """What tabulate itself prints for the same cells (alignment by the first row's values)."""

    def text(v: Any) -> str:
        return dstr(v) if isinstance(v, Decimal) else "" if v is None else str(v)

    body = [[text(r.get(c)) for c in columns] for r in rows]
    align = ["right" if body and is_number(v.strip() or "x") else "left"
             for v in (body[0] if body else columns)]  # fmt: skip
    return tabulate(body, headers=columns, disable_numparse=True, colalign=align)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries({c: VALUE for c in COLUMNS}), max_size=8))
def test_the_table_is_what_tabulate_prints(rows: list[dict[str, Any]]) -> None:
    assert to_table(COLUMNS, rows) == oracle(COLUMNS, rows)


def test_wide_characters_keep_the_columns_aligned() -> None:
    rows = [
        {"city": "京都市", "qty": Decimal("12.5"), "note": "sister city"},
        {"city": "Praha", "qty": 3, "note": "twinned"},
        {"city": "Київ", "qty": Decimal("1000"), "note": "partner"},
    ]
    lines = to_table(["city", "qty", "note"], rows).splitlines()
    assert len(lines) == 5
    starts = {
        wcswidth(line[: line.index(r["note"])]) for line, r in zip(lines[2:], rows, strict=True)
    }
    assert len(starts) == 1, lines  # the last column starts at one screen column on every row
    ends = {wcswidth(line[: line.index(str(r["qty"])) + len(str(r["qty"]))])
            for line, r in zip(lines[2:], rows, strict=True)}  # fmt: skip
    assert len(ends) == 1, lines  # numbers are right-aligned


def test_control_characters_are_shown_escaped_not_sent_to_the_terminal() -> None:
    hostile = "ok\x1b[2J\x1b]8;;http://x\x07link\nnext\rline\x7f\x9b31m"
    out = to_table(["remark", "qty"], [{"remark": hostile, "qty": 1}, {"remark": "ok", "qty": 2}])
    assert not any((ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) < 0xA0 for ch in out)
    lines = out.splitlines()
    assert len(lines) == 4  # header, dashes, two rows: the newline did not split a row
    assert r"ok\x1b[2J\x1b]8;;http://x\x07link\nnext\rline\x7f\x9b31m" in lines[2]
    assert lines[3].startswith("ok ")


def test_an_empty_answer_is_its_header() -> None:
    assert to_table(["account", "quantity"], []) == "account    quantity\n---------  ----------"


def test_a_terminal_shows_text_as_written_not_neutralised_as_in_a_spreadsheet() -> None:
    # no formula runs in a terminal: "'-" or "'=1+2" would misquote the data
    out = to_table(["parameters", "memo"], [{"parameters": "-", "memo": "=1+2"}])
    assert out.splitlines()[2].split() == ["-", "=1+2"]
