"""Reconciliation: pledged → dispatched → customs → received → distributed, with every variance.

Figures are `ledger.queries.reconcile` (FORMATS.md), so the document and `aidledger reconcile`
never disagree. Values come from the running balances (donor currency) and from the receipts'
stored UAH valuation. Each variance — short, damaged, excess, written off, still in transit —
names its act (goods received note with its remark, write-off act, last customs event) or is
flagged "unexplained".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from ledger.accounts import stage
from ledger.db import tables as t
from ledger.queries import reconcile, values_by_currency
from ledger.summaries import columns_for as _columns_for
from reports import charts, i18n
from reports.data import entry_lots, last_entry, live, lots, parties, reversed_entries
from reports.model import Column, Document, Section
from reports.packs.common import about, findings_section, finish, party_name
from reports.rounding import allocate, round_money

ZERO = Decimal(0)
STALE_DAYS = 30
CSV_COLUMNS = ["donor", "recipient", "item", "pledged", "dispatched", "at_customs", "in_transit",
               "received", "short", "damaged", "excess", "distributed", "written_off", "in_stock",
               "outstanding_pledge", "unit", "currency", "dispatched_value", "received_value",
               "received_value_uah", "uah_pending", "distributed_value", "lost_value"]  # fmt: skip
LOSSES = ("short", "damaged", "written_off")  # the variances that make up the lost value
VALUE_COLUMNS = ("dispatched_value", "received_value", "received_value_uah", "distributed_value",
                 "lost_value")  # fmt: skip


def _stage_values(conn: Connection) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """Value per (donor, recipient, item, value currency) and reconciliation column."""
    lot_owner = {r.id: (r.donor, r.recipient) for r in conn.execute(
        select(t.ShipmentLine.id, t.ShipmentLine.donor, t.ShipmentLine.recipient))}  # fmt: skip
    pl_owner = {r.id: (r.donor, r.recipient) for r in conn.execute(
        select(t.PledgeLine.id, t.PledgeLine.donor, t.PledgeLine.recipient))}  # fmt: skip
    out: dict[tuple[str, str, str, str], dict[str, Any]] = defaultdict(
        lambda: defaultdict(lambda: ZERO)
    )
    b = t.Balance
    for r in conn.execute(select(b.account, b.commodity, b.lot_id, b.pledge_line_id, b.kind,
                                 b.value, b.currency)):  # fmt: skip
        owner = lot_owner.get(r.lot_id) if r.lot_id else pl_owner.get(r.pledge_line_id)
        if owner is None or not r.currency or r.value is None:
            continue
        fig = out[(owner[0], owner[1], r.commodity, r.currency)]
        for col in _columns_for(r.account, r.kind):
            if col == "-excess":
                continue
            if col == "pledged" and stage(r.account) == "pledged":
                fig["pledged"] += r.value
            elif col != "pledged":
                fig[col] += r.value
    return out


def _uah_by_currency(conn: Connection, receipts: list[dict[str, Any]]
                     ) -> dict[tuple[str, str, str, str], tuple[Decimal, int]]:  # fmt: skip
    """(UAH value, receipt lines still pending) per (donor, recipient, item, donor currency),
    from the standing receipt lines: an item that came in several currencies shows each
    currency's UAH value on its own row, never the item's total on the first one."""
    s = t.ShipmentLine
    lot_key = {r.id: (r.donor, r.recipient, r.item, r.currency)
               for r in conn.execute(select(s.id, s.donor, s.recipient, s.item, s.currency))}  # fmt: skip
    out: dict[tuple[str, str, str, str], list[Any]] = defaultdict(lambda: [ZERO, 0])
    for rc in receipts:
        key = lot_key.get(rc["shipment_line_id"])
        if key is None:
            continue
        if rc["value_uah"] is None:
            out[key][1] += 1
        else:
            out[key][0] += rc["value_uah"]
    return {k: (v[0], v[1]) for k, v in out.items()}


def _variances(conn: Connection, receipts: list[dict[str, Any]], donor: str | None,
               recipient: str | None,
               as_of_date: dt.date | None) -> list[dict[str, Any]]:  # fmt: skip
    conds = []
    if donor:
        conds.append(t.ShipmentLine.donor == donor)
    if recipient:
        conds.append(t.ShipmentLine.recipient == recipient)
    scope_lots = lots(conn, *conds)
    rows: list[dict[str, Any]] = []
    first_rate: dict[int, tuple[Decimal, dt.date]] = {}
    for rc in receipts:
        lot = scope_lots.get(rc["shipment_line_id"])
        if lot is None:
            continue
        if rc["fx_rate"] is not None:
            first_rate.setdefault(lot["id"], (rc["fx_rate"], rc["date"]))
        for kind in ("short", "damaged", "excess"):
            q = rc[kind]
            if not q:
                continue
            value = q * lot["unit_value"]
            remark = (rc["remarks"] or "").strip()
            rows.append({
                "donor": lot["donor"], "recipient": lot["recipient"],
                "shipment": f"{lot['shipment_ref']}/{lot['line_no']}", "item": lot["item"],
                "variance": kind, "quantity": q, "value": value, "currency": lot["currency"],
                "value_uah": value * rc["fx_rate"] if rc["fx_rate"] is not None else None,
                "act": rc["receipt_ref"], "date": rc["date"],
                "remarks": remark or i18n.both("doc.unexplained"),
                "_flag_remarks": not remark,
            })  # fmt: skip
    # write-offs: which lots each act took, from its postings into loss accounts
    writeoffs = live(conn, t.WriteoffLine, order=(t.WriteoffLine.date,))
    taken = entry_lots(conn, [w["entry_id"] for w in writeoffs if w["entry_id"]], "loss:")
    for w in writeoffs:
        for lot_id, q in taken.get(w["entry_id"], []):
            lot = scope_lots.get(lot_id)
            if lot is None:
                continue
            value = q * lot["unit_value"]
            rate = first_rate.get(lot_id)
            rows.append({
                "donor": lot["donor"], "recipient": lot["recipient"],
                "shipment": f"{lot['shipment_ref']}/{lot['line_no']}", "item": lot["item"],
                "variance": "written_off", "quantity": q, "value": value,
                "currency": lot["currency"], "value_uah": value * rate[0] if rate else None,
                "act": f"{w['writeoff_ref']}/{w['line_no']}", "date": w["date"],
                "remarks": f"{w['reason']} ({w['warehouse']})", "_flag_remarks": False,
            })  # fmt: skip
    # still in transit or at customs: explained by the last customs event unless stale
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ev in live(conn, t.CustomsEvent, order=(t.CustomsEvent.date, t.CustomsEvent.id)):
        events[ev["shipment_ref"]].append(ev)
    b = t.Balance
    pending: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for r in conn.execute(select(b.account, b.lot_id, b.quantity).where(
            b.lot_id.is_not(None), b.account.startswith("transit:") | b.account.startswith("customs:"))):  # fmt: skip
        pending[r.lot_id][stage(r.account)] += r.quantity
    for lot_id, where in sorted(pending.items()):
        lot = scope_lots.get(lot_id)
        if lot is None:
            continue
        for st, q in where.items():
            if q <= 0:
                continue
            evs = events.get(lot["shipment_ref"], [])
            last = evs[-1] if evs else None
            since = last["date"] if last else lot["dispatch_date"]
            age = (as_of_date - since).days if as_of_date else 0
            if last:
                text = f"{last['event']} {last['date'].isoformat()}"
                if last.get("declaration_no"):
                    text += f", {last['declaration_no']}"
                if last.get("note"):
                    text += f": {last['note']}"
            else:
                text = f"dispatched {lot['dispatch_date'].isoformat()}, no customs event yet"
            stale = age > STALE_DAYS and (last is None or last["event"] == "released")
            if stale:
                text = f"{i18n.both('doc.unexplained')}: {text} ({age} days, no receipt)"
            rows.append({
                "donor": lot["donor"], "recipient": lot["recipient"],
                "shipment": f"{lot['shipment_ref']}/{lot['line_no']}", "item": lot["item"],
                "variance": "at_customs" if st == "customs" else "in_transit", "quantity": q,
                "value": q * lot["unit_value"], "currency": lot["currency"], "value_uah": None,
                "act": lot["waybill_no"] or lot["shipment_ref"], "date": since,
                "remarks": text, "_flag_remarks": stale,
            })  # fmt: skip
    order = {"short": 0, "damaged": 1, "excess": 2, "written_off": 3, "at_customs": 4,
             "in_transit": 5}  # fmt: skip
    rows.sort(key=lambda r: (r["donor"], r["recipient"], r["shipment"], order[r["variance"]]))
    for r in rows:
        r["variance_label"] = i18n.both(f"col.{r['variance']}")
    return rows


def _round_variances(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str, str], Decimal]:
    """Round the variance lines' values as the document prints them; returns the printed lost
    value per (donor, recipient, item, currency): the sum of its printed loss lines.

    Why together: rounded each on its own, 18,517.5 + 6,172.5 + 12,345 JPY print 18,518 +
    6,173 + 12,345 = 37,036 under a lost value of 37,035. The losses (short, damaged, written
    off) of one value-table row are rounded with `allocate`, so they add up to their exact sum
    rounded, which is that row's lost value. The exact value stays in `exact_value` for the
    variances CSV, which is data and keeps exact figures (as the reconciliation CSV does)."""
    losses: dict[tuple[str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        r["exact_value"] = r["value"]
        if r["variance"] in LOSSES:
            losses[(r["donor"], r["recipient"], r["item"], r["currency"])].append(r)
        else:
            r["value"] = round_money(r["value"], r["currency"])
    printed: dict[tuple[str, str, str, str], Decimal] = {}
    for key, group in losses.items():
        for r, shown in zip(group, allocate([r["value"] for r in group], key[3]), strict=True):
            r["value"] = shown
        printed[key] = sum((r["value"] for r in group), ZERO)
    return printed


def build(conn: Connection, donor: str | None = None, recipient: str | None = None,
          findings: list[dict[str, Any]] | None = None, findings_note: str | None = None,
          locale: str = "en") -> Document:  # fmt: skip
    recon = reconcile(conn, donor, recipient)
    names = parties(conn)
    values = _stage_values(conn)
    _, last_date = last_entry(conn)
    per_currency = values_by_currency(conn, donor, recipient)
    # the standing receipt lines, read once for the UAH values and the variances
    receipts = live(conn, t.ReceiptLine, order=(t.ReceiptLine.date, t.ReceiptLine.receipt_ref))
    uah_by_currency = _uah_by_currency(conn, receipts)
    rows: list[dict[str, Any]] = []
    value_rows: list[dict[str, Any]] = []  # one per value currency: values never add across
    for r in recon:
        row = r.as_dict()
        row["uah"] = "UAH"
        row["_flag_received_value_uah"] = bool(r.uah_pending)
        rows.append(row)
        key = (r.donor, r.recipient, r.item)
        currencies = [r.currency] if r.currency else sorted(per_currency.get(key, {}))
        for cur in currencies:  # none: pledged only, nothing dispatched has a value yet
            vrow = dict(row)
            if not r.currency and cur:  # goods of this item came in several currencies
                vrow["currency"] = cur
                vrow["dispatched_value"], vrow["received_value"] = per_currency[key][cur]
                # the UAH value of this currency's receipts (pending if one of them is)
                uah, pending = uah_by_currency.get((*key, cur), (ZERO, 0))
                vrow["received_value_uah"] = None if pending else uah
                vrow["_flag_received_value_uah"] = bool(pending)
            v = values.get((*key, cur), {})
            vrow["distributed_value"] = v.get("distributed", ZERO)  # 0, as lost_value: not blank
            vrow["lost_value"] = v.get("short", ZERO) + v.get("damaged", ZERO) + v.get(
                "written_off", ZERO)  # fmt: skip
            value_rows.append(vrow)
        # the CSV (FORMATS.md: one row per donor, recipient, item) has values in one currency
        one = value_rows[-1] if r.currency else {}
        row["distributed_value"], row["lost_value"] = (one.get("distributed_value"),
                                                       one.get("lost_value"))  # fmt: skip
    q = [Column(k, f"col.{k}", "qty") for k in
         ("pledged", "dispatched", "at_customs", "in_transit", "received", "short", "damaged",
          "excess", "distributed", "written_off", "in_stock", "outstanding_pledge")]  # fmt: skip
    summary = Section("reconciliation", "section.summary", wide=True, rows=rows, columns=[
        Column("donor", "col.donor", width="7%"), Column("recipient", "col.recipient", width="6%"),
        Column("item", "col.item", width="11%"), Column("unit", "col.unit", width="4%"), *q,
    ])  # fmt: skip
    # the value table shows each line rounded at its currency's minor unit and its totals are
    # the sums of those lines (the CSV above keeps the exact figures `reconcile` gives)
    for row in value_rows:
        for k in VALUE_COLUMNS:
            if row.get(k) is not None:
                row[k] = round_money(
                    row[k], "UAH" if k == "received_value_uah" else row["currency"]
                )
    variances = _variances(conn, receipts, donor, recipient, last_date)
    printed_lost = _round_variances(variances)
    for row in value_rows:  # the lost value is the sum of its variance lines as printed
        key = (row["donor"], row["recipient"], row["item"], row["currency"])
        if key in printed_lost:
            row["lost_value"] = printed_lost[key]
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    pending_totals: set[tuple[str, str]] = set()
    for row in value_rows:
        cur = row["currency"]
        tot = totals.setdefault((row["donor"], cur), {"donor": row["donor"], "item": i18n.en("doc.total"),
                                                      "currency": cur, "uah": "UAH"})  # fmt: skip
        for k in VALUE_COLUMNS:
            if row.get(k) is not None:
                tot[k] = tot.get(k, ZERO) + row[k]
        if row.get("_flag_received_value_uah"):
            pending_totals.add((row["donor"], cur))
    for key in pending_totals:  # a total that leaves out a pending receipt is no total: blank
        totals[key]["received_value_uah"] = None
    value_section = Section("values", "section.values", wide=True, rows=value_rows,
                            totals=[totals[k] for k in sorted(totals)], columns=[
        Column("donor", "col.donor", width="9%"), Column("recipient", "col.recipient", width="9%"),
        Column("item", "col.item", width="16%"), Column("currency", "col.currency", width="6%"),
        Column("dispatched_value", "col.dispatched_value", "money", "currency"),
        Column("received_value", "col.received_value", "money", "currency"),
        Column("distributed_value", "col.distributed_value", "money", "currency"),
        Column("lost_value", "col.lost_value", "money", "currency"),
        Column("received_value_uah", "col.received_value_uah", "money", currency="UAH"),
    ], note={"en": "UAH: the receipts' stored valuation at the NBU rate of the day of receipt; "
                   "blank while a rate is pending.",
             "uk": "Гривня: вартість оприбуткування за офіційним курсом НБУ на дату отримання; "
                   "порожньо, доки курс не завантажено."})  # fmt: skip
    var_section = Section("variances", "section.variances", wide=True, rows=variances, columns=[
        Column("donor", "col.donor", width="7%"), Column("recipient", "col.recipient", width="7%"),
        Column("shipment", "col.shipment", width="10%"), Column("item", "col.item", width="10%"),
        Column("variance_label", "col.variance", width="9%"),
        Column("quantity", "col.quantity", "qty", width="6%"),
        Column("value", "col.value", "money", "currency", width="8%"),
        Column("currency", "col.currency", width="4%"),
        Column("value_uah", "col.value_uah", "money", currency="UAH", width="8%"),
        Column("act", "col.act", width="10%"), Column("date", "col.date", "date", width="7%"),
        Column("remarks", "col.remarks", width="14%"),
    ], note=i18n.label("text.transit_note"))  # fmt: skip
    chart_section = Section("chart", "section.chart")
    by_donor: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(
        lambda: defaultdict(lambda: ZERO)
    )
    for (d, rcp, _item, cur), v in values.items():
        if (donor and d != donor) or (recipient and rcp != recipient):
            continue
        acc = by_donor[(d, cur)]
        for k in ("pledged", "dispatched", "received", "distributed", "in_stock", "in_transit"):
            acc[k] += v.get(k, ZERO)
        acc["lost"] += v.get("short", ZERO) + v.get("damaged", ZERO) + v.get("written_off", ZERO)
    stages = ("pledged", "dispatched", "in_transit", "received", "distributed", "in_stock", "lost")
    for (d, cur), acc in sorted(by_donor.items()):
        chart_section.charts.append(charts.pipeline(party_name(names, d), cur,
                                                    [(s, acc[s]) for s in stages], locale))  # fmt: skip
    found = about(findings, *(x for x in (donor, recipient) if x),
                  *({v["shipment"].split("/")[0] for v in variances} if donor or recipient else ()))  # fmt: skip
    scope = [("col.donor", party_name(names, donor) if donor else i18n.both("doc.all")),
             ("col.recipient", party_name(names, recipient) if recipient else i18n.both("doc.all"))]  # fmt: skip
    doc = Document("reconciliation", "doc.reconciliation", subtitle="", scope=scope,
                   sections=[summary, value_section, chart_section, var_section,
                             findings_section(found, findings_note)],
                   findings=found, locale=locale, landscape=True)  # fmt: skip
    doc.csv_columns = CSV_COLUMNS
    return finish(conn, doc, "R", {"donor": donor or "", "recipient": recipient or ""})


__all__ = ["build", "reversed_entries"]
