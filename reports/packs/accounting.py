"""Accounting pack for one recipient and period (catalogue §4(b)): what the accountant files.

Journal, trial balance, register of aid received valued in UAH (rate, rate date, source; pending
when no rate), stock movement per item, acceptance acts, distribution acts, write-off acts, FX
schedule and findings. A pending UAH valuation or an error finding makes the pack NOT READY.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, or_, select

from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.queries import require_role
from reports import i18n
from reports.data import (
    entries_in_scope,
    entry_lots,
    items,
    last_entry,
    lots,
    parse_period,
    parties,
    reversal_days,
    reversed_between,
    scope_entries,
    standing_on,
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
from reports.rounding import exact, round_money, round_postings

ZERO = Decimal(0)


def _lot_text(lot: dict[str, Any] | None) -> str:
    if lot is None:
        return ""
    text = f"{lot['shipment_ref']}/{lot['line_no']}"
    return f"{text} ({lot['batch']})" if lot.get("batch") else text


def _rounded_by_entry(rows: Iterable[Any]) -> Iterator[tuple[Any, Decimal | None]]:
    """(posting, value as shown) for posting rows ordered by entry (`id`) and seq: each
    entry's values rounded together (rounding.round_postings), so a shown entry balances."""
    for _, group in groupby(rows, key=lambda r: r.id):
        postings = list(group)
        yield from zip(postings, round_postings((r.currency, r.value) for r in postings),
                       strict=True)  # fmt: skip


