"""The packs on the sample data: numbers read back from PDF (pypdf) and XLSX (openpyxl) equal
the ledger's; fonts, page numbers, NOT READY stamps, verification codes and the CLI.

Rendering is slow, so each document is built and rendered once per module.
"""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from cli import main
from ledger.api import Ledger
from ledger.db import tables as t
from ledger.db.engine import reader
from reports import i18n
from reports.data import parse_period
from reports.produce import build, write
from reports.verification import decode, find_code

ERROR_FINDING = {"rule": "CUS-013", "severity": "error", "record": "shipment HEL-2023-001 line 3",
                 "message": "dual-use item shipped without a licence reference", "action": "get it",
                 "shipment": "HEL-2023-001"}  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("reports")
    url = f"sqlite:///{base / 'ledger.db'}"
    led = Ledger(url)
    led.import_files([sample_dir])
    docs = {
        "recon": build(led, "reconciliation"),
        "customs": build(led, "customs-pack", shipment="HEL-2023-001", findings=[ERROR_FINDING]),
        "acc": build(led, "accounting-pack", recipient="KYIV", period="2023"),
        "donor": build(led, "donor-pack", donor="KYOTO"),
    }
    files = {
        "recon": write(docs["recon"], [base / "recon.pdf", base / "recon.xlsx", base / "recon.csv",
                                       base / "recon.html"]),
        "customs": write(docs["customs"], [base / "customs.pdf", base / "customs.xlsx"]),
        "acc": write(docs["acc"], [base / "acc.pdf", base / "acc.xlsx"]),
        "donor": write(docs["donor"], [base / "donor.pdf"]),
    }  # fmt: skip
    yield {"led": led, "url": url, "base": base, "docs": docs, "files": files}
    led.close()


def pdf_pages(path: Path) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text() or "") for p in PdfReader(path).pages]


def pdf_text(path: Path) -> str:
    return " ".join(pdf_pages(path))


def sheet_rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    """Rows of a section sheet keyed by the English header (first line of each header cell)."""
    ws = load_workbook(path)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    head_at = next(i for i, r in enumerate(rows) if i > 0 and r and r[0] is not None
                   and "\n" in str(r[0]))  # fmt: skip
    keys = [str(c).split("\n")[0] if c else "" for c in rows[head_at]]
    return [dict(zip(keys, r, strict=False)) for r in rows[head_at + 1 :] if any(r)]


def d(value: Any) -> Decimal:
    return Decimal(str(value))


def assert_trial_balance_balances(path: Path) -> list[dict[str, Any]]:
    """An accounting pack workbook's trial balance balances per currency (openings and
    closings sum to zero, debits equal credits) and agrees with the journal's debit total: it
    covers the counterpart accounts of the entries shown (donor, carrier's shortage,
    transfers). Returns its rows."""
    tb = [r for r in sheet_rows(path, "trial_balance") if r["account"]]
    journal = sheet_rows(path, "journal")
    for currency in {r["currency"] for r in tb}:
        rows = [r for r in tb if r["currency"] == currency]
        assert sum(d(r["opening"]) for r in rows) == 0, currency
        assert sum(d(r["closing"]) for r in rows) == 0, currency
        debit = sum(d(r["debit"]) for r in rows)
        assert debit == sum(d(r["credit"]) for r in rows), currency
        totals = [r for r in journal if r["currency"] == currency and r["date"] is None
                  and str(r["account"]).startswith("debit")]  # fmt: skip
        assert [d(r["value"]) for r in totals] == [debit], currency
    return tb


# ---------------------------------------------------------------- reconciliation


def test_reconciliation_xlsx_equals_ledger(world: dict[str, Any]) -> None:
    recon = world["led"].reconcile()
    rows = sheet_rows(world["base"] / "recon.xlsx", "reconciliation")
    assert len(rows) == len(recon)
    for got, want in zip(rows, recon, strict=True):
        assert (got["donor"], got["recipient"], got["item"]) == (
            want.donor,
            want.recipient,
            want.item,
        )
        for col in want.QUANTITIES:
            assert d(got[i18n.en(f"col.{col}")]) == getattr(want, col), (want.item, col)
    values = {
        (r["donor"], r["recipient"], r["item"]): r
        for r in sheet_rows(world["base"] / "recon.xlsx", "values")
    }
    for want in recon:
        got = values.get((want.donor, want.recipient, want.item))
        if want.currency is None and want.dispatched == 0:  # pledged only: no value row
            assert got is None, want
            continue
        if want.dispatched_value is not None:
            assert d(got["dispatched value"]) == i18n.round_money(
                want.dispatched_value, want.currency
            )
        if want.received_value_uah is not None:
            assert d(got["received value, UAH"]) == i18n.round_money(want.received_value_uah, "UAH")
        if want.distributed == 0 and want.currency:  # nothing handed out is 0, as lost is
            assert d(got[i18n.en("col.distributed_value")]) == 0, want


