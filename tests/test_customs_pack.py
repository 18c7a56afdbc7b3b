"""The customs pack on consignments built with the test factories, read back from the written
PDF (pypdf) and XLSX (openpyxl): totals of a consignment in two currencies, the export and
vehicle data its lines carry, and the export authorisations in its list of attached documents.

Rendering is slow, so each pack is built and written once per module.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ledger import operations as ops
from ledger.api import Ledger
from reports import i18n
from reports.produce import build, write
from schemas.rows import DocumentRow, ItemRow, ShipmentRow
from tests import factories as f
from tests.test_footing import MONEY, numbers, section_text
from tests.test_reports import pdf_text, sheet_rows

D = Decimal
TOTAL = i18n.both("doc.total")
VIN, MRN, EXIT = "WDB9066331S772154", "22IE9C0D8ACAC0247E", dt.date(2023, 3, 4)
EXPORT_FIELDS = ("Seal numbers", "Export declaration MRN", "Customs office of export",
                 "Exit endorsement date (proof of exit)", "Trailer registration")  # fmt: skip


def ship(ref: str, line: int, currency: str = "CZK", **kw: Any) -> ShipmentRow:
    """A factory shipment line in any currency (the factory's are in CZK)."""
    row = f.ship(ref, line, **kw)
    return ShipmentRow.model_validate({**row.model_dump(), "currency": currency})


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("customs")
    led = Ledger(f"sqlite:///{base / 'ledger.db'}")
    f.world(led)
    # MIX: line 1 in CZK, lines 2-3 in EUR; unit values of more decimals than the currency's
    # minor unit, so a total of the exact values would not foot with the printed lines
    ops.dispatch(led, ship("MIX", 1, qty="3", unit_value="10.005", gross_kg=D("12.5"),
                           packages=2))  # fmt: skip
    ops.dispatch(led, ship("MIX", 2, "EUR", qty="3", item="MED", unit_value="0.335",
                           gross_kg=D("4"), packages=1))  # fmt: skip
    ops.dispatch(led, ship("MIX", 3, "EUR", qty="1", unit_value="0.335", gross_kg=D("1.5"),
                           packages=1))  # fmt: skip
    # LIC: dual-use and military-list goods, with and without an export authorisation
    for code, flags, extra in [("DRONE", "dual_use", {}), ("HELMET", "military", {}),
                               ("CAMERA", None, {"dual_use_code": "6A003"})]:  # fmt: skip
        led.post(ItemRow(code=code, name=code.title(), unit="pcs", hs_code="880699",
                         category="equipment", tracks_expiry=False, flags=flags, **extra))  # fmt: skip
    ops.dispatch(led, ship("LIC", 1, item="DRONE", licence_no="DU-1", licence_type="individual"))
    ops.dispatch(led, ship("LIC", 2, item="CAMERA", licence_type="EU003"))  # general
    ops.dispatch(led, ship("LIC", 3, item="HELMET", licence_type="EU003"))  # needs a number
    ops.dispatch(led, ship("LIC", 4, item="DRONE", licence_no="DU-1"))
    ops.dispatch(led, ship("LIC", 5, item="HELMET", licence_no="MIL-7"))
    ops.dispatch(led, ship("LIC", 6))  # a generator: no authorisation needed
    for number, subject, signed in [("DU-1", "LIC", True), ("MIL-7", "MIL-7", False)]:
        led.post(DocumentRow.model_validate({"kind": "licence", "number": number, "date": f.DAY0,
                                             "subject": subject, "signed": signed}))  # fmt: skip
    # VEH: a used vehicle, used and new generators, a dual-use item; the export and transport
    # data given once, on line 1 (header columns)
    led.post(ItemRow(code="AMB", name="Ambulance", unit="pcs", hs_code="870332", category="vehicle",
                     tracks_expiry=False, flags="used"))  # fmt: skip
    ops.dispatch(led, ship("VEH", 1, qty="1", item="AMB", vin=VIN, make="Mercedes-Benz Sprinter",
                           condition="used", depreciation_pct=D("40"), export_mrn=MRN,
                           exit_confirmed_at=EXIT, seal_nos="S-1;S-2", trailer_reg="TR 1",
                           export_office="IE001", vehicle_reg="08-D-1"))  # fmt: skip
    ops.dispatch(led, ship("VEH", 2, qty="2", condition="used", depreciation_pct=D("25")))
    ops.dispatch(led, ship("VEH", 3, qty="5"))
    ops.dispatch(led, ship("VEH", 4, qty="1", item="DRONE", licence_no="DU-9"))
    docs = {"mix": build(led, "customs-pack", shipment="MIX"),
            "lic": build(led, "customs-pack", shipment="LIC"),
            "veh": build(led, "customs-pack", shipment="VEH")}  # fmt: skip
    for name, doc in docs.items():
        write(doc, [base / f"{name}.pdf", base / f"{name}.xlsx"])
    yield {"led": led, "base": base, "docs": docs}
    led.close()


def d(value: Any) -> Decimal:
    return Decimal(str(value))


def field_rows(path: Path, sheet: str) -> list[tuple[str, Any, Any]]:
    """(English label, value, currency) of a section sheet's fields (above its table)."""
    out = []
    for row in load_workbook(path)[sheet].iter_rows(min_row=2, values_only=True):
        if row[0] is None or "\n" in str(row[0]):  # a blank line or the table's header
            break
        out.append((str(row[0]).split(" / ")[0], row[1], row[2] if len(row) > 2 else None))
    return out


# ---------------------------------------------------------------- two currencies


def test_a_consignment_in_two_currencies_has_a_total_per_currency_that_foots(packs) -> None:
    """The letter printed "Total value — free of charge" with no amount, and the packing list's
    one total row had a blank value under the currency CZK (read as a CZK total)."""
    xlsx, pdf = packs["base"] / "mix.xlsx", packs["base"] / "mix.pdf"
    rows = sheet_rows(xlsx, "packing_list")
    lines = [r for r in rows if isinstance(r["line"], int)]
    totals = [r for r in rows if r["item"] == TOTAL]
    by_currency: dict[str, Decimal] = defaultdict(Decimal)
    for r in lines:
        by_currency[r["currency"]] += d(r["total value"])
    assert set(by_currency) == {"CZK", "EUR"}
    assert by_currency["EUR"] == D("1.35")  # 1.01 + 0.34 as printed, not 1.34 (exact sum)
    # one value total per currency, each the sum of its lines; no total without its currency
    valued = {r["currency"]: d(r["total value"]) for r in totals if r["total value"] is not None}
    assert valued == by_currency
    assert all((r["currency"] is None) == (r["total value"] is None) for r in totals)
    weights = [r for r in totals if r["gross weight, kg"] is not None]
    assert len(weights) == 1 and weights[0]["currency"] is None
    assert d(weights[0]["gross weight, kg"]) == 18 and weights[0]["packages"] == 4
    # the letter: one total per currency, the sum of its table's rows in that currency
    letter = [r for r in sheet_rows(xlsx, "letter") if r["item"]]
    stated = {c: d(v) for label, v, c in field_rows(xlsx, "letter") if label == "Total value"}
    assert stated == by_currency
    for currency, total in stated.items():
        assert total == sum(d(r["total value"]) for r in letter if r["currency"] == currency)
    proforma = {c: d(v) for label, v, c in field_rows(xlsx, "proforma") if label == "Total value"}
    assert proforma == by_currency
    # the same on paper: each currency's printed lines add up to its printed total
    text = section_text(pdf, "section.letter", "section.packing_list")
    for currency, total in by_currency.items():
        assert f"{i18n.money_cur(total, currency)} — {i18n.both('text.free_of_charge')}" in text
    packing = section_text(pdf, "section.packing_list", "section.proforma")
    for currency, total in by_currency.items():
        shown = [numbers(v) for v in re.findall(rf"({MONEY}) {currency}\b", packing)]
        assert shown[-1] == sum(shown[:-1]) == total, (currency, shown)
    assert re.search(rf"{re.escape(TOTAL)} 18 4\b", packing), packing  # weights: no currency


# ---------------------------------------------------------------- export authorisations


def test_the_attached_documents_show_the_export_authorisation_given_on_the_line(packs) -> None:
    """A dual-use line with its `licence_no` was listed "to be attached" with no reference,
    though the rules engine takes the number as the licence. Now the list shows each
    authorisation a line gives as the rules accept it (a number; for dual-use goods not on the
    military list also a Union general authorisation, EU002-EU008), with the lines it covers,
    merged with the licence on file; only the lines the rules find without one are to be
    attached."""
    from ledger.rules import findings_for_reports

    name = i18n.both("attachment.export_authorisation", " · ")
    line, on_file, todo = (
        i18n.both("col.line"),
        i18n.both("text.on_file"),
        i18n.both("text.missing"),
    )
    rows = sheet_rows(packs["base"] / "lic.xlsx", "attachments")
    licences = {r["document"]: (r["reference"], r["status"]) for r in rows if name in r["document"]}
    assert licences == {
        f"{name} — {line} 1, 4": ("DU-1", f"{on_file} signed · підписано"),
        f"{name} — {line} 2": ("EU003", on_file),
        f"{name} — {line} 3": ("—", todo),
        f"{name} — {line} 5": ("MIL-7", f"{on_file} NOT signed · не підписано"),
    }
    assert [r["reference"] for r in rows].count("DU-1") == 1  # the licence on file: listed once
    text = pdf_text(packs["base"] / "lic.pdf")
    for number in ("DU-1", "EU003", "MIL-7"):
        assert number in text
    # the same notion as the rules engine: it finds no authorisation missing but on line 3
    missing = {f.line for f in findings_for_reports(packs["led"])
               if f.rule in ("CUS-013", "CUS-014") and f.shipment == "LIC"}  # fmt: skip
    assert missing == {3}
    # the packing list names the same authorisations: none for the military item's EU003
    packed = {r["line"]: r["export authorisation no."]
              for r in sheet_rows(packs["base"] / "lic.xlsx", "packing_list")
              if isinstance(r["line"], int)}  # fmt: skip
    assert (packed[1], packed[2], packed[3], packed[5]) == ("DU-1", "EU003", None, "MIL-7")


def test_the_general_authorisation_pattern_is_the_rules_engines() -> None:
    from ledger.rules.customs import GENERAL_AUTHORISATION as RULES
    from reports.packs.customs import GENERAL_AUTHORISATION

    assert (GENERAL_AUTHORISATION.pattern, GENERAL_AUTHORISATION.flags) == (
        RULES.pattern,
        RULES.flags,
    )


# ---------------------------------------------------------------- export and vehicle data


def test_the_export_seal_and_vehicle_data_of_the_lines_are_in_the_pack(packs) -> None:
    """The export MRN, exit endorsement date, seal numbers, the licence number and a vehicle's
    VIN, make and wear % were carried by the shipment lines and shown nowhere in the pack."""
    xlsx = packs["base"] / "veh.xlsx"
    transport = {label: value for label, value, _ in field_rows(xlsx, "transport")}
    assert {k: transport.get(k) for k in EXPORT_FIELDS} == {
        "Seal numbers": "S-1; S-2", "Export declaration MRN": MRN,
        "Customs office of export": "IE001",
        "Exit endorsement date (proof of exit)": i18n.date(EXIT),
        "Trailer registration": "TR 1",
    }  # fmt: skip
    (vehicle,) = sheet_rows(xlsx, "vehicles")
    assert (vehicle["line"], vehicle["VIN"], vehicle["make, model"]) == (
        1,
        VIN,
        "Mercedes-Benz Sprinter",
    )
    assert vehicle["condition"] == i18n.both("text.condition_used") and vehicle["wear, %"] == 40
    licences = {r["line"]: r["export authorisation no."] for r in sheet_rows(xlsx, "packing_list")
                if isinstance(r["line"], int)}  # fmt: skip
    assert licences == {1: None, 2: None, 3: None, 4: "DU-9"}
    # the declaration's product groups: by HS code, unit and wear (used goods of one HS code
    # and different wear are two groups), the line's own condition counting
    groups = {(r["HS code"], r["wear, %"]): (r["quantity"], r["condition"])
              for r in sheet_rows(xlsx, "declaration")}  # fmt: skip
    used, new = i18n.both("text.condition_used"), i18n.both("text.condition_new")
    assert groups == {("870332", 40): (1, used), ("850220", 25): (2, used),
                      ("850220", None): (5, new), ("880699", None): (1, new)}  # fmt: skip
    registration = i18n.both("attachment.vehicle_registration", " · ")
    (row,) = [r for r in sheet_rows(xlsx, "attachments") if r["document"] == registration]
    assert row["reference"] == VIN
    text = pdf_text(packs["base"] / "veh.pdf")
    for words in (VIN, "Mercedes-Benz Sprinter", MRN, "S-1; S-2", "IE001", i18n.date(EXIT),
                  "TR 1", "DU-9", "знос, %", "Vehicles (annex to the donation letter)"):  # fmt: skip
        assert words in text, words


def test_the_optional_export_and_vehicle_data_are_shown_only_when_given(packs) -> None:
    xlsx = packs["base"] / "mix.xlsx"
    assert not {label for label, _, _ in field_rows(xlsx, "transport")} & set(EXPORT_FIELDS)
    assert "vehicles" not in load_workbook(xlsx).sheetnames
    assert "export authorisation no." not in sheet_rows(xlsx, "packing_list")[0]
    assert "wear, %" not in sheet_rows(xlsx, "declaration")[0]
    assert "Vehicles" not in pdf_text(packs["base"] / "mix.pdf")