def build(conn: Connection, recipient: str, period: str,
          findings: list[dict[str, Any]] | None = None, findings_note: str | None = None,
          locale: str = "en") -> Document:  # fmt: skip
    span = parse_period(period)
    assert span is not None
    start, end = span
    names, cat, whs = parties(conn), items(conn), warehouses(conn)
    if recipient not in names:
        raise LedgerError(f"no party {recipient!r} in the ledger")
    require_role(conn, recipient, "recipient", "no accounting pack to make for it")
    as_of, _ = last_entry(conn)
    all_lots = lots(conn, standing=False)  # a record of the period may be reversed since
    my_lots = {i: lot for i, lot in all_lots.items() if lot["recipient"] == recipient}

    # journal: every posting of the entries this pack covers
    shown = [
        eid
        for eid, _ in scope_entries(conn, "A", {"recipient": recipient, "period": period}, as_of)
    ]
    e, p = t.Entry, t.Posting
    journal: list[dict[str, Any]] = []
    debit: dict[str, Decimal] = defaultdict(lambda: ZERO)
    credit: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for i in range(0, len(shown), 500):
        for r, value in _rounded_by_entry(conn.execute(
            select(e.id, e.date, e.kind, e.ref, e.reverses_id, p.account, p.commodity,
                   p.quantity, p.value, p.currency, p.lot_id).join(p, p.entry_id == e.id)
            .where(e.id.in_(shown[i : i + 500])).order_by(e.id, p.seq)
        )):  # fmt: skip
            ref = r.ref  # and a reversal says which entry it undoes
            if r.reverses_id is not None:
                ref += f" — {i18n.both('doc.storno_of_entry')} {r.reverses_id}"
            journal.append({"entry": r.id, "date": r.date, "kind": r.kind, "ref": ref,
                            "account": r.account, "item": r.commodity, "quantity": r.quantity,
                            "value": value, "currency": r.currency,
                            "lot": _lot_text(all_lots.get(r.lot_id))})  # fmt: skip
            if value is not None and r.currency:
                (debit if value > 0 else credit)[r.currency] += abs(value)
    journal_totals = [
        {
            "ref": i18n.both("doc.total"),
            "account": i18n.both("col.debit"),
            "value": debit[c],
            "currency": c,
        }
        for c in sorted(debit)
    ]
    journal_totals += [{"ref": i18n.both("doc.total"), "account": i18n.both("col.credit"),
                        "value": credit[c], "currency": c} for c in sorted(credit)]  # fmt: skip

    # trial balance (values, per account and currency) and stock movement (quantities, per item)
    # over every posting of the entries the pack's journal would show on any day up to the
    # period's end: the counterpart accounts too (the donor, the carrier's shortage, the other
    # warehouse of a transfer), so debits equal credits and the journal's totals agree with it.
    tb: dict[tuple[str, str], dict[str, Any]] = {}
    moves: dict[str, dict[str, Any]] = {}
    # Another recipient's stock, hand-overs and losses show only the part that moved with this
    # recipient's goods (a transfer, a FEFO pick from a lot it received): alone, such an
    # account would read as another city's stock below zero. They make one counterpart row.
    others = {w["party"] for w in whs.values()} - {recipient}
    other_label = i18n.both("text.other_recipients")
    mine = entries_in_scope("A", {"recipient": recipient}, as_of).where(e.date <= end)
    rows = conn.execute(
        select(e.id, e.date, e.kind, p.account, p.commodity, p.quantity, p.value, p.currency)
        .join(p, p.entry_id == e.id)
        .where(e.id.in_(mine))
        .order_by(e.id, p.seq)
    )  # fmt: skip
    # each entry's values rounded as its journal lines show them, so every row foots
    # (opening + debit − credit = closing) and debits equal credits in print
    for r, value in _rounded_by_entry(rows):
        before = r.date < start
        if r.currency and value is not None:
            stage_, _, rest = r.account.partition(":")
            owner = rest.partition(":")[0]
            account = (other_label if stage_ in ("stock", "distributed", "loss") and owner in others
                       else r.account)  # fmt: skip
            row = tb.setdefault((account, r.currency), {
                "account": account, "currency": r.currency, "opening": ZERO, "debit": ZERO,
                "credit": ZERO, "closing": ZERO})  # fmt: skip
            if before:
                row["opening"] += value
            elif value > 0:
                row["debit"] += value
            else:
                row["credit"] -= value
            row["closing"] += value
        if r.account.startswith(f"stock:{recipient}:"):
            m = moves.setdefault(r.commodity, {
                "item": item_name(cat, r.commodity), "unit": cat.get(r.commodity, {}).get("unit", ""),
                "opening": ZERO, "received": ZERO, "transferred": ZERO, "distributed": ZERO,
                "written_off": ZERO, "closing": ZERO})  # fmt: skip
            if before:
                m["opening"] += r.quantity
            elif r.kind == "receipt":
                m["received"] += r.quantity
            elif r.kind == "distribution":
                m["distributed"] -= r.quantity
            elif r.kind == "writeoff":
                m["written_off"] -= r.quantity
            else:
                m["transferred"] += r.quantity
            m["closing"] += r.quantity
    tb_rows = [
        tb[k]
        for k in sorted(tb)
        if any(tb[k][c] for c in ("opening", "debit", "credit", "closing"))
    ]
    move_rows = [moves[k] for k in sorted(moves) if any(moves[k][c] for c in
                 ("opening", "received", "transferred", "distributed", "written_off", "closing"))]  # fmt: skip

    # receipts in the period: acceptance acts, aid register, FX schedule
    # (as they stood at the period's end: a reversal dated later is a storno line of its own
    # period, and a closed period's pack never changes)
    r_order = ("date", "receipt_ref", "shipment_ref", "line_no")
    my_lot_ids = select(t.ShipmentLine.id).where(t.ShipmentLine.recipient == recipient)

    def of_mine(c: Any) -> tuple[Any, ...]:
        return (c.shipment_line_id.in_(my_lot_ids),)

    def in_period(where: Any) -> Any:
        return lambda c: (*where(c), c.date.between(start, end))

    receipts = standing_on(conn, t.ReceiptLine, end, in_period(of_mine), order=r_order)
    undone = reversed_between(conn, t.ReceiptLine, start, end, of_mine, order=r_order)
    register, acts, fx = [], [], []
    uah_total = ZERO
    pending: dict[tuple[str, dt.date], dict[str, None]] = defaultdict(dict)  # -> receipt refs
    for rc in [*receipts, *undone]:
        lot = my_lots[rc["shipment_line_id"]]
        storno = "reversed_on" in rc  # an earlier period's receipt reversed in this one
        sign = -1 if storno else 1
        # the donor-currency value as computed, not rounded: it is what the rate applies to
        # (value × rate rounds to the UAH shown); the UAH value is the booked amount, shown
        # rounded, and the register's total is the sum of the UAH lines as shown
        value_fc = exact(sign * rc["received"] * lot["unit_value"])
        value_uah = None if rc["value_uah"] is None else round_money(sign * rc["value_uah"], "UAH")
        base = {"act": f"{rc['receipt_ref']} — {i18n.both('doc.storno')} "
                       f"{i18n.date(rc['date'], locale)}" if storno else rc["receipt_ref"],
                "date": rc["reversed_on"] if storno else rc["date"],
                "shipment": f"{lot['shipment_ref']}/{lot['line_no']}",
                "donor": lot["donor"], "item": item_name(cat, lot["item"]),
                "unit": cat.get(lot["item"], {}).get("unit", ""), "currency": lot["currency"]}  # fmt: skip
        status = "" if value_uah is not None else i18n.both("doc.pending")  # storno lines too
        if value_uah is not None:
            uah_total += value_uah
        elif not storno:
            pending[(lot["currency"], rc["date"])][rc["receipt_ref"]] = None
        register.append({**base, "quantity": sign * rc["received"], "unit_value": lot["unit_value"],
                         "value": value_fc, "rate": rc["fx_rate"], "rate_date": rc["fx_rate_date"],
                         "source": rc["fx_source"] or "", "value_uah": value_uah,
                         "status": status, "_flag_status": bool(status)})  # fmt: skip
        if not storno:  # an acceptance act is a paper of its day; a reversal signs no new one
            acts.append({**base, "warehouse": rc["warehouse"], "dispatched": lot["quantity"],
                         "received": rc["received"], "short": rc["short"],
                         "damaged": rc["damaged"], "excess": rc["excess"], "value_uah": value_uah,
                         "remarks": rc["remarks"] or "",
                         "basis": " · ".join(x for x in (lot.get("aid_code"), lot.get("waybill_no")) if x)})  # fmt: skip
        fx.append({"date": base["date"], "ref": f"{base['act']} {base['shipment']}",
                   "currency": lot["currency"], "amount": value_fc, "rate": rc["fx_rate"],
                   "rate_date": rc["fx_rate_date"], "source": rc["fx_source"] or "",
                   "value_uah": value_uah, "status": status, "_flag_status": bool(status)})  # fmt: skip
    register_totals = [{"act": i18n.both("doc.total"), "value_uah": uah_total}]

    # distribution and write-off acts, with the lots each took
    def theirs(c: Any) -> tuple[Any, ...]:
        return (c.recipient == recipient,)

    d_, d_order = t.DistributionLine, ("date", "distribution_ref", "line_no")
    dists = [*standing_on(conn, d_, end, in_period(theirs), order=d_order),
             *reversed_between(conn, d_, start, end, theirs, order=d_order)]  # fmt: skip
    w_, w_order = t.WriteoffLine, ("date", "writeoff_ref", "line_no")
    wos = [*standing_on(conn, w_, end, in_period(theirs), order=w_order),
           *reversed_between(conn, w_, start, end, theirs, order=w_order)]  # fmt: skip
    took = entry_lots(conn, [d["entry_id"] for d in dists if d["entry_id"]], "distributed:")
    took.update(entry_lots(conn, [w["entry_id"] for w in wos if w["entry_id"]], "loss:"))

    def lots_of(entry_id: int | None) -> str:
        return "; ".join(f"{_lot_text(all_lots.get(lid))} × {i18n.qty(q, locale)}"
                         for lid, q in took.get(entry_id or 0, []))  # fmt: skip

    def act(ref: str, rec: dict[str, Any]) -> dict[str, Any]:
        """An act's number, day and quantity; a storno (an earlier period's act reversed in
        this one) on the reversal's day, negative, saying which act it undoes."""
        if "reversed_on" not in rec:
            return {"act": ref, "date": rec["date"], "quantity": rec["quantity"]}
        return {"act": f"{ref} — {i18n.both('doc.storno')} {i18n.date(rec['date'], locale)}",
                "date": rec["reversed_on"], "quantity": -rec["quantity"]}  # fmt: skip

    dist_rows = [{**act(f"{d['distribution_ref']}/{d['line_no']}", d),
                  "beneficiary": party_name(names, d["beneficiary"]),
                  "settlement": d["settlement"] or whs.get(d["warehouse"], {}).get("settlement") or "",
                  "item": item_name(cat, d["item"]),
                  "unit": cat.get(d["item"], {}).get("unit", ""), "warehouse": d["warehouse"],
                  "lots": lots_of(d["entry_id"])} for d in dists]  # fmt: skip
    wo_rows = [{**act(f"{w['writeoff_ref']}/{w['line_no']}", w),
                "warehouse": w["warehouse"], "item": item_name(cat, w["item"]),
                "unit": cat.get(w["item"], {}).get("unit", ""),
                "reason": i18n.term("reason", w["reason"]), "lots": lots_of(w["entry_id"])}
               for w in wos]  # fmt: skip

    transfer_rows = _transfer_acts(conn, recipient, start, end, whs, all_lots, cat, locale)

    money = lambda key, label, cur="currency", **kw: Column(key, label, "money", cur, **kw)  # noqa: E731
    price = lambda key, label, **kw: Column(key, label, "price", "currency", **kw)  # noqa: E731
    sections = [
        Section("journal", "section.journal", rows=journal, totals=journal_totals, columns=[
            Column("entry", "col.entry", "int", width="5%"), Column("date", "col.date", "date", width="8%"),
            Column("kind", "col.kind", width="7%"), Column("ref", "col.ref", width="19%"),
            Column("account", "col.account", width="17%"), Column("item", "col.item", width="11%"),
            Column("quantity", "col.quantity", "qty", width="7%"),
            money("value", "col.value", width="10%"), Column("currency", "col.currency", width="5%"),
            Column("lot", "col.batch", width="11%"),
        ]),
        Section("trial_balance", "section.trial_balance", rows=tb_rows, page_break=True, columns=[
            Column("account", "col.account", width="34%"), Column("currency", "col.currency", width="6%"),
            money("opening", "col.opening"), money("debit", "col.debit"),
            money("credit", "col.credit"), money("closing", "col.closing"),
        ]),
        Section("aid_register", "section.aid_register", rows=register, totals=register_totals,
                page_break=True, columns=[
            Column("act", "col.act", width="9%"), Column("date", "col.date", "date", width="7%"),
            Column("shipment", "col.shipment", width="9%"), Column("donor", "col.donor", width="7%"),
            Column("item", "col.item", width="15%"), Column("quantity", "col.quantity", "qty", width="6%"),
            Column("unit", "col.unit", width="4%"), price("unit_value", "col.unit_value", width="7%"),
            price("value", "col.value", width="8%"), Column("currency", "col.currency", width="4%"),
            Column("rate", "col.rate", "rate", width="6%"), Column("rate_date", "col.rate_date", "date", width="7%"),
            Column("source", "col.source", width="4%"),
            money("value_uah", "col.value_uah", currency=None, width="9%"),
        ]),
        Section("stock_movement", "section.stock_movement", rows=move_rows, columns=[
            Column("item", "col.item", width="28%"), Column("unit", "col.unit", width="6%"),
            *(Column(k, f"col.{k}", "qty") for k in ("opening", "received", "transferred",
                                                      "distributed", "written_off", "closing")),
        ]),
        Section("acceptance_acts", "section.acceptance_acts", rows=acts, page_break=True, columns=[
            Column("act", "col.act", width="9%"), Column("date", "col.date", "date", width="7%"),
            Column("shipment", "col.shipment", width="9%"), Column("donor", "col.donor", width="7%"),
            Column("warehouse", "col.warehouse", width="9%"), Column("item", "col.item", width="13%"),
            Column("dispatched", "col.dispatched", "qty", width="6%"),
            Column("received", "col.received", "qty", width="6%"),
            Column("short", "col.short", "qty", width="5%"), Column("damaged", "col.damaged", "qty", width="5%"),
            Column("excess", "col.excess", "qty", width="5%"),
            money("value_uah", "col.value_uah", currency=None, width="8%"),
            Column("remarks", "col.remarks", width="11%"),
        ]),
        Section("distribution_acts", "section.distribution_acts", rows=dist_rows, columns=[
            Column("act", "col.act", width="11%"), Column("date", "col.date", "date", width="7%"),
            Column("beneficiary", "col.beneficiary", width="24%"),
            Column("settlement", "col.settlement", width="7%"), Column("item", "col.item", width="15%"),
            Column("quantity", "col.quantity", "qty", width="6%"), Column("unit", "col.unit", width="5%"),
            Column("lots", "col.lots", width="25%"),
        ]),
        Section("writeoff_acts", "section.writeoff_acts", rows=wo_rows, columns=[
            Column("act", "col.act", width="12%"), Column("date", "col.date", "date", width="8%"),
            Column("warehouse", "col.warehouse", width="12%"), Column("item", "col.item", width="20%"),
            Column("quantity", "col.quantity", "qty", width="7%"), Column("unit", "col.unit", width="5%"),
            Column("reason", "col.reason", width="10%"), Column("lots", "col.lots", width="26%"),
        ]),
        Section("transfer_acts", "section.transfer_acts", rows=transfer_rows, columns=[
            Column("act", "col.act", width="13%"), Column("date", "col.date", "date", width="7%"),
            Column("direction", "col.direction", width="7%"),
            Column("from_warehouse", "col.from_warehouse", width="11%"),
            Column("to_warehouse", "col.to_warehouse", width="11%"),
            Column("item", "col.item", width="13%"), Column("lot", "col.batch", width="11%"),
            Column("quantity", "col.quantity", "qty", width="6%"), Column("unit", "col.unit", width="4%"),
            money("value", "col.value", width="7%"), Column("currency", "col.currency", width="4%"),
            money("value_uah", "col.value_uah", currency=None, width="8%"),
        ]),
        Section("fx_schedule", "section.fx_schedule", rows=fx, columns=[
            Column("date", "col.date", "date", width="9%"), Column("ref", "col.ref", width="24%"),
            Column("currency", "col.currency", width="6%"), price("amount", "col.amount", width="12%"),
            Column("rate", "col.rate", "rate", width="9%"), Column("rate_date", "col.rate_date", "date", width="9%"),
            Column("source", "col.source", width="6%"),
            money("value_uah", "col.value_uah", currency=None, width="12%"),
            Column("status", "col.status", width="13%"),
        ]),
    ]  # fmt: skip
    for s in sections:  # UAH columns carry a fixed currency
        for c in s.columns:
            if c.key == "value_uah":
                c.currency, c.currency_key = "UAH", None
    found = about(findings, recipient, *{lot["shipment_ref"] for lot in my_lots.values()
                                         if start <= lot["dispatch_date"] <= end},
                  *{rc["shipment_ref"] for rc in receipts},
                  *{rc["receipt_ref"] for rc in receipts}, *{d["distribution_ref"] for d in dists},
                  *{w["writeoff_ref"] for w in wos})  # fmt: skip
    sections.append(findings_section(found, findings_note))
    r = names[recipient]
    doc = Document("accounting-pack", "doc.accounting_pack",
                   subtitle=f"{party_name(names, recipient)} · {period} "
                            f"({i18n.date(start, locale)} – {i18n.date(end, locale)})",
                   scope=[("field.recipient_code", party_name(names, recipient)),
                          ("field.edrpou", r.get("registry_id") or "—"),
                          ("field.register_no", r.get("aid_register_no") or "—"),
                          ("doc.period", period)],
                   sections=sections, findings=found, locale=locale, landscape=True)  # fmt: skip
    doc.not_ready += _pending_reasons(conn, pending)
    return finish(conn, doc, "A", {"recipient": recipient, "period": period}, gate=True)


