"""Documents foot: unit values with more decimals than the currency's minor unit (10.005 CZK,
0.333 EUR, 1,234.5 JPY) made every printed amount round on its own and every total round from
the exact sum, so totals were not the sums of the lines above them, a printed journal entry did
not balance and the trial balance had debits ≠ credits.

The packs are built from a small ledger of such values (imported from CSV), written as PDF and
XLSX and read back: every total is the sum of the lines as printed, every entry balances per
currency, every trial-balance row foots and its debits equal its credits. Plus the property of
the largest-remainder allocation the journal rounds with (reports/rounding.allocate).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ledger import operations as ops
from ledger.api import Ledger
from reports import i18n
from reports.produce import build, write
from reports.rounding import allocate, minor_unit, round_money, round_postings
from tests import factories as f
from tests.test_reports import assert_trial_balance_balances, pdf_text, sheet_rows

D = Decimal
TOTAL = i18n.both("doc.total")
MONEY = r"-?\d[\d,]*(?:\.\d+)?"

FILES = {
    "parties.csv": """code,name,kind,country,registry_id,aid_register_no
PRAGUE,City of Prague,city,CZ,,
KYOTO,City of Kyoto,city,JP,,
HELSINKI,City of Helsinki,city,FI,,
KYIV,Kyiv City,city,UA,12345678,R-001
HOSP,Kyiv Hospital 1,hospital,UA,,
CARR,Carrier One,carrier,PL,,
""",
    "items.csv": """code,name,unit,hs_code,category,tracks_expiry
MED,Paracetamol pack,pack,300490,medicine,true
BLK,Blanket,pcs,630140,shelter,false
GEN,Generator,pcs,850211,energy,false
""",
    "warehouses.csv": """code,party,name,settlement
KW1,KYIV,Kyiv WH 1,Kyiv
""",
    "fx_rates.csv": """date,currency,rate,base,source
2023-05-02,CZK,1.6789,UAH,NBU
2023-05-03,JPY,0.27123,UAH,NBU
2023-05-03,EUR,40.5112,UAH,NBU
""",
    # dispatched in April (the May pack's opening balances), received in May; S4 in May is
    # worth 0.0000001 CZK (its donor posting is -0.0000001: no "-0.00") in 0.00001 units
    "shipments.csv": """shipment_ref,line_no,dispatch_date,donor,recipient,item,quantity,unit_value,currency,batch,expiry,carrier
S1,1,2023-04-28,PRAGUE,KYIV,BLK,1,10.005,CZK,,,CARR
S1,2,2023-04-28,PRAGUE,KYIV,BLK,1,10.005,CZK,,,CARR
S1,3,2023-04-28,PRAGUE,KYIV,BLK,1,10.005,CZK,,,CARR
S1,4,2023-04-28,PRAGUE,KYIV,MED,1000,12.345678,CZK,B1,2025-12-31,CARR
S1,5,2023-04-28,PRAGUE,KYIV,BLK,1000000,0.000001,CZK,,,CARR
S1,6,2023-04-28,PRAGUE,KYIV,GEN,0.00001,0.01,CZK,,,CARR
S2,1,2023-04-25,KYOTO,KYIV,BLK,10,1234.5,JPY,,,
S2,2,2023-04-25,KYOTO,KYIV,GEN,3,0.5,JPY,,,
S3,1,2023-04-29,HELSINKI,KYIV,BLK,1,0.335,EUR,,,
S3,2,2023-04-29,HELSINKI,KYIV,BLK,1,0.335,EUR,,,
S3,3,2023-04-29,HELSINKI,KYIV,BLK,1,0.335,EUR,,,
S3,4,2023-04-29,HELSINKI,KYIV,BLK,1000,0.333,EUR,,,
S4,1,2023-05-20,PRAGUE,KYIV,GEN,0.00001,0.01,CZK,,,CARR
""",
    "receipts.csv": """receipt_ref,shipment_ref,line_no,date,warehouse,received,short,damaged,excess
