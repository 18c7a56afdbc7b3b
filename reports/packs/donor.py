"""Donor's proof-of-delivery pack (catalogue §4(c)): where every consignment of one donor went.

Per consignment: what was dispatched, the proof of its export exit (MRN and exit date), how it
passed customs, what was received (when, into whose warehouse, shortages and damage with their
acts), distributed (to which acquirers, where, from which lots) and written off; then totals per
pledge line. With --period, the consignments dispatched (and pledges made) in that period,
followed to today.

Quantities are never added across items (FORMATS.md: "quantities in the item's unit"; 900
blankets and 4 generators are no 904 of anything) and values never across currencies: the
consignment summary and the unpledged totals have a row per item.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.queries import require_role
from reports import i18n
from reports.data import (
    header_date,
    header_value,
    items,
    live,
    lots,
    parse_period,
    parties,
    warehouses,
)
from reports.model import Column, Document, Section
from reports.packs.common import (
    about,
    findings_section,
    finish,
    item_name,
    party_name,
)
from reports.rounding import round_money

ZERO = Decimal(0)
Row = dict[str, Any]
Names = dict[str, dict[str, Any]]


def _line_value(lot: Row) -> Decimal:
    """A dispatched line's value as the pack shows it (rounded at the currency's minor unit);
    a consignment's value is the sum of these, so the two tables agree on paper."""
    return round_money(lot["quantity"] * lot["unit_value"], lot["currency"])


def _unit(cat: Names, code: str) -> str:
    return str(cat.get(code, {}).get("unit", ""))


def _total(values: Any) -> Decimal:
    return sum(values, ZERO)


def _dispatched_rows(mine: dict[int, Row], names: Names, cat: Names) -> list[Row]:
    return [{"shipment": lot["shipment_ref"], "line": lot["line_no"],
             "date": lot["dispatch_date"], "recipient": party_name(names, lot["recipient"], False),
             "item": item_name(cat, lot["item"]), "quantity": lot["quantity"],
             "unit": _unit(cat, lot["item"]), "batch": lot["batch"] or "",
             "value": _line_value(lot), "currency": lot["currency"]}
            for lot in mine.values()]  # fmt: skip


def _received_rows(receipts: list[Row], mine: dict[int, Row], names: Names, cat: Names,
                   whs: Names) -> list[Row]:  # fmt: skip
    out = []
    for rc in receipts:
        lot = mine[rc["shipment_line_id"]]
        wh = whs.get(rc["warehouse"], {})
        remark = (rc["remarks"] or "").strip()
        variance = rc["short"] or rc["damaged"] or rc["excess"]
        out.append({"shipment": f"{lot['shipment_ref']}/{lot['line_no']}", "act": rc["receipt_ref"],
                    "date": rc["date"], "by_whom": f"{party_name(names, wh.get('party'), False)}, "
                    f"{wh.get('name', rc['warehouse'])}" + (f", {wh['settlement']}" if wh.get("settlement") else ""),
                    "item": item_name(cat, lot["item"]), "received": rc["received"],
                    "short": rc["short"], "damaged": rc["damaged"], "excess": rc["excess"],
                    "remarks": remark or (i18n.both("doc.unexplained") if variance else ""),
                    "_flag_remarks": bool(variance and not remark)})  # fmt: skip
    return out


