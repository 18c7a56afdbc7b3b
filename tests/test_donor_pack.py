"""The donor pack as a donor reads it: each written document is read back (XLSX with openpyxl,
PDF text with pypdf).

- quantities are never added across items: the consignment summary and the unpledged totals
  have a row per item (900 blankets and 4 generators printed as "904 pcs" before);
- each pledge row adds up: outstanding = pledged − dispatched to date, and a period pack
  prints what its consignments sent next to what was sent up to the period's end;
- the proof of export exit (MRN, exit date) is shown per consignment, "not confirmed" if none;
- customs events, statuses and write-off reasons are bilingual in document tables.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger import operations as ops
from ledger.api import Ledger
from reports import i18n
from reports.produce import build, write
from schemas.rows import ItemRow
from tests import factories as f
from tests.test_reports import pdf_text, sheet_rows

D = Decimal
APRIL = 40  # days after f.DAY0 (2023-03-01): 10 April
MRN = "23CZ0000000000001E"
NOT_CONFIRMED = i18n.both("text.not_confirmed")
UNPLEDGED = i18n.both("text.unpledged")
TO_DATE = "dispatched to the period's end"


def on(days: int) -> dt.date:
    return f.DAY0 + dt.timedelta(days=days)


@pytest.fixture
def donor_led(sqlite_led: Ledger) -> Ledger:
    """PRAGUE pledged 100 generators. S1 (March, exit confirmed): 30 of them, plus unpledged
    900 blankets, 4 generators and 5 boxes of paracetamol, all received; 1 generator written
    off as damaged. S2 (April, no MRN): 40 generators, held at customs. S3 (May): 10 more."""
    led = sqlite_led
    f.world(led)
    led.post(ItemRow(code="BLK", name="Blanket", unit="pcs", hs_code="630140",
                     category="shelter", tracks_expiry=False))  # fmt: skip
    ops.pledge(led, f.pledge("P1", qty="100"))
    ops.dispatch(led, f.ship("S1", 1, "30", pledge_ref="P1", pledge_line=1, export_mrn=MRN,
                             exit_confirmed_at=on(1)))  # fmt: skip
    ops.dispatch(led, f.ship("S1", 2, "900", item="BLK"))
    ops.dispatch(led, f.ship("S1", 3, "4"))
    ops.dispatch(led, f.ship("S1", 4, "5", item="MED"))
    for line, qty in ((1, "30"), (2, "900"), (3, "4"), (4, "5")):
        ops.receive(led, f.receive("R1", "S1", line, qty))
    ops.write_off(led, f.write_off("W1", "1", reason="damaged"))
    ops.dispatch(led, f.ship("S2", 1, "40", pledge_ref="P1", pledge_line=1, date=on(APRIL)))
    ops.customs(led, f.customs("S2", "arrived", APRIL + 2))
    ops.customs(led, f.customs("S2", "held", APRIL + 3))
    ops.dispatch(led, f.ship("S3", 1, "10", pledge_ref="P1", pledge_line=1, date=on(APRIL + 31)))
    return led


def written(led: Ledger, tmp_path: Path, name: str, **params: Any) -> dict[str, Path]:
    doc = build(led, "donor-pack", donor="PRAGUE", **params)
    paths = [tmp_path / f"{name}.xlsx", tmp_path / f"{name}.pdf"]
    write(doc, paths)
    return {p.suffix.lstrip("."): p for p in paths}


def rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    return [r for r in sheet_rows(path, sheet) if r[next(iter(r))] is not None]


def test_no_row_adds_up_different_items(donor_led: Ledger, tmp_path: Path) -> None:
    """Unpledged 900 blankets, 4 generators (both pcs) and 5 boxes printed as one unpledged
    row of 905 with no unit; the S1 summary added blankets and generators to "934 pcs"."""
    xlsx = written(donor_led, tmp_path, "all")["xlsx"]
    lines = rows(xlsx, "dispatched")
    for s in rows(xlsx, "shipments"):
        mine = [x for x in lines if (x["shipment"], x["item"]) == (s["shipment"], s["item"])]
        assert mine and D(str(s["dispatched"])) == sum(D(str(x["quantity"])) for x in mine), s
        assert {x["unit"] for x in mine} == {s["unit"]}
    s1 = {(s["item"], s["unit"]): s["dispatched"] for s in rows(xlsx, "shipments")
          if s["shipment"] == "S1"}  # fmt: skip
    assert s1 == {("Generator", "pcs"): 34, ("Blanket", "pcs"): 900, ("Paracetamol", "box"): 5}
    unpledged = {(r["item"], r["unit"]): (r["dispatched"], r["received"])
                 for r in rows(xlsx, "pledges") if r["pledge"] == UNPLEDGED}  # fmt: skip
    assert unpledged == {("Generator", "pcs"): (4, 4), ("Blanket", "pcs"): (900, 900),
                         ("Paracetamol", "box"): (5, 5)}  # fmt: skip


def test_every_pledge_row_adds_up_in_the_whole_and_in_a_period_pack(
    donor_led: Ledger, tmp_path: Path
) -> None:
    """April: 40 of 100 sent in the period, 70 by its end (30 in March), 30 outstanding at its
    end (May's 10 not yet). The row printed dispatched 40 and outstanding 30: 100 − 40 ≠ 30."""
    everything = rows(written(donor_led, tmp_path, "all")["xlsx"], "pledges")
    p1 = next(r for r in everything if r["pledge"] == "P1/1")
    assert (p1["pledged"], p1["dispatched"], p1["outstanding pledge"]) == (100, 80, 20)
    assert TO_DATE not in p1  # the whole history: dispatched is to date
    april = written(donor_led, tmp_path, "april", period="2023-04")
    (p1,) = [r for r in rows(april["xlsx"], "pledges") if r["pledge"] == "P1/1"]
    assert p1["dispatched in the period"] == 40 and p1[TO_DATE] == 70
    assert p1["outstanding pledge"] == p1["pledged"] - p1[TO_DATE] == 30
    text = pdf_text(april["pdf"])
    assert "dispatched to the period's end" in text.replace("‐ ", "").replace("‐", "")
    assert "P1/1" in text and " 100 40 70 " in text and " 30 pcs" in text


def test_the_pack_shows_the_proof_of_export_exit_or_says_it_is_not_confirmed(
    donor_led: Ledger, tmp_path: Path
) -> None:
    files = written(donor_led, tmp_path, "all")
    exits = {r["shipment"]: r for r in rows(files["xlsx"], "export_exit")}
    assert set(exits) == {"S1", "S2", "S3"}
    assert exits["S1"]["export declaration (MRN)"] == MRN
    assert exits["S1"]["exit confirmed on"].date() == on(1)
    assert exits["S2"]["exit confirmed on"] == NOT_CONFIRMED
    assert exits["S2"]["export declaration (MRN)"] == i18n.both("text.not_recorded")
    text = pdf_text(files["pdf"])
    assert "Proof of export exit" in text and MRN in text and NOT_CONFIRMED in text


def test_events_statuses_and_reasons_are_bilingual_in_the_tables(
    donor_led: Ledger, tmp_path: Path
) -> None:
    """With --locale uk the pack still printed "received", "held" and "damaged" in English
    only; the labels around them are bilingual in either locale, and so are they now."""
    doc = build(donor_led, "donor-pack", donor="PRAGUE", locale="uk")
    write(doc, [tmp_path / "uk.xlsx", tmp_path / "uk.pdf"])
    status = {r["shipment"]: r["status"] for r in rows(tmp_path / "uk.xlsx", "shipments")}
    assert status["S1"] == "received / отримано"
    assert status["S2"] == "customs: held / митниця: затримано"
    events = [r["event"] for r in rows(tmp_path / "uk.xlsx", "customs")]
    assert events == ["arrived / прибуло на митницю", "held / затримано"]
    assert [r["reason"] for r in rows(tmp_path / "uk.xlsx", "written_off")] == [
        "damaged / пошкоджено"
    ]
    text = pdf_text(tmp_path / "uk.pdf")
    for word in ("отримано", "затримано", "прибуло на митницю", "пошкоджено"):
        assert word in text, word


def _shipment_order(led: Ledger) -> list[str]:
    f.world(led)
    for ref in ("S-b", "S-B2", "S-a"):
        ops.dispatch(led, f.ship(ref, 1, "1"))
    doc = build(led, "donor-pack", donor="PRAGUE")
    lines = next(s for s in doc.sections if s.key == "dispatched").rows
    return [r["shipment"] for r in lines]


@pytest.mark.postgres
def test_a_postgresql_database_with_a_language_collation_orders_as_sqlite_does(
    pg, sqlite_led: Ledger
) -> None:
    """A city's database in en-US ordered S-b before S-B2 (SQLite: by code point), so the same
    pack differed by engine; documents order text by code point on both."""
    from psycopg import sql

    with pg._admin_connection() as conn:
        conn.execute(sql.SQL("CREATE DATABASE en_us_ledger TEMPLATE template0 ENCODING 'UTF8' "
                             "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"))  # fmt: skip
    led = Ledger(pg.url("en_us_ledger"))
    try:
        assert _shipment_order(led) == _shipment_order(sqlite_led) == ["S-B2", "S-a", "S-b"]
    finally:
        led.close()
        pg.drop_database("en_us_ledger")