G1,S1,1,2023-05-02,KW1,1,0,0,0
G1,S1,2,2023-05-02,KW1,1,0,0,0
G1,S1,3,2023-05-02,KW1,1,0,0,0
G1,S1,4,2023-05-02,KW1,990,4,6,0
G1,S1,5,2023-05-02,KW1,1000000,0,0,0
G2,S2,1,2023-05-03,KW1,9,0,1,0
G2,S2,2,2023-05-03,KW1,3,0,0,0
G3,S3,1,2023-05-03,KW1,1,0,0,0
G3,S3,2,2023-05-03,KW1,1,0,0,0
G3,S3,3,2023-05-03,KW1,1,0,0,0
G3,S3,4,2023-05-03,KW1,1000,0,0,0
""",
    "distributions.csv": """distribution_ref,line_no,date,recipient,warehouse,beneficiary,item,quantity,batch,settlement
D1,1,2023-05-10,KYIV,KW1,HOSP,MED,800,,Kyiv
""",
    "writeoffs.csv": """writeoff_ref,line_no,date,recipient,warehouse,item,quantity,batch,reason
W1,1,2023-05-15,KYIV,KW1,MED,7,B1,expired
""",
}


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("footing")
    data = base / "data"
    data.mkdir()
    for name, text in FILES.items():
        (data / name).write_text(text, encoding="utf-8")
    led = Ledger(f"sqlite:///{base / 'ledger.db'}")
    led.import_files([data])
    docs = {
        "acc": build(led, "accounting-pack", recipient="KYIV", period="2023-05"),
        "customs": build(led, "customs-pack", shipment="S1"),
        "recon": build(led, "reconciliation"),
        "donor": build(led, "donor-pack", donor="PRAGUE"),
    }
    write(docs["acc"], [base / "acc.pdf", base / "acc.xlsx"])
    write(docs["customs"], [base / "customs.pdf", base / "customs.xlsx"])
    write(docs["recon"], [base / "recon.xlsx"])
    write(docs["donor"], [base / "donor.xlsx"])
    yield {"led": led, "base": base, "docs": docs}
    led.close()


def d(value: Any) -> Decimal:
    return Decimal(str(value))


def section_text(pdf: Path, title: str, next_title: str) -> str:
    """The PDF text of one section: from its heading to the next section's heading."""
    text = pdf_text(pdf)
    start = text.index(i18n.label(title)["en"] + " " + i18n.label(title)["uk"])
    return text[start : text.index(i18n.label(next_title)["en"], start + 1)]


