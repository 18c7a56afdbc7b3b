"""Pieces every pack shares: party names, the findings section, the verification code."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from reports import findings as fnd
from reports import i18n
from reports.data import last_entry
from reports.model import Column, Document, Section
from reports.verification import code_for

FINDING_COLUMNS = [
    Column("rule", "col.rule", width="10%"),
    Column("severity", "col.severity", width="9%"),
    Column("record", "col.record", width="20%"),
    Column("message", "col.message", width="36%"),
    Column("action", "col.remarks", width="25%"),
]


def party_name(parties: dict[str, dict[str, Any]], code: str | None, local: bool = True) -> str:
    """'City of Prague (Hlavní město Praha)'; the code itself when the party is unknown."""
    if not code:
        return ""
    p = parties.get(code)
    if p is None:
        return code
    if local and p.get("name_local") and p["name_local"] != p["name"]:
        return f"{p['name']} ({p['name_local']})"
    return str(p["name"])


def item_name(items: dict[str, dict[str, Any]], code: str, uk: bool = False) -> str:
    it = items.get(code)
    if it is None:
        return code
    return str(it["name_uk"] or it["name"]) if uk else str(it["name"])


def findings_section(found: list[dict[str, Any]] | None, why_not: str | None = None) -> Section:
    section = Section("findings", "section.findings", columns=FINDING_COLUMNS,
                      empty_text="text.findings_none")  # fmt: skip
    if found is None:
        words = i18n.label("text.findings_unavailable")
        section.columns = []
        section.paragraphs = [words]
        if why_not:
            section.note = {"en": why_not, "uk": why_not}
        return section
    order = {"error": 0, "critical": 0, "blocker": 0, "warning": 1, "info": 2}
    section.rows = sorted(found, key=lambda f: (order.get(f.get("severity", ""), 3),
                                                f.get("rule", ""), f.get("record", "")))  # fmt: skip
    return section


def finish(conn: Connection, doc: Document, kind: str, params: dict[str, str],
           gate: bool = False) -> Document:  # fmt: skip
    """Stamp the document with its verification code (scope + digest of the entries it shows).

    `gate`: error findings make this document NOT READY (customs and accounting packs).
    """
    as_of, _ = last_entry(conn)
    doc.as_of = as_of
    doc.code, doc.entry_ids = code_for(conn, kind, params, as_of)
    if gate and fnd.has_errors(doc.findings):
        doc.not_ready.append(f"{i18n.en('text.error_findings')} / "
                             f"{i18n.label('text.error_findings')['uk']}")  # fmt: skip
    return doc


def about(found: list[dict[str, Any]] | None, *needles: str) -> list[dict[str, Any]] | None:
    return fnd.about(found, *needles)