def _outflows(conn: Connection, mine: dict[int, Row], names: Names, cat: Names,
              whs: Names) -> tuple[list[Row], list[Row], dict[int, Decimal]]:  # fmt: skip
    """What left stock from these lots, by the postings of distributions and write-offs:
    (distributed rows, written-off rows, quantity distributed per lot)."""
    p = t.Posting
    by_entry: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    lot_ids = list(mine)
    for i in range(0, len(lot_ids), 500):
        for r in conn.execute(select(p.entry_id, p.lot_id, p.quantity, p.account)
                              .where(p.lot_id.in_(lot_ids[i : i + 500]),
                                     p.account.startswith("distributed:") | p.account.startswith("loss:"))):  # fmt: skip
            by_entry[r.entry_id].append((r.lot_id, r.quantity))
    ids = list(by_entry)
    dist_recs = {d["entry_id"]: d for d in live(conn, t.DistributionLine,
                                                t.DistributionLine.entry_id.in_(ids))}  # fmt: skip
    wo_recs = {
        w["entry_id"]: w for w in live(conn, t.WriteoffLine, t.WriteoffLine.entry_id.in_(ids))
    }
    distributed, written_off = [], []
    dist_by_lot: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for eid in sorted(by_entry):
        for lot_id, q in by_entry[eid]:
            if q <= 0:
                continue
            lot = mine[lot_id]
            if (d := dist_recs.get(eid)) is not None:
                dist_by_lot[lot_id] += q
                distributed.append({"act": f"{d['distribution_ref']}/{d['line_no']}", "date": d["date"],
                                    "beneficiary": party_name(names, d["beneficiary"]),
                                    "settlement": d["settlement"] or whs.get(d["warehouse"], {}).get("settlement") or "",
                                    "item": item_name(cat, lot["item"]), "quantity": q,
                                    "unit": _unit(cat, lot["item"]), "lot": _lot_text(lot)})  # fmt: skip
            elif (w := wo_recs.get(eid)) is not None:
                written_off.append({"act": f"{w['writeoff_ref']}/{w['line_no']}", "date": w["date"],
                                    "warehouse": w["warehouse"], "item": item_name(cat, lot["item"]),
                                    "quantity": q, "unit": _unit(cat, lot["item"]), "lot": _lot_text(lot),
                                    "reason": i18n.term("reason", w["reason"])})  # fmt: skip
    distributed.sort(key=lambda r: (r["date"], r["act"], r["lot"]))
    written_off.sort(key=lambda r: (r["date"], r["act"]))
    return distributed, written_off, dist_by_lot


def _lot_text(lot: Row) -> str:
    batch = f" ({lot['batch']})" if lot.get("batch") else ""
    return f"{lot['shipment_ref']}/{lot['line_no']}{batch}"


def _status(row: Row, last_event: Row | None) -> str:
    """Where a consignment's goods stand, bilingual: received, at customs (its last event) or
    in transit."""
    if row["received"] or row["short"] or row["damaged"]:
        return i18n.term("status", "received")
    if last_event:
        return i18n.term("status", f"customs_{last_event['event']}")
    return i18n.term("status", "in_transit")


def _consignment_rows(mine: dict[int, Row], receipts: list[Row], dist_by_lot: dict[int, Decimal],
                      events: list[Row], names: Names, cat: Names) -> list[Row]:  # fmt: skip
    """One row per consignment, item and value currency: a donor reads what became of each
    item it sent (quantities only add up within one item, FORMATS.md), and a consignment's
    goods declared in CZK and in EUR keep their values apart."""
    per: dict[tuple[str, str, str], Row] = {}
    for lot in mine.values():
        s = per.setdefault((lot["shipment_ref"], lot["item"], lot["currency"]), {
            "shipment": lot["shipment_ref"], "date": lot["dispatch_date"],
            "recipient": party_name(names, lot["recipient"], False),
            "item": item_name(cat, lot["item"]), "unit": _unit(cat, lot["item"]), "lines": 0,
            "dispatched": ZERO, "received": ZERO, "short": ZERO, "damaged": ZERO,
            "distributed": ZERO, "value": ZERO, "currency": lot["currency"]})  # fmt: skip
        s["lines"] += 1
        s["dispatched"] += lot["quantity"]
        s["value"] += _line_value(lot)  # the sum of the dispatched lines as they are shown
        s["distributed"] += dist_by_lot.get(lot["id"], ZERO)
    for rc in receipts:
        lot = mine[rc["shipment_line_id"]]
        s = per[(lot["shipment_ref"], lot["item"], lot["currency"])]
        for k in ("received", "short", "damaged"):
            s[k] += rc[k]
    last_event = {ev["shipment_ref"]: ev for ev in events}
    for (ref, _item, _currency), s in per.items():
        s["status"] = _status(s, last_event.get(ref))
    return list(per.values())  # in the order of the dispatched lines