def numbers(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


# ---------------------------------------------------------------- the allocation


amounts_st = st.lists(
    st.decimals(min_value=-10**9, max_value=10**9, places=7, allow_nan=False,
                allow_infinity=False),
    min_size=1, max_size=12,
)  # fmt: skip
currency_st = st.sampled_from(["CZK", "JPY", "UAH", "EUR", "KWD"])


@settings(max_examples=300, deadline=None)
@given(amounts=amounts_st, currency=currency_st)
def test_allocated_amounts_sum_to_the_rounded_total_each_within_one_minor_unit(
    amounts: list[Decimal], currency: str
) -> None:
    unit = minor_unit(currency)
    rounded = allocate(amounts, currency)
    assert len(rounded) == len(amounts)
    assert sum(rounded, D(0)) == sum(amounts, D(0)).quantize(unit, rounding=ROUND_HALF_UP)
    for exact, shown in zip(amounts, rounded, strict=True):
        assert shown == shown.quantize(unit)  # at the minor unit
        assert abs(shown - exact) < unit  # within one minor unit
        assert not (shown.is_zero() and shown.is_signed())  # never a negative zero


@settings(max_examples=300, deadline=None)
@given(amounts=amounts_st, currency=currency_st)
def test_an_entry_that_balances_still_balances_when_rounded(
    amounts: list[Decimal], currency: str
) -> None:
    entry = [*amounts, -sum(amounts, D(0))]  # its postings sum to exactly zero
    assert sum(allocate(entry, currency), D(0)) == 0
    on_unit = [round_money(a, currency) for a in amounts]  # already at the minor unit: kept
    assert allocate(on_unit, currency) == on_unit


@settings(max_examples=200, deadline=None)
@given(amounts=amounts_st, currency=currency_st)
def test_an_amount_and_its_opposite_print_alike_so_a_passing_account_prints_zero(
    amounts: list[Decimal], currency: str
) -> None:
    """Goods in and out of a stage in two entries (+a, then −a) leave no printed residue."""
    for a in amounts:
        shown_in, shown_out = allocate([a, -a], currency), allocate([-a, a], currency)
        assert shown_in == [round_money(a, currency), round_money(-a, currency)]
        assert shown_in[0] + shown_out[0] == 0


def test_allocation_of_the_reported_cases() -> None:
    # each rounds half up; the one cent too many comes off the first of the tied amounts
    assert allocate([D("10.005")] * 3 + [D("-30.015")], "CZK") == [
        D("10.00"), D("10.01"), D("10.01"), D("-30.02")]  # fmt: skip
    # the same movement prints alike whichever posting comes first: a dispatch (+10.005 into
    # transit) and its receipt (−10.005 out of it) leave transit at 0.00, not 0.01
    assert allocate([D("-10.005"), D("10.005")], "CZK") == [D("-10.01"), D("10.01")]
    assert allocate([D("10.005"), D("-10.005")], "CZK") == [D("10.01"), D("-10.01")]
    jpy = allocate([D("11110.5"), D("1234.5"), D("-12345")], "JPY")
    assert sum(jpy) == 0 and jpy[2] == D(-12345)
    assert str(allocate([D("-0.0000001"), D("0.0000001")], "CZK")[0]) == "0.00"
    # an entry's postings: per currency, a posting without a value left alone
    shown = round_postings([("CZK", D("10.005")), ("JPY", D("0.5")), ("CZK", D("-10.005")),
                            ("JPY", D("-0.5")), ("CZK", None)])  # fmt: skip
    assert shown == [D("10.01"), D(1), D("-10.01"), D(-1), None]


# ---------------------------------------------------------------- accounting pack


def test_accounting_pack_xlsx_journal_entries_balance_and_totals_are_the_sums(packs) -> None:
    rows = sheet_rows(packs["base"] / "acc.xlsx", "journal")
    lines = [r for r in rows if r["entry"] is not None]
    totals = [r for r in rows if r["reference"] == TOTAL]
    assert {r["currency"] for r in lines} >= {"CZK", "JPY", "EUR"}
    per_entry: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    debit: dict[str, Decimal] = defaultdict(Decimal)
    credit: dict[str, Decimal] = defaultdict(Decimal)
    for r in lines:
        if r["value"] is None:
            continue
        v = d(r["value"])
        assert v == v.quantize(minor_unit(r["currency"])), r  # the cell holds what is shown
        per_entry[(r["entry"], r["currency"])] += v
        (debit if v > 0 else credit)[r["currency"]] += abs(v)
    assert per_entry and all(v == 0 for v in per_entry.values()), per_entry
    shown = {(str(r["account"]).split(" ")[0], r["currency"]): d(r["value"]) for r in totals}
    for currency in debit:
        assert shown[("debit", currency)] == debit[currency], currency
        assert shown[("credit", currency)] == credit[currency], currency


def test_accounting_pack_xlsx_trial_balance_foots(packs) -> None:
    tb = assert_trial_balance_balances(packs["base"] / "acc.xlsx")
    assert {r["currency"] for r in tb} >= {"CZK", "JPY", "EUR"}
    for r in tb:
        o, dr, cr, cl = (d(r[k]) for k in ("opening", "debit", "credit", "closing"))
        assert o + dr - cr == cl, r


def test_accounting_pack_xlsx_register_fx_and_exact_unit_values(packs) -> None:
    path = packs["base"] / "acc.xlsx"
    reg = sheet_rows(path, "aid_register")
    lines = [r for r in reg if r["date"] is not None]
    total = next(r for r in reg if r["act"] == TOTAL)
    assert d(total["value, UAH"]) == sum(d(r["value, UAH"]) for r in lines)
    units = {d(r["unit value"]) for r in lines}
    assert {D("12.345678"), D("0.000001"), D("10.005"), D("1234.5")} <= units  # never rounded
    for r in lines:  # quantity × unit value = value; value × rate rounds to the UAH shown
        value = d(r["quantity"]) * d(r["unit value"])
        assert d(r["value"]) == value, r
        uah = (value * d(r["NBU rate"])).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        assert d(r["value, UAH"]) == uah, r
    fx = [r for r in sheet_rows(path, "fx_schedule") if r["date"] is not None]
    assert fx and D("10.005") in {d(r["amount"]) for r in fx}
    for r in fx:  # the amount the rate applies to, exactly
        uah = (d(r["amount"]) * d(r["NBU rate"])).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        assert d(r["value, UAH"]) == uah, r
    # number formats show every decimal the value has
    ws = load_workbook(path)["aid_register"]
    formats = {c.value: c.number_format for row in ws.iter_rows() for c in row
               if isinstance(c.value, float | int)}  # fmt: skip
    assert formats[12.345678].endswith(".000000") and formats[1e-06].endswith(".000000")
    ws = load_workbook(path)["journal"]
    tiny = [c for row in ws.iter_rows() for c in row if c.value == 1e-05]
    assert tiny and all(c.number_format.endswith(".00000") for c in tiny)


def test_accounting_pack_pdf_journal_and_trial_balance_foot(packs) -> None:
    pdf = packs["base"] / "acc.pdf"
    text = pdf_text(pdf)
    assert not re.search(r"(?<![\d.,])[-−]0(?:\.0+)?(?![\d.,])", text), "a negative zero"
    assert "12.345678" in text and "0.000001" in text and "0.00001" in text
    journal = section_text(pdf, "section.journal", "section.trial_balance")
    debit_total: dict[str, Decimal] = {}
    credit_total: dict[str, Decimal] = {}
    for side, word in (("debit", debit_total), ("credit", credit_total)):
        label = f"{TOTAL} {i18n.both('col.' + side)}"
        for m in re.finditer(re.escape(label) + rf" ({MONEY}) ([A-Z]{{3}})", journal):
            word[m[2]] = numbers(m[1])
    assert set(debit_total) >= {"CZK", "JPY", "EUR"}
    body = journal
    for m in re.finditer(re.escape(TOTAL) + rf" \S+ / \S+ {MONEY} [A-Z]{{3}}", journal):
        body = body.replace(m[0], " ")
    debit: dict[str, Decimal] = defaultdict(Decimal)
    credit: dict[str, Decimal] = defaultdict(Decimal)
    for m in re.finditer(rf"({MONEY}) (CZK|JPY|EUR)\b", body):
        v = numbers(m[1])
        (debit if v > 0 else credit)[m[2]] += abs(v)
    assert dict(debit) == debit_total and dict(credit) == credit_total
    tb = section_text(pdf, "section.trial_balance", "section.aid_register")
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [D(0)] * 4)
    rows = re.findall(rf"\b(CZK|JPY|EUR) ({MONEY}) ({MONEY}) ({MONEY}) ({MONEY})", tb)
    assert len(rows) >= 6
    for currency, *figures in rows:
        o, dr, cr, cl = (numbers(x) for x in figures)
        assert o + dr - cr == cl, (currency, figures)
        for i, x in enumerate((o, dr, cr, cl)):
            sums[currency][i] += x
    for currency, (o, dr, cr, cl) in sums.items():
        assert o == 0 and cl == 0 and dr == cr == debit_total[currency], currency


