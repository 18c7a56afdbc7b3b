"""Customs clearance pack for one consignment (catalogue §4(a)), bilingual English/Ukrainian.

Donation letter / gift certificate, packing list, pro forma value statement, transport details,
the data of the Ukrainian humanitarian-aid declaration (AHARS), the rule findings for the
consignment and the list of attached documents. Error findings stamp it NOT READY.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from ledger.db import tables as t
from ledger.errors import LedgerError
from reports import i18n
from reports.data import items, live, lots, parties
from reports.model import Amount, Column, Document, Section
from reports.packs.common import about, findings_section, finish, item_name, party_name
from reports.rounding import round_money

ZERO = Decimal(0)


def _documents_on_file(conn: Connection, shipment: str) -> list[dict[str, Any]]:
    """Documents registered for this consignment (documents.csv), oldest first."""
    d = t.Document
    query = select(d.kind, d.number, d.date, d.signed).where(d.subject == shipment)
    return [dict(r._mapping) for r in conn.execute(query.order_by(d.date, d.kind, d.number))]


def _total(figures: Iterable[Decimal | int | None]) -> Decimal | int | None:
    """The sum of the figures given; None (shown blank or "—") when none was given: a total
    weight of 0 kg would say the goods weigh nothing, not that nobody weighed them."""
    given = [x for x in figures if x is not None]
    return sum(given[1:], given[0]) if given else None


def _first(rows: list[dict[str, Any]], key: str) -> Any:
    return next((r[key] for r in rows if r.get(key) not in (None, "")), None)


def build(conn: Connection, shipment: str, findings: list[dict[str, Any]] | None = None,
          findings_note: str | None = None, locale: str = "en") -> Document:  # fmt: skip
    lines = list(lots(conn, t.ShipmentLine.shipment_ref == shipment).values())
    if not lines:
        raise LedgerError(f"no shipment {shipment!r} in the ledger")
    names, cat = parties(conn), items(conn)
    donor, recipient = lines[0]["donor"], lines[0]["recipient"]
    d, r = names.get(donor, {}), names.get(recipient, {})
    currency = lines[0]["currency"]
    head = {k: _first(lines, k) for k in ("vehicle_reg", "waybill_no", "carrier", "route",
                                           "aid_code", "aid_code_date")}  # fmt: skip
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
        })  # fmt: skip
    totals_by_cur: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p in packing:
        totals_by_cur[p["currency"]] += p["total_value"]
    total_row = {"item": i18n.both("doc.total"), "currency": currency,
                 "gross_kg": _total(p["gross_kg"] for p in packing),
                 "packages": _total(p["packages"] for p in packing),
                 "total_value": totals_by_cur[currency] if len(totals_by_cur) == 1 else None}  # fmt: skip
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
        ("field.total_value", Amount.money(total_row["total_value"], currency, locale,
                                           f" — {i18n.both('text.free_of_charge')}")
         if total_row["total_value"] is not None and currency
         else f" — {i18n.both('text.free_of_charge')}"),
    ])  # fmt: skip
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
                              rows=packing, totals=[total_row], columns=[
        Column("line", "col.line", "int", width="4%"), Column("item", "col.item", width="22%"),
        Column("hs_code", "col.hs_code", width="7%"), Column("quantity", "col.quantity", "qty", width="7%"),
        Column("unit", "col.unit", width="5%"), Column("batch", "col.batch", width="8%"),
        Column("expiry", "col.expiry", "date", width="8%"),
        Column("gross_kg", "col.gross_kg", "qty", width="7%"),
        Column("packages", "col.packages", "int", width="6%"),
        Column("unit_value", "col.unit_value", "price", "currency", width="8%"),
        Column("total_value", "col.total_value", "money", "currency", width="11%"),
        Column("currency", "col.currency", width="5%"),
    ])  # fmt: skip

    # 3. pro forma value statement
    proforma = Section("proforma", "section.proforma", paragraphs=[i18n.label("text.free_of_charge")],
                       fields=[("field.total_value", Amount.money(v, c, locale))
                               for c, v in sorted(totals_by_cur.items())]
                       + [("field.total_packages", Amount.quantity_or_dash(total_row["packages"], locale)),
                          ("field.total_gross", Amount.quantity_or_dash(total_row["gross_kg"], locale))])  # fmt: skip

    # 4. transport details and customs events
    events = [{**ev, "event_label": i18n.term("event", ev["event"])}
              for ev in live(conn, t.CustomsEvent, t.CustomsEvent.shipment_ref == shipment,
                             order=(t.CustomsEvent.date, t.CustomsEvent.id))]  # fmt: skip
    transport = Section("transport", "section.transport", fields=[
        ("field.vehicle", head["vehicle_reg"] or "—"), ("field.waybill", head["waybill_no"] or "—"),
        ("field.carrier", party_name(names, head["carrier"]) or "—"),
        ("field.route", head["route"] or "—"),
        ("field.dispatch_date", i18n.date(dispatch_date, locale)),
    ], rows=events, columns=[
        Column("event_label", "col.event", width="12%"), Column("date", "col.date", "date", width="12%"),
        Column("declaration_no", "col.declaration_no", width="22%"),
        Column("office", "col.office", width="27%"), Column("note", "col.remarks", width="27%"),
    ])  # fmt: skip

    # 5. humanitarian-aid declaration data: product groups by HS code and unit
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for p in packing:
        g = groups.setdefault((p["hs_code"], p["unit"]), {
            "hs_code": p["hs_code"], "unit": p["unit"], "items": [], "quantity": ZERO,
            "gross_kg": None, "expiry": None, "condition": "new / нове"})  # fmt: skip
        g["items"].append(p["item"])
        g["quantity"] += p["quantity"]
        g["gross_kg"] = _total((g["gross_kg"], p["gross_kg"]))
        if p["expiry"] and (g["expiry"] is None or p["expiry"] < g["expiry"]):
            g["expiry"] = p["expiry"]
        if "used" in p["flags"]:
            g["condition"] = "used / вживане"
    for g in groups.values():
        g["item"] = "; ".join(dict.fromkeys(g.pop("items")))
    declaration = Section("declaration", "section.declaration", fields=[
        ("field.recipient", party_name(names, recipient)),
        ("field.edrpou", r.get("registry_id") or "—"),
        ("field.register_no", r.get("aid_register_no") or "—"),
        ("field.aid_code", head["aid_code"] or "—"),
        ("field.aid_code_date", i18n.date(head["aid_code_date"], locale) or "—"),
    ], rows=[groups[k] for k in sorted(groups)], columns=[
        Column("hs_code", "col.hs_code", width="10%"), Column("item", "col.item", width="38%"),
        Column("quantity", "col.quantity", "qty", width="10%"), Column("unit", "col.unit", width="7%"),
        Column("gross_kg", "col.gross_kg", "qty", width="11%"),
        Column("expiry", "col.shelf_life", "date", width="12%"),
        Column("condition", "col.condition", width="12%"),
    ])  # fmt: skip

    # 6. findings, 7. attachments
    found = about(findings, shipment)
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
    attach = [
        {"document": i18n.both("section.letter"), "reference": shipment, "status": inc},
        {"document": i18n.both("section.packing_list"), "reference": shipment, "status": inc},
        {"document": i18n.both("section.proforma"), "reference": shipment, "status": inc},
        *fixed.values(),
    ]  # fmt: skip
    for d in _documents_on_file(conn, shipment):
        signed = {True: "signed · підписано", False: "NOT signed · не підписано"}.get(
            d["signed"], ""
        )
        row = fixed.get(d["kind"])
        if row is not None and row["reference"] in ("—", d["number"]):
            row["reference"], row["status"] = d["number"], f"{ref} {signed}".strip()
            continue
        name = i18n.both("doc_kind." + d["kind"], " · ")
        attach.append({"document": f"{name} ({i18n.date(d['date'], locale)})",
                       "reference": d["number"], "status": f"{ref} {signed}".strip()})  # fmt: skip
    for ev in events:
        if ev.get("declaration_no"):
            attach.append({"document": "Customs declaration · митна декларація",
                           "reference": ev["declaration_no"], "status": ref})  # fmt: skip
            break
    if cats & {"medicine", "food"}:
        attach.append({"document": "Quality / GMP or health certificates · сертифікати якості",
                       "reference": "—", "status": todo})  # fmt: skip
    if "dual_use" in flags or "military" in flags:
        attach.append({"document": "Export authorisation (dual-use / military) · дозвіл на експорт",
                       "reference": "—", "status": todo})  # fmt: skip
    if "used" in flags or "vehicle" in cats:
        attach.append({"document": "Vehicle registration certificate, VIN · свідоцтво про реєстрацію ТЗ",
                       "reference": "—", "status": todo})  # fmt: skip
    attachments = Section("attachments", "section.attachments", rows=attach, columns=[
        Column("document", "col.document", width="50%"), Column("reference", "col.reference", width="25%"),
        Column("status", "col.status", width="25%"),
    ])  # fmt: skip
    doc = Document("customs-pack", "doc.customs_pack",
                   subtitle=f"{shipment}: {party_name(names, donor)} → {party_name(names, recipient)}",
                   scope=[("col.shipment", shipment)],
                   sections=[letter, packing_section, proforma, transport, declaration,
                             findings_section(found, findings_note), attachments],
                   findings=found, locale=locale)  # fmt: skip
    return finish(conn, doc, "C", {"shipment": shipment}, gate=True)