def _export_rows(mine: dict[int, Row]) -> list[Row]:
    """Proof of export exit per consignment (catalogue §4(c), rule CUS-010): the export
    declaration's MRN and the day the exit was confirmed, which the donor needs to claim its
    VAT back; "not confirmed" (flagged) while the ledger has none."""
    by_ref: dict[str, list[Row]] = defaultdict(list)
    for lot in mine.values():
        by_ref[lot["shipment_ref"]].append(lot)
    rows = []
    for ref in sorted(by_ref):
        lines = by_ref[ref]
        mrn, exit_day = header_value(lines, "export_mrn"), header_date(lines, "exit_confirmed_at")
        rows.append({
            "shipment": ref, "date": min(ln["dispatch_date"] for ln in lines),
            "export_mrn": str(mrn) if mrn else i18n.both("text.not_recorded"),
            "export_office": str(header_value(lines, "export_office") or ""),
            "exit_confirmed_at": exit_day or i18n.both("text.not_confirmed"),
            "_flag_export_mrn": not mrn, "_flag_exit_confirmed_at": exit_day is None,
        })  # fmt: skip
    return rows


def _pledge_rows(conn: Connection, donor: str, span: tuple[dt.date, dt.date] | None,
                 mine: dict[int, Row], receipts: list[Row], dist_by_lot: dict[int, Decimal],
                 names: Names, cat: Names) -> list[Row]:  # fmt: skip
    """Totals per pledge line, then the unpledged goods per recipient and item.

    Every row adds up on its own: outstanding = max(pledged − dispatched to date, 0), as
    FORMATS.md defines it, from a dispatched figure printed on the row. A period pack shows
    two: what its consignments sent ("dispatched", whose receipts and distributions it follows)
    and everything sent against the pledge up to the period's end ("dispatched_to_date"), and
    the outstanding pledge as it stood at the period's end."""
    to_date = mine if span is None else lots(conn, t.ShipmentLine.donor == donor,
                                             t.ShipmentLine.dispatch_date <= span[1])  # fmt: skip
    sent: dict[Any, Decimal] = defaultdict(lambda: ZERO)
    for lot in to_date.values():
        sent[lot["pledge_line_id"] or (lot["recipient"], lot["item"])] += lot["quantity"]
    rec_by_lot: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for rc in receipts:
        rec_by_lot[rc["shipment_line_id"]] += rc["received"]

    def figures(its: list[Row], key: Any) -> Row:
        return {"dispatched": _total(x["quantity"] for x in its), "dispatched_to_date": sent[key],
                "received": _total(rec_by_lot[x["id"]] for x in its),
                "distributed": _total(dist_by_lot[x["id"]] for x in its)}  # fmt: skip

    pls = live(conn, t.PledgeLine, t.PledgeLine.donor == donor,
               order=(t.PledgeLine.pledge_ref, t.PledgeLine.line_no))  # fmt: skip
    against: dict[int | None, list[Row]] = defaultdict(list)
    for lot in mine.values():
        against[lot["pledge_line_id"]].append(lot)
    rows = []
    for pl in pls:
        if span and not (span[0] <= pl["date"] <= span[1]) and pl["id"] not in against:
            continue
        row = figures(against.get(pl["id"], []), pl["id"])
        rows.append({"pledge": f"{pl['pledge_ref']}/{pl['line_no']}", "date": pl["date"],
                     "recipient": party_name(names, pl["recipient"], False),
                     "item": item_name(cat, pl["item"]), "pledged": pl["quantity"], **row,
                     "outstanding_pledge": max(pl["quantity"] - row["dispatched_to_date"], ZERO),
                     "unit": _unit(cat, pl["item"])})  # fmt: skip
    unpledged: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for lot in against.get(None, []):
        unpledged[(lot["recipient"], lot["item"])].append(lot)
    for (recipient, item), its in sorted(unpledged.items()):
        rows.append({"pledge": i18n.both("text.unpledged"),
                     "recipient": party_name(names, recipient, False),
                     "item": item_name(cat, item), **figures(its, (recipient, item)),
                     "unit": _unit(cat, item)})  # fmt: skip
    return rows


