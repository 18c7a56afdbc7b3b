"""Accounting rules (ACC), pack `bookkeeping`: valuation in UAH, rates, acts, stock counts and
the per-consignment close. The posting-time invariants (balanced entries, no negative stock,
closed periods) stay in the ledger core; these are completeness and compliance checks."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from ledger.rules.customs import KIND_ENTITY
from ledger.rules.dataset import ZERO, Dataset, Document
from ledger.rules.model import ERROR, WARNING, Ctx, Finding, days, rule

ZERO_VALUE_FIX = (
    "Determine the goods' fair value (market price, or the receiving commission's estimate with "
    "its valuation act filed) and record it as the shipment line's `unit_value`: reverse the "
    "receipt (and any later moves of its goods, newest first), then the dispatch line's entry "
    "(`aidledger entries --ref` gives their ids), import the corrected shipments.csv line and "
    "post the receipt again (`aidledger receive` with the same values)."
)


@rule(
    "ACC-001", "Every in-kind receipt is valued in UAH (fair value when documents carry no price)",
    severity=ERROR, pack="bookkeeping", sources=("UA-ACC",), grade="B",
    reads=("receipts", "shipments", "documents"),
    params={"valuation_methods": ("donor_doc", "market_price", "commission_estimate")},
    fix="Add the NBU rate of the receipt day to fx_rates.csv, then reverse the receipt and post "
        "it again (`aidledger receive` with the same values) so it is valued. Goods that arrived "
        "at a unit value of 0 have no value: determine their fair value, record "
        "`valuation_method` (file the commission's valuation act for an estimate) and give the "
        "shipment line that value (reverse the receipt and the dispatch line's entry, import the "
        "corrected line, post the receipt again).",
)  # fmt: skip
def acc_001(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """A line received at a unit value of 0 is booked at 0 UAH whatever method is recorded: the
    value must be on the line. A receipt naming a method outside `valuation_methods` is
    reported too."""
    methods = set(ctx.p("valuation_methods"))
    fair = ", ".join(m.replace("_", " ") for m in sorted(methods - {"donor_doc"})) or "none set"
    lines = {(ln.shipment_ref, ln.line_no): ln for ln in ds.lines}
    for r in ds.receipts:
        if r.received <= 0:
            continue
        ln = lines.get((r.shipment_ref, r.line_no))
        if r.value_uah is None:
            currency = ln.currency if ln else "?"
            why = (f"the {currency} rate of {r.date} is on file now: reverse the receipt and post "
                   "it again to value it" if (r.date, currency) in ds.fx_rates
                   else f"no rate for {currency} on {r.date}")  # fmt: skip
            yield ctx.finding(r.where, f"received {r.received} with no value in UAH ({why}): "
                              "value pending",
                              field="value_uah", shipment=r.shipment_ref,
                              line=r.line_no)  # fmt: skip
        if ln is None:
            continue
        method = r.valuation_method
        if ln.unit_value <= 0:
            head = (f"{ln.item} was received at a unit value of {ln.unit_value} {ln.currency}: the "
                    "goods have no value in the books")  # fmt: skip
            tail = ("; record the fair value as the line's unit_value (reverse the receipt and "
                    "the dispatch line's entry, import the corrected line, post the receipt "
                    "again)")  # fmt: skip
            if method not in methods:
                said = f"method {method!r} is not accepted" if method else "no method is recorded"
                yield ctx.finding(r.where, f"{head} and {said}: determine its fair value ({fair}), "
                                  f"record valuation_method{tail}", field="valuation_method",
                                  value=method, fix=ZERO_VALUE_FIX, shipment=r.shipment_ref,
                                  line=r.line_no)  # fmt: skip
            elif method == "donor_doc" and len(methods) > 1:
                # the donor's documents are what carried no price: they cannot be its source
                yield ctx.finding(r.where, f"{head}, and the donor's documents carry no price to "
                                  f"value it by: determine its fair value ({fair}){tail}",
                                  field="valuation_method", value=method, fix=ZERO_VALUE_FIX,
                                  shipment=r.shipment_ref, line=r.line_no)  # fmt: skip
            elif method == "commission_estimate" and not (
                ds.receipt_docs("valuation_act", r.receipt_ref, r.shipment_ref)
                or ds.docs("valuation_act", r.shipment_ref)
            ):
                yield ctx.finding(r.where, f"{head}; the commission's estimate has no valuation "
                                  "act on file: file it (documents.csv kind `valuation_act`, "
                                  f"subject = {r.receipt_ref}/{r.shipment_ref}){tail}",
                                  field="documents", value="valuation_act", fix=ZERO_VALUE_FIX,
                                  shipment=r.shipment_ref, line=r.line_no)  # fmt: skip
            else:
                yield ctx.finding(r.where, f"{head} though its fair value was determined "
                                  f"({(method or '').replace('_', ' ')}){tail}", field="unit_value",
                                  value=ln.unit_value, fix=ZERO_VALUE_FIX,
                                  shipment=r.shipment_ref, line=r.line_no)  # fmt: skip
        elif method is not None and method not in methods:
            yield ctx.finding(r.where, f"valuation method {method!r} is not one of the accepted "
                              f"methods ({', '.join(sorted(methods)) or 'none'})",
                              field="valuation_method", value=method, shipment=r.shipment_ref,
                              line=r.line_no)  # fmt: skip


@rule(
    "ACC-002", "Foreign currency converted at the NBU rate of the day of the operation",
    severity=ERROR, pack="bookkeeping", sources=("UA-FX",), grade="A",
    reads=("receipts", "fx_rates", "shipments", "parties"),
    params={"rate_source": "NBU", "base": "UAH"},
    fix="Add the official NBU rate for that currency and day to fx_rates.csv (source NBU). A "
        "receipt already valued at another rate keeps it: reverse the receipt, import the "
        "corrected rate (aidledger import --correct-rates), then post the receipt again.",
)  # fmt: skip
def acc_002(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """P(S)BO 21 covers enterprises; for budget institutions the standard was not read (grade C)."""
    lines = {(ln.shipment_ref, ln.line_no): ln for ln in ds.lines}
    source, base = ctx.p("rate_source"), ctx.p("base")
    for r in ds.receipts:
        ln = lines.get((r.shipment_ref, r.line_no))
        if ln is None or ln.currency == base:
            continue
        owner = ds.warehouses.get(r.warehouse)
        grade = (
            "C"
            if owner and ds.entity_type(owner.party, KIND_ENTITY) == "budget_institution"
            else "A"
        )
        rate = ds.fx_rates.get((r.date, ln.currency))
        if rate is None:
            yield ctx.finding(r.where, f"no {source} rate {ln.currency}/{base} for {r.date}, the "
                              "day of receipt", field="fx_rate", value=f"{ln.currency} {r.date}",
                              shipment=r.shipment_ref, line=r.line_no, grade=grade)  # fmt: skip
        elif (rate.source or "") != source:
            said = f"comes from {rate.source!r}" if rate.source else "names no source"
            yield ctx.finding(r.where, f"rate {ln.currency} {r.date} {said}, not {source}",
                              field="fx_source", value=rate.source,
                              shipment=r.shipment_ref, line=r.line_no, grade=grade)  # fmt: skip


@rule(
    "ACC-004", "Receipts posted from a signed primary document; donor act not too late",
    severity=WARNING, pack="bookkeeping", sources=("UA-ACC",), grade="B",
    reads=("receipts", "documents"), params={"max_days_act_late": 30},
    fix="Post from the internal receiving commission act on the day of receipt and attach the "
        "donor's signed act when it arrives.",
)  # fmt: skip
def acc_004(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    late = ctx.p("max_days_act_late")
    seen: set[tuple[str, str]] = set()
    for r in sorted(ds.receipts, key=lambda r: r.date):
        # one receipt per shipment: a receipt number is another party's receipt too
        if (r.receipt_ref, r.shipment_ref) in seen:
            continue
        seen.add((r.receipt_ref, r.shipment_ref))
        acts = ds.acceptance_acts(r.receipt_ref, r.shipment_ref)  # as DOC-011 reads them
        users = ds.receipt_ref_parties.get(r.receipt_ref)
        where = ds.receipt_where(r.receipt_ref, r.shipment_ref)
        if not acts:
            if (ctx.as_of - r.date).days > late:
                note = ds.shared_ref_note("acceptance_act", r.receipt_ref,
                                          f"{r.receipt_ref}/{r.shipment_ref}", users)  # fmt: skip
                yield ctx.finding(where, f"received {r.date}; no signed act after "
                                  f"{days((ctx.as_of - r.date).days)}{note}", field="documents",
                                  value="acceptance_act", shipment=r.shipment_ref)  # fmt: skip
            continue
        act = min(acts, key=lambda a: a.date)
        if (act.date - r.date).days > late:
            yield ctx.finding(where, f"acceptance act {act.number} dated {act.date}, "
                              f"{days((act.date - r.date).days)} after the receipt ({r.date})",
                              field="date", value=act.date, shipment=r.shipment_ref)  # fmt: skip
        if not any(a.signed for a in acts):
            yield ctx.finding(where, f"acceptance act {act.number} is not signed by the donor",
                              field="signed", value=act.signed,
                              shipment=r.shipment_ref)  # fmt: skip


@rule(
    "ACC-005", "Humanitarian aid is never sold or used for profit",
    severity=ERROR, pack="bookkeeping", sources=("UA-LAW", "UA-12250", "UA-4608"), grade="B",
    reads=("distributions", "parties"),
    params={"exception_enabled": False, "exception_entity_types": ("communal_enterprise",)},
    fix="Reverse the hand-over and return any payment; aid goes to acquirers free of charge.",
)  # fmt: skip
def acc_005(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """The communal-enterprise exception (bill 12250) is unconfirmed law: grade C, off by default."""
    allowed = set(ctx.p("exception_entity_types"))
    for d in ds.distributions:
        if not d.consideration or d.consideration <= 0:
            continue
        where = f"distribution {d.distribution_ref} line {d.line_no}"
        et = ds.entity_type(d.beneficiary, KIND_ENTITY)
        if ctx.p("exception_enabled") and d.legal_basis and et in allowed:
            yield ctx.finding(where, f"{d.item} handed to {d.beneficiary} for {d.consideration} "
                              f"under the claimed exception: {d.legal_basis}",
                              field="consideration", value=d.consideration,
                              grade="C", severity=WARNING)  # fmt: skip
            continue
        yield ctx.finding(where, f"{d.item} handed to {d.beneficiary} against a consideration of "
                          f"{d.consideration}", field="consideration",
                          value=d.consideration)  # fmt: skip


@rule(
    "ACC-006", "Write-offs under a signed write-off act",
    severity=ERROR, pack="bookkeeping", sources=("UA-1216",), grade="B",
    reads=("writeoffs", "documents"),
    fix="Draw up the write-off act (decision of the entity holding the goods on its balance) and "
        "file it (documents.csv kind `writeoff_act`, subject = write-off ref, signed = true, "
        "signatory); an act already on file unsigned: import its corrected row with "
        "`aidledger import --correct-documents`.",
)  # fmt: skip
def acc_006(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    for ref in dict.fromkeys(w.writeoff_ref for w in ds.writeoffs):
        acts = ds.docs("writeoff_act", ref)
        if not acts:
            yield ctx.finding(f"write-off {ref}", f"write-off {ref} has no write-off act on file",
                              field="documents", value="writeoff_act")  # fmt: skip
        elif not any(a.signed and a.signatory for a in acts):
            act = acts[0]
            if not act.signed:
                yield ctx.finding(f"write-off {ref}", f"write-off act {act.number} is not signed "
                                  "by the decision-maker", field="signed",
                                  value=act.signed)  # fmt: skip
            else:
                yield ctx.finding(f"write-off {ref}", f"write-off act {act.number} names no "
                                  "decision-maker (signatory)", field="signatory",
                                  value=act.signatory)  # fmt: skip


# warehouse -> day -> item -> the day's net movement
Moves = dict[str, dict[dt.date, dict[str, Decimal]]]


def stock_moves(ds: Dataset) -> Moves:
    """Every stock movement of the records, per warehouse, day and item: what ACC-009 reads the
    book stock and the stretches a warehouse held something from (one reading for both)."""
    item_of = {(ln.shipment_ref, ln.line_no): ln.item for ln in ds.lines}
    moves: Moves = defaultdict(lambda: defaultdict(lambda: defaultdict(Decimal)))
    for r in ds.receipts:
        if (item := item_of.get((r.shipment_ref, r.line_no))) and r.received:
            moves[r.warehouse][r.date][item] += r.received
    for d in ds.distributions:
        moves[d.warehouse][d.date][d.item] -= d.quantity
    for w in ds.writeoffs:
        moves[w.warehouse][w.date][w.item] -= w.quantity
    for t in ds.transfers:
        moves[t.from_warehouse][t.date][t.item] -= t.quantity
        moves[t.to_warehouse][t.date][t.item] += t.quantity
    return moves


def stock_on(moves: Moves, warehouse: str, item: str, day: dt.date) -> Decimal:
    """Book quantity of an item in a warehouse at the end of a day."""
    by_day = moves.get(warehouse, {})
    return sum((q.get(item, ZERO) for d, q in by_day.items() if d <= day), ZERO)


def held_stretches(moves: Moves) -> dict[str, list[tuple[dt.date, dt.date | None]]]:
    """Per warehouse, the stretches of days it held something (any item above 0 at the end of
    the day): (first day, the day it held nothing again, or None while it still holds)."""
    out: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    for wh, by_day in moves.items():
        stock: dict[str, Decimal] = defaultdict(Decimal)
        stretches: list[tuple[dt.date, dt.date | None]] = []
        start: dt.date | None = None
        for day in sorted(by_day):
            for item, q in by_day[day].items():
                stock[item] += q
            held = any(q > 0 for q in stock.values())
            if held and start is None:
                start = day
            elif not held and start is not None:
                stretches.append((start, day))
                start = None
        if start is not None:
            stretches.append((start, None))
        out[wh] = stretches
    return out


def count_sheet(number: str) -> str:
    """The count sheet a counted line belongs to: its number up to the first `/`."""
    return number.split("/", 1)[0]


@rule(
    "ACC-009", "Physical stock counts at a fixed frequency, reconciled to the stock cards",
    severity=WARNING, pack="bookkeeping", sources=("BRC", "CARE", "LOG-WH"), grade="B",
    reads=("documents", "receipts", "distributions", "writeoffs", "transfers"),
    params={"max_days_between_counts": 31, "tolerance": Decimal(0)},
    fix="Count the warehouse and file the count sheet in documents.csv: kind `stock_count`, "
        "subject = warehouse, date = day counted, one row per counted line with `item` and "
        "`quantity`, each row its own `number` (kind, number and subject are unique together: "
        "e.g. `INV-7/1`, `INV-7/2`); rows of one item on one day add up (one per bin). Explain "
        "differences by an approved adjustment or a loss report.",
)  # fmt: skip
def acc_009(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """The counted lines of one count sheet (`INV-7/1`, `INV-7/2`: the number before the `/`)
    for a warehouse, item and day add up (the stock card is the sum of its bin cards, DOC-009)
    and are compared with the books at the end of that day; another sheet of the same day (a
    recount) is compared on its own, not added to the first. Counts are due
    while the warehouse holds something: the clock starts when it receives goods after holding
    nothing, and a stretch in which it held nothing needs no count."""
    gap = ctx.p("max_days_between_counts")
    tol = Decimal(ctx.p("tolerance"))
    counts: dict[str, list[dt.date]] = defaultdict(list)
    counted: dict[tuple[str, str, dt.date, str], list[Document]] = defaultdict(list)
    for d in ds.documents:
        if d.kind == "stock_count":
            counts[d.subject].append(d.date)
            if d.item and d.quantity is not None:
                counted[(d.subject, d.item, d.date, count_sheet(d.number))].append(d)
    moves = stock_moves(ds)
    for (wh, item, day, _sheet), rows in sorted(counted.items()):
        total = sum((d.quantity for d in rows if d.quantity is not None), ZERO)
        book = stock_on(moves, wh, item, day)
        if abs(book - total) > tol:
            numbers = ", ".join(sorted({d.number for d in rows}))
            lines = f" on {len(rows)} lines" if len(rows) > 1 else ""
            yield ctx.finding(f"stock count {numbers} ({wh})", f"counted {total} {item}{lines} "
                              f"on {day}, the books show {book}", field="quantity",
                              value=total - book)  # fmt: skip
    for wh, stretches in sorted(held_stretches(moves).items()):
        for start, end in stretches:
            if start > ctx.as_of:
                break
            stop = ctx.as_of if end is None or end > ctx.as_of else end
            prev = start
            for day in [*sorted(d for d in counts.get(wh, []) if start <= d <= stop), stop]:
                if (day - prev).days > gap:
                    until = (f"{day}, the day checked" if day == ctx.as_of and stop == ctx.as_of
                             else f"{day}, when it held nothing any more" if day == stop
                             else str(day))  # fmt: skip
                    yield ctx.finding(f"warehouse {wh}", f"no stock count from {prev} until "
                                      f"{until} ({days((day - prev).days)}; at most {gap})",
                                      field="documents", value="stock_count")  # fmt: skip
                    break
                prev = day
            else:
                continue
            break


@rule(
    "ACC-010", "Each transaction keeps its own value-date; no re-conversion at another date",
    severity=ERROR, pack="bookkeeping", sources=("IATI-TX",), grade="A",
    reads=("pledges", "shipments", "receipts"),
    fix="Keep the pledge's currency on the shipments that fulfil it, and value receipts at the "
        "rate of the receipt day (reverse and re-post the receipt).",
)  # fmt: skip
def acc_010(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    for ln in ds.lines:
        if not (ln.pledge_ref and ln.pledge_line):
            continue
        pl = ds.pledge_by_key.get((ln.donor, ln.pledge_ref, ln.pledge_line))
        if pl is not None and pl.currency != ln.currency:
            yield ctx.finding(ln.where, f"valued in {ln.currency} while its pledge line "
                              f"{pl.pledge_ref}/{pl.line_no} is in {pl.currency}: donor and "
                              "recipient reports would convert at different dates",
                              field="currency", value=ln.currency, shipment=ln.shipment_ref,
                              line=ln.line_no)  # fmt: skip
    for r in ds.receipts:
        if r.fx_rate_date is not None and r.fx_rate_date != r.date:
            yield ctx.finding(r.where, f"valued at the rate of {r.fx_rate_date}, not of the "
                              f"receipt day {r.date}", field="fx_rate_date",
                              value=r.fx_rate_date, shipment=r.shipment_ref,
                              line=r.line_no)  # fmt: skip


@rule(
    "ACC-011", "Consignment close: dispatched = received + losses; received = out + stock",
    severity=ERROR, pack="bookkeeping", sources=("CARE", "CRS"), grade="B",
    reads=("shipments", "receipts", "journal"),
    params={"tolerance": Decimal(0), "grace_days": 7},
    fix="Record the missing receipt, shortage or damage for the rest of the line (or a loss act "
        "for goods lost in transit).",
)  # fmt: skip
def acc_011(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """A consignment closes `grace_days` after its last receipt, or, if nothing of it was
    received, after customs released it: then every line must be accounted for."""
    tol = Decimal(ctx.p("tolerance"))
    grace = ctx.p("grace_days")
    for ref, s in ds.shipments.items():
        receipts = ds.receipts_by_shipment.get(ref, ())
        released = [c.date for c in ds.customs_by_shipment.get(ref, ()) if c.event == "released"]
        closes = max((r.date for r in receipts), default=None) or max(released, default=None)
        if closes is None or closes > ctx.as_of or (ctx.as_of - closes).days <= grace:
            continue
        for ln in s.lines:
            got = ds.receipts_by_line.get((ref, ln.line_no), ())
            accounted = sum((r.out_of_transit for r in got), ZERO)
            if abs(ln.quantity - accounted) > tol:
                yield ctx.finding(ln.where, f"dispatched {ln.quantity}, accounted for {accounted} "
                                  f"(received − excess + short + damaged): {ln.quantity - accounted}"
                                  " unexplained", field="quantity",
                                  value=ln.quantity - accounted, shipment=ref,
                                  line=ln.line_no)  # fmt: skip
    if ds.lot_flows is None:
        return
    for key, got in ds.receipts_by_line.items():
        received = sum((r.received for r in got), ZERO)
        flow = ds.lot_flows.get(key)
        held = (flow.in_stock + flow.distributed + flow.written_off) if flow else ZERO
        if abs(received - held) > tol:
            yield ctx.finding(f"shipment {key[0]} line {key[1]}", f"received {received}, but "
                              f"distributed + in stock + written off = {held}", field="received",
                              value=received - held, shipment=key[0], line=key[1])  # fmt: skip
