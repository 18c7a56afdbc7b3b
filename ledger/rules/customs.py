"""Customs rules (CUS): import into Ukraine (`ua-import`) and export from the EU (`eu-export`)."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

from ledger.rules.dataset import ZERO, Dataset, Document, Line
from ledger.rules.model import ERROR, WARNING, Ctx, Finding, days, rule

# party `kind` -> entity type, when the party does not state `entity_type`
KIND_ENTITY = {
    "city": "lsg_body",
    "municipal_body": "lsg_body",
    "budget_institution": "budget_institution",
    "hospital": "communal_nonprofit_institution",
    "school": "budget_institution",
    "communal_enterprise": "communal_enterprise",
}
ALLOWED_RECIPIENTS = (
    "budget_institution", "lsg_body", "communal_nonprofit_institution", "charity", "listed_ngo",
    "red_cross", "accredited_foreign_ngo_unit", "intl_org", "diplomatic_mission", "military_unit",
)  # fmt: skip
RESTRICTED_FLAGS = ("dual_use", "military", "lethal")


def _restricted(ds: Dataset, ln: Line) -> bool:
    item = ds.items.get(ln.item)
    return item is not None and (
        bool(item.flags & set(RESTRICTED_FLAGS)) or bool(item.dual_use_code)
    )


# ================================================================ ua-import


@rule(
    "CUS-001", "Recipient is registered in the Unified Register (AHARS) and of an allowed type",
    severity=ERROR, pack="ua-import", regimes=("ua-953",),
    sources=("UA-953", "UA-CUST", "UA-FI", "UA-3448"), grade="B",
    reads=("shipments", "parties"),
    params={"allowed_entity_types": ALLOWED_RECIPIENTS},
    fix="Register the recipient in AHARS (QES signature) and fill parties.csv `aid_register_no`, "
        "`register_status` and `entity_type`; or address the aid to an eligible body.",
)  # fmt: skip
def cus_001(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """Only legal entities of the listed kinds, registered in the Unified Register, may receive."""
    allowed = set(ctx.p("allowed_entity_types"))
    for s in ctx.shipments:
        p = ds.parties.get(s.recipient)
        where = f"party {s.recipient}"
        if p is None:
            yield ctx.finding(where, f"recipient {s.recipient} of {s.ref} is not in parties",
                              field="recipient", value=s.recipient, shipment=s.ref)  # fmt: skip
            continue
        if not p.aid_register_no:
            yield ctx.finding(where, f"recipient {p.code} has no number in the Unified Register of "
                              f"humanitarian-aid recipients (shipment {s.ref})",
                              field="aid_register_no", shipment=s.ref)  # fmt: skip
        if p.register_status in ("excluded", "suspended"):
            yield ctx.finding(where, f"recipient {p.code} is {p.register_status} in the register "
                              f"(shipment {s.ref})", field="register_status",
                              value=p.register_status, shipment=s.ref)  # fmt: skip
        et = ds.entity_type(p.code, KIND_ENTITY)
        if et is None:
            yield ctx.finding(where, f"entity type of recipient {p.code} (kind {p.kind}) is unknown, "
                              "so eligibility cannot be shown", field="entity_type",
                              shipment=s.ref)  # fmt: skip
        elif et not in allowed:
            yield ctx.finding(where, f"recipient {p.code} is a {et}, not a body allowed to receive "
                              f"humanitarian aid (shipment {s.ref})", field="entity_type",
                              value=et, shipment=s.ref)  # fmt: skip


@rule(
    "CUS-002", "Shipment carries its AHARS humanitarian-aid code; paper route closed",
    severity=ERROR, pack="ua-import", regimes=("ua-953",),
    sources=("UA-953-NL", "UA-FI", "UA-CMU-DIG"), grade="B", reads=("shipments",),
    params={"paper_allowed_until": dt.date(2024, 4, 1)},
    fix="Register the consignment in AHARS and put the unique code in shipments.csv `aid_code` "
        "(and `aid_code_date`); declare electronically.",
)  # fmt: skip
def cus_002(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """Since 1 Dec 2023 each consignment needs the unique code; since 1 Apr 2024 no paper."""
    for s in ctx.shipments:
        day = s.import_day(ctx.as_of)  # not crossed yet: it cannot cross before the as-of day
        when = f"on {day}" if s.crossed_on else f"from {day} (not crossed yet)"
        if not s.h("aid_code"):
            yield ctx.finding(s.where, f"no humanitarian-aid code for {s.ref} (dispatched "
                              f"{s.dispatch_date}, crossing {when}) under the registration "
                              "regime: customs will refuse the declaration", field="aid_code",
                              shipment=s.ref)  # fmt: skip
        if s.h("declared_via") == "paper" and day >= ctx.p("paper_allowed_until"):
            yield ctx.finding(s.where, f"paper declaration for a crossing {when}: only the "
                              "electronic route is "
                              f"accepted from {ctx.p('paper_allowed_until')}",
                              field="declared_via", value="paper", shipment=s.ref)  # fmt: skip


@rule(
    "CUS-003", "Vehicle crosses within the window after the code was created",
    severity=ERROR, pack="ua-import", regimes=("ua-953",),
    sources=("UA-953-NL", "UA-B911"), grade="B", reads=("shipments", "customs", "documents"),
    params={"max_days_code_to_border": 30, "code_recognition_days": 90},
    fix="Register a new AHARS code (or correct `aid_code_date` / `border_date`) before the truck "
        "reaches the border; record the code's creation date (`aid_code_date`, or the AHARS "
        "registration extract in documents.csv).",
)  # fmt: skip
def cus_003(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """The border must be crossed within N days of the code's creation: `aid_code_date`, else
    the date of the AHARS registration extract filed for the shipment or its code; and customs
    must clear the goods (release, else the first receipt) while the code recognises them as
    aid, `code_recognition_days` from its creation."""
    window = ctx.p("max_days_code_to_border")
    for s in ctx.shipments:
        if not s.h("aid_code"):
            continue
        extracts = ds.docs("ahars_registration", s.ref, s.h("aid_code"))
        created = s.h("aid_code_date") or min((d.date for d in extracts if d.date), default=None)
        if created is None:
            yield ctx.finding(s.where, f"code {s.h('aid_code')} has no creation date "
                              "(`aid_code_date`, or an AHARS registration extract): its "
                              f"{window}-day window cannot be checked", field="aid_code_date",
                              shipment=s.ref, severity=WARNING)  # fmt: skip
            continue
        # no border date and no customs event: the first receipt stands for the crossing, as
        # elsewhere in the engine (the goods crossed on or before it)
        crossed = s.crossed_on
        by_receipt = (
            "" if s.arrived_on else " (no border_date or customs event: the first receipt "
            "stands for the crossing; record `border_date` if it was earlier)"
        )  # fmt: skip
        if crossed is not None:
            late = (crossed - created).days
            if late < 0:
                yield ctx.finding(s.where, f"crossed the border on {crossed}, before its code was "
                                  f"created ({created}){by_receipt}", field="aid_code_date",
                                  value=created, shipment=s.ref)  # fmt: skip
            elif late > window:
                yield ctx.finding(s.where, f"crossed {days(late)} after the code was created "
                                  f"({created} → {crossed}); the window is {days(window)}"
                                  f"{by_receipt}", field="aid_code_date", value=created,
                                  shipment=s.ref)  # fmt: skip
        elif (ctx.as_of - created).days > window:
            yield ctx.finding(s.where, f"code created {created} and the shipment has not crossed "
                              f"by {ctx.as_of}: its {window}-day window has passed",
                              field="aid_code_date", value=created, shipment=s.ref)  # fmt: skip
        # the code recognises the goods as aid for a limited time: customs must clear them in it
        lapse = created + dt.timedelta(days=ctx.p("code_recognition_days"))
        events = ds.customs_by_shipment.get(s.ref, ())  # in date order
        if events and events[-1].event == "rejected":
            continue  # refused entry, not released since: there is nothing left to clear
        releases = [c.date for c in events if c.event == "released"]
        cleared = min(releases, default=None) or s.received_on
        # (not crossed at all: the border window above has said it)
        if (cleared is not None and cleared > lapse) or (
            cleared is None and crossed is not None and ctx.as_of > lapse
        ):
            when = f"on {cleared}" if cleared else f"by {ctx.as_of}"
            yield ctx.finding(s.where, f"code {s.h('aid_code')} recognised the goods as aid until "
                              f"{lapse} ({days(ctx.p('code_recognition_days'))} from {created}); "
                              f"{'cleared' if cleared else 'not cleared'} {when}",
                              field="aid_code_date", value=created, shipment=s.ref)  # fmt: skip


@rule(
    "CUS-004", "Goods presented equal the list registered under the code",
    severity=ERROR, pack="ua-import", regimes=("ua-953",),
    sources=("UA-953-NL", "UA-174-SCS"), grade="B", reads=("shipments", "documents"),
    params={"qty_tolerance": Decimal(0), "weight_tolerance_pct": Decimal(0)},
    fix="Correct the AHARS registration (documents.csv kind `ahars_registration`: packages, pieces, "
        "gross_kg; per product group `item` and `quantity`; the extract already on file: import "
        "its corrected row with `aidledger import --correct-documents`) or the loading list so "
        "that both agree before the border.",
)  # fmt: skip
def cus_004(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """Packages, pieces and gross weight on the shipment vs the registration extract: the
    consignment's totals (a registration row without `item`, the latest), and, where the
    registration lists its product groups (rows with `item` = an item code or a category, each
    with `quantity` or `pieces`, and optionally `packages` and `gross_kg`), each group: goods
    swapped for others of the same totals are reported too."""
    qty_tol = Decimal(ctx.p("qty_tolerance"))
    kg_tol = Decimal(ctx.p("weight_tolerance_pct"))
    for s in ctx.shipments:
        regs = ds.docs("ahars_registration", s.ref, s.h("aid_code"))
        if not regs:
            if s.h("aid_code"):
                yield ctx.finding(s.where, f"no AHARS registration extract on file for {s.ref}: "
                                  "the loaded goods cannot be compared with the registered list",
                                  field="documents", shipment=s.ref, severity=WARNING)  # fmt: skip
            continue
        totals = [d for d in regs if not d.item]
        if totals:
            # the latest extract replaces the earlier ones; two of that date must agree
            latest_totals = max(d.date for d in totals)
            current = [d for d in totals if d.date == latest_totals]
            if any(len(_stated(current, column)) > 1 for column in TOTALS):
                yield _cus_004_conflict(ctx, s.ref, s.where, current)
            else:  # figures one extract states and another leaves out do not conflict
                merged = replace(current[0], **{c: min(_stated(current, c), default=None)
                                                for c in TOTALS})  # fmt: skip
                yield from _cus_004_compare(ds, ctx, s.ref, s.where, s.lines, merged, "",
                                            qty_tol, kg_tol)  # fmt: skip
        groups: dict[str, list[Document]] = defaultdict(list)
        grouped = [d for d in regs if d.item]
        latest = max((d.date for d in grouped), default=None)
        for d in grouped:  # an extract filed again (amended) replaces the earlier one's rows
            if d.date == latest:
                groups[d.item].append(d)
        if not groups:
            continue
        loaded: dict[str, list[Line]] = defaultdict(list)
        for ln in s.lines:
            item = ds.items.get(ln.item)
            key = ln.item if ln.item in groups else item.category if item else None
            if key in groups:
                loaded[key].append(ln)
            else:
                yield ctx.finding(ln.where, f"{ln.item} is loaded but not registered under the "
                                  f"code (registered: {', '.join(sorted(groups))})", field="item",
                                  value=ln.item, shipment=s.ref, line=ln.line_no)  # fmt: skip
        for key, docs in sorted(groups.items()):
            numbers = ", ".join(sorted({d.number for d in docs}))
            if not loaded.get(key):
                yield ctx.finding(s.where, f"{key} is registered under {numbers} but not loaded",
                                  field="item", value=key, shipment=s.ref)  # fmt: skip
                continue
            reg = _cus_004_sum(docs)
            yield from _cus_004_compare(ds, ctx, s.ref, s.where, loaded[key], reg, f"{key}: ",
                                        qty_tol, kg_tol)  # fmt: skip


TOTALS = ("packages", "pieces", "gross_kg")


def _stated(docs: list[Document], column: str) -> set[Any]:
    """The values extracts state for one of their totals (a blank states nothing)."""
    return {v for d in docs if (v := getattr(d, column)) is not None}


def _cus_004_conflict(ctx: Ctx, ref: str, where: str, docs: list[Document]) -> Finding:
    """Extracts of one date registering different totals: which one holds is for the user."""
    numbers = [d.number for d in docs]
    same_number = len(set(numbers)) < len(numbers)

    def name(d: Document) -> str:
        return d.number + (f" (filed under {d.subject})" if same_number else "")

    def figures(d: Document) -> str:
        said = [f"{v} {label}" for v, label in ((d.packages, "packages"), (d.pieces, "pieces"),
                                                (d.gross_kg, "kg gross")) if v is not None]  # fmt: skip
        return ", ".join(said) or "no totals"

    column = next(c for c in TOTALS if len(_stated(docs, c)) > 1)
    listed = "; ".join(f"{name(d)}: {figures(d)}" for d in sorted(docs, key=lambda d: d.number))
    return ctx.finding(where, f"the AHARS registration extracts of {ref} dated {docs[0].date} "
                       f"register different totals ({listed}): the goods are compared with "
                       "none of them: correct the wrong one to what AHARS holds (import its "
                       "corrected row with `aidledger import --correct-documents`)", field=column,
                       value=sorted(_stated(docs, column)), shipment=ref)  # fmt: skip


def _cus_004_sum(docs: list[Document]) -> Document:
    """One product group's registered figures (several rows for a group add up)."""

    def add(values: list[Any]) -> Any:
        return None if any(v is None for v in values) else sum(values)

    numbers = ", ".join(sorted({d.number for d in docs}))
    return Document("ahars_registration", numbers, docs[0].subject, docs[0].date,
                    packages=add([d.packages for d in docs]),
                    pieces=add([d.quantity if d.quantity is not None else d.pieces for d in docs]),
                    gross_kg=add([d.gross_kg for d in docs]))  # fmt: skip


