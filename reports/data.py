"""Read-only look-ups the packs share: master data, live records, lots and entry selections.

Records whose journal entry was later reversed are left out ("live" records only): a reversal is
how the ledger corrects, so a corrected act must not appear in a pack.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, Table, and_, func, or_, select, union_all
from sqlalchemy.orm import aliased

from ledger.db import tables as t
from ledger.db.ordering import bytewise

# a record table's name -> the table of its superseded versions
VERSIONS_BY_TABLE = {v.name.removesuffix("_version"): v for v in t.VERSIONS.values()}

PERIOD_RE = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")


def parse_period(period: str | None) -> tuple[dt.date, dt.date] | None:
    """'2023-05' | '2023-Q2' | '2023' -> (first day, last day); None -> None."""
    if not period:
        return None
    m = PERIOD_RE.match(period)
    if not m:
        raise ValueError(
            f"period {period!r} is not YYYY-MM, YYYY-Qn or YYYY (e.g. 2023-05, 2023-Q2)"
        )
    year = int(m[1])
    if m[2]:
        first_month, months = int(m[2]), 1
    elif m[3]:
        first_month, months = (int(m[3]) - 1) * 3 + 1, 3
    else:
        first_month, months = 1, 12
    start = dt.date(year, first_month, 1)
    end_month = first_month + months
    end = (
        dt.date(year + 1, 1, 1) if end_month > 12 else dt.date(year, end_month, 1)
    ) - dt.timedelta(days=1)
    return start, end


def _rows(conn: Connection, query: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(query)]


def parties(conn: Connection) -> dict[str, dict[str, Any]]:
    p = t.Party
    return {r["code"]: r for r in _rows(conn, select(p.code, p.name, p.kind, p.country,
                                                      p.name_local, p.registry_id,
                                                      p.aid_register_no))}  # fmt: skip


def items(conn: Connection) -> dict[str, dict[str, Any]]:
    i = t.Item
    return {r["code"]: r for r in _rows(conn, select(i.code, i.name, i.unit, i.hs_code, i.category,
                                                      i.tracks_expiry, i.name_uk, i.flags))}  # fmt: skip


def warehouses(conn: Connection) -> dict[str, dict[str, Any]]:
    w = t.Warehouse
    return {r["code"]: r for r in _rows(conn, select(w.code, w.party, w.name, w.settlement))}


def reversed_entries(conn: Connection, as_of: int | None = None) -> set[int]:
    """Ids of entries that were reversed, and of the reversals themselves."""
    e = t.Entry
    q = select(e.id, e.reverses_id).where(e.reverses_id.is_not(None))
    if as_of is not None:
        q = q.where(e.id <= as_of)
    out: set[int] = set()
    for rid, orig in conn.execute(q):
        out.update((rid, orig))
    return out


def last_entry(conn: Connection) -> tuple[int, dt.date | None]:
    e = t.Entry
    row = conn.execute(select(func.max(e.id), func.max(e.date))).one()
    return int(row[0] or 0), row[1]


def live(conn: Connection, table: Any, *where: Any, order: Any = None) -> list[dict[str, Any]]:
    """Records of an event table whose entry stands (not reversed)."""
    gone = reversed_entries(conn)
    return [r for r in _records(conn, table, where, order) if r.get("entry_id") not in gone]


def reversal_days(conn: Connection) -> dict[int, dt.date]:
    """Reversed entry id -> the day its reversal is dated."""
    e = t.Entry
    return dict(conn.execute(select(e.reverses_id, e.date).where(e.reverses_id.is_not(None))).all())


def _records(conn: Connection, table: Any, where: tuple[Any, ...],
             order: Any) -> list[dict[str, Any]]:  # fmt: skip
    return _ordered(conn, select(table).where(*where), order)


Where = Callable[[Any], tuple[Any, ...]]  # a table's columns -> its filter


def standing_on(conn: Connection, table: Any, day: dt.date, where: Where,
                order: tuple[str, ...]) -> list[dict[str, Any]]:  # fmt: skip
    """Records of an event table whose entry stood at the end of `day`: not reversed, or
    reversed by an entry dated after it. A period's documents show the period as it was: a
    reversal dated later belongs to a later period (`reversed_between`) and never changes an
    earlier one, closed or not. Versions a correction replaced count as records of their own
    entry (`tables.VERSIONS`): a receipt corrected later still stands in its period."""

    def query(source: Table) -> Select[Any]:
        rev = aliased(t.Entry)  # the reversal of the record's entry, if any
        return (select(*_columns(table, source)).outerjoin(rev, rev.reverses_id == source.c.entry_id)
                .where(*where(source.c), or_(rev.id.is_(None), rev.date > day)))  # fmt: skip

    return _union(conn, table, query, order)


def reversed_between(conn: Connection, table: Any, start: dt.date, end: dt.date, where: Where,
                     order: tuple[str, ...]) -> list[dict[str, Any]]:  # fmt: skip
    """Records dated before `start` whose entry's reversal is dated from `start` to `end`:
    what a period undoes of earlier periods (its storno lines), with the reversal's day as
    `reversed_on`; a version a correction replaced is undone like any record."""

    def query(source: Table) -> Select[Any]:
        rev = aliased(t.Entry)
        return (select(*_columns(table, source), rev.date.label("reversed_on"))
                .join(rev, rev.reverses_id == source.c.entry_id)
                .where(*where(source.c), source.c.date < start, rev.date.between(start, end)))  # fmt: skip

    return _union(conn, table, query, order)


def _columns(table: Any, source: Table) -> list[Any]:
    """The record table's columns, in its order, as `source` (it or its versions) holds them."""
    return [source.c[c.name] for c in table.__table__.columns]