# ---------------------------------------------------------------- customs, reconciliation, donor


def test_customs_pack_packing_list_foots_in_xlsx_and_pdf(packs) -> None:
    path = packs["base"] / "customs.xlsx"
    rows = sheet_rows(path, "packing_list")
    lines = [r for r in rows if isinstance(r["line"], int)]
    total = next(r for r in rows if r["item"] == TOTAL)
    assert len(lines) == 6
    assert d(total["total value"]) == sum(d(r["total value"]) for r in lines)
    assert total["gross weight, kg"] is None and total["packages"] is None  # none were given
    for r in lines:
        assert d(r["total value"]) == round_money(d(r["quantity"]) * d(r["unit value"]), "CZK")
    letter = [r for r in sheet_rows(path, "letter") if r["item"]]
    assert sum(d(r["total value"]) for r in letter) == d(total["total value"])
    ws = load_workbook(path)["proforma"]
    figures = {str(r[0]).split(" / ")[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0]}
    assert d(figures["Total value"]) == d(total["total value"])
    assert figures["Total gross weight, kg"] == figures["Total packages"] == "—"
    pdf = packs["base"] / "customs.pdf"
    packing = section_text(pdf, "section.packing_list", "section.proforma")
    shown = [numbers(v) for v in re.findall(rf"({MONEY}) CZK\b", packing)]
    assert len(shown) == 7, shown  # six lines and the total
    assert shown[-1] == sum(shown[:-1])
    assert "10.005 10.01 CZK" in packing and "12.345678" in packing
    proforma = section_text(pdf, "section.proforma", "section.transport")
    assert i18n.money_cur(shown[-1], "CZK") in proforma
    assert re.search(r"Total gross weight, kg / [^—]*—", proforma)
    assert "kg / загальна маса брутто, кг 0" not in proforma


