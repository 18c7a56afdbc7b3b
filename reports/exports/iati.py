"""A donor city's aid as an IATI 2.03 activity file (what aid-transparency portals read).

One file per publisher: IATI wants every activity in a file to carry the same reporting
organisation, so the export is for one donor. Its activities are its partnerships in the ledger,
one per recipient, with these transactions (rules-catalogue §5.1, §5.3):

- a pledge line: 12 Outgoing Pledge, or 2 Outgoing Commitment once signed: `status`
  `commitment` and a signed agreement on file, as REP-005 asks (a commitment without one is
  published as a pledge, and the export says which);
- a shipment line: 3 Disbursement at the declared value of the goods, dated and value-dated on
  the dispatch day. IATI has no in-kind transaction type, so each says "in kind" in its
  description (REP-004).

Records whose entry was reversed are left out, as in the packs. Amounts are exact decimals in
the line's currency. Validate the output with the official schema in `schemas/iati-2.03/`.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from ledger.db import tables as t
from ledger.decimals import dstr
from ledger.errors import LedgerError
from ledger.formulas import writable
from ledger.queries import reconcile
from reports import data
from reports.outfiles import replaced

IATI_VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# {RegistrationAgency}-{RegistrationNumber}, e.g. CZ-ICO-00064581, XM-DAC-41114
ORG_ID_RE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{2,}-[A-Za-z0-9._-]+$")  # no / & | ? or spaces
# OrganisationType codelist: what each party kind of the exchange format is
ORG_TYPES = {"city": "11", "municipal_body": "11", "communal_enterprise": "15",
             "budget_institution": "15", "hospital": "15", "school": "15", "ngo": "22",
             "carrier": "70", "other": "90"}  # fmt: skip
TX_PLEDGE, TX_COMMITMENT, TX_DISBURSEMENT = "12", "2", "3"
ROLE_FUNDING, ROLE_IMPLEMENTING = "1", "4"
STATUS_IMPLEMENTATION, STATUS_FINALISATION = "2", "3"
DATE_PLANNED_START, DATE_ACTUAL_START = "1", "2"
SECTOR_MATERIAL_RELIEF = "72010"  # OECD DAC: material relief assistance and services


@dataclass
class IatiStats:
    path: Path
    activities: int = 0
    transactions: int = 0
    totals: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (type, currency)
    unsigned: list[str] = field(default_factory=list)  # commitments published as pledges


@dataclass(frozen=True)
class Transaction:
    type: str
    date: dt.date
    value: Decimal
    currency: str
    description: str
    ref: str


def org_ref(party: dict[str, Any], given: str | None) -> str:
    """The publisher's organisation identifier: `given`, else the party's registry id."""
    ref = given or party.get("registry_id") or ""
    if not ORG_ID_RE.match(ref):
        shown = f" ({ref!r} is not one)" if ref else ""
        raise LedgerError(
            f"IATI needs {party['code']}'s organisation identifier, {{RegistrationAgency}}-"
            f"{{RegistrationNumber}} such as CZ-ICO-00064581{shown}: give --org-ref or put it "
            "in the party's registry_id"
        )
    return ref


def _signed(conn: Connection, donor: str) -> set[str]:
    """The donor's pledge references with a signed agreement on file, found as REP-005 finds
    them: filed under `donor/pledge_ref`, or under the plain reference while no other donor
    uses it."""
    p, d = t.PledgeLine, t.Document
    users: dict[str, set[str]] = defaultdict(set)
    for pl in data.live(conn, p):
        users[pl["pledge_ref"]].add(pl["donor"])
    mine = [ref for ref, who in users.items() if donor in who]
    subjects = {f"{donor}/{ref}": ref for ref in mine}
    subjects.update({ref: ref for ref in mine if len(users[ref]) == 1})
    signed = select(d.subject).where(d.kind == "agreement", d.signed.is_(True),
                                     d.subject.in_(list(subjects)))  # fmt: skip
    return {subjects[subject] for subject in conn.execute(signed).scalars()}


def _transactions(conn: Connection, donor: str,
                  unsigned: list[str]) -> dict[str, list[Transaction]]:  # fmt: skip
    """Per recipient: the donor's live pledge and shipment lines as IATI transactions; the
    pledge lines recorded as commitments without a signed agreement go to `unsigned`."""
    items = data.items(conn)
    out: dict[str, list[Transaction]] = defaultdict(list)
    p = t.PledgeLine
    signed = _signed(conn, donor)
    for pl in data.live(conn, p, p.donor == donor, order=(p.date, p.pledge_ref, p.line_no)):
        committed = pl["status"] == "commitment"
        if committed and pl["pledge_ref"] not in signed:
            unsigned.append(f"{pl['pledge_ref']}/{pl['line_no']}")
        kind = TX_COMMITMENT if committed and pl["pledge_ref"] in signed else TX_PLEDGE
        out[pl["recipient"]].append(Transaction(
            kind, pl["date"], pl["quantity"] * pl["unit_value"], pl["currency"],
            f"{'Commitment' if kind == TX_COMMITMENT else 'Pledge'} {pl['pledge_ref']}/"
            f"{pl['line_no']}: {_goods(pl, items)}", f"pledge/{pl['pledge_ref']}/{pl['line_no']}",
        ))  # fmt: skip
    s = t.ShipmentLine
    for lot in data.live(conn, s, s.donor == donor, order=(s.dispatch_date, s.shipment_ref,
                                                           s.line_no)):  # fmt: skip
        out[lot["recipient"]].append(Transaction(
            TX_DISBURSEMENT, lot["dispatch_date"], lot["quantity"] * lot["unit_value"],
            lot["currency"], f"In kind: shipment {lot['shipment_ref']}/{lot['line_no']}, "
            f"{_goods(lot, items)} at the declared value of the goods",
            f"shipment/{lot['shipment_ref']}/{lot['line_no']}",
        ))  # fmt: skip
    return out


def _goods(line: dict[str, Any], items: dict[str, dict[str, Any]]) -> str:
    item = items.get(line["item"], {})
    return f"{dstr(line['quantity'])} {item.get('unit', '')} {item.get('name', line['item'])}"


def _narrative(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    ET.SubElement(el, "narrative").text = text
    return el


def _org(parent: ET.Element, tag: str, party: dict[str, Any], ref: str | None,
         **attrs: str) -> None:  # fmt: skip
    if ref:
        attrs["ref"] = ref
    if party.get("kind") in ORG_TYPES:
        attrs["type"] = ORG_TYPES[party["kind"]]
    _narrative(parent, tag, party.get("name") or party["code"], **attrs)


def _statuses(conn: Connection, donor: str) -> dict[str, str]:
    """Per recipient: finalisation once nothing is pledged but unsent or still on its way,
    else implementation (one read of the donor's reconciliation)."""
    pending: dict[str, Decimal] = defaultdict(Decimal)
    for r in reconcile(conn, donor):
        pending[r.recipient] += r.outstanding_pledge + r.in_transit
    return {rec: STATUS_IMPLEMENTATION if q else STATUS_FINALISATION
            for rec, q in pending.items()}  # fmt: skip


def build(conn: Connection, donor: str, org_id: str | None = None,
          generated: dt.datetime | None = None) -> tuple[ET.ElementTree, IatiStats]:  # fmt: skip
    """The IATI activities of `donor` as an element tree, and what it holds."""
    parties = data.parties(conn)
    if donor not in parties:
        raise LedgerError(f"no party {donor} in the ledger")
    me = parties[donor]
    ref = org_ref(me, org_id)
    stamp = (generated or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat()
    root = ET.Element("iati-activities", {"version": IATI_VERSION, "generated-datetime": stamp})
    stats = IatiStats(Path())
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    statuses = _statuses(conn, donor)
    for recipient, txs in sorted(_transactions(conn, donor, stats.unsigned).items()):
        them = parties.get(recipient, {"code": recipient})
        currencies = [tx.currency for tx in txs]
        act = ET.SubElement(root, "iati-activity", {
            "last-updated-datetime": stamp, XML_LANG: "en", "humanitarian": "1",
            "default-currency": max(set(currencies), key=currencies.count),
        })  # fmt: skip
        ET.SubElement(act, "iati-identifier").text = f"{ref}-AIDLEDGER-{recipient}"
        _org(act, "reporting-org", me, ref)
        title = _narrative(act, "title", f"Humanitarian aid in kind from {me['name']} to "
                                         f"{them.get('name', recipient)}")  # fmt: skip
        if them.get("country") == "UA":  # the recipient's reader: the title in Ukrainian too
            ET.SubElement(title, "narrative", {XML_LANG: "uk"}).text = (
                f"Гуманітарна допомога (товари) від {me['name']} для "
                f"{them.get('name_local') or them.get('name', recipient)}"
            )
        _narrative(act, "description", (
            "Goods pledged and shipped as humanitarian aid, as recorded in AidLedger. IATI has "
            "no in-kind transaction type: shipments are disbursements at the declared value of "
            "the goods."), type="1")  # fmt: skip
        _org(act, "participating-org", me, ref, role=ROLE_FUNDING)
        _org(act, "participating-org", them, _known_ref(them), role=ROLE_IMPLEMENTING)
        ET.SubElement(act, "activity-status",
                      {"code": statuses.get(recipient, STATUS_FINALISATION)})  # fmt: skip
        shipped = [tx.date for tx in txs if tx.type == TX_DISBURSEMENT]
        start = (DATE_ACTUAL_START, min(shipped)) if shipped else (
            DATE_PLANNED_START, min(tx.date for tx in txs))  # fmt: skip
        ET.SubElement(act, "activity-date", {"type": start[0], "iso-date": start[1].isoformat()})
        if them.get("country"):
            ET.SubElement(act, "recipient-country", {"code": them["country"],
                                                     "percentage": "100"})  # fmt: skip
        ET.SubElement(act, "sector", {"vocabulary": "1", "code": SECTOR_MATERIAL_RELIEF,
                                      "percentage": "100"})  # fmt: skip
        for tx in txs:
            _transaction(act, tx, me, ref, them)
            totals[(tx.type, tx.currency)] += tx.value
        stats.activities += 1
        stats.transactions += len(txs)
    stats.totals = dict(totals)
    ET.indent(root)
    return ET.ElementTree(root), stats


def _known_ref(party: dict[str, Any]) -> str | None:
    ref = party.get("registry_id") or ""
    return ref if ORG_ID_RE.match(ref) else None


def _transaction(act: ET.Element, tx: Transaction, me: dict[str, Any], ref: str,
                 them: dict[str, Any]) -> None:  # fmt: skip
    el = ET.SubElement(act, "transaction", {"ref": tx.ref, "humanitarian": "1"})
    ET.SubElement(el, "transaction-type", {"code": tx.type})
    ET.SubElement(el, "transaction-date", {"iso-date": tx.date.isoformat()})
    value = ET.SubElement(el, "value", {"currency": tx.currency,
                                        "value-date": tx.date.isoformat()})  # fmt: skip
    value.text = dstr(tx.value)
    _narrative(el, "description", tx.description)
    _org(el, "provider-org", me, ref)
    _org(el, "receiver-org", them, _known_ref(them))


def write_iati(conn: Connection, path: Path, donor: str, org_id: str | None = None,
               generated: dt.datetime | None = None) -> IatiStats:  # fmt: skip
    """Write `donor`'s IATI activity file to `path` (UTF-8, with the XML declaration)."""
    tree, stats = build(conn, donor, org_id, generated)
    if not stats.activities:
        raise LedgerError(f"{donor} has no pledges or shipments in the ledger: nothing to report")
    stats.path = Path(path)
    for el in tree.iter():  # text from input files may hold characters XML cannot
        if el.text:
            el.text = writable(el.text)
        for name, value in el.attrib.items():
            el.set(name, writable(value))
    with replaced(Path(path), "wb") as out:
        tree.write(out, encoding="utf-8", xml_declaration=True)
    return stats