def _union(conn: Connection, table: Any, query: Callable[[Table], Select[Any]],
           order: tuple[str, ...]) -> list[dict[str, Any]]:  # fmt: skip
    """The records `query` picks from a table and from its superseded versions, in `order`."""
    versions = VERSIONS_BY_TABLE.get(table.__tablename__)
    both = query(table.__table__)
    if versions is not None:
        both = union_all(both, query(versions)).subquery()  # type: ignore[assignment]
        both = select(both)  # type: ignore[assignment]
    q = both.order_by(*bytewise(conn.dialect.name, *(both.selected_columns[n] for n in order)))
    return [dict(r._mapping) for r in conn.execute(q)]


def _ordered(conn: Connection, q: Any, order: Any) -> list[dict[str, Any]]:
    if order is not None:
        terms = order if isinstance(order, (list, tuple)) else (order,)
        q = q.order_by(*bytewise(conn.dialect.name, *terms))
    return [dict(r._mapping) for r in conn.execute(q)]


def lots(conn: Connection, *where: Any, standing: bool = True) -> dict[int, dict[str, Any]]:
    """Shipment lines by id; `standing=False`: reversed ones too (to name what a record of an
    earlier period, or its storno, belongs to)."""
    s = t.ShipmentLine
    order = (s.shipment_ref, s.line_no)
    rows = live(conn, s, *where, order=order) if standing else _records(conn, s, where, order)
    return {r["id"]: r for r in rows}


def line_value(line: dict[str, Any], name: str) -> Any:
    """A field of one shipment line: its table column, else one of the optional columns kept in
    its source row (docs/formats-extensions.md; top level or its `extra`), as the rules engine
    reads them (`ledger.rules.dataset`); None when blank."""
    value = line.get(name)
    if value in (None, ""):
        src = line.get("src") or {}
        value = src.get(name)
        if value in (None, ""):
            value = (src.get("extra") or {}).get(name)
    return None if value in (None, "") else value


def header_value(lines: list[dict[str, Any]], name: str) -> Any:
    """A consignment's header field (docs/formats-extensions.md: "per line or line 1", e.g.
    `export_mrn`): the first line, by line number, that has it. The customs and donor packs
    both read it so, as the rules engine does, so no pack and no finding disagree on whether it
    was given."""
    for line in sorted(lines, key=lambda ln: ln["line_no"]):
        if (value := line_value(line, name)) is not None:
            return value
    return None


