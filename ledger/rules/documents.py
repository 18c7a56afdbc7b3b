"""Documentation rules (DOC): the customs file (`ua-import`) and the recipient's books
(`bookkeeping`). Documents come from the `documents.csv` extension, filed under the reference
of what they belong to (`subject`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from ledger.rules.dataset import ZERO, Dataset
from ledger.rules.model import ERROR, WARNING, Ctx, Finding, rule

LOSS_REASONS = ("damaged", "stolen", "other")


def _need_signed(ds: Dataset, ctx: Ctx, kind: str, label: str) -> Iterator[Finding]:
    for s in ctx.shipments:
        docs = ds.docs(kind, s.ref)
        if not docs:
            yield ctx.finding(s.where, f"no {label} on file for {s.ref}", field="documents",
                              value=kind, shipment=s.ref)  # fmt: skip
        elif not any(d.signed for d in docs):
            yield ctx.finding(s.where, f"the {label} for {s.ref} ({docs[0].number}) is not signed",
                              field="signed", value=docs[0].signed, shipment=s.ref)  # fmt: skip


# ================================================================ ua-import


@rule(
    "DOC-001", "Signed donation letter (the donor's written proposal)",
    severity=ERROR, pack="ua-import", sources=("UA-MFA-GR", "UA-FI"), grade="B",
    reads=("shipments", "documents"),
    fix="Obtain the donor's signed donation letter listing the goods and add it to documents.csv "
        "(kind `donation_letter`, subject = shipment ref, signed = true); if the letter is "
        "already on file, import its corrected row with `aidledger import --correct-documents`.",
)  # fmt: skip
def doc_001(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    yield from _need_signed(ds, ctx, "donation_letter", "donation letter")


@rule(
    "DOC-002", "Recipient's written consent / request",
    severity=ERROR, pack="ua-import", sources=("UA-MFA-GR", "UA-953-NL"), grade="B",
    reads=("shipments", "documents"),
    fix="File the recipient's signed consent (documents.csv kind `recipient_consent`); under "
        "AHARS registration also the acquirers' letters of need (`acquirer_need_letter`) and the "
        "distribution plan (`distribution_plan`), subject = shipment ref or its AHARS code; a "
        "consent already on file unsigned: import its corrected row with `aidledger import "
        "--correct-documents`.",
)  # fmt: skip
def doc_002(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """Registered in AHARS (the ua-953 regime, with a code): the acquirers' letters and the
    plan too. Without a code CUS-002 asks for the registration, which asks for them."""
    yield from _need_signed(ds, ctx, "recipient_consent", "recipient's consent")
    for s in ctx.shipments:
        if ctx.regime.get(s.ref) != "ua-953" or not s.h("aid_code"):
            continue
        for kind, label in (("acquirer_need_letter", "acquirer's letter confirming need"),
                            ("distribution_plan", "distribution plan")):  # fmt: skip
            if not ds.docs(kind, s.ref, s.h("aid_code")):
                yield ctx.finding(s.where, f"no {label} on file for {s.ref}, which AHARS "
                                  "registration expects", field="documents", value=kind,
                                  shipment=s.ref)  # fmt: skip


@rule(
    "DOC-003", "Registered product groups: HS code, quantity, weight, wear, shelf life, gift document",
    severity=ERROR, pack="ua-import", regimes=("ua-953",), sources=("UA-953-NL",), grade="B",
    reads=("shipments", "items", "documents"), params={"max_depreciation_pct": Decimal(50)},
    fix="Complete the line (gross_kg; depreciation_pct for used goods; expiry) and file a gift "
        "certificate or invoice.",
)  # fmt: skip
def doc_003(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """Wear above the limit is a warning (policy, not law)."""
    limit = Decimal(ctx.p("max_depreciation_pct"))
    for s in ctx.shipments:
        if not ds.docs(("gift_certificate", "proforma"), s.ref):
            yield ctx.finding(s.where, f"no gift certificate or invoice for {s.ref}",
                              field="documents", shipment=s.ref)  # fmt: skip
        for ln in s.lines:
            item = ds.items.get(ln.item)
            if ln.gross_kg is None:
                yield ctx.finding(ln.where, "gross weight missing", field="gross_kg",
                                  shipment=s.ref, line=ln.line_no)  # fmt: skip
            if item and item.tracks_expiry and ln.expiry is None:
                yield ctx.finding(ln.where, "shelf life (expiry) missing", field="expiry",
                                  shipment=s.ref, line=ln.line_no)  # fmt: skip
            used = ln.condition == "used" or bool(item and "used" in item.flags)
            if used and ln.depreciation_pct is None:
                yield ctx.finding(ln.where, f"used goods ({ln.item}) without a wear/depreciation %",
                                  field="depreciation_pct", shipment=s.ref,
                                  line=ln.line_no)  # fmt: skip
            elif used and ln.depreciation_pct is not None and ln.depreciation_pct > limit:
                yield ctx.finding(ln.where, f"{ln.item} is {ln.depreciation_pct} % worn (limit "
                                  f"{limit} %)", field="depreciation_pct",
                                  value=ln.depreciation_pct, shipment=s.ref, line=ln.line_no,
                                  severity=WARNING)  # fmt: skip


@rule(
    "DOC-004", "Packing list; for medicines batch and expiry per line",
    severity=ERROR, pack="ua-import", sources=("CARE", "WHO-DD"), grade="A",
    reads=("shipments", "items", "documents"),
    fix="Add the packing list to documents.csv (kind `packing_list`) and fill batch/expiry on "
        "medicine lines.",
)  # fmt: skip
def doc_004(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """Missing packing list: error when the consignment carries medicines, warning otherwise."""
    for s in ctx.shipments:
        meds = [ln for ln in s.lines if (it := ds.items.get(ln.item)) and it.category == "medicine"]
        if not ds.docs("packing_list", s.ref):
            yield ctx.finding(s.where, f"no packing list for {s.ref}", field="documents",
                              value="packing_list", shipment=s.ref,
                              severity=ERROR if meds else WARNING)  # fmt: skip
        for ln in meds:
            for column in ("batch", "expiry"):
                if getattr(ln, column) is None:
                    yield ctx.finding(ln.where, f"medicine {ln.item} without {column}",
                                      field=column, shipment=s.ref, line=ln.line_no)  # fmt: skip


@rule(
    "DOC-005", "Pro forma invoice with a value, and a gift certificate",
    severity=ERROR, pack="ua-import", sources=("CARE",), grade="A",
    reads=("shipments", "documents"),
    fix="File a pro forma invoice with the value (documents.csv kind `proforma`, value, currency) "
        "and a gift certificate (kind `gift_certificate`); a pro forma already on file without "
        "its value: import its corrected row with `aidledger import --correct-documents`.",
)  # fmt: skip
def doc_005(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    for s in ctx.shipments:
        proformas = ds.docs("proforma", s.ref)
        if not proformas:
            yield ctx.finding(s.where, f"no pro forma invoice for {s.ref}", field="documents",
                              value="proforma", shipment=s.ref)  # fmt: skip
        elif not any(d.value and d.value > 0 for d in proformas):
            yield ctx.finding(s.where, f"the pro forma invoice of {s.ref} carries no value",
                              field="value", value=proformas[0].number, shipment=s.ref)  # fmt: skip
        if not ds.docs("gift_certificate", s.ref):
            yield ctx.finding(s.where, f"no gift certificate for {s.ref}", field="documents",
                              value="gift_certificate", shipment=s.ref)  # fmt: skip


# ================================================================ bookkeeping


@rule(
    "DOC-006", "One numbered waybill per vehicle, with vehicle and carrier",
    severity=ERROR, pack="bookkeeping", sources=("CARE",), grade="A",
    reads=("shipments", "documents"), params={"one_waybill_per_vehicle": True},
    fix="Fill `waybill_no`, `vehicle_reg` and `carrier` on the shipment: one waybill, one vehicle.",
)  # fmt: skip
def doc_006(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    waybill_users: dict[str, set[str]] = defaultdict(set)
    for s in ds.shipments.values():
        for w in s.values("waybill_no"):
            waybill_users[w].add(s.ref)
    for s in ds.shipments.values():
        for column in ("waybill_no", "vehicle_reg", "carrier"):
            values = s.values(column)
            distinct = s.plates() if column == "vehicle_reg" else values  # one vehicle, as read
            if not values:
                yield ctx.finding(s.where, f"{s.ref} has no {column}", field=column,
                                  shipment=s.ref)  # fmt: skip
            elif len(distinct) > 1 and ctx.p("one_waybill_per_vehicle"):
                yield ctx.finding(s.where, f"{s.ref} names {len(values)} different {column} values",
                                  field=column, value=values, shipment=s.ref)  # fmt: skip
        mates = ds.trip_mates(s)
        if mates and ctx.p("one_waybill_per_vehicle"):
            yield ctx.finding(s.where, f"the vehicle of {s.ref} carries {', '.join(mates)} too on "
                              f"{s.dispatch_date}: one waybill per vehicle", field="vehicle_reg",
                              value=", ".join(sorted(s.values("vehicle_reg"))),
                              shipment=s.ref)  # fmt: skip
        for w in sorted(s.values("waybill_no")):
            others = waybill_users[w] - {s.ref}
            if others and ctx.p("one_waybill_per_vehicle"):
                yield ctx.finding(s.where, f"waybill {w} is also used by {', '.join(sorted(others))}",
                                  field="waybill_no", value=w, shipment=s.ref)  # fmt: skip
        for d in ds.docs("waybill", s.ref):
            if not d.signed:
                yield ctx.finding(s.where, f"waybill {d.number} is not signed by driver/carrier",
                                  field="signed", value=d.signed, shipment=s.ref)  # fmt: skip


@rule(
    "DOC-007", "Shortage or damage written on the waybill at unloading",
    severity=ERROR, pack="bookkeeping", sources=("CARE",), grade="A", reads=("receipts",),
    fix="Write the shortage/damage on the waybill (CMR) before the driver leaves and copy the "
        "remark into receipts.csv `remarks`; without it the carrier claim may be lost.",
)  # fmt: skip
def doc_007(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    for r in ds.receipts:
        missing = r.short + r.damaged
        if missing > 0 and not (r.remarks or "").strip():
            what = " and ".join(x for x, q in (("short", r.short), ("damaged", r.damaged)) if q)
            yield ctx.finding(r.where, f"{missing} {what} with no remark on the waybill",
                              field="remarks", value=missing, shipment=r.shipment_ref,
                              line=r.line_no)  # fmt: skip


@rule(
    "DOC-008", "Goods received note references the waybill; durable assets get an asset number",
    severity=ERROR, pack="bookkeeping", sources=("LOG-WH", "BRC"), grade="B",
    reads=("receipts", "shipments", "items"),
    params={"durable_categories": ("vehicle",), "durable_hs_prefixes": ("8502", "8504", "8703",
                                                                        "8705")},
    fix="Give the receipt the waybill reference (shipment `waybill_no`) and record the asset "
        "number(s) of durable goods in receipts.csv `asset_no`.",
)  # fmt: skip
def doc_008(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    cats = set(ctx.p("durable_categories"))
    prefixes = tuple(ctx.p("durable_hs_prefixes"))
    lines = {(ln.shipment_ref, ln.line_no): ln for ln in ds.lines}
    for r in ds.receipts:
        ln = lines.get((r.shipment_ref, r.line_no))
        if ln is None:
            continue
        s = ds.shipments[r.shipment_ref]
        if not s.values("waybill_no"):
            yield ctx.finding(r.where, "the goods received note cannot reference a waybill: the "
                              "shipment has none", field="waybill_no", shipment=r.shipment_ref,
                              line=r.line_no)  # fmt: skip
        item = ds.items.get(ln.item)
        durable = item is not None and (item.category in cats or item.hs_code.startswith(prefixes))
        if durable and r.received > 0 and not r.asset_no:
            yield ctx.finding(r.where, f"durable item {ln.item} received without an asset number",
                              field="asset_no", shipment=r.shipment_ref,
                              line=r.line_no)  # fmt: skip


@rule(
    "DOC-009", "Bin cards: running balance never negative; stock card = sum of bin cards",
    severity=ERROR, pack="bookkeeping", sources=("LOG-WH",), grade="B",
    reads=("receipts", "distributions", "writeoffs", "transfers", "journal"),
    fix="Find the missing receipt or the double issue on the bin card and correct it by a "
        "reversal and a new record.",
)  # fmt: skip
def doc_009(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """Replays the movements per warehouse and item day by day; compares with the journal."""
    item_of = {(ln.shipment_ref, ln.line_no): ln.item for ln in ds.lines}
    moves: dict[tuple[str, str], dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in ds.receipts:
        item = item_of.get((r.shipment_ref, r.line_no))
        if item and r.received:
            moves[(r.warehouse, item)][r.date] += r.received
    for d in ds.distributions:
        moves[(d.warehouse, d.item)][d.date] -= d.quantity
    for w in ds.writeoffs:
        moves[(w.warehouse, w.item)][w.date] -= w.quantity
    for t in ds.transfers:
        moves[(t.from_warehouse, t.item)][t.date] -= t.quantity
        moves[(t.to_warehouse, t.item)][t.date] += t.quantity
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for (wh, item), days in sorted(moves.items()):
        running = ZERO
        for day in sorted(days):
            running += days[day]
            if running < 0:
                yield ctx.finding(f"bin card {wh} / {item}", f"running balance {running} on {day}",
                                  field="quantity", value=running)  # fmt: skip
                break
        totals[item] += sum(days.values(), ZERO)
    if ds.lot_flows is None:
        return
    journal: dict[str, Decimal] = defaultdict(Decimal)
    for key, flow in ds.lot_flows.items():
        if key in item_of:
            journal[item_of[key]] += flow.in_stock
    for item in sorted(set(totals) | set(journal)):
        if totals[item] != journal[item]:
            yield ctx.finding(f"stock card {item}", f"bin cards add up to {totals[item]}, the "
                              f"journal holds {journal[item]} in stock", field="quantity",
                              value=totals[item] - journal[item])  # fmt: skip


@rule(
    "DOC-010", "Signed loss & claim report for missing or damaged goods",
    severity=ERROR, pack="bookkeeping", sources=("CRS",), grade="A",
    reads=("receipts", "writeoffs", "documents"),
    fix="Write a signed, dated loss report with the delivery notes and GRN attached and file it "
        "(documents.csv kind `loss_report`, subject = receipt_ref/shipment_ref, shipment or "
        "write-off ref); one already on file unsigned: import its corrected row with "
        "`aidledger import --correct-documents`.",
)  # fmt: skip
def doc_010(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    for r in ds.receipts:
        if r.short + r.damaged <= 0:
            continue
        docs = [*ds.receipt_docs("loss_report", r.receipt_ref, r.shipment_ref),
                *ds.docs("loss_report", r.shipment_ref)]  # fmt: skip
        if not any(d.signed for d in docs):
            note = ds.shared_ref_note("loss_report", r.receipt_ref,
                                      f"{r.receipt_ref}/{r.shipment_ref}",
                                      ds.receipt_ref_parties.get(r.receipt_ref))  # fmt: skip
            yield ctx.finding(r.where, f"{r.short + r.damaged} missing/damaged with no signed loss "
                              f"report{note}", field="documents", value="loss_report",
                              shipment=r.shipment_ref, line=r.line_no)  # fmt: skip
    for w in ds.writeoffs:
        if w.reason not in LOSS_REASONS:
            continue
        docs = ds.docs("loss_report", w.writeoff_ref)
        if not any(d.signed for d in docs):
            yield ctx.finding(f"write-off {w.writeoff_ref} line {w.line_no}", f"{w.quantity} "
                              f"{w.item} {w.reason} in store with no signed loss report",
                              field="documents", value="loss_report")  # fmt: skip


@rule(
    "DOC-011", "Acceptance-transfer act for each handover from the donor",
    severity=ERROR, pack="bookkeeping", sources=("UA-ACC",), grade="B",
    reads=("receipts", "documents"),
    fix="Draw up the acceptance-transfer act (Law 996-XIV Art. 9 requisites, signatures of both "
        "sides) and file it (documents.csv kind `acceptance_act`, subject = shipment ref or "
        "receipt_ref/shipment_ref); an act already on file unsigned: import its corrected row "
        "with `aidledger import --correct-documents`.",
)  # fmt: skip
def doc_011(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """A missing act is an error (B); an unsigned one a warning (the requisites list is C).

    Each receipt (each truck) is a handover of its own: its act is one filed under the
    shipment (all its receipts) or under the receipt (`GRN1/S2`, or `GRN1` while one party uses
    it), as ACC-004 reads them (`Dataset.acceptance_acts`). One signed act naming its
    signatory evidences the handover, whatever drafts lie beside it (as ACC-004 is satisfied by
    one signed act); an act filed under the shipment is reported once, not once per truck."""
    seen: set[tuple[str, str]] = set()
    told: set[tuple[str, str]] = set()  # acts already reported (one under the shipment: once)
    for r in sorted(ds.receipts, key=lambda r: r.date):
        if (r.receipt_ref, r.shipment_ref) in seen:
            continue
        seen.add((r.receipt_ref, r.shipment_ref))
        rref, ref = r.receipt_ref, r.shipment_ref
        acts = ds.acceptance_acts(rref, ref)
        where = ds.receipt_where(rref, ref)
        if not acts:
            note = ds.shared_ref_note("acceptance_act", rref, f"{rref}/{ref}",
                                      ds.receipt_ref_parties.get(rref))  # fmt: skip
            yield ctx.finding(where, f"goods of {ref} received under {rref} on {r.date} have no "
                              f"acceptance-transfer act on file{note}", field="documents",
                              value="acceptance_act", shipment=ref)  # fmt: skip
            continue
        if any(a.signed and a.signatory for a in acts):  # one good act evidences it
            continue
        bad = next((a for a in acts if a.signed), acts[0])  # the closest to good, said once
        if (bad.number, bad.subject) in told:
            continue
        told.add((bad.number, bad.subject))
        if not bad.signed:
            yield ctx.finding(where, f"acceptance act {bad.number} ({rref}) is not signed",
                              field="signed", value=bad.signed, shipment=ref,
                              grade="C")  # fmt: skip
        else:
            yield ctx.finding(where, f"acceptance act {bad.number} ({rref}) names no responsible "
                              "person (signatory)", field="signatory", value=bad.signatory,
                              shipment=ref, grade="C")  # fmt: skip