def _cus_004_compare(ds: Dataset, ctx: Ctx, ref: str, where: str, loaded: Iterable[Line],
                     reg: Document, what: str, qty_tol: Decimal,
                     kg_tol: Decimal) -> Iterator[Finding]:  # fmt: skip
    lines = list(loaded)
    packages = sum(ln.packages or 0 for ln in lines)
    pieces = sum((ln.quantity for ln in lines), ZERO)
    units = sorted({it.unit if (it := ds.items.get(ln.item)) else "?" for ln in lines})
    unit = {"pcs": "pieces"}.get(units[0], units[0]) if len(units) == 1 else (
        "units (" + " + ".join(units) + ")")  # fmt: skip
    kg = sum((ln.gross_kg or ZERO for ln in lines), ZERO)
    if reg.packages is not None and abs(packages - reg.packages) > qty_tol:
        yield ctx.finding(where, f"{what}{packages} packages loaded, {reg.packages} registered "
                          f"under {reg.number}", field="packages", value=packages,
                          shipment=ref)  # fmt: skip
    if reg.pieces is not None and abs(pieces - reg.pieces) > qty_tol:
        yield ctx.finding(where, f"{what}{pieces} {unit} loaded, {reg.pieces} registered under "
                          f"{reg.number}", field="quantity", value=pieces,
                          shipment=ref)  # fmt: skip
    if reg.gross_kg is not None and reg.gross_kg > 0:
        diff_pct = abs(kg - reg.gross_kg) / reg.gross_kg * 100
        if diff_pct > kg_tol:
            yield ctx.finding(where, f"{what}gross weight {kg} kg loaded, {reg.gross_kg} kg "
                              f"registered under {reg.number} ({diff_pct:.1f} % off, "
                              f"tolerance {kg_tol} %)", field="gross_kg", value=kg,
                              shipment=ref)  # fmt: skip