def test_reconciliation_value_totals_name_their_currency_and_leave_pending_uah_blank(
    world: dict[str, Any],
) -> None:
    """A pledged-only item made a total of currency "?"; a donor's UAH total left out a
    receipt whose rate is pending and read as complete."""
    rows = [r for r in sheet_rows(world["base"] / "recon.xlsx", "values") if r["item"]]  # no notes
    totals = [r for r in rows if r["item"] == i18n.en("doc.total")]
    lines = [r for r in rows if r["item"] != i18n.en("doc.total")]
    assert totals and all(r["currency"] for r in totals + lines)
    pending = {(r["donor"], r["currency"]) for r in lines if r["received value, UAH"] is None}
    assert pending  # the sample has a receipt whose rate is not on file
    for tot in totals:
        mine = [r for r in lines if (r["donor"], r["currency"]) == (tot["donor"], tot["currency"])]
        if (tot["donor"], tot["currency"]) in pending:
            assert tot["received value, UAH"] is None, tot
        else:
            uah = sum(d(r["received value, UAH"]) for r in mine)
            assert abs(d(tot["received value, UAH"]) - uah) <= Decimal("0.01") * len(mine), tot


def test_reconciliation_pdf_numbers_and_csv(world: dict[str, Any]) -> None:
    text = pdf_text(world["base"] / "recon.pdf")
    for r in world["led"].reconcile():
        figures = " ".join(i18n.qty(getattr(r, c)) for c in r.QUANTITIES)
        assert f"{r.item} {r.unit} {figures}" in text, r.item
        if r.dispatched_value is not None:
            assert i18n.money(r.dispatched_value, r.currency) in text
    csv_text = (world["base"] / "recon.csv").read_text()
    assert csv_text.splitlines()[0].startswith("donor,recipient,item,pledged,dispatched,at_customs")
    assert len(csv_text.splitlines()) == len(world["led"].reconcile()) + 1


def test_reconciliation_variances_have_acts_or_are_flagged(world: dict[str, Any]) -> None:
    rows = world["docs"]["recon"].section("variances").rows
    by = {(r["shipment"], r["variance"]): r for r in rows}
    short = by[("WRO-2022-002/2", "short")]
    assert (
        short["act"] == "LV-PN-2022-0003" and short["quantity"] == 60 and not short["_flag_remarks"]
    )
    assert by[("PRG-2022-002/4", "damaged")]["quantity"] == 40
    assert by[("BXL-2022-001/2", "excess")]["quantity"] == 20
    assert by[("KYOTO-2024-002/1", "at_customs")]["remarks"].startswith("held")
    assert any(
        r["variance"] == "written_off" and r["act"].startswith("KV-SP-2023-001") for r in rows
    )
    assert by[("BXL-2024-001/1", "in_transit")]["remarks"].startswith("released 2024-10-03")
    assert by[("PRG-2024-002/1", "in_transit")]["remarks"].startswith("dispatched")
    text = pdf_text(world["base"] / "recon.pdf")
    assert "LV-PN-2022-0003" in text and "released 2024-10-03" in text
    assert "<svg" in (world["base"] / "recon.html").read_text()  # inline chart, no files
    var_csv = (world["base"] / "recon-variances.csv").read_text()
    assert "LV-PN-2022-0003" in var_csv


# ---------------------------------------------------------------- customs pack