def _transfer_acts(conn: Connection, recipient: str, start: dt.date, end: dt.date,
                   whs: dict[str, dict[str, Any]], all_lots: dict[int, dict[str, Any]],
                   cat: dict[str, dict[str, Any]], locale: str) -> list[dict[str, Any]]:  # fmt: skip
    """The period's transfers into, out of and within the recipient's warehouses, one row per
    lot moved, valued as booked (donor currency) and in UAH at the lot's own receipt rate: goods
    handed to another recipient arrive in its books with the value they left these with.
    A transfer reversed in a later period stays here and is a storno line there."""
    mine = {code for code, w in whs.items() if w["party"] == recipient}
    tr = t.TransferLine

    def about(c: Any) -> tuple[Any, ...]:
        return (or_(c.from_warehouse.in_(mine), c.to_warehouse.in_(mine)),)

    def in_period(c: Any) -> tuple[Any, ...]:
        return (*about(c), c.date.between(start, end))

    order = ("date", "transfer_ref", "line_no")
    acts = [*standing_on(conn, tr, end, in_period, order=order),
            *reversed_between(conn, tr, start, end, about, order=order)]  # fmt: skip
    moved = _moved_lots(conn, [a["entry_id"] for a in acts if a["entry_id"]])
    uah = _uah_per_unit(conn, {lot_id for rows in moved.values() for lot_id, *_ in rows})
    out = []
    for a in acts:
        storno = "reversed_on" in a
        sign = -1 if storno else 1
        into, out_of = a["to_warehouse"] in mine, a["from_warehouse"] in mine
        direction = i18n.both("text.transfer_" + ("internal" if into and out_of
                                                  else "in" if into else "out"))  # fmt: skip
        ref = f"{a['transfer_ref']}/{a['line_no']}"
        if storno:
            ref = f"{ref} — {i18n.both('doc.storno')} {i18n.date(a['date'], locale)}"
        for lot_id, quantity, value, currency in moved.get(a["entry_id"], []):
            lot = all_lots.get(lot_id)
            per_unit = uah(lot_id, a["date"])
            out.append({
                "act": ref, "date": a["reversed_on"] if storno else a["date"],
                "direction": direction,
                "from_warehouse": f"{a['from_warehouse']} ({whs[a['from_warehouse']]['party']})",
                "to_warehouse": f"{a['to_warehouse']} ({whs[a['to_warehouse']]['party']})",
                "item": item_name(cat, a["item"]), "lot": _lot_text(lot),
                "quantity": sign * quantity, "unit": cat.get(a["item"], {}).get("unit", ""),
                "value": None if value is None else round_money(sign * value, currency or "XXX"),
                "currency": currency or "",
                "value_uah": None if per_unit is None
                else round_money(sign * quantity * per_unit, "UAH"),
            })  # fmt: skip
    return out


