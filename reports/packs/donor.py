"""Donor's proof-of-delivery pack (catalogue §4(c)): where every consignment of one donor went.

Per shipment: what was dispatched, how it passed customs, what was received (when, into whose
warehouse, shortages and damage with their acts), distributed (to which acquirers, where, from
which lots) and written off; then totals per pledge line. With --period, the consignments
dispatched (and pledges made) in that period, followed to today.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.queries import require_role
from reports import i18n
from reports.data import items, live, lots, parse_period, parties, warehouses
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


def _line_value(lot: dict[str, Any]) -> Decimal:
    """A dispatched line's value as the pack shows it (rounded at the currency's minor unit);
    a consignment's value is the sum of these, so the two tables agree on paper."""
    return round_money(lot["quantity"] * lot["unit_value"], lot["currency"])


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
    unit = lambda code: cat.get(code, {}).get("unit", "")  # noqa: E731

    def lot_text(lot: dict[str, Any]) -> str:
        batch = f" ({lot['batch']})" if lot.get("batch") else ""
        return f"{lot['shipment_ref']}/{lot['line_no']}{batch}"

    dispatched = [{"shipment": lot["shipment_ref"], "line": lot["line_no"],
                   "date": lot["dispatch_date"], "recipient": party_name(names, lot["recipient"], False),
                   "item": item_name(cat, lot["item"]), "quantity": lot["quantity"],
                   "unit": unit(lot["item"]), "batch": lot["batch"] or "",
                   "value": _line_value(lot), "currency": lot["currency"]}
                  for lot in mine.values()]  # fmt: skip
    shipments = sorted({lot["shipment_ref"] for lot in mine.values()})
    events = [ev for ev in live(conn, t.CustomsEvent, t.CustomsEvent.shipment_ref.in_(shipments),
                                order=(t.CustomsEvent.shipment_ref, t.CustomsEvent.date, t.CustomsEvent.id))]  # fmt: skip
    receipts = [rc for rc in live(conn, t.ReceiptLine, order=(t.ReceiptLine.shipment_ref,
                                  t.ReceiptLine.line_no, t.ReceiptLine.date))
                if rc["shipment_line_id"] in mine]  # fmt: skip
    received = []
    for rc in receipts:
        lot = mine[rc["shipment_line_id"]]
        wh = whs.get(rc["warehouse"], {})
        remark = (rc["remarks"] or "").strip()
        variance = rc["short"] or rc["damaged"] or rc["excess"]
        received.append({"shipment": f"{lot['shipment_ref']}/{lot['line_no']}", "act": rc["receipt_ref"],
                         "date": rc["date"], "by_whom": f"{party_name(names, wh.get('party'), False)}, "
                         f"{wh.get('name', rc['warehouse'])}" + (f", {wh['settlement']}" if wh.get("settlement") else ""),
                         "item": item_name(cat, lot["item"]), "received": rc["received"],
                         "short": rc["short"], "damaged": rc["damaged"], "excess": rc["excess"],
                         "remarks": remark or (i18n.both("doc.unexplained") if variance else ""),
                         "_flag_remarks": bool(variance and not remark)})  # fmt: skip

    # what left stock from these lots: distributions and write-offs, by their postings
    p = t.Posting
    by_entry: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    lot_ids = list(mine)
    for i in range(0, len(lot_ids), 500):
        for r in conn.execute(select(p.entry_id, p.lot_id, p.quantity, p.account)
                              .where(p.lot_id.in_(lot_ids[i : i + 500]),
                                     p.account.startswith("distributed:") | p.account.startswith("loss:"))):  # fmt: skip
            by_entry[r.entry_id].append((r.lot_id, r.quantity))
    ids = list(by_entry)
    dist_recs = {
        d["entry_id"]: d
        for d in live(conn, t.DistributionLine, t.DistributionLine.entry_id.in_(ids))
    }
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
                                    "unit": unit(lot["item"]), "lot": lot_text(lot)})  # fmt: skip
            elif (w := wo_recs.get(eid)) is not None:
                written_off.append({"act": f"{w['writeoff_ref']}/{w['line_no']}", "date": w["date"],
                                    "warehouse": w["warehouse"], "item": item_name(cat, lot["item"]),
                                    "quantity": q, "unit": unit(lot["item"]), "lot": lot_text(lot),
                                    "reason": w["reason"]})  # fmt: skip
    distributed.sort(key=lambda r: (r["date"], r["act"], r["lot"]))
    written_off.sort(key=lambda r: (r["date"], r["act"]))

    # per-shipment summary: one row per shipment, value currency and unit (a consignment of
    # goods declared in CZK and in EUR has two: their values cannot be added up; nor can pieces
    # and boxes be counted together)
    per_ship: dict[tuple[str, str, str], dict[str, Any]] = {}
    for lot in mine.values():
        s = per_ship.setdefault((lot["shipment_ref"], lot["currency"], unit(lot["item"])), {
            "shipment": lot["shipment_ref"], "date": lot["dispatch_date"], "unit": unit(lot["item"]),
            "recipient": party_name(names, lot["recipient"], False), "lines": 0,
            "dispatched": ZERO, "received": ZERO, "short": ZERO, "damaged": ZERO,
            "distributed": ZERO, "value": ZERO, "currency": lot["currency"]})  # fmt: skip
        s["lines"] += 1
        s["dispatched"] += lot["quantity"]
        s["value"] += _line_value(lot)  # the sum of the dispatched lines as they are shown
        s["distributed"] += dist_by_lot.get(lot["id"], ZERO)
    for rc in receipts:
        lot = mine[rc["shipment_line_id"]]
        s = per_ship[(lot["shipment_ref"], lot["currency"], unit(lot["item"]))]
        for k in ("received", "short", "damaged"):
            s[k] += rc[k]
    last_event = {ev["shipment_ref"]: ev for ev in events}
    for (ref, _currency, _unit), s in per_ship.items():
        ev = last_event.get(ref)
        s["status"] = ("received" if s["received"] or s["short"] or s["damaged"]
                       else f"customs: {ev['event']}" if ev else "in transit")  # fmt: skip

    # totals per pledge line
    pls = live(conn, t.PledgeLine, t.PledgeLine.donor == donor,
               order=(t.PledgeLine.pledge_ref, t.PledgeLine.line_no))  # fmt: skip
    used_pl = {lot["pledge_line_id"] for lot in mine.values()}
    pledge_rows = []
    b = t.Balance
    outstanding: dict[int, Decimal] = defaultdict(lambda: ZERO)
    if span:  # as at the period's end: what later dispatches sent does not count yet
        sent: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for lot in lots(conn, t.ShipmentLine.donor == donor,
                        t.ShipmentLine.dispatch_date <= span[1]).values():  # fmt: skip
            if lot["pledge_line_id"] is not None:
                sent[lot["pledge_line_id"]] += lot["quantity"]
        for pl in pls:
            outstanding[pl["id"]] = pl["quantity"] - sent[pl["id"]]
    else:
        for r in conn.execute(select(b.pledge_line_id, b.quantity).where(
                b.account.startswith("pledged:"), b.pledge_line_id.is_not(None))):  # fmt: skip
            outstanding[r.pledge_line_id] += r.quantity
    rec_by_lot: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for rc in receipts:
        rec_by_lot[rc["shipment_line_id"]] += rc["received"]
    for pl in pls:
        if span and not (span[0] <= pl["date"] <= span[1]) and pl["id"] not in used_pl:
            continue
        its = [lot for lot in mine.values() if lot["pledge_line_id"] == pl["id"]]
        pledge_rows.append({
            "pledge": f"{pl['pledge_ref']}/{pl['line_no']}", "date": pl["date"],
            "recipient": party_name(names, pl["recipient"], False), "item": item_name(cat, pl["item"]),
            "pledged": pl["quantity"], "dispatched": sum((x["quantity"] for x in its), ZERO),
            "received": sum((rec_by_lot[x["id"]] for x in its), ZERO),
            "distributed": sum((dist_by_lot[x["id"]] for x in its), ZERO),
            "outstanding_pledge": max(outstanding[pl["id"]], ZERO), "unit": unit(pl["item"]),
        })  # fmt: skip
    unpledged = [lot for lot in mine.values() if lot["pledge_line_id"] is None]
    if unpledged:
        pledge_rows.append({
            "pledge": i18n.both("text.unpledged"), "item": "",
            "dispatched": sum((x["quantity"] for x in unpledged), ZERO),
            "received": sum((rec_by_lot[x["id"]] for x in unpledged), ZERO),
            "distributed": sum((dist_by_lot[x["id"]] for x in unpledged), ZERO),
        })  # fmt: skip

    qty = lambda k, w=None: Column(k, f"col.{k}", "qty", width=w)  # noqa: E731
    sections = [
        Section("shipments", "section.shipment", rows=[per_ship[k] for k in sorted(per_ship)], columns=[
            Column("shipment", "col.shipment", width="12%"), Column("date", "col.date", "date", width="8%"),
            Column("recipient", "col.recipient", width="16%"), Column("lines", "col.lots_count", "int", width="5%"),
            qty("dispatched"), qty("received"), qty("short"), qty("damaged"), qty("distributed"),
            Column("unit", "col.unit", width="5%"),
            Column("value", "col.value", "money", "currency", width="10%"),
            Column("currency", "col.currency", width="5%"), Column("status", "col.status", width="10%"),
        ]),
        Section("dispatched", "section.dispatched", rows=dispatched, columns=[
            Column("shipment", "col.shipment", width="11%"), Column("line", "col.line", "int", width="4%"),
            Column("date", "col.date", "date", width="8%"), Column("recipient", "col.recipient", width="13%"),
            Column("item", "col.item", width="24%"), qty("quantity", "7%"), Column("unit", "col.unit", width="5%"),
            Column("batch", "col.batch", width="10%"),
            Column("value", "col.value", "money", "currency", width="11%"),
            Column("currency", "col.currency", width="6%"),
        ]),
        Section("customs", "section.customs", rows=events, columns=[
            Column("shipment_ref", "col.shipment", width="14%"), Column("event", "col.event", width="9%"),
            Column("date", "col.date", "date", width="9%"),
            Column("declaration_no", "col.declaration_no", width="18%"),
            Column("office", "col.office", width="25%"), Column("note", "col.remarks", width="25%"),
        ]),
        Section("received", "section.received", rows=received, columns=[
            Column("shipment", "col.shipment", width="11%"), Column("act", "col.act", width="10%"),
            Column("date", "col.date", "date", width="8%"), Column("by_whom", "col.by_whom", width="22%"),
            Column("item", "col.item", width="15%"), qty("received", "6%"), qty("short", "5%"),
            qty("damaged", "6%"), qty("excess", "5%"), Column("remarks", "col.remarks", width="12%"),
        ]),
        Section("distributed", "section.distributed", rows=distributed, columns=[
            Column("act", "col.act", width="11%"), Column("date", "col.date", "date", width="8%"),
            Column("beneficiary", "col.beneficiary", width="28%"),
            Column("settlement", "col.settlement", width="8%"), Column("item", "col.item", width="18%"),
            qty("quantity", "7%"), Column("unit", "col.unit", width="5%"), Column("lot", "col.lots", width="15%"),
        ]),
        Section("written_off", "section.written_off", rows=written_off, columns=[
            Column("act", "col.act", width="13%"), Column("date", "col.date", "date", width="9%"),
            Column("warehouse", "col.warehouse", width="14%"), Column("item", "col.item", width="22%"),
            qty("quantity", "8%"), Column("unit", "col.unit", width="6%"), Column("lot", "col.lots", width="16%"),
            Column("reason", "col.reason", width="12%"),
        ]),
        Section("pledges", "section.pledges", rows=pledge_rows, columns=[
            Column("pledge", "col.pledge", width="15%"), Column("date", "col.date", "date", width="8%"),
            Column("recipient", "col.recipient", width="13%"), Column("item", "col.item", width="20%"),
            qty("pledged"), qty("dispatched"), qty("received"), qty("distributed"), qty("outstanding_pledge"),
            Column("unit", "col.unit", width="5%"),
        ]),
    ]  # fmt: skip
    found = about(findings, donor, *shipments)
    sections.append(findings_section(found, findings_note))
    doc = Document("donor-pack", "doc.donor_pack",
                   subtitle=party_name(names, donor) + (f" · {period}" if period else ""),
                   scope=[("col.donor", party_name(names, donor)),
                          ("doc.period", period or i18n.both("doc.all"))],
                   sections=sections, findings=found, locale=locale, landscape=True)  # fmt: skip
    return finish(conn, doc, "D", {"donor": donor, "period": period or ""})