def test_customs_pack_packing_list_equals_ledger(world: dict[str, Any]) -> None:
    with reader(world["led"].engine) as conn:
        lines = conn.execute(t.ShipmentLine.__table__.select()
                             .where(t.ShipmentLine.shipment_ref == "HEL-2023-001")
                             .order_by(t.ShipmentLine.line_no)).all()  # fmt: skip
    rows = sheet_rows(world["base"] / "customs.xlsx", "packing_list")
    body = [r for r in rows if isinstance(r["line"], int)]
    assert [r["line"] for r in body] == [ln.line_no for ln in lines]
    for r, ln in zip(body, lines, strict=True):
        assert d(r["quantity"]) == ln.quantity and d(r["unit value"]) == ln.unit_value
        assert d(r["total value"]) == ln.quantity * ln.unit_value and r["currency"] == ln.currency
        assert d(r["gross weight, kg"]) == ln.gross_kg and r["packages"] == ln.packages
    text = pdf_text(world["base"] / "customs.pdf")
    total = sum(ln.quantity * ln.unit_value for ln in lines)
    assert i18n.money(total, "EUR") in text
    # the pro forma's totals are numbers in the workbook, not text a spreadsheet cannot add
    from openpyxl import load_workbook

    ws = load_workbook(world["base"] / "customs.xlsx")["proforma"]
    figures = {str(r[0]).split(" / ")[0]: r[1:3] for r in ws.iter_rows(values_only=True) if r[0]}
    assert d(figures["Total value"][0]) == total and figures["Total value"][1] == "EUR"
    assert figures["Total packages"][0] == sum(ln.packages for ln in lines)
    assert d(figures["Total gross weight, kg"][0]) == sum(ln.gross_kg for ln in lines)
    for ln in lines:
        assert i18n.money(ln.quantity * ln.unit_value, ln.currency) in text
    for words in (
        "free of charge",
        "no commercial value",
        "безоплатно",
        "без комерційної вартості",
        "CMR-FI-23-08747",
        "KLM-482",
        "37401526",
        "UR-000417",
        "851629",
        "UA205050/2023/629745",
    ):
        assert words in text, words
    # its customs events, kept as English codes, are bilingual like every label
    events = [r["event"] for r in sheet_rows(world["base"] / "customs.xlsx", "transport")
              if r["event"]]  # fmt: skip
    assert events == ["arrived / прибуло на митницю", "held / затримано", "released / випущено"]
    assert "held / затримано" in text


def test_customs_pack_with_error_findings_is_not_ready_on_every_page(world: dict[str, Any]) -> None:
    pages = pdf_pages(world["base"] / "customs.pdf")
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        assert "NOT READY" in page and "НЕ ГОТОВО" in page
        assert f"page {n} of {len(pages)}" in page and f"сторінка {n} з {len(pages)}" in page
    assert "CUS-013" in " ".join(pages)
    # and on every sheet of its workbook, in a cell and in the header of every printed page
    workbook = load_workbook(world["base"] / "customs.xlsx")
    for ws in workbook.worksheets:
        cells = " ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)
        assert "NOT READY" in cells and "НЕ ГОТОВО" in cells, ws.title
        assert "NOT READY" in (ws.oddHeader.center.text or ""), ws.title


def test_findings_not_available_is_said(world: dict[str, Any]) -> None:
    assert "rule findings: not available" in pdf_text(world["base"] / "acc.pdf")


# ---------------------------------------------------------------- accounting pack


def test_accounting_pack_register_and_stock_movement(world: dict[str, Any]) -> None:
    start, end = parse_period("2023")
    with reader(world["led"].engine) as conn:
        rl, sl = t.ReceiptLine, t.ShipmentLine
        receipts = conn.execute(rl.__table__.select().join(sl.__table__, sl.id == rl.shipment_line_id)
                                .where(sl.recipient == "KYIV", rl.date.between(start, end))).all()  # fmt: skip
    assert receipts, "the sample has KYIV receipts in 2023"
    path = world["base"] / "acc.xlsx"
    sheets = load_workbook(path).sheetnames
    for name in (
        "journal",
        "trial_balance",
        "aid_register",
        "stock_movement",
        "acceptance_acts",
        "distribution_acts",
        "writeoff_acts",
        "fx_schedule",
        "findings",
    ):
        assert name in sheets
    reg = sheet_rows(path, "aid_register")
    body = [r for r in reg if r["date"] is not None]
    assert len(body) == len(receipts)
    total_uah = sum(r.value_uah for r in receipts)
    assert d(reg[-1]["value, UAH"]) == i18n.round_money(total_uah, "UAH")
    for r in body:
        assert r["NBU rate"] is not None and r["source"] == "NBU"
    assert i18n.money(total_uah, "UAH") in pdf_text(world["base"] / "acc.pdf")
    for m in sheet_rows(path, "stock_movement"):
        assert d(m["opening"]) + d(m["received"]) + d(m["transferred (net)"]) - d(m["distributed"]) \
            - d(m["written off"]) == d(m["closing"])  # fmt: skip
    tb = assert_trial_balance_balances(path)
    assert any(str(r["account"]).startswith("donor:") for r in tb)
    # a write-off's reason, kept as an English code, is bilingual like every label
    reasons = [r["reason"] for r in sheet_rows(path, "writeoff_acts") if r["reason"]]
    assert reasons == ["expired / закінчився термін придатності"]
    wo = sheet_rows(path, "writeoff_acts")
    assert wo[0]["act"] == "KV-SP-2023-001/1" and d(wo[0]["quantity"]) == 120
    assert "TXA2106B" in wo[0]["from lots"]


