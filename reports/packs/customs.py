"""Customs clearance pack for one consignment (catalogue §4(a)), bilingual English/Ukrainian.

Donation letter / gift certificate, packing list, pro forma value statement, transport details,
the data of the Ukrainian humanitarian-aid declaration (AHARS), the rule findings for the
consignment and the list of attached documents. Error findings stamp it NOT READY.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from ledger.db import tables as t
from ledger.db.ordering import bytewise
from ledger.errors import LedgerError
from reports import i18n
from reports.data import header_date, header_value, items, line_value, live, lots, parties
from reports.model import Amount, Column, Document, Section
from reports.packs.common import about, findings_section, finish, item_name, party_name
from reports.rounding import round_money
from schemas.fields import loose_decimal

ZERO = Decimal(0)
# the consignment's header columns the pack shows (schemas/rows.py, docs/formats-extensions.md)
HEADER = ("vehicle_reg", "trailer_reg", "waybill_no", "carrier", "route", "aid_code",
          "aid_code_date", "seal_nos", "export_mrn", "export_office", "exit_confirmed_at")  # fmt: skip
CONDITION = {"new": i18n.both("text.condition_new"), "used": i18n.both("text.condition_used")}
# Union general export authorisations for dual-use items that cover Ukraine: the rules engine
# takes one in `licence_type` for a licence number (ledger.rules.customs.GENERAL_AUTHORISATION,
# CUS-013; the packs do not need the rules engine installed, so the pattern is repeated here)
GENERAL_AUTHORISATION = re.compile(r"^EU00[2-8]$", re.IGNORECASE)


def _documents_on_file(conn: Connection, shipment: str,
                       licences: Iterable[str] = ()) -> list[dict[str, Any]]:  # fmt: skip
    """Documents registered for this consignment (documents.csv), oldest first, and the
    licences of its lines filed under their own number (the rules engine finds a licence by
    either subject)."""
    d = t.Document
    licences = list(licences)
    query = select(d.kind, d.number, d.subject, d.date, d.signed).where(or_(
        d.subject == shipment,
        and_(d.kind == "licence", d.number.in_(licences), d.subject == d.number),
    ))  # fmt: skip
    return [
        dict(r._mapping)
        for r in conn.execute(
            query.order_by(*bytewise(conn.dialect.name, d.date, d.kind, d.number))
        )
    ]


def _total(figures: Iterable[Decimal | int | None]) -> Decimal | int | None:
    """The sum of the figures given; None (shown blank or "—") when none was given: a total
    weight of 0 kg would say the goods weigh nothing, not that nobody weighed them."""
    given = [x for x in figures if x is not None]
    return sum(given[1:], given[0]) if given else None


def _totals_by_currency(packing: list[dict[str, Any]]) -> dict[str, Decimal]:
    """The value of the lines per currency, added up from the values the lines print (so every
    total foots), in currency order: money is never added across currencies."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p in packing:
        totals[p["currency"]] += p["total_value"]
    return dict(sorted(totals.items()))


def _packing_totals(packing: list[dict[str, Any]],
                    by_currency: dict[str, Decimal]) -> list[dict[str, Any]]:  # fmt: skip
    """The packing list's total rows. One currency: one row (value, weight, packages). Several:
    a value row per currency, then a row of the weight and packages of all lines without a
    value or currency, so no row reads as one currency's total of the whole consignment. The
    last row always holds the weight and package totals."""
    label = i18n.both("doc.total")
    weights = {"item": label, "gross_kg": _total(p["gross_kg"] for p in packing),
               "packages": _total(p["packages"] for p in packing)}  # fmt: skip
    if len(by_currency) == 1:
        ((currency, value),) = by_currency.items()
        return [{**weights, "currency": currency, "total_value": value}]
    values = [{"item": label, "currency": c, "total_value": v} for c, v in by_currency.items()]
    return [*values, weights]


def _restrictions(conn: Connection, codes: Iterable[str]) -> dict[str, set[str]]:
    """Item code -> "dual_use" and/or "military", as the rules engine tells them (CUS-013:
    the `dual_use` flag or a `dual_use_code`; CUS-014: the `military` flag)."""
    i = t.Item
    out: dict[str, set[str]] = {}
    query = select(i.code, i.flags, i.src).where(i.code.in_(set(codes)))
    for code, flags, src in conn.execute(query):
        kinds = {f.strip() for f in (flags or "").split(";")} & {"dual_use", "military"}
        if line_value({"src": src}, "dual_use_code"):
            kinds.add("dual_use")
        if kinds:
            out[code] = kinds
    return out