PERIOD_PLEDGE_NOTE = {
    "en": "dispatched in the period: by this pack's consignments, whose receipts and "
          "distributions are shown to today; dispatched to the period's end: everything sent "
          "against the pledge up to the period's last day; outstanding pledge = pledged − "
          "dispatched to the period's end (never below 0).",
    "uk": "відвантажено за період: вантажами цього пакета, їх отримання та розподіл показано "
          "на сьогодні; відвантажено на кінець періоду: усе, що надіслано за обіцянкою до "
          "останнього дня періоду; невиконана обіцянка = обіцяно − відвантажено на кінець "
          "періоду (не менше 0).",
}  # fmt: skip


def _qty(key: str, width: str | None = None, label: str | None = None) -> Column:
    return Column(key, label or f"col.{key}", "qty", width=width)


def _pledge_section(rows: list[Row], period: bool) -> Section:
    """The pledge totals; a period pack adds the dispatched-to-date column its outstanding
    figure is computed from, and says so under the table."""
    dispatched = ([_qty("dispatched", label="col.dispatched_in_period"), _qty("dispatched_to_date")]
                  if period else [_qty("dispatched")])  # fmt: skip
    return Section("pledges", "section.pledges", rows=rows, columns=[
        Column("pledge", "col.pledge", width="14%"), Column("date", "col.date", "date", width="8%"),
        Column("recipient", "col.recipient", width="12%"), Column("item", "col.item", width="18%"),
        _qty("pledged"), *dispatched, _qty("received"), _qty("distributed"),
        _qty("outstanding_pledge"), Column("unit", "col.unit", width="5%"),
    ], note=PERIOD_PLEDGE_NOTE if period else None)  # fmt: skip


def _sections(consignments: list[Row], dispatched: list[Row], exports: list[Row],
              events: list[Row], received: list[Row], distributed: list[Row],
              written_off: list[Row], pledges: list[Row], period: bool) -> list[Section]:  # fmt: skip
    return [
        Section("shipments", "section.shipment", rows=consignments, columns=[
            Column("shipment", "col.shipment", width="10%"), Column("date", "col.date", "date", width="7%"),
            Column("recipient", "col.recipient", width="10%"), Column("item", "col.item", width="14%"),
            Column("lines", "col.lots_count", "int", width="4%"),
            _qty("dispatched"), _qty("received"), _qty("short"), _qty("damaged"), _qty("distributed"),
            Column("unit", "col.unit", width="4%"),
            Column("value", "col.value", "money", "currency", width="9%"),
            Column("currency", "col.currency", width="4%"), Column("status", "col.status", width="9%"),
        ]),
        Section("dispatched", "section.dispatched", rows=dispatched, columns=[
            Column("shipment", "col.shipment", width="11%"), Column("line", "col.line", "int", width="4%"),
            Column("date", "col.date", "date", width="8%"), Column("recipient", "col.recipient", width="13%"),
            Column("item", "col.item", width="24%"), _qty("quantity", "7%"), Column("unit", "col.unit", width="5%"),
            Column("batch", "col.batch", width="10%"),
            Column("value", "col.value", "money", "currency", width="11%"),
            Column("currency", "col.currency", width="6%"),
        ]),
        Section("export_exit", "section.export_exit", rows=exports, columns=[
            Column("shipment", "col.shipment", width="16%"), Column("date", "col.date", "date", width="12%"),
            Column("export_mrn", "col.export_mrn", width="26%"),
            Column("export_office", "col.export_office", width="24%"),
            Column("exit_confirmed_at", "col.exit_confirmed_at", "date", width="22%"),
        ]),
        Section("customs", "section.customs", rows=events, columns=[
            Column("shipment_ref", "col.shipment", width="14%"), Column("event_label", "col.event", width="9%"),
            Column("date", "col.date", "date", width="9%"),
            Column("declaration_no", "col.declaration_no", width="18%"),
            Column("office", "col.office", width="25%"), Column("note", "col.remarks", width="25%"),
        ]),
        Section("received", "section.received", rows=received, columns=[
            Column("shipment", "col.shipment", width="11%"), Column("act", "col.act", width="10%"),
            Column("date", "col.date", "date", width="8%"), Column("by_whom", "col.by_whom", width="22%"),
            Column("item", "col.item", width="15%"), _qty("received", "6%"), _qty("short", "5%"),
            _qty("damaged", "6%"), _qty("excess", "5%"), Column("remarks", "col.remarks", width="12%"),
        ]),
        Section("distributed", "section.distributed", rows=distributed, columns=[
            Column("act", "col.act", width="11%"), Column("date", "col.date", "date", width="8%"),
            Column("beneficiary", "col.beneficiary", width="28%"),
            Column("settlement", "col.settlement", width="8%"), Column("item", "col.item", width="18%"),
            _qty("quantity", "7%"), Column("unit", "col.unit", width="5%"), Column("lot", "col.lots", width="15%"),
        ]),
        Section("written_off", "section.written_off", rows=written_off, columns=[
            Column("act", "col.act", width="13%"), Column("date", "col.date", "date", width="9%"),
            Column("warehouse", "col.warehouse", width="14%"), Column("item", "col.item", width="22%"),
            _qty("quantity", "8%"), Column("unit", "col.unit", width="6%"), Column("lot", "col.lots", width="16%"),
            Column("reason", "col.reason", width="12%"),
        ]),
        _pledge_section(pledges, period),
    ]  # fmt: skip