# ---------------------------------------------------------------- fonts, codes, donor pack


def _font_names(path: Path) -> set[str]:
    names: set[str] = set()
    for page in PdfReader(path).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            names.add(str(ref.get_object().get("/BaseFont")))
    return names


def test_names_render_with_real_glyphs(world: dict[str, Any]) -> None:
    donor, recon = world["base"] / "donor.pdf", world["base"] / "recon.pdf"
    text = pdf_text(donor) + pdf_text(recon)
    for name in ("Київ", "Wrocław", "Praha", "京都市"):
        assert name in text, name
    fonts = _font_names(donor) | _font_names(recon)
    assert any("DejaVu" in f for f in fonts), fonts
    assert any("IPA" in f for f in fonts), fonts


def test_donor_pack_contents(world: dict[str, Any]) -> None:
    doc = world["docs"]["donor"]
    text = pdf_text(world["base"] / "donor.pdf")
    assert "KYOTO-2024-002" in text and "KV-PN-" in text and "KV-AKT-" in text
    shipped = {r["shipment"] for r in doc.section("dispatched").rows}
    assert shipped and all(s.startswith("KYOTO-") for s in shipped)
    held = next(r for r in doc.section("shipments").rows if r["shipment"] == "KYOTO-2024-002")
    assert held["received"] == 0 and held["status"].startswith("customs")
    for page in pdf_pages(world["base"] / "donor.pdf"):
        assert doc.code in page.replace(" ", "") or doc.code in page


def test_verify_document_agrees_then_not(world: dict[str, Any], tmp_path: Path) -> None:
    runner = CliRunner()
    pdf = world["base"] / "donor.pdf"
    code = find_code(pdf)
    assert code == world["docs"]["donor"].code and decode(code).params["donor"] == "KYOTO"
    db = tmp_path / "copy.db"
    src = world["url"].removeprefix("sqlite:///")
    with Ledger(world["url"], migrate=False) as led, led.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(src, db)
    ok = runner.invoke(main, ["--db", f"sqlite:///{db}", "verify-document", str(pdf)])
    assert ok.exit_code == 0, ok.output
    assert "ledger agrees" in ok.output
    # a distribution of Kyoto's aid shown in the pack is reversed afterwards
    with Ledger(f"sqlite:///{db}", migrate=False) as led, reader(led.engine) as conn:
        shown = world["docs"]["donor"].entry_ids
        e = t.Entry
        entry_id = conn.execute(select(func.max(e.id)).where(e.id.in_(shown),
                                                              e.kind == "distribution")).scalar()  # fmt: skip
    with Ledger(f"sqlite:///{db}", migrate=False) as led:
        led.reverse(entry_id, "wrong acquirer")
    bad = runner.invoke(main, ["--db", f"sqlite:///{db}", "verify-document", code])
    assert bad.exit_code == 1 and "reversed" in bad.output
    usage = runner.invoke(main, ["--db", f"sqlite:///{db}", "verify-document", "AL1-XYZ"])
    assert usage.exit_code == 2