def _licence(line: dict[str, Any], restricted: Collection[str] = ()) -> str | None:
    """The export authorisation a line travels under, as the rules engine accepts it: its
    `licence_no`; for goods that are not on the military list (CUS-014 wants a number) also a
    Union general export authorisation named in `licence_type` (CUS-013)."""
    number = line_value(line, "licence_no")
    if number is not None:
        return str(number)
    kind = line_value(line, "licence_type")
    if kind is not None and "military" not in restricted and GENERAL_AUTHORISATION.match(str(kind)):
        return str(kind)
    return None


def _condition(line: dict[str, Any], item: dict[str, Any]) -> str:
    """The line's condition, "new" or "used": its `condition` column when given, else the
    item's `used` flag."""
    given = line_value(line, "condition")
    if given in CONDITION:
        return str(given)
    return "used" if "used" in (item.get("flags") or "").split(";") else "new"


def _group_order(key: tuple[str, str, Decimal | None]) -> tuple[str, str, bool, Decimal]:
    """Product groups by HS code and unit, then wear (none first)."""
    hs_code, unit, wear = key
    return hs_code, unit, wear is not None, wear if wear is not None else ZERO


def _packing_columns(with_licence: bool) -> list[Column]:
    """The packing list's columns; the export authorisation of each line only when a line has
    one (its item column gives it the room)."""
    licence = [Column("licence", "col.licence_no", width="11%")] if with_licence else []
    return [
        Column("line", "col.line", "int", width="4%"),
        Column("item", "col.item", width="15%" if with_licence else "22%"),
        Column("hs_code", "col.hs_code", width="7%"), *licence,
        Column("quantity", "col.quantity", "qty", width="6%" if with_licence else "7%"),
        Column("unit", "col.unit", width="5%"), Column("batch", "col.batch", width="8%"),
        Column("expiry", "col.expiry", "date", width="8%"),
        Column("gross_kg", "col.gross_kg", "qty", width="7%"),
        Column("packages", "col.packages", "int", width="6%"),
        Column("unit_value", "col.unit_value", "price", "currency", width="8%"),
        Column("total_value", "col.total_value", "money", "currency",
               width="9%" if with_licence else "11%"),
        Column("currency", "col.currency", width="5%"),
    ]  # fmt: skip


def _transport_fields(head: dict[str, Any], names: dict[str, dict[str, Any]],
                      dispatch_date: dt.date, locale: str) -> list[tuple[str, Any]]:  # fmt: skip
    """Transport details, then the export declaration and proof of exit and the seals a broker
    checks (catalogue §4(a)); the optional ones only when the consignment gives them."""
    seals = head["seal_nos"] and "; ".join(x.strip() for x in str(head["seal_nos"]).split(";")
                                           if x.strip())  # fmt: skip
    exit_day = head["exit_confirmed_at"]
    optional = [
        ("field.seal_nos", seals),
        ("field.export_mrn", head["export_mrn"]),
        ("field.export_office", head["export_office"]),
        ("field.exit_confirmed_at", exit_day and i18n.date(exit_day, locale)),
    ]  # fmt: skip
    trailer = [("field.trailer", head["trailer_reg"])] if head["trailer_reg"] else []
    return [
        ("field.vehicle", head["vehicle_reg"] or "—"), *trailer,
        ("field.waybill", head["waybill_no"] or "—"),
        ("field.carrier", party_name(names, head["carrier"]) or "—"),
        ("field.route", head["route"] or "—"),
        ("field.dispatch_date", i18n.date(dispatch_date, locale)),
        *((key, str(value)) for key, value in optional if value),
    ]  # fmt: skip


def _vehicles(packing: list[dict[str, Any]]) -> list[Section]:
    """The vehicles of the consignment, an annex to the donation letter (catalogue §4(a):
    "for vehicles VIN, make"; wear % for the declaration): lines of the vehicle category or
    giving a VIN or make; no such line, no section."""
    rows = [{**p, "condition": CONDITION[p["condition"]]} for p in packing
            if p["vin"] or p["make"] or p["category"] == "vehicle"]  # fmt: skip
    if not rows:
        return []
    return [Section("vehicles", "section.vehicles", rows=rows, columns=[
        Column("line", "col.line", "int", width="6%"), Column("item", "col.item", width="30%"),
        Column("vin", "col.vin", width="24%"), Column("make", "col.make", width="18%"),
        Column("condition", "col.condition", width="12%"),
        Column("wear", "col.wear_pct", "qty", width="10%"),
    ])]  # fmt: skip