def build(conn: Connection, donor: str, period: str | None = None,
          findings: list[dict[str, Any]] | None = None, findings_note: str | None = None,
          locale: str = "en") -> Document:  # fmt: skip
    names, cat, whs = parties(conn), items(conn), warehouses(conn)
    if donor not in names:
        raise LedgerError(f"no party {donor!r} in the ledger")
    require_role(conn, donor, "donor", "no donor pack to make for it")
    span = parse_period(period)
    conds = [t.ShipmentLine.donor == donor]
    if span:
        conds.append(t.ShipmentLine.dispatch_date.between(*span))
    mine = lots(conn, *conds)
    shipments = sorted({lot["shipment_ref"] for lot in mine.values()})
    events = [{**ev, "event_label": i18n.term("event", ev["event"])}
              for ev in live(conn, t.CustomsEvent, t.CustomsEvent.shipment_ref.in_(shipments),
                             order=(t.CustomsEvent.shipment_ref, t.CustomsEvent.date, t.CustomsEvent.id))]  # fmt: skip
    receipts = [rc for rc in live(conn, t.ReceiptLine, order=(t.ReceiptLine.shipment_ref,
                                  t.ReceiptLine.line_no, t.ReceiptLine.date))
                if rc["shipment_line_id"] in mine]  # fmt: skip
    distributed, written_off, dist_by_lot = _outflows(conn, mine, names, cat, whs)
    sections = _sections(
        _consignment_rows(mine, receipts, dist_by_lot, events, names, cat),
        _dispatched_rows(mine, names, cat),
        _export_rows(mine),
        events,
        _received_rows(receipts, mine, names, cat, whs),
        distributed,
        written_off,
        _pledge_rows(conn, donor, span, mine, receipts, dist_by_lot, names, cat),
        bool(span),
    )
    found = about(findings, donor, *shipments)
    sections.append(findings_section(found, findings_note))
    doc = Document("donor-pack", "doc.donor_pack",
                   subtitle=party_name(names, donor) + (f" · {period}" if period else ""),
                   scope=[("col.donor", party_name(names, donor)),
                          ("doc.period", period or i18n.both("doc.all"))],
                   sections=sections, findings=found, locale=locale, landscape=True)  # fmt: skip
    return finish(conn, doc, "D", {"donor": donor, "period": period or ""})