def test_verify_document_sees_an_entry_recorded_later_but_dated_inside(
    world: dict[str, Any], tmp_path: Path
) -> None:
    """The KYIV 2023 accounting pack: a pledge to KYIV recorded afterwards but dated in 2023
    belongs in it, so the document no longer holds; one dated after the document's day is
    newer history and leaves it standing."""
    from reports.verification import verify
    from schemas.rows import PledgeRow

    code = world["docs"]["acc"].code
    db = tmp_path / "copy.db"
    with Ledger(world["url"], migrate=False) as led, led.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(world["url"].removeprefix("sqlite:///"), db)

    def pledge(ref: str, day: str) -> PledgeRow:
        return PledgeRow(pledge_ref=ref, line_no=1, date=day, donor="PRAGUE", recipient="KYIV",
                         item="SH-BLANKET", quantity=Decimal(5), unit_value=Decimal(100), currency="CZK")  # fmt: skip

    with Ledger(f"sqlite:///{db}", migrate=False) as led:
        led.post(pledge("LATER-1", "2030-01-02"))
        with reader(led.engine) as conn:
            assert verify(conn, code).ok
        led.post(pledge("LATE-1", "2023-06-01"))
        with reader(led.engine) as conn:
            verdict = verify(conn, code)
    assert not verdict.ok and "recorded after the document but belongs in it" in verdict.message


def test_cli_reports(world: dict[str, Any], tmp_path: Path) -> None:
    runner = CliRunner()
    db = ["--db", world["url"]]
    res = runner.invoke(main, [*db, "report", "reconciliation", "--donor", "DUBLIN", "--format",
                               "csv", "--out", str(tmp_path / "r.csv")])  # fmt: skip
    assert res.exit_code == 0, res.output
    ours = (tmp_path / "r.csv").read_text().splitlines()
    theirs = runner.invoke(main, [*db, "reconcile", "--donor", "DUBLIN", "--format", "csv"]).output
    assert [line.split(",")[:15] for line in ours] == [
        line.split(",")[:15] for line in theirs.splitlines()
    ]
    res = runner.invoke(main, [*db, "report", "accounting-pack", "--recipient", "KYIV", "--period",
                               "2023-13", "--out", str(tmp_path)])  # fmt: skip
    assert res.exit_code == 2
    res = runner.invoke(
        main, [*db, "report", "customs-pack", "NOPE", "--out", str(tmp_path / "x.xlsx")]
    )
    assert res.exit_code == 1 and "NOPE" in res.output


def test_formatting_rules() -> None:
    assert i18n.money(Decimal("1234567.5"), "JPY") == "1,234,568"
    assert i18n.money(Decimal("1234.5"), "CZK") == "1,234.50"
    assert i18n.money(Decimal("1234.5"), "EUR", "uk").replace("\xa0", " ") == "1 234,50"
    assert parse_period("2023-Q2") == (parse_period("2023-04")[0], parse_period("2023-06")[1])
    assert str(parse_period("2024-02")[1]) == "2024-02-29"
    with pytest.raises(ValueError):
        parse_period("2023-Q5")


def test_customs_pack_lists_the_documents_on_file(world: dict[str, Any]) -> None:
    from sqlalchemy import select

    from ledger.db import tables as t

    with world["led"].engine.connect() as conn:
        on_file = set(conn.execute(
            select(t.Document.number).where(t.Document.subject == "HEL-2023-001")
        ).scalars())  # fmt: skip
    assert on_file, "the sample data registers documents for HEL-2023-001"
    rows = sheet_rows(world["base"] / "customs.xlsx", "attachments")
    assert on_file <= {r["reference"] for r in rows}
    # each paper once (a required one on file fills its row), named in both languages
    references = [r["reference"] for r in rows if r["reference"] not in ("HEL-2023-001", "—")]
    assert len(references) == len(set(references)), references
    assert all(" · " in r["document"] or " / " in r["document"] for r in rows)
    assert not [r for r in rows if "_" in r["document"]]  # no raw kind codes