def header_date(lines: list[dict[str, Any]], name: str) -> dt.date | None:
    """`header_value` of a date field as a date (None when missing or not a date)."""
    from schemas.fields import parse_date

    value = header_value(lines, name)
    try:
        return parse_date(value) if value is not None else None
    except ValueError:
        return None


def entry_lots(
    conn: Connection, entry_ids: list[int], account_prefix: str
) -> dict[int, list[tuple[int, Decimal]]]:
    """Per entry: (lot id, quantity) of its postings into accounts starting with the prefix."""
    out: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    if not entry_ids:
        return out
    p = t.Posting
    for chunk_start in range(0, len(entry_ids), 500):
        chunk = entry_ids[chunk_start : chunk_start + 500]
        q = select(p.entry_id, p.lot_id, p.quantity).where(
            p.entry_id.in_(chunk), p.account.startswith(account_prefix), p.lot_id.is_not(None),
        ).order_by(p.entry_id, p.seq)  # fmt: skip
        for eid, lot_id, q_ in conn.execute(q):
            if q_ > 0:  # decimals are TEXT on SQLite: compare in Python, never in SQL
                out[eid].append((lot_id, q_))
    return out


def fx_rate(conn: Connection, on: dt.date, currency: str) -> tuple[Decimal, str | None] | None:
    if currency == "UAH":
        return Decimal(1), None
    f = t.FxRate
    row = conn.execute(
        select(f.rate, f.source).where(f.date == on, f.currency == currency, f.base == "UAH")
    ).first()
    return (row[0], row[1]) if row else None


# ---------------------------------------------------------------- entry selections


def _posting_scope(kind: str, params: dict[str, str]) -> tuple[list[Any], bool]:
    """Conditions on (posting, shipment_line, pledge_line, entry) selecting a document's entries."""
    p, s, pl, e = t.Posting, t.ShipmentLine, t.PledgeLine, t.Entry
    conds: list[Any] = []
    owned = or_(s.id.is_not(None), pl.id.is_not(None))
    if kind == "R":
        conds.append(owned)
        if params.get("donor"):
            conds.append(or_(s.donor == params["donor"], pl.donor == params["donor"]))
        if params.get("recipient"):
            r = params["recipient"]
            conds.append(or_(s.recipient == r, pl.recipient == r))
    elif kind == "C":
        conds += [s.shipment_ref == params["shipment"], e.kind.in_(("dispatch", "customs"))]
    elif kind == "A":
        r = params["recipient"]
        conds.append(or_(
            s.recipient == r, pl.recipient == r, p.account.startswith(f"stock:{r}:"),
            p.account.startswith(f"distributed:{r}:"), p.account.startswith(f"loss:{r}:"),
        ))  # fmt: skip
        span = parse_period(params.get("period"))
        if span:
            conds.append(and_(e.date >= span[0], e.date <= span[1]))
    elif kind == "D":
        d = params["donor"]
        conds.append(or_(s.donor == d, pl.donor == d))
        span = parse_period(params.get("period"))
        if span:
            conds.append(or_(s.dispatch_date.between(*span), pl.date.between(*span)))
    else:
        raise ValueError(f"unknown document kind {kind!r}")
    return conds, True


def entries_in_scope(kind: str, params: dict[str, str], as_of: int) -> Select[Any]:
    """SELECT the ids of the entries a document of this kind and scope shows (a subquery)."""
    p, s, pl, e = t.Posting, t.ShipmentLine, t.PledgeLine, t.Entry
    conds, _ = _posting_scope(kind, params)
    return (
        select(e.id)
        .select_from(p)
        .join(e, e.id == p.entry_id)
        .outerjoin(s, s.id == p.lot_id)
        .outerjoin(pl, pl.id == p.pledge_line_id)
        .where(e.id <= as_of, *conds)
    )


def scope_entries(
    conn: Connection, kind: str, params: dict[str, str], as_of: int
) -> list[tuple[int, str]]:
    """(entry id, entry hash) of every entry a document of this kind and scope shows."""
    e = t.Entry
    ids = entries_in_scope(kind, params, as_of)
    q = select(e.id, e.hash).where(e.id.in_(ids)).order_by(e.id)
    return [(int(i), h) for i, h in conn.execute(q)]