def build(conn: Connection, shipment: str, findings: list[dict[str, Any]] | None = None,
          findings_note: str | None = None, locale: str = "en") -> Document:  # fmt: skip
    lines = list(lots(conn, t.ShipmentLine.shipment_ref == shipment).values())
    if not lines:
        raise LedgerError(f"no shipment {shipment!r} in the ledger")
    names, cat = parties(conn), items(conn)
    donor, recipient = lines[0]["donor"], lines[0]["recipient"]
    d, r = names.get(donor, {}), names.get(recipient, {})
    head = {key: header_value(lines, key) for key in HEADER}
    head["exit_confirmed_at"] = header_date(lines, "exit_confirmed_at")  # as the donor pack
    restricted = _restrictions(conn, (ln["item"] for ln in lines))
    packing: list[dict[str, Any]] = []
    for ln in lines:
        it = cat.get(ln["item"], {})
        packing.append({
            "line": ln["line_no"], "item": f"{item_name(cat, ln['item'])}"
            + (f" / {it['name_uk']}" if it.get("name_uk") else ""),
            "code": ln["item"], "hs_code": it.get("hs_code", ""), "quantity": ln["quantity"],
            "unit": it.get("unit", ""), "batch": ln["batch"], "expiry": ln["expiry"],
            "gross_kg": ln["gross_kg"], "packages": ln["packages"], "unit_value": ln["unit_value"],
            # as the line shows it: every total of the pack adds up these rounded values
            "total_value": round_money(ln["quantity"] * ln["unit_value"], ln["currency"]),
            "currency": ln["currency"],
            "category": it.get("category", ""), "flags": it.get("flags") or "",
            "licence": _licence(ln, restricted.get(ln["item"], ())), "vin": line_value(ln, "vin"), "make": line_value(ln, "make"),
            "condition": _condition(ln, it), "wear": loose_decimal(line_value(ln, "depreciation_pct")),
        })  # fmt: skip
    totals_by_cur = _totals_by_currency(packing)
    total_rows = _packing_totals(packing, totals_by_cur)
    gross_kg, packages = total_rows[-1]["gross_kg"], total_rows[-1]["packages"]
    dispatch_date = min(ln["dispatch_date"] for ln in lines)

    # 1. donation letter / gift certificate
    letter = Section("letter", "section.letter", paragraphs=[i18n.label("text.gift")], fields=[
        ("field.shipment", shipment),
        ("field.dispatch_date", i18n.date(dispatch_date, locale)),
        ("field.donor", party_name(names, donor)),
        ("field.donor_country", d.get("country", "")),
        ("field.donor_registry", d.get("registry_id") or "—"),
        ("field.recipient", r.get("name", recipient)),
        ("field.recipient_local", r.get("name_local") or "—"),
        ("field.edrpou", r.get("registry_id") or "—"),
        ("field.register_no", r.get("aid_register_no") or "—"),
    ] + [("field.total_value", Amount.money(v, c, locale, f" — {i18n.both('text.free_of_charge')}"))
         for c, v in totals_by_cur.items()])  # fmt: skip
    by_cat: dict[tuple[str, str, str], dict[str, Any]] = {}
    for p in packing:
        key = (p["category"], p["code"], p["currency"])
        g = by_cat.setdefault(key, {"category": p["category"], "item": p["item"], "unit": p["unit"],
                                    "quantity": ZERO, "gross_kg": None, "total_value": ZERO,
                                    "currency": p["currency"]})  # fmt: skip
        g["quantity"] += p["quantity"]
        g["gross_kg"] = _total((g["gross_kg"], p["gross_kg"]))
        g["total_value"] += p["total_value"]
    letter.columns = [
        Column("category", "col.category", width="12%"), Column("item", "col.item", width="40%"),
        Column("quantity", "col.quantity", "qty", width="10%"), Column("unit", "col.unit", width="7%"),
        Column("gross_kg", "col.gross_kg", "qty", width="10%"),
        Column("total_value", "col.total_value", "money", "currency", width="13%"),
        Column("currency", "col.currency", width="8%"),
    ]  # fmt: skip
    letter.rows = [by_cat[k] for k in sorted(by_cat)]

    # 2. packing list (wide)
    packing_section = Section("packing_list", "section.packing_list", wide=True, page_break=True,
                              rows=packing, totals=total_rows,
                              columns=_packing_columns(any(p["licence"] for p in packing)))  # fmt: skip

    # 3. pro forma value statement
    proforma = Section("proforma", "section.proforma", paragraphs=[i18n.label("text.free_of_charge")],
                       fields=[("field.total_value", Amount.money(v, c, locale))
                               for c, v in totals_by_cur.items()]
                       + [("field.total_packages", Amount.quantity_or_dash(packages, locale)),
                          ("field.total_gross", Amount.quantity_or_dash(gross_kg, locale))])  # fmt: skip

    # 4. transport details and customs events
    events = [{**ev, "event_label": i18n.term("event", ev["event"])}
              for ev in live(conn, t.CustomsEvent, t.CustomsEvent.shipment_ref == shipment,
                             order=(t.CustomsEvent.date, t.CustomsEvent.id))]  # fmt: skip
    transport = Section("transport", "section.transport",
                        fields=_transport_fields(head, names, dispatch_date, locale),
                        rows=events, columns=[
        Column("event_label", "col.event", width="12%"), Column("date", "col.date", "date", width="12%"),
        Column("declaration_no", "col.declaration_no", width="22%"),
        Column("office", "col.office", width="27%"), Column("note", "col.remarks", width="27%"),
    ])  # fmt: skip

    # 5. humanitarian-aid declaration data: product groups by HS code, unit and wear
    groups: dict[tuple[str, str, Decimal | None], dict[str, Any]] = {}
    for p in packing:
        g = groups.setdefault((p["hs_code"], p["unit"], p["wear"]), {
            "hs_code": p["hs_code"], "unit": p["unit"], "items": [], "quantity": ZERO,
            "gross_kg": None, "expiry": None, "condition": CONDITION["new"],
            "wear": p["wear"]})  # fmt: skip
        g["items"].append(p["item"])
        g["quantity"] += p["quantity"]
        g["gross_kg"] = _total((g["gross_kg"], p["gross_kg"]))
        if p["expiry"] and (g["expiry"] is None or p["expiry"] < g["expiry"]):
            g["expiry"] = p["expiry"]
        if p["condition"] == "used":
            g["condition"] = CONDITION["used"]
    for g in groups.values():
        g["item"] = "; ".join(dict.fromkeys(g.pop("items")))
    worn = any(p["wear"] is not None for p in packing)
    declaration = Section("declaration", "section.declaration", fields=[
        ("field.recipient", party_name(names, recipient)),
        ("field.edrpou", r.get("registry_id") or "—"),
        ("field.register_no", r.get("aid_register_no") or "—"),
        ("field.aid_code", head["aid_code"] or "—"),
        ("field.aid_code_date", i18n.date(head["aid_code_date"], locale) or "—"),
    ], rows=[groups[k] for k in sorted(groups, key=_group_order)], columns=[
        Column("hs_code", "col.hs_code", width="10%"),
        Column("item", "col.item", width="30%" if worn else "38%"),
        Column("quantity", "col.quantity", "qty", width="10%"), Column("unit", "col.unit", width="7%"),
        Column("gross_kg", "col.gross_kg", "qty", width="11%"),
        Column("expiry", "col.shelf_life", "date", width="12%"),
        Column("condition", "col.condition", width="12%"),
        *([Column("wear", "col.wear_pct", "qty", width="8%")] if worn else []),
    ])  # fmt: skip

    # 6. findings, 7. attachments
    found = about(findings, shipment)
    attachments = _attachments(conn, shipment, lines, packing, head, events, locale)
    doc = Document("customs-pack", "doc.customs_pack",
                   subtitle=f"{shipment}: {party_name(names, donor)} → {party_name(names, recipient)}",
                   scope=[("col.shipment", shipment)],
                   sections=[letter, *_vehicles(packing), packing_section, proforma, transport,
                             declaration, findings_section(found, findings_note), attachments],
                   findings=found, locale=locale)  # fmt: skip
    return finish(conn, doc, "C", {"shipment": shipment}, gate=True)