@rule(
    "CUS-005", "One declaration per vehicle",
    severity=ERROR, pack="ua-import", sources=("UA-174-SCS",), grade="B",
    reads=("shipments", "customs"), params={"one_declaration_per_vehicle": True},
    fix="Split the consignment so that each vehicle has its own shipment reference and its own "
        "declaration.",
)  # fmt: skip
def cus_005(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """Under Res. 174 one declaration per truck; its continuation under 953 is assumed (grade C)."""
    if not ctx.p("one_declaration_per_vehicle"):
        return
    decl_users: dict[str, set[str]] = defaultdict(set)
    for c in ds.customs:
        if c.declaration_no:
            decl_users[c.declaration_no].add(c.shipment_ref)
    for s in ctx.shipments:
        grade = "C" if ctx.regime.get(s.ref) == "ua-953" else "B"
        vehicles = s.values("vehicle_reg")
        if len(s.plates()) > 1:  # "5AK 2291" and "5ak-2291" are one vehicle
            yield ctx.finding(s.where, f"{s.ref} names {len(vehicles)} vehicles; one declaration "
                              "covers one vehicle", field="vehicle_reg", value=vehicles,
                              shipment=s.ref, grade=grade)  # fmt: skip
        decls = {c.declaration_no for c in ds.customs_by_shipment.get(s.ref, ())
                 if c.declaration_no}  # fmt: skip
        mates = ds.trip_mates(s)
        mate_decls = {c.declaration_no for m in mates for c in ds.customs_by_shipment.get(m, ())
                      if c.declaration_no}  # fmt: skip
        if mates and not (decls and mate_decls == decls):  # one shared declaration: below
            yield ctx.finding(s.where, f"{s.ref} shares its vehicle on {s.dispatch_date} with "
                              f"{', '.join(mates)}: one vehicle, one consignment and one "
                              "declaration", field="vehicle_reg",
                              value=", ".join(sorted(s.values("vehicle_reg"))), shipment=s.ref,
                              grade=grade)  # fmt: skip
        if len(decls) > 1:
            yield ctx.finding(s.where, f"{s.ref} was declared under {len(decls)} declarations",
                              field="declaration_no", value=decls, shipment=s.ref,
                              grade=grade)  # fmt: skip
        for d in sorted(decls):
            others = decl_users[d] - {s.ref}
            if others:
                yield ctx.finding(s.where, f"declaration {d} also covers {', '.join(sorted(others))}"
                                  ": one declaration per vehicle", field="declaration_no",
                                  value=d, shipment=s.ref, grade=grade)  # fmt: skip


@rule(
    "CUS-006", "Excisable goods are not humanitarian aid (Res. 953 carve-outs aside)",
    severity=ERROR, pack="ua-import", sources=("UA-953",), grade="B",
    reads=("shipments", "items"),
    params={
        "excise_hs_prefixes": ("2203", "2204", "2205", "2206", "2207", "2208", "2401", "2402",
                               "2403", "2404", "2710", "2711"),
        "carveout_hs_prefixes": ("2710", "2711", "2716"),
        # beverages and tobacco: no carve-out covers them, whatever `carveout_reason` says
        "never_carved_hs_prefixes": ("2203", "2204", "2205", "2206", "2208", "2401", "2402",
                                     "2403", "2404"),
    },
    fix="Take the excisable line off the consignment, or state the Res. 953 carve-out "
        "(`carveout_reason`, e.g. ethyl alcohol for medical use) on the item or line; drinks "
        "and tobacco are never carved out.",
)  # fmt: skip
def cus_006(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    excise = tuple(ctx.p("excise_hs_prefixes"))
    carve = tuple(ctx.p("carveout_hs_prefixes"))
    never = tuple(ctx.p("never_carved_hs_prefixes"))
    for s in ctx.shipments:
        for ln in s.lines:
            item = ds.items.get(ln.item)
            if item is None:
                continue
            excisable = "excisable" in item.flags or item.hs_code.startswith(excise)
            reason = ln.carveout_reason or item.carveout_reason
            if not excisable or item.hs_code.startswith(carve):
                continue
            if reason and not item.hs_code.startswith(never):
                continue  # e.g. ethyl alcohol for medical use (HS 2207)
            why = (f"; the stated carve-out ({reason!r}) cannot cover drinks or tobacco"
                   if reason else "")  # fmt: skip
            yield ctx.finding(ln.where, f"{ln.item} (HS {item.hs_code}) is excisable and not "
                              f"a Res. 953 carve-out: it cannot be imported as aid{why}",
                              field="item", value=ln.item, shipment=s.ref,
                              line=ln.line_no)  # fmt: skip


@rule(
    "CUS-007", "Vehicles: full identification and an eligible recipient",
    severity=ERROR, pack="ua-import", sources=("UA-FI", "UA-4608"), grade="B",
    reads=("shipments", "items", "parties"),
    params={
        "vehicle_hs_prefixes": ("8702", "8703", "8704", "8705", "8711"),
        "vehicle_allowed_recipient_types": ("lsg_body", "budget_institution",
                                            "communal_nonprofit_institution", "military_unit",
                                            "intl_org", "diplomatic_mission", "red_cross"),
        "verified_route_from": dt.date(2025, 9, 18),
    },
    fix="Fill `vin` and `make` on the vehicle line (shipments.csv); address vehicles to an "
        "eligible recipient, or record `verified_hum_org` for a verified organisation.",
)  # fmt: skip
def cus_007(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    prefixes = tuple(ctx.p("vehicle_hs_prefixes"))
    allowed = set(ctx.p("vehicle_allowed_recipient_types"))
    for s in ctx.shipments:
        for ln in s.lines:
            item = ds.items.get(ln.item)
            if item is None or not (
                item.category == "vehicle" or item.hs_code.startswith(prefixes)
            ):
                continue
            for column, label in (("vin", "VIN (`vin`)"), ("make", "make (`make`)")):
                if not getattr(ln, column):
                    yield ctx.finding(ln.where, f"vehicle {ln.item} has no {label}",
                                      field=column, shipment=s.ref, line=ln.line_no)  # fmt: skip
            et = ds.entity_type(s.recipient, KIND_ENTITY)
            party = ds.parties.get(s.recipient)
            # the route is open to goods imported from its day: the regime of the border day
            verified = bool(party and party.verified_hum_org) and (
                s.import_day(ctx.as_of) >= ctx.p("verified_route_from")
            )
            if et not in allowed and not verified:
                kind = et or "type unknown"
                yield ctx.finding(ln.where, f"vehicle {ln.item} for {s.recipient} ({kind}): this "
                                  "recipient type may not receive vehicles",
                                  field="recipient", value=s.recipient, shipment=s.ref,
                                  line=ln.line_no)  # fmt: skip


@rule(
    "CUS-008", "Goods bought abroad by the recipient are handed out within 90 days of the border",
    severity=ERROR, pack="ua-import", regimes=("ua-953",), sources=("UA-3448",), grade="B",
    reads=("shipments", "receipts", "journal"),
    params={"max_days_border_to_distribution": 90, "warn_at": 60,
            "applies_from": dt.date(2024, 1, 23)},
    fix="Hand the goods out to acquirers (distributions.csv) before the deadline, or they lose "
        "their humanitarian-aid status.",
)  # fmt: skip
def cus_008(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """Law 3448-IX, in force 23 Jan 2024 (`applies_from`), set the 90 days: goods that crossed
    the border before it are not held to them."""
    limit, warn = ctx.p("max_days_border_to_distribution"), ctx.p("warn_at")
    handed: dict[tuple[str, int], list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for ref, line_no, day, q in ds.lot_distributions:
        handed[(ref, line_no)].append((day, q))
    gone: dict[tuple[str, int], list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for ref, line_no, day, q in ds.lot_writeoffs:
        gone[(ref, line_no)].append((day, q))
    for s in ctx.shipments:
        crossed = s.crossed_on
        if crossed is None or crossed < ctx.p("applies_from"):
            continue
        deadline = crossed + dt.timedelta(days=limit)
        elapsed = (ctx.as_of - crossed).days
        for ln in s.lines:
            if not ln.purchased_by_recipient:
                continue
            receipts = ds.receipts_by_line.get((s.ref, ln.line_no), ())
            base = sum((r.received - r.excess for r in receipts), ZERO) if receipts else ln.quantity
            until = min(deadline, ctx.as_of)  # what had happened by then
            out = sum((q for d, q in handed[(s.ref, ln.line_no)] if d <= until), ZERO)
            # goods written off in time (damaged, expired) can never be handed out; written off
            # after the deadline, they were kept too long first
            lost = sum((q for d, q in gone[(s.ref, ln.line_no)] if d <= until), ZERO)
            left = base - out - lost
            if left <= 0:
                continue
            if elapsed > limit:
                yield ctx.finding(ln.where, f"{left} of {ln.item} bought by the recipient were not "
                                  f"handed out within {days(limit)} of the border ({crossed})",
                                  field="purchased_by_recipient", value=left, shipment=s.ref,
                                  line=ln.line_no)  # fmt: skip
            elif elapsed >= warn:  # "warning at 60 d": on the 60th day
                yield ctx.finding(ln.where, f"{left} of {ln.item} bought by the recipient still to "
                                  f"hand out; deadline {deadline}", field="purchased_by_recipient",
                                  value=left, shipment=s.ref, line=ln.line_no,
                                  severity=WARNING)  # fmt: skip


@rule(
    "CUS-009", "No import duty or VAT charged on recognised aid",
    severity=WARNING, pack="ua-import", sources=("UA-MFA-GR",), grade="B",
    reads=("customs",),
    fix="Ask customs to apply the Customs Code Art. 287 exemption (and the VAT exemption); "
        "claim a refund of what was paid.",
)  # fmt: skip
def cus_009(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    refs = {s.ref for s in ctx.shipments}
    for c in ds.customs:
        if c.shipment_ref not in refs:
            continue
        if c.duty_amount and c.duty_amount > 0:
            yield ctx.finding(f"customs {c.shipment_ref} {c.event} {c.date}", f"import duty "
                              f"{c.duty_amount} charged on humanitarian aid", field="duty_amount",
                              value=c.duty_amount, shipment=c.shipment_ref)  # fmt: skip
        if c.import_vat_amount and c.import_vat_amount > 0:
            yield ctx.finding(f"customs {c.shipment_ref} {c.event} {c.date}", f"import VAT "
                              f"{c.import_vat_amount} charged on humanitarian aid (the Tax Code "
                              "article was not verified)", field="import_vat_amount",
                              value=c.import_vat_amount, shipment=c.shipment_ref,
                              grade="C")  # fmt: skip


@rule(
    "CUS-018", "Provisional declarations: supporting documents by the customs deadline",
    severity=WARNING, pack="ua-import", sources=("RKC-GA3",), grade="A", reads=("customs",),
    fix="File the missing documents with customs and record `docs_completed_at` on the customs "
        "event.",
)  # fmt: skip
def cus_018(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    refs = {s.ref for s in ctx.shipments}
    for c in ds.customs:
        if c.shipment_ref not in refs or not c.provisional:
            continue
        where = f"customs {c.shipment_ref} {c.event} {c.date}"
        if c.docs_due_by is None:
            yield ctx.finding(where, "provisional declaration without a deadline for the "
                              "supporting documents", field="docs_due_by",
                              shipment=c.shipment_ref)  # fmt: skip
        elif c.docs_completed_at is None and ctx.as_of > c.docs_due_by:
            yield ctx.finding(where, f"supporting documents were due by {c.docs_due_by} and are "
                              f"not recorded as filed ({days((ctx.as_of - c.docs_due_by).days)} "
                              "overdue)", field="docs_due_by", value=c.docs_due_by,
                              shipment=c.shipment_ref)  # fmt: skip
        elif c.docs_completed_at is not None and c.docs_completed_at > c.docs_due_by:
            yield ctx.finding(where, f"supporting documents filed {c.docs_completed_at}, after the "
                              f"deadline {c.docs_due_by}", field="docs_completed_at",
                              value=c.docs_completed_at,
                              shipment=c.shipment_ref)  # fmt: skip


# ================================================================ eu-export


@rule(
    "CUS-010", "Export reference (MRN) and proof of exit from the EU",
    severity=ERROR, pack="eu-export", sources=("EU-PL", "EU-FAQ"), grade="B",
    reads=("shipments", "customs", "receipts"), params={"max_days_to_exit": 14},
    fix="Record the export declaration's MRN (`export_mrn`) and the exit endorsement date "
        "(`exit_confirmed_at`) on the shipment; the donor needs them for VAT.",
)  # fmt: skip
def cus_010(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """Error when the supply was VAT-exempt (`vat_exempt`), warning otherwise."""
    for s in ctx.shipments:
        sev = ERROR if s.h("vat_exempt") else WARNING
        if not s.h("export_mrn"):
            yield ctx.finding(s.where, f"no export MRN for {s.ref}", field="export_mrn",
                              shipment=s.ref, severity=sev)  # fmt: skip
        due = (s.crossed_on is not None
               or (ctx.as_of - s.dispatch_date).days > ctx.p("max_days_to_exit"))  # fmt: skip
        if due and not s.h("exit_confirmed_at"):
            yield ctx.finding(s.where, f"no proof of exit from the EU for {s.ref}",
                              field="exit_confirmed_at", shipment=s.ref, severity=sev)  # fmt: skip


@rule(
    "CUS-012", "No transit through Russia or Belarus with restricted goods",
    severity=ERROR, pack="eu-export", sources=("EU-SANC",), grade="B",
    reads=("shipments", "items"), params={"blocked_transit": ("RU", "BY")}, any_corridor=True,
    fix="Re-route the consignment around the blocked countries (e.g. via PL) before dispatch.",
)  # fmt: skip
def cus_012(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """Every route given on any line counts: the lines of a consignment travel in one vehicle.
    The catalogue blocks any route through RU/BY for flagged lines, so the rule looks at every
    shipment, not only those leaving the EU (a Japanese donor's route JP>RU>UA too)."""
    blocked = set(ctx.p("blocked_transit"))
    for s in ctx.shipments:
        routes = {">".join(x.strip().upper() for x in r.split(">")) for r in s.values("route")}
        for route in sorted(routes):
            through = [c for c in route.split(">") if c in blocked]
            if not through:
                continue
            for ln in s.lines:
                if _restricted(ds, ln):
                    yield ctx.finding(ln.where, f"{ln.item} is restricted (dual-use/military) and "
                                      f"the route {route} transits {', '.join(through)}",
                                      field="route", value=route, shipment=s.ref,
                                      line=ln.line_no)  # fmt: skip


# Union general export authorisations for dual-use items (Regulation 2021/821, Annex II).
# EU001 covers only exports to Australia, Canada, Iceland, Japan, New Zealand, Norway,
# Switzerland with Liechtenstein, the UK and the US: never a consignment to Ukraine.
GENERAL_AUTHORISATION = re.compile(r"^EU00[2-8]$", re.IGNORECASE)


@rule(
    "CUS-013", "Dual-use items need an export authorisation before dispatch",
    severity=ERROR, pack="eu-export", sources=("EU-DU", "EU-SANC", "EU-HU"), grade="B",
    reads=("shipments", "items"),
    fix="Obtain the dual-use export authorisation (or cite the general authorisation) and record "
        "it in `licence_no` / `licence_type` on the line.",
)  # fmt: skip
def cus_013(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """A Union general export authorisation in `licence_type` (EU002–EU008; EU001 does not
    cover Ukraine) stands for a licence number; a licence filed in documents.csv (kind `licence`, number = `licence_no`)
    must have been issued by the dispatch day and still be valid on it."""
    for s in ctx.shipments:
        for ln in s.lines:
            item = ds.items.get(ln.item)
            if not (item and ("dual_use" in item.flags or item.dual_use_code)):
                continue
            general = bool(ln.licence_type and GENERAL_AUTHORISATION.match(ln.licence_type))
            if not ln.licence_no and not general:
                eu001 = (ln.licence_type or "").upper() == "EU001"
                yield ctx.finding(ln.where, f"{ln.item} is a dual-use item "
                                  f"{('(' + item.dual_use_code + ') ') if item.dual_use_code else ''}"
                                  "shipped without a licence reference"
                                  + (" (EU001 does not cover exports to Ukraine)" if eu001 else ""),
                                  field="licence_no", shipment=s.ref, line=ln.line_no)  # fmt: skip
                continue
            for lic in (d for d in ds.docs("licence", s.ref, ln.licence_no)
                        if d.number == ln.licence_no):  # fmt: skip
                day = ln.dispatch_date
                if lic.date > day:
                    why = f"was issued on {lic.date}, after dispatch ({day})"
                elif lic.valid_until is not None and lic.valid_until < day:
                    why = f"expired on {lic.valid_until}, before dispatch ({day})"
                else:
                    continue
                yield ctx.finding(ln.where, f"the licence {lic.number} for {ln.item} {why}",
                                  field="licence_no", value=ln.licence_no, shipment=s.ref,
                                  line=ln.line_no)  # fmt: skip


@rule(
    "CUS-014", "Military-list gear needs an authorisation; lethal items never travel as aid",
    severity=ERROR, pack="eu-export", sources=("EU-HU",), grade="B", reads=("shipments", "items"),
    fix="Take lethal items off the consignment; for helmets/body armour record the national "
        "military-goods authorisation in `licence_no`.",
)  # fmt: skip
def cus_014(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    for s in ctx.shipments:
        for ln in s.lines:
            item = ds.items.get(ln.item)
            if item is None:
                continue
            if "lethal" in item.flags:
                yield ctx.finding(ln.where, f"{ln.item} is a lethal military item: it may not "
                                  "travel as humanitarian aid", field="item", value=ln.item,
                                  shipment=s.ref, line=ln.line_no)  # fmt: skip
            elif "military" in item.flags and not ln.licence_no:
                yield ctx.finding(ln.where, f"{ln.item} is on the military list and has no "
                                  "authorisation", field="licence_no", shipment=s.ref,
                                  line=ln.line_no)  # fmt: skip


@rule(
    "CUS-015", "Prescription medicines: the exporting state's pharma notification",
    severity=WARNING, pack="eu-export", sources=("EU-HU",), grade="B",
    reads=("shipments", "items", "documents"), params={"per_country_required": ("HU",)},
    fix="File the notification with the exporting state's medicines agency and add it to "
        "documents.csv (kind `pharma_export_notice`).",
)  # fmt: skip
def cus_015(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    countries = set(ctx.p("per_country_required"))
    for s in ctx.shipments:
        donor = ds.parties.get(s.donor)
        origin = {s.route[0]} if s.route else set()
        if donor:
            origin.add(donor.country)
        if not origin & countries or ds.docs("pharma_export_notice", s.ref):
            continue
        for ln in s.lines:
            item = ds.items.get(ln.item)
            if item and item.category == "medicine" and item.rx:
                yield ctx.finding(ln.where, f"prescription medicine {ln.item} exported from "
                                  f"{', '.join(sorted(origin & countries))} without a pharma "
                                  "export notification", field="documents", shipment=s.ref,
                                  line=ln.line_no)  # fmt: skip


@rule(
    "CUS-019", "Multi-country transit: seals and a certified contents list",
    severity=WARNING, pack="eu-export", sources=("WCO-1970",), grade="A",
    reads=("shipments", "documents"), params={"min_route_countries": 3},
    fix="Ask export customs to certify the contents list and seal the load; record `seal_nos` "
        "on the shipment or the list in documents.csv (kind `certified_contents_list`).",
)  # fmt: skip
def cus_019(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    for s in ctx.shipments:
        if len(s.route) < ctx.p("min_route_countries"):
            continue
        if not s.h("seal_nos") and not ds.docs("certified_contents_list", s.ref):
            yield ctx.finding(s.where, f"{s.ref} transits {'>'.join(s.route[1:-1])} with no seal "
                              "numbers and no certified contents list", field="seal_nos",
                              shipment=s.ref)  # fmt: skip