def test_reconciliation_value_totals_are_the_sums_of_the_lines(packs) -> None:
    rows = [r for r in sheet_rows(packs["base"] / "recon.xlsx", "values") if r["item"]]
    totals = [r for r in rows if r["item"] == i18n.en("doc.total")]
    lines = [r for r in rows if r["item"] != i18n.en("doc.total")]
    assert {t["currency"] for t in totals} == {"CZK", "JPY", "EUR"}
    columns = ("dispatched value", "received value", "distributed value", "lost value",
               "received value, UAH")  # fmt: skip
    for tot in totals:
        mine = [r for r in lines if (r["donor"], r["currency"]) == (tot["donor"], tot["currency"])]
        for col in columns:
            if tot[col] is not None:
                assert d(tot[col]) == sum(d(r[col]) for r in mine if r[col] is not None), col


def test_donor_pack_consignment_values_are_the_sums_of_its_lines(packs) -> None:
    path = packs["base"] / "donor.xlsx"
    lines = [r for r in sheet_rows(path, "dispatched") if r["line"] is not None]
    for s in sheet_rows(path, "shipments"):
        if not s["shipment"]:
            continue
        mine = [r for r in lines if (r["shipment"], r["currency"], r["item"])
                == (s["shipment"], s["currency"], s["item"])]  # fmt: skip
        assert mine and d(s["value"]) == sum(d(r["value"]) for r in mine), s
        # and never different items (nor pieces and boxes) counted together
        assert d(s["dispatched"]) == sum(d(r["quantity"]) for r in mine), s


@pytest.fixture
def losses(sqlite_led: Ledger) -> Ledger:
    """30 generators at 10.005 CZK: 1 short and 1 damaged on receipt, 1 written off. Each loss
    is 10.005 CZK (10.01 alone), together 30.015 (30.02)."""
    led = sqlite_led
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="30", unit_value="10.005"))
    ops.receive(led, f.receive(received="28", short="1", damaged="1", remarks="1 missing, 1 wet"))
    ops.write_off(led, f.write_off("W1", "1", reason="stolen"))
    return led