def _attachments(conn: Connection, shipment: str, lines: list[dict[str, Any]],
                 packing: list[dict[str, Any]], head: dict[str, Any],
                 events: list[dict[str, Any]], locale: str) -> Section:  # fmt: skip
    """The list of attached documents: this pack's own papers, the papers every consignment
    needs, the documents on file, and the papers its goods call for, each with its reference
    (from the consignment's columns or the document on file) or "to be attached"."""
    flags = {f for p in packing for f in p["flags"].split(";") if f}
    cats = {p["category"] for p in packing}
    inc, todo, ref = (i18n.both("text.included"), i18n.both("text.missing"),
                      i18n.both("text.on_file"))  # fmt: skip
    # the papers every consignment needs, by their kind in documents.csv: one row each, filled
    # from the consignment's own columns or from the document on file (listed once, not twice)
    required = {
        "waybill": (i18n.both("doc_kind.waybill", " · "), head["waybill_no"]),
        "ahars_registration": (i18n.both("doc_kind.ahars_registration", " · "), head["aid_code"]),
        "recipient_consent": (i18n.both("doc_kind.recipient_consent", " · "), None),
    }
    fixed = {kind: {"document": name, "reference": number or "—",
                    "status": ref if number else todo}
             for kind, (name, number) in required.items()}  # fmt: skip
    licences = _licence_rows(conn, lines, ref, todo)
    attach = [
        {"document": i18n.both("section.letter"), "reference": shipment, "status": inc},
        {"document": i18n.both("section.packing_list"), "reference": shipment, "status": inc},
        {"document": i18n.both("section.proforma"), "reference": shipment, "status": inc},
        *fixed.values(),
    ]  # fmt: skip
    numbers = [n for n in licences if n is not None]
    for d in _documents_on_file(conn, shipment, numbers):
        signed = {True: "signed · підписано", False: "NOT signed · не підписано"}.get(
            d["signed"], ""
        )
        row = fixed.get(d["kind"])
        if row is not None and row["reference"] in ("—", d["number"]):
            row["reference"], row["status"] = d["number"], f"{ref} {signed}".strip()
            continue
        if d["kind"] == "licence" and d["number"] in numbers:  # the line's licence, on file
            licences[d["number"]]["status"] = f"{ref} {signed}".strip()
            continue
        name = i18n.both("doc_kind." + d["kind"], " · ")
        attach.append({"document": f"{name} ({i18n.date(d['date'], locale)})",
                       "reference": d["number"], "status": f"{ref} {signed}".strip()})  # fmt: skip
    for ev in events:
        if ev.get("declaration_no"):
            attach.append({"document": i18n.both("attachment.customs_declaration", " · "),
                           "reference": ev["declaration_no"], "status": ref})  # fmt: skip
            break
    if cats & {"medicine", "food"}:
        attach.append({"document": i18n.both("attachment.quality_certificates", " · "),
                       "reference": "—", "status": todo})  # fmt: skip
    attach.extend(licences.values())
    if "used" in flags or "vehicle" in cats:
        vins = "; ".join(dict.fromkeys(str(p["vin"]) for p in packing if p["vin"]))
        attach.append({"document": i18n.both("attachment.vehicle_registration", " · "),
                       "reference": vins or "—", "status": todo})  # fmt: skip
    return Section("attachments", "section.attachments", rows=attach, columns=[
        Column("document", "col.document", width="50%"), Column("reference", "col.reference", width="25%"),
        Column("status", "col.status", width="25%"),
    ])  # fmt: skip


def _licence_rows(conn: Connection, lines: list[dict[str, Any]], ref: str,
                  todo: str) -> dict[str | None, dict[str, Any]]:  # fmt: skip
    """One row per export authorisation the consignment's dual-use or military-list goods travel
    under, naming its lines: given on the line as the rules engine accepts it (`_licence`), its
    number is the reference; the lines without one share a row "to be attached" (key None)."""
    restricted = _restrictions(conn, (ln["item"] for ln in lines))
    by_licence: dict[str | None, list[int]] = {}
    for ln in lines:
        if ln["item"] in restricted:
            number = _licence(ln, restricted[ln["item"]])
            by_licence.setdefault(number, []).append(ln["line_no"])
    name = i18n.both("attachment.export_authorisation", " · ")
    where = i18n.both("col.line")
    return {number: {"document": f"{name} — {where} {', '.join(str(n) for n in line_nos)}",
                     "reference": number or "—", "status": ref if number else todo}
            for number, line_nos in sorted(by_licence.items(), key=lambda kv: kv[1])}  # fmt: skip