def _moved_lots(conn: Connection, entry_ids: list[int]
                ) -> dict[int, list[tuple[int, Decimal, Decimal | None, str | None]]]:  # fmt: skip
    """Per transfer entry: (lot, quantity, value, currency) of what arrived (its positive
    postings: the goods as they entered the receiving warehouse)."""
    p = t.Posting
    out: dict[int, list[tuple[int, Decimal, Decimal | None, str | None]]] = defaultdict(list)
    for i in range(0, len(entry_ids), 500):
        for r in conn.execute(
            select(p.entry_id, p.lot_id, p.quantity, p.value, p.currency)
            .where(p.entry_id.in_(entry_ids[i : i + 500]), p.lot_id.is_not(None))
            .order_by(p.entry_id, p.seq)
        ):  # fmt: skip
            if r.quantity > 0:  # decimals are TEXT on SQLite: compared here, not in SQL
                out[r.entry_id].append((r.lot_id, r.quantity, r.value, r.currency))
    return out


def _uah_per_unit(conn: Connection,
                  lot_ids: set[int]) -> Callable[[int, dt.date], Decimal | None]:  # fmt: skip
    """UAH per unit of a lot on a day, as its receipts up to that day were valued, those that
    stood on that day: what the goods carried when they moved. A later receipt at another rate,
    or a later reversal, never changes it (nor a period's act, nor the storno that undoes it).
    A lot with a receipt then still pending (no rate) has none."""
    r = t.ReceiptLine
    undone = reversal_days(conn)
    Receipt = tuple[dt.date, Decimal, Decimal | None, dt.date | None]
    receipts: dict[int, list[Receipt]] = defaultdict(list)
    ids = sorted(lot_ids)
    for i in range(0, len(ids), 500):
        for row in conn.execute(select(r.shipment_line_id, r.date, r.received, r.value_uah,
                                       r.entry_id)
                                .where(r.shipment_line_id.in_(ids[i : i + 500]))):  # fmt: skip
            if row.received:
                receipts[row.shipment_line_id].append(
                    (row.date, row.received, row.value_uah, undone.get(row.entry_id))
                )

    def per_unit(lot_id: int, day: dt.date) -> Decimal | None:
        taken = [(q, v) for on, q, v, gone in receipts.get(lot_id, [])
                 if on <= day and (gone is None or gone > day)]  # fmt: skip
        if not taken or any(v is None for _, v in taken):
            return None
        return sum((v for _, v in taken), ZERO) / sum((q for q, _ in taken), ZERO)  # type: ignore[misc]

    return per_unit


def _pending_reasons(conn: Connection,
                     pending: dict[tuple[str, dt.date], dict[str, None]]) -> list[str]:  # fmt: skip
    """One line per (currency, day) still unvalued, saying whether its rate is missing or on
    file now (a rate loaded after the receipt does not value it: reverse and post it again)."""
    f = t.FxRate
    lines = []
    for (currency, day), refs in sorted(pending.items()):
        on_file = conn.execute(select(f.rate).where(f.currency == currency, f.date == day)).first()
        words = i18n.label("text.pending_rate_on_file" if on_file else "text.pending_rate")
        text = f"{currency} {day.isoformat()} ({', '.join(refs)})"
        lines.append(f"{words['en']} {text} / {words['uk']} {text}")
    return lines


def period_days(period: str) -> tuple[dt.date, dt.date]:
    span = parse_period(period)
    assert span is not None
    return span