def test_a_long_pdf_is_announced_before_layout(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PDF of thousands of table rows takes minutes: the command says so first (on stderr),
    and only when the output is a PDF."""
    from reports import commands

    runner = CliRunner()
    args = ["--db", world["url"], "report", "reconciliation", "--donor", "DUBLIN", "--out"]
    quiet = runner.invoke(main, [*args, str(tmp_path / "a.pdf")])
    assert quiet.exit_code == 0 and "laying out" not in quiet.stderr
    monkeypatch.setattr(commands, "LARGE_PDF_ROWS", 1)
    loud = runner.invoke(main, [*args, str(tmp_path / "b.pdf")])
    assert loud.exit_code == 0, loud.output
    assert "table rows as PDF" in loud.stderr and "--period" in loud.stderr
    assert "laying out" not in loud.stdout
    sheet = runner.invoke(main, [*args, str(tmp_path / "c.xlsx")])
    assert sheet.exit_code == 0 and "laying out" not in sheet.stderr


@pytest.mark.parametrize("day", ["2023-08-15", "2023-05-15"], ids=["in-the-period", "before-it"])
def test_verify_document_of_a_period_sees_entries_dated_in_it_or_before_it(sqlite_led, day):
    """An accounting pack for 2023-Q3 made while the ledger's newest entry was in March: a
    distribution dated in Q3 changes its figures, one dated before Q3 its opening stock; both
    recorded afterwards. (The check used the ledger's newest day then, so both passed.)"""
    import datetime as dt

    from ledger import operations as ops
    from reports.verification import code_for, verify
    from tests import factories as f

    led = sqlite_led
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.receive(led, f.receive(received="10"))
    params = {"recipient": "KYIV", "period": "2023-Q3"}
    with reader(led.engine) as conn:
        last = conn.exec_driver_sql("SELECT max(id) FROM entry").scalar()
        code, shown = code_for(conn, "A", params, last)
        assert shown == [] and verify(conn, code).ok  # nothing in Q3 yet
    offset = (dt.date.fromisoformat(day) - f.DAY0).days
    ops.distribute(led, f.distribute(qty="2", day=offset))
    with reader(led.engine) as conn:
        verdict = verify(conn, code)
    assert not verdict.ok and "recorded after the document but belongs in it" in verdict.message


@pytest.mark.parametrize("kind", ["A", "C"], ids=["accounting-pack", "customs-pack"])
def test_verify_document_leaves_a_document_standing_after_entries_dated_past_its_day(
    sqlite_led, kind
):
    """A 2023-Q1 accounting pack, and a customs pack whose last event was on day 1, made when
    the ledger's newest entry was months later: an entry recorded afterwards and dated after
    the period (or the consignment's last event) but before that newest entry was taken to
    belong in the document, which was reported as no longer holding."""
    import datetime as dt

    from ledger import operations as ops
    from reports.verification import code_for, verify
    from tests import factories as f

    led = sqlite_led
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.customs(led, f.customs("S1", "held", day=1))
    ops.dispatch(led, f.ship("S2", qty="10", date=f.DAY0 + dt.timedelta(days=200)))
    params = ({"recipient": "KYIV", "period": "2023-Q1"} if kind == "A"
              else {"shipment": "S1"})  # fmt: skip
    with reader(led.engine) as conn:
        last = conn.exec_driver_sql("SELECT max(id) FROM entry").scalar()
        code, shown = code_for(conn, kind, params, last)
        assert shown and verify(conn, code).ok
    ops.customs(led, f.customs("S1", "released", day=60))  # after Q1 and after "held"
    with reader(led.engine) as conn:
        assert verify(conn, code).ok, verify(conn, code).message
    if kind == "A":  # one dated inside the period still counts
        ops.pledge(led, f.pledge("P-LATE", date=f.DAY0 + dt.timedelta(days=5)))
        with reader(led.engine) as conn:
            verdict = verify(conn, code)
        assert not verdict.ok and "recorded after the document but belongs in it" in verdict.message


@pytest.mark.parametrize(
    ("args", "said"),
    [(["donor-pack", "--donor", "KYIV"], "KYIV has no pledges or shipments as donor"),
     (["accounting-pack", "--recipient", "PRAGUE", "--period", "2023"],
      "PRAGUE has no shipments, pledges or warehouses as recipient")],
    ids=["donor-pack-of-a-recipient", "accounting-pack-of-a-donor"],
)  # fmt: skip
def test_a_pack_for_a_party_that_never_acted_in_its_role_is_refused(world, tmp_path, args, said):
    """A donor pack of a city that never gave wrote an empty pack and exited 0."""
    out = tmp_path / ("pack/" if "accounting-pack" in args else "pack.pdf")
    result = CliRunner().invoke(main, ["--db", world["url"], "report", *args, "--out", str(out)])
    assert result.exit_code == 1 and said in result.output, result.output
    assert not out.exists()


def test_a_pack_of_a_period_not_over_yet_says_so(world, tmp_path):
    """A pack for 2030-05 (a typo for 2023-05, or a draft) was an empty pack, exit 0, with no
    word that the period had not ended."""
    import datetime as dt

    future = f"{dt.date.today().year + 3}-05"
    for args in (["accounting-pack", "--recipient", "KYIV", "--period", future,
                  "--out", str(tmp_path / "a")],
                 ["donor-pack", "--donor", "PRAGUE", "--period", future,
                  "--out", str(tmp_path / "d.xlsx")]):  # fmt: skip
        result = CliRunner().invoke(main, ["--db", world["url"], "report", *args, "--no-rules"])
        assert result.exit_code == 0, result.output
        assert f"note: the period {future} ends on {future}-31, not yet over" in result.stderr
    past = CliRunner().invoke(main, ["--db", world["url"], "report", "donor-pack", "--donor",
                                     "PRAGUE", "--period", "2023", "--no-rules",
                                     "--out", str(tmp_path / "p.xlsx")])  # fmt: skip
    assert past.exit_code == 0 and "not yet over" not in past.stderr


def test_documents_are_the_same_bytes_when_written_again(world: dict[str, Any], tmp_path: Path):
    """The XLSX differed run to run by openpyxl's clock stamps (core properties and every zip
    member), though its cells were the same; the PDF is checked alike."""
    import time

    from reports.produce import write

    doc = world["docs"]["customs"]
    first = write(doc, [tmp_path / "a.xlsx", tmp_path / "a.pdf"])
    time.sleep(1.1)  # zip stamps have a two-second grain, the properties a one-second one
    second = write(doc, [tmp_path / "b.xlsx", tmp_path / "b.pdf"])
    assert len(first) == len(second) == 2
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    props = load_workbook(tmp_path / "a.xlsx").properties
    assert props.created.date() == props.modified.date() == doc.generated


def test_verify_document_of_a_reconciliation_counts_to_the_ledgers_newest_day(sqlite_led):
    """A reconciliation shows the ledger as of its newest day (ages, "unexplained for N days"):
    a receipt of its scope recorded later but dated before that day makes it no longer hold,
    though the scope's own newest entry is older."""
    import datetime as dt

    from ledger import operations as ops
    from reports.verification import code_for, verify
    from tests import factories as f

    led = sqlite_led
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.dispatch(led, f.ship("S2", qty="10", recipient="LVIV",
                             date=f.DAY0 + dt.timedelta(days=200)))  # fmt: skip
    params = {"donor": "PRAGUE", "recipient": "KYIV"}
    with reader(led.engine) as conn:
        last = conn.exec_driver_sql("SELECT max(id) FROM entry").scalar()
        code, shown = code_for(conn, "R", params, last)
        assert shown and verify(conn, code).ok
    ops.receive(led, f.receive(received="10", day=100))
    with reader(led.engine) as conn:
        verdict = verify(conn, code)
    assert not verdict.ok and "recorded after the document but belongs in it" in verdict.message


def test_narrow_column_headings_break_at_hyphenation_points_not_mid_word(
    world: dict[str, Any],
) -> None:
    """A heading too wide for its column is hyphenated (dis‐patched), never cut (dispatche/d)."""
    text = pdf_text(world["base"] / "recon.pdf")
    for word in ("dispatched", "distributed", "outstanding", "відвантажено", "розподілено"):
        cuts = [f"{word[:i]} {word[i:]}" for i in range(2, len(word) - 1)]
        assert not [c for c in cuts if c in text], word


def test_the_donor_pack_never_counts_different_items_together(world: dict[str, Any]) -> None:
    """KYOTO-2022-001 carries several items in pieces and in boxes: its summary has a row per
    item, each the sum of that item's dispatched lines (pieces of one item are not pieces of
    another)."""
    doc = world["docs"]["donor"]
    lines = doc.section("dispatched").rows
    summary = [r for r in doc.section("shipments").rows if r["shipment"] == "KYOTO-2022-001"]
    assert {r["unit"] for r in summary} == {"pcs", "box"}
    mine = [x for x in lines if x["shipment"] == "KYOTO-2022-001"]
    assert sorted(r["item"] for r in summary) == sorted({x["item"] for x in mine})
    for s in summary:
        its = [x for x in mine if x["item"] == s["item"]]
        assert {x["unit"] for x in its} == {s["unit"]}
        assert s["dispatched"] == sum(x["quantity"] for x in its)
