"""`aidledger export bundle`: the records back in the exchange format, and back in again.

A bundle imported into an empty ledger gives the same answers (reconciliation, balances per lot,
findings) as the ledger it came from, as CSV files and as a workbook, on both engines; imported
into the ledger it came from, it changes nothing. Reversed records stay out, corrected ones come
out corrected; extra columns and formula-like text survive the trip.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy import select

from ledger.api import Ledger
from ledger.booking import Outcome
from ledger.db import tables as t
from ledger.db.engine import reader
from ledger.formulas import neutralise, restore, restore_cells
from reports.exports.bundle import write_bundle
from schemas.rows import DistributionRow, ItemRow, PartyRow, ShipmentRow

D = Decimal


def bundle(led: Ledger, out: Path) -> dict[str, int]:
    with reader(led.engine) as conn:
        return write_bundle(conn, out).rows


def answers(led: Ledger) -> tuple[list[Any], list[Any], list[tuple[str, str, str]]]:
    """Reconciliation, balances per lot, and the rules' findings (as of the last event)."""
    from ledger.rules import findings_for_reports

    findings = sorted((f.rule, f.record, f.message) for f in findings_for_reports(led))
    return led.reconcile(), led.balances(by_lot=True), findings


def reimported(out: Path, tmp_path: Path, name: str) -> Ledger:
    copy = Ledger(f"sqlite:///{tmp_path / name}")
    copy.import_files([out])
    return copy


@pytest.mark.parametrize("target", ["bundle", "bundle.xlsx"])
def test_a_bundle_imports_back_into_the_same_ledger(
    led: Ledger, sample_dir: Path, tmp_path: Path, target: str
) -> None:
    led.import_files([sample_dir])
    out = tmp_path / target
    rows = bundle(led, out)
    assert rows["distributions"] > 100 and rows["fx_rates"] > 1000
    with reimported(out, tmp_path, "copy.db") as copy:
        assert answers(copy) == answers(led)
        assert copy.verify().ok
    report = led.import_files([out])
    assert report.new == 0 and report.unchanged == sum(rows.values())


def test_reversed_records_stay_out_and_corrections_come_out_corrected(
    sqlite_led: Ledger, sample_dir: Path, tmp_path: Path
) -> None:
    led = sqlite_led
    led.import_files([sample_dir])
    with reader(led.engine) as conn:
        dl = t.DistributionLine
        first, second = conn.execute(
            select(dl.distribution_ref, dl.line_no, dl.entry_id, dl.date, dl.src)
            .order_by(dl.date.desc(), dl.id.desc())
            .limit(2)
        ).all()  # the latest two: a correction must find the stock still there on its date
    led.reverse(first.entry_id, "handed to the wrong hospital", first.date)
    led.reverse(second.entry_id, "quantity miscounted", second.date)
    corrected = DistributionRow.model_validate({**second.src, "quantity": "1"})
    assert led.post(corrected) == Outcome.CORRECTED
    out = tmp_path / "b"
    bundle(led, out)
    with (out / "distributions.csv").open(encoding="utf-8") as f:
        lines = {(r["distribution_ref"], r["line_no"]): r for r in csv.DictReader(f)}
    assert (first.distribution_ref, str(first.line_no)) not in lines
    assert lines[(second.distribution_ref, str(second.line_no))]["quantity"] == "1"
    with reimported(out, tmp_path, "copy.db") as copy:
        assert copy.reconcile() == led.reconcile()


def test_extra_columns_and_formula_like_text_survive_the_trip(
    sqlite_led: Ledger, tmp_path: Path
) -> None:
    led = sqlite_led
    led.post(PartyRow.model_validate({"code": "-D", "name": "=HYPERLINK(\"http://x\",\"y\")",
                                      "kind": "city", "country": "CZ",
                                      "extra": {"contact": "@jana", "note": "ok",
                                                "=sum(a1)": "x"}}))  # fmt: skip
    led.post(PartyRow.model_validate({"code": "R", "name": "R", "kind": "city", "country": "UA"}))
    led.post(ItemRow(code="I", name="+380 hotline kit", unit="pcs", hs_code="851712",
                     category="other", tracks_expiry=False))  # fmt: skip
    led.post(ShipmentRow(shipment_ref="S", line_no=1, dispatch_date=dt.date(2023, 5, 1),
                         donor="-D", recipient="R", item="I", quantity=D("2.5"),
                         unit_value=D("4.10"), currency="EUR"))  # fmt: skip
    for target in ("b", "b.xlsx"):
        out = tmp_path / target
        bundle(led, out)
        if target == "b":
            text = (out / "parties.csv").read_text(encoding="utf-8")
            assert "'-D," in text and "'=HYPERLINK" in text and "'@jana" in text  # inert
            header = next(csv.reader(text.splitlines()))
            assert header[-3:] == ["contact", "note", "'=sum(a1)"]  # a header is text too
        else:
            from openpyxl import load_workbook

            ws = load_workbook(out)["parties"]
            names = [c.value for c in ws["B"]]
            assert '\'=HYPERLINK("http://x","y")' in names
            assert all(c.data_type == "s" for c in ws["B"] if c.value)  # never a formula
            assert all(c.data_type == "s" for c in ws[1])  # headers neither
        with reimported(out, tmp_path, f"{target}.db") as copy:
            with reader(copy.engine) as conn:
                party = conn.execute(select(t.Party.src).where(t.Party.code == "-D")).scalar_one()
                item = conn.execute(select(t.Item.name)).scalar_one()
            assert party["name"] == '=HYPERLINK("http://x","y")'
            assert party["extra"] == {"contact": "@jana", "note": "ok", "=sum(a1)": "x"}
            assert item == "+380 hotline kit"
            assert copy.reconcile() == led.reconcile()


def test_an_empty_ledger_bundles_nothing(sqlite_url: str, tmp_path: Path) -> None:
    from cli import main

    Ledger(sqlite_url).close()
    result = CliRunner().invoke(main, ["--db", sqlite_url, "export", "bundle", "--out",
                                       str(tmp_path / "b")])  # fmt: skip
    assert result.exit_code == 0 and "nothing: the ledger is empty" in result.output


@given(st.text(max_size=12))
def test_restore_undoes_neutralise(text: str) -> None:
    assume(not text.startswith("'"))  # text that already starts with one: see restore()
    assert restore(neutralise(text)) == text
    assert restore_cells([neutralise(text), text]) == [text, text]


def test_restore_keeps_what_neutralise_would_not_have_made() -> None:
    assert restore("'-5") == "'-5"  # a number is never neutralised
    assert restore("'hello") == "'hello" and restore("''=x") == "''=x"
    assert restore("'=SUM(A1)") == "=SUM(A1)" and restore("'@x") == "@x"
    cells = ["a", "b"]
    assert restore_cells(cells) is cells  # the usual row is passed through
