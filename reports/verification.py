"""Document verification codes: which ledger entries a document shows, in a short printable code.

A code is `AL1-<scope>-<digest>`:

* scope = base32 of `kind|param|param|as_of` (kind R reconciliation, C customs pack,
  A accounting pack, D donor pack; as_of = the last entry id in the ledger when it was made);
* digest = the first 16 hex digits of SHA-256 over the sorted `id:hash` of every entry the
  document shows (entries are hash-chained, so the digest pins their content too).

`verify(conn, code)` recomputes the entry set for the same scope up to `as_of` and compares the
digest, checks that no shown entry was reversed since, and walks the journal's hash chain. No
table is needed: the code carries its own scope.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

CODE_RE = re.compile(r"AL1-([A-Z2-7]+)-([0-9a-f]{16})")
PARAMS = {
    "R": ("donor", "recipient"),
    "C": ("shipment",),
    "A": ("recipient", "period"),
    "D": ("donor", "period"),
}
KIND_OF_DOC = {
    "reconciliation": "R",
    "customs-pack": "C",
    "accounting-pack": "A",
    "donor-pack": "D",
}


def digest(entries: list[tuple[int, str]]) -> str:
    h = hashlib.sha256()
    for eid, ehash in sorted(entries):
        h.update(f"{eid}:{ehash}\n".encode())
    return h.hexdigest()[:16]


def encode(kind: str, params: dict[str, str], as_of: int, entries: list[tuple[int, str]]) -> str:
    fields = [kind, *(params.get(p) or "" for p in PARAMS[kind]), str(as_of)]
    scope = base64.b32encode("|".join(fields).encode()).decode().rstrip("=")
    return f"AL1-{scope}-{digest(entries)}"


@dataclass(frozen=True)
class Scope:
    kind: str
    params: dict[str, str]
    as_of: int
    digest: str


def decode(code: str) -> Scope:
    m = CODE_RE.fullmatch(code.strip())
    if not m:
        raise ValueError(f"{code!r} is not an AidLedger verification code (AL1-…-…)")
    raw = m[1] + "=" * (-len(m[1]) % 8)
    try:
        fields = base64.b32decode(raw).decode().split("|")
        kind, *values, as_of = fields
        names = PARAMS[kind]
        if len(values) != len(names):
            raise ValueError
        return Scope(kind, dict(zip(names, values, strict=True)), int(as_of), m[2])
    except (ValueError, KeyError, UnicodeDecodeError):
        raise ValueError(f"{code!r}: the scope part of the code is damaged") from None


def code_for(conn, kind: str, params: dict[str, str], as_of: int) -> tuple[str, list[int]]:  # type: ignore[no-untyped-def]
    from reports.data import scope_entries

    entries = scope_entries(conn, kind, params, as_of)
    return encode(kind, params, as_of, entries), [eid for eid, _ in entries]


def find_code(path: Path) -> str:
    """The verification code in a PDF (metadata keywords, else its text) or any text file."""
    data = path.read_bytes()
    if data.startswith(b"%PDF"):
        from pypdf import PdfReader

        reader = PdfReader(path)
        meta = reader.metadata or {}
        for value in (meta.get("/Keywords"), meta.get("/Subject")):
            if value and (m := CODE_RE.search(str(value))):
                return m[0]
        for page in reader.pages:
            if m := CODE_RE.search(page.extract_text() or ""):
                return m[0]
        raise ValueError(f"{path}: no verification code found in the PDF")
    if m := CODE_RE.search(data.decode("utf-8", "replace")):
        return m[0]
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                for v in row:
                    if isinstance(v, str) and (m := CODE_RE.search(v)):
                        return m[0]
    raise ValueError(f"{path}: no verification code found")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str
    scope: Scope | None = None


def describe(scope: Scope) -> str:
    names = {"R": "reconciliation", "C": "customs pack", "A": "accounting pack", "D": "donor pack"}
    params = ", ".join(f"{k} {v}" for k, v in scope.params.items() if v) or "all"
    return f"{names[scope.kind]} ({params}) as of entry {scope.as_of}"


def verify(conn, code: str) -> Verdict:  # type: ignore[no-untyped-def]
    """Does the ledger still agree with the document that carries this code?"""
    from sqlalchemy import func, select

    from ledger import journal
    from ledger.db import tables as t
    from reports.data import parse_period, scope_entries

    scope = decode(code)
    what = describe(scope)
    last = conn.execute(select(t.Entry.id).order_by(t.Entry.id.desc()).limit(1)).scalar() or 0
    if last < scope.as_of:
        return Verdict(False, f"{what}: the ledger has only {last} entries; the document was made "
                       f"from {scope.as_of} — wrong ledger, or entries were removed", scope)  # fmt: skip
    chain = journal.verify(conn)
    if not chain.ok:
        return Verdict(False, f"{what}: the ledger itself is not intact: {chain.problem}", scope)
    entries = scope_entries(conn, scope.kind, scope.params, scope.as_of)
    if digest(entries) != scope.digest:
        return Verdict(False, f"{what}: the ledger no longer matches the document (the entries "
                       "it shows differ from those in the ledger)", scope)  # fmt: skip
    from reports.data import entries_in_scope

    # the shown entries as a subquery, not a list of ids: PostgreSQL takes at most 65,535
    # parameters, and a large reconciliation shows more entries than that
    shown = entries_in_scope(scope.kind, scope.params, scope.as_of)
    e = t.Entry
    undone = select(e.id, e.reverses_id, e.date).where(e.id > scope.as_of,
                                                       e.reverses_id.in_(shown))  # fmt: skip
    period = parse_period(scope.params.get("period")) if scope.kind == "A" else None
    if period:  # it shows the period as it stood at its end: a reversal dated later is a
        undone = undone.where(e.date <= period[1])  # storno line of a later period's pack
    later = conn.execute(undone.order_by(e.id)).first()
    if later is not None:
        return Verdict(False, f"{what}: entry {later.reverses_id} shown in the document was "
                       f"reversed by entry {later.id} on {later.date}", scope)  # fmt: skip
    # An entry recorded after the document but dated on or before its day (a late receipt, a
    # back-dated distribution) would have been in it: the document's figures no longer hold.
    # Its day is the newest date it showed. A period's document shows the whole period,
    # whenever it was made, and nothing after it; a customs pack shows its consignment up to
    # the consignment's own newest entry; a reconciliation or a donor pack without a period
    # shows the ledger as of its newest day (ages, "unexplained for N days").
    params = scope.params
    span = parse_period(params.get("period")) if scope.kind in ("A", "D") else None
    own = None
    if scope.kind == "C":
        own = conn.execute(select(func.max(e.date)).where(e.id.in_(shown))).scalar()
    if span:
        day = span[1]
        if scope.kind == "A":  # and its opening balances: anything of the recipient before
            params = {**params, "period": ""}
    elif own is not None:
        day = own
    else:
        day = conn.execute(select(func.max(e.date)).where(e.id <= scope.as_of)).scalar()
    if day is not None:
        late = conn.execute(
            select(e.id, e.date, e.ref)
            .where(e.id.in_(entries_in_scope(scope.kind, params, last)),
                   e.id > scope.as_of, e.date <= day, e.reverses_id.is_(None))
            .order_by(e.id).limit(1)
        ).first()  # fmt: skip
        if late is not None:
            return Verdict(False, f"{what}: entry {late.id} ({late.ref}, dated {late.date}) was "
                           "recorded after the document but belongs in it",
                           scope)  # fmt: skip
    return Verdict(True, f"{what}: the ledger agrees ({len(entries)} entries, digest "
                   f"{scope.digest})", scope)  # fmt: skip
