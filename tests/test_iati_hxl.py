"""Donor reporting exports: IATI 2.03 activity XML and the HXL-tagged reconciliation.

The IATI file is validated against the official schema (`schemas/iati-2.03/`, lxml), and its
transactions are added up and compared with the sample files themselves (csv + Decimal, not the
ledger's code). The HXL file is read back and compared with `reconcile`.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from ledger.api import Ledger
from ledger.db.engine import reader
from ledger.errors import LedgerError
from reports.exports.hxl import TAG_RE, write_hxl
from reports.exports.iati import write_iati
from schemas.rows import ItemRow, PartyRow, ShipmentRow

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas" / "iati-2.03" / "iati-activities-schema.xsd"
ORG = "CZ-ICO-00064581"
D = Decimal


@pytest.fixture(scope="module")
def xsd() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def iati(led: Ledger, path: Path, donor: str, org: str | None = ORG) -> etree._ElementTree:
    with reader(led.engine) as conn:
        write_iati(conn, path, donor, org, generated=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    return etree.parse(str(path))


def totals(doc: etree._ElementTree) -> dict[tuple[str, str], Decimal]:
    """(transaction type, currency) -> sum of the values, read off the XML."""
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for tx in doc.iter("transaction"):
        value = tx.find("value")
        out[(tx.find("transaction-type").get("code"), value.get("currency"))] += D(value.text)
    return dict(out)


def from_files(sample: Path, donor: str) -> dict[tuple[str, str], Decimal]:
    """The same sums straight from the sample's CSV files."""
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    with (sample / "documents.csv").open(encoding="utf-8-sig") as f:
        signed = {r["subject"] for r in csv.DictReader(f)
                  if r["kind"] == "agreement" and r["signed"] == "true"}  # fmt: skip
    with (sample / "pledges.csv").open(encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            if r["donor"] == donor:
                agreed = {f"{donor}/{r['pledge_ref']}", r["pledge_ref"]} & signed
                kind = "2" if r["status"] == "commitment" and agreed else "12"
                out[(kind, r["currency"])] += D(r["quantity"]) * D(r["unit_value"])
    with (sample / "shipments.csv").open(encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            if r["donor"] == donor:
                out[("3", r["currency"])] += D(r["quantity"]) * D(r["unit_value"])
    return dict(out)


def test_iati_export_of_the_sample_is_valid_and_adds_up(
    sqlite_led: Ledger, sample_dir: Path, tmp_path: Path, xsd: etree.XMLSchema
) -> None:
    sqlite_led.import_files([sample_dir])
    with (sample_dir / "shipments.csv").open(encoding="utf-8-sig") as f:
        donors = sorted({r["donor"] for r in csv.DictReader(f)})
    assert len(donors) >= 3
    for donor in donors:
        doc = iati(sqlite_led, tmp_path / f"{donor}.xml", donor)
        xsd.assertValid(doc)
        assert totals(doc) == from_files(sample_dir, donor), donor
        activities = doc.findall("iati-activity")
        assert activities and {a.find("reporting-org").get("ref") for a in activities} == {ORG}
        for a in activities:
            assert a.find("iati-identifier").text.startswith(f"{ORG}-")
            assert a.get("humanitarian") == "1"
            recipient = a.find("iati-identifier").text.rsplit("-AIDLEDGER-", 1)[1]
            rows = sqlite_led.reconcile(donor=donor, recipient=recipient)
            still_open = any(r.outstanding_pledge or r.in_transit for r in rows)
            assert a.find("activity-status").get("code") == ("2" if still_open else "3")
        for tx in doc.iter("transaction"):
            value = tx.find("value")
            assert value.get("value-date") == tx.find("transaction-date").get("iso-date")
            if tx.find("transaction-type").get("code") == "3":  # REP-004: said to be in kind
                assert tx.find("description/narrative").text.startswith("In kind")


def _one_shipment(led: Ledger, donor_name: str = "Prague", registry_id: str | None = None) -> None:
    led.post(PartyRow.model_validate({"code": "DON", "name": donor_name, "kind": "city",
                                      "country": "CZ", "registry_id": registry_id}))  # fmt: skip
    led.post(PartyRow.model_validate({"code": "REC", "name": "Kyiv", "kind": "city",
                                      "country": "UA", "name_local": "Київ"}))  # fmt: skip
    led.post(ItemRow(code="FLOUR", name="Flour <b>&</b> salt", unit="kg", hs_code="110100",
                     category="food", tracks_expiry=False))  # fmt: skip
    for n, (qty, uv) in enumerate([("400.5", "0.4"), ("10", "2.25")], start=1):
        led.post(ShipmentRow(shipment_ref="S-1", line_no=n, dispatch_date=dt.date(2023, 5, 1),
                             donor="DON", recipient="REC", item="FLOUR", quantity=D(qty),
                             unit_value=D(uv), currency="EUR"))  # fmt: skip


def test_a_reversed_shipment_line_leaves_the_iati_export(
    led: Ledger, tmp_path: Path, xsd: etree.XMLSchema
) -> None:
    """On both engines (PostgreSQL's NUMERIC keeps scales: the file holds canonical text)."""
    _one_shipment(led)
    first = iati(led, tmp_path / "a.xml", "DON")
    assert totals(first) == {("3", "EUR"): D("182.7")}
    assert [v.text for v in first.iter("value")] == ["160.2", "22.5"]
    with reader(led.engine) as conn:
        from sqlalchemy import select

        from ledger.db import tables as t

        entry_id = conn.execute(select(t.ShipmentLine.entry_id)
                                .where(t.ShipmentLine.line_no == 2)).scalar_one()  # fmt: skip
    led.reverse(entry_id, "wrong quantity", dt.date(2023, 5, 2))
    doc = iati(led, tmp_path / "b.xml", "DON")
    xsd.assertValid(doc)
    assert totals(doc) == {("3", "EUR"): D("160.2")}
    assert [tx.get("ref") for tx in doc.iter("transaction")] == ["shipment/S-1/1"]


def test_text_is_escaped_and_stays_valid(
    sqlite_led: Ledger, tmp_path: Path, xsd: etree.XMLSchema
) -> None:
    _one_shipment(sqlite_led, donor_name='<script>alert("x")</script> & Co')
    doc = iati(sqlite_led, tmp_path / "x.xml", "DON")
    xsd.assertValid(doc)
    assert doc.find(".//reporting-org/narrative").text == '<script>alert("x")</script> & Co'
    assert "<script>" not in (tmp_path / "x.xml").read_text(encoding="utf-8")
    narratives = [n.text for n in doc.iter("narrative")]
    assert any("Flour <b>&</b> salt" in (n or "") for n in narratives)
    uk = doc.find(".//title/narrative[@{http://www.w3.org/XML/1998/namespace}lang='uk']")
    assert uk is not None and uk.text.endswith("Київ")


def test_control_characters_from_input_do_not_break_xml_or_workbooks(
    sqlite_led: Ledger, tmp_path: Path, xsd: etree.XMLSchema
) -> None:
    """A vertical tab pasted into a name: XML 1.0 and XLSX cannot hold it; both files are
    written (it shows as U+FFFD) and stay valid, instead of a traceback or broken XML."""
    from reports.exports.bundle import write_bundle

    _one_shipment(sqlite_led, donor_name="Donor\x0bone")
    doc = iati(sqlite_led, tmp_path / "x.xml", "DON")
    xsd.assertValid(doc)
    assert doc.find(".//reporting-org/narrative").text == "Donor\ufffdone"
    with reader(sqlite_led.engine) as conn:
        write_bundle(conn, tmp_path / "b.xlsx")
    from openpyxl import load_workbook

    names = [c.value for c in load_workbook(tmp_path / "b.xlsx")["parties"]["B"]]
    assert "Donor\ufffdone" in names


@pytest.mark.parametrize("bad", ["CZ-ICO-1/2&x", "CZ-ICO-1\x01", "CZ-ICO-a b"])
def test_an_org_ref_with_characters_iati_identifiers_cannot_hold_is_refused(
    sqlite_led: Ledger, tmp_path: Path, bad: str
) -> None:
    _one_shipment(sqlite_led)
    with pytest.raises(LedgerError, match="organisation identifier"):
        iati(sqlite_led, tmp_path / "a.xml", "DON", org=bad)
    assert not (tmp_path / "a.xml").exists()


def test_iati_needs_the_publisher_s_organisation_identifier(
    sqlite_led: Ledger, sqlite_url: str, tmp_path: Path, xsd: etree.XMLSchema
) -> None:
    _one_shipment(sqlite_led, registry_id="00064581")  # a bare number: no registration agency
    with pytest.raises(LedgerError, match="organisation identifier"):
        iati(sqlite_led, tmp_path / "a.xml", "DON", org=None)
    from cli import main

    out = tmp_path / "cli.xml"
    result = CliRunner().invoke(main, ["--db", sqlite_url, "export", "iati", "--donor", "DON",
                                       "--out", str(out)])  # fmt: skip
    assert result.exit_code == 1 and "--org-ref" in result.output and not out.exists()
    result = CliRunner().invoke(main, ["--db", sqlite_url, "export", "iati", "--donor", "DON",
                                       "--org-ref", ORG, "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 activity, 2 transactions (disbursements 182.7 EUR)" in result.output
    xsd.assertValid(etree.parse(str(out)))


def test_iati_takes_the_identifier_from_the_party_register(
    sqlite_led: Ledger, tmp_path: Path, xsd: etree.XMLSchema
) -> None:
    _one_shipment(sqlite_led, registry_id=ORG)
    doc = iati(sqlite_led, tmp_path / "a.xml", "DON", org=None)
    xsd.assertValid(doc)
    assert doc.find(".//reporting-org").get("ref") == ORG


def test_hxl_export_tags_every_column_and_equals_reconcile(
    sqlite_led: Ledger, sample_dir: Path, tmp_path: Path
) -> None:
    sqlite_led.import_files([sample_dir])
    path = tmp_path / "r.csv"
    with reader(sqlite_led.engine) as conn:
        n = write_hxl(conn, path, donor="PRAGUE")
    header, tags, *rows = list(csv.reader(path.open(encoding="utf-8")))
    assert len(tags) == len(header) and all(TAG_RE.match(tag) for tag in tags)
    assert dict(zip(header, tags, strict=True))["distributed"] == "#item+num+provided"
    want = sqlite_led.reconcile(donor="PRAGUE")
    assert n == len(rows) == len(want) > 0
    for row, rec in zip(rows, want, strict=True):
        got = dict(zip(header, row, strict=True))
        assert (got["donor"], got["recipient"], got["item"]) == (rec.donor, rec.recipient,
                                                                 rec.item)  # fmt: skip
        for q in rec.QUANTITIES:
            assert D(got[q]) == getattr(rec, q), q
        assert D(got["dispatched_value"] or 0) == (rec.dispatched_value or 0)


def test_hxl_cells_are_neutralised(sqlite_led: Ledger, tmp_path: Path) -> None:
    _one_shipment(sqlite_led)
    sqlite_led.post(ItemRow(code="-cmd", name="x", unit="kg", hs_code="110100",
                            category="food", tracks_expiry=False))  # fmt: skip
    sqlite_led.post(ShipmentRow(shipment_ref="S-2", line_no=1, dispatch_date=dt.date(2023, 5, 1),
                                donor="DON", recipient="REC", item="-cmd", quantity=D(1),
                                unit_value=D(1), currency="EUR"))  # fmt: skip
    path = tmp_path / "r.csv"
    with reader(sqlite_led.engine) as conn:
        write_hxl(conn, path)
    items = [r[2] for r in csv.reader(path.open(encoding="utf-8"))][2:]
    assert "'-cmd" in items and "FLOUR" in items


def test_a_commitment_without_a_signed_agreement_is_published_as_a_pledge(
    sqlite_led: Ledger, sqlite_url: str, tmp_path: Path, xsd: etree.XMLSchema
) -> None:
    """REP-005: a commitment needs a signed agreement, else it may only count as a pledge; the
    export says which lines it published so. Signed and filed, it is a commitment (2)."""
    from cli import main
    from schemas.rows import DocumentRow, PledgeRow

    _one_shipment(sqlite_led)
    for ref in ("P-1", "P-2"):
        sqlite_led.post(PledgeRow(pledge_ref=ref, line_no=1, date=dt.date(2023, 4, 1),
                                  donor="DON", recipient="REC", item="FLOUR", quantity=D(100),
                                  unit_value=D("0.5"), currency="EUR", status="commitment"))  # fmt: skip
    sqlite_led.post(DocumentRow.model_validate({"kind": "agreement", "number": "A-1",
                                                "subject": "DON/P-1", "date": "2023-04-02",
                                                "signed": "true"}))  # fmt: skip
    out = tmp_path / "a.xml"
    result = CliRunner().invoke(
        main, ["--db", sqlite_url, "export", "iati", "--donor", "DON", "--org-ref", ORG,
               "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = etree.parse(str(out))
    xsd.assertValid(doc)
    kinds = {
        tx.get("ref"): tx.find("transaction-type").get("code") for tx in doc.iter("transaction")
    }
    assert (kinds["pledge/P-1/1"], kinds["pledge/P-2/1"]) == ("2", "12")
    assert "no signed agreement" in result.stderr and "P-2/1" in result.stderr
    assert "P-1/1" not in result.stderr