def test_reconciliation_loss_lines_add_up_to_the_lost_value(losses: Ledger, tmp_path: Path) -> None:
    """Rounded each on its own they printed 10.01 + 10.01 + 10.01 = 30.03 under a lost value
    of 30.02 (KYOTO: 18,518 + 6,173 + 12,345 JPY under 37,035)."""
    doc = build(losses, "reconciliation", donor="PRAGUE")
    write(doc, [tmp_path / "r.xlsx", tmp_path / "r.pdf", tmp_path / "r.csv"])
    (value,) = [r for r in sheet_rows(tmp_path / "r.xlsx", "values") if r["recipient"] == "KYIV"]
    lines = [r for r in sheet_rows(tmp_path / "r.xlsx", "variances")
             if (r["variance"] or "").split(" / ")[0] in ("short", "damaged", "written off")]  # fmt: skip
    assert len(lines) == 3
    assert d(value["lost value"]) == sum(d(r["value"]) for r in lines) == D("30.02")
    assert all(abs(d(r["value"]) - D("10.005")) < D("0.01") for r in lines)
    text = pdf_text(tmp_path / "r.pdf")
    assert "30.02" in text and "30.03" not in text
    assert text.count("10.01") == 2 and "10.00" in text
    # the CSV files are data: exact values, which add up exactly
    with (tmp_path / "r.csv").open() as fh:
        (row,) = csv.DictReader(fh)
    with (tmp_path / "r-variances.csv").open() as fh:
        exact = [D(r["value"]) for r in csv.DictReader(fh)]
    assert exact == [D("10.005")] * 3 and D(row["lost_value"]) == sum(exact) == D("30.015")


def test_formatting_never_rounds_a_unit_value_or_prints_a_negative_zero() -> None:
    assert i18n.price(D("12.345678"), "CZK") == "12.345678"
    assert i18n.price(D("12.5"), "CZK") == "12.50"
    assert i18n.price(D("1234.5"), "JPY") == "1,234.5"
    assert i18n.price(D("10.0050"), "CZK") == "10.005"
    assert i18n.money(D("-0.0000001"), "CZK") == "0.00"
    assert i18n.money_cur(D("-0.0000001"), "CZK") == i18n.money_cur(D(0), "CZK")
    assert i18n.rate(D("0.27123456")) == "0.27123456"


def test_a_number_wider_than_its_column_wraps_inside_it(sqlite_led: Ledger) -> None:
    """The largest values the importer takes (15 digits before the point) ran out of the
    journal's value column over the next ones; laid out by WeasyPrint itself, every piece of
    text of a number cell stays inside its cell."""
    from weasyprint import HTML

    from reports import render

    f.world(sqlite_led)
    ops.pledge(sqlite_led, f.pledge(qty="99999999999", unit_value="99999999.99"))
    doc = build(sqlite_led, "accounting-pack", recipient="KYIV", period="2023-03")
    markup = render.html(doc)
    pages = HTML(string=markup, base_url=render.TEMPLATES.as_uri() + "/",
                 url_fetcher=render.url_fetcher()).render().pages  # fmt: skip

    def boxes(box: Any) -> Any:
        yield box
        for child in getattr(box, "children", ()):
            yield from boxes(child)

    checked = 0
    for page in pages:
        for cell in (b for b in boxes(page._page_box) if type(b).__name__ == "TableCellBox"):
            right = cell.content_box_x() + cell.width
            for text in (b for b in boxes(cell) if type(b).__name__ == "TextBox"):
                if "999,999" in text.text:
                    checked += 1
                assert text.position_x + text.width <= right + 0.5, text.text
    assert checked
