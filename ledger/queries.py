"""Answers read from the running balances: `balance` and `reconcile`.

`balance` reads the `holding` summary (per lot: the `balance` table), `reconcile` the `figure`
summary; both are kept with the journal in the same transaction (`ledger.summaries`), so an
answer reads a few thousand rows however long the journal grows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, String, exists, or_, select, type_coerce

from ledger.db import tables as t
from ledger.db.ordering import bytewise
from ledger.db.types import canonical as exact  # a `_raw` value as `ExactDecimal` reads it
from ledger.entries import ZERO
from ledger.errors import NotFound
from ledger.summaries import QUANTITY_COLUMNS, UAH_COLUMNS
from schemas.outputs import BalanceRow, EntryRow, ReconRow


def _lots(conn: Connection) -> dict[int, Any]:
    s = t.ShipmentLine
    return {
        r.id: r
        for r in conn.execute(
            select(s.id, s.shipment_ref, s.line_no, s.donor, s.recipient, s.item, s.batch,
                   s.expiry, s.currency)
        )
    }  # fmt: skip


def _pledges(conn: Connection) -> dict[int, Any]:
    p = t.PledgeLine
    return {
        r.id: r
        for r in conn.execute(
            select(p.id, p.donor, p.pledge_ref, p.line_no, p.recipient, p.item, p.currency)
        )
    }


def entries(conn: Connection, ref: str | None = None, kind: str | None = None,
            since: dt.date | None = None, until: dt.date | None = None,
            last: int | None = None) -> list[EntryRow]:  # fmt: skip
    """Journal entries in id order, with the reversal links: where a user finds the id that
    `reverse` takes (a receipt to post again, a row to correct) without reading the database."""
    e = t.Entry
    later = t.Entry.__table__.alias("later")
    by = select(later.c.id).where(later.c.reverses_id == e.id).scalar_subquery()
    query = select(e.id, e.date, e.kind, e.ref, e.memo, e.reverses_id, by).order_by(e.id)
    if ref:
        query = query.where(e.ref.contains(ref, autoescape=True))
    if kind:
        query = query.where(e.kind == kind)
    if since:
        query = query.where(e.date >= since)
    if until:
        query = query.where(e.date <= until)
    if last is not None:  # the newest `last` of them, still in id order
        query = query.order_by(None).order_by(e.id.desc()).limit(last)
        return [EntryRow(*row) for row in reversed(conn.execute(query).all())]
    return [EntryRow(*row) for row in conn.execute(query)]


def balances(
    conn: Connection, account_prefix: str | None = None, by_lot: bool = False
) -> list[BalanceRow]:
    """Quantity (and value) per account and commodity, optionally per lot; zero rows left out.

    Per lot, a slot that holds values in two currencies (a shipment valued in CZK against a
    pledge line in EUR) is one row per currency: a blank value there left whoever sums a
    currency's rows short of what the slot holds in it.
    """
    return _holdings(conn, account_prefix) if not by_lot else _lot_balances(conn, account_prefix)


def require_account(conn: Connection, prefix: str) -> None:
    """Refuse a prefix no account of the ledger starts with (`balance --account stock:KYYIV`
    would read as "holds nothing"), naming up to three close ones: accounts and their
    `:`-parts (`stock:KYIV`). An account that holds nothing now is still an account."""
    import difflib

    h = t.HoldingTotal
    if conn.execute(select(h.account).where(h.account.startswith(prefix, autoescape=True))
                    .limit(1)).first() is not None:  # fmt: skip
        return
    names: set[str] = set()
    for account in conn.execute(select(h.account).distinct()).scalars():
        parts = account.split(":")
        names.update(":".join(parts[:n]) for n in range(1, len(parts) + 1))
    folded = {name.lower(): name for name in sorted(names)}  # `stock:kyiv` finds stock:KYIV
    close = [folded[n] for n in difflib.get_close_matches(prefix.lower(), folded, n=3)]
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise NotFound(f"no account starts with {prefix!r}{hint}")


def _lot_balances(conn: Connection, account_prefix: str | None) -> list[BalanceRow]:
    """`balances` per lot (and currency)."""
    b = t.Balance
    query = select(
        b.account, b.commodity, b.lot_id, b.pledge_line_id, b.currency, b.quantity, b.value
    )
    if account_prefix:
        query = query.where(b.account.startswith(account_prefix, autoescape=True))
    lots = _lots(conn)
    pledges = _pledges(conn)
    # Net each slot over entry kinds first: a lot issued in full nets to zero and must not
    # lend its currency (or its value) to what the account still holds.
    slots: dict[tuple[Any, ...], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for r in conn.execute(query):
        slot = slots[(r.account, r.commodity, r.lot_id, r.pledge_line_id, r.currency)]
        slot[0] += r.quantity
        slot[1] += r.value
    per_lot: dict[tuple[Any, ...], dict[str | None, list[Decimal]]] = defaultdict(dict)
    for (account, commodity, lot_id, pl_id, currency), (q, v) in slots.items():
        if q != 0 or v != 0:
            per_lot[(account, commodity, lot_id, pl_id)][currency] = [q, v]
    rows = []
    for (account, commodity, lot_id, pl_id), held in sorted(
        per_lot.items(), key=lambda kv: (kv[0][0], kv[0][1], str((kv[0][2], kv[0][3])))
    ):
        extra = _lot_columns(lots, pledges, lot_id, pl_id)
        for currency, (q, v) in _by_currency(held):
            if q == 0 and v == 0:
                continue
            rows.append(BalanceRow(account=account, commodity=commodity, quantity=q,
                                   value=v if currency else None, currency=currency,
                                   **extra))  # fmt: skip
    return rows


def _by_currency(held: dict[str | None, list[Decimal]]) -> list[tuple[str | None, list[Decimal]]]:
    """One lot's (currency, [quantity, value]) as rows: one row when at most one currency holds
    value (quantities with no value join it), else one row per currency, in code order."""
    currencies = sorted(c for c in held if c)
    if len(currencies) <= 1:
        q = sum((x[0] for x in held.values()), ZERO)
        v = sum((x[1] for x in held.values()), ZERO)
        return [(currencies[0] if currencies else None, [q, v])]
    return [(c, held[c]) for c in ([None] if None in held else []) + currencies]


def _lot_columns(lots: dict[int, Any], pledges: dict[int, Any], lot_id: int | None,
                 pl_id: int | None) -> dict[str, Any]:  # fmt: skip
    if lot_id is not None and lot_id in lots:
        lot = lots[lot_id]
        return {"lot": f"{lot.shipment_ref}/{lot.line_no}", "batch": lot.batch,
                "expiry": lot.expiry.isoformat() if lot.expiry else None}  # fmt: skip
    if pl_id is not None and pl_id in pledges:
        pl = pledges[pl_id]
        return {"lot": f"pledge {pl.donor}/{pl.pledge_ref}/{pl.line_no}"}
    return {}


def _holdings(conn: Connection, account_prefix: str | None) -> list[BalanceRow]:
    """Balances per (account, commodity) from `holding_total`: one row read per live answer."""
    h = t.HoldingTotal
    query = select(h.account, h.commodity, _raw(h.quantity), _raw(h.value), h.currency).where(
        h.live > 0
    )
    if account_prefix:
        query = query.where(h.account.startswith(account_prefix, autoescape=True))
    rows = []
    for account, commodity, q, v, currency in conn.execute(query).all():
        q, v = exact(q), exact(v)
        if q == 0 and v == 0:
            continue
        rows.append(BalanceRow(account=account, commodity=commodity, quantity=q,
                               value=v if currency else None, currency=currency))  # fmt: skip
    rows.sort(key=lambda r: (r.account, r.commodity))  # code point order on every engine
    return rows


def _raw(column: Any) -> Any:
    """An exact-decimal column read without per-value processing: text on SQLite, Decimal on
    PostgreSQL; the caller makes it a `Decimal` with `exact` (several times faster for the
    hundred thousand rows of a large ledger)."""
    return type_coerce(column, String()).label(column.key)


def _figure_scope(donor: str | None, recipient: str | None) -> list[Any]:
    f = t.Figure
    scope = []
    if donor:
        scope.append(f.donor == donor)
    if recipient:
        scope.append(f.recipient == recipient)
    return scope


def _currency_values(conn: Connection, scope: list[Any]) -> dict[tuple[str, str, str], list[Any]]:
    """Per (donor, recipient, item): (currency, dispatched value, dispatched net, received
    value) of every value currency."""
    f = t.Figure
    values: dict[tuple[str, str, str], list[tuple[Any, ...]]] = defaultdict(list)
    value_query = select(f.donor, f.recipient, f.item, f.currency, _raw(f.dispatched_value),
                         _raw(f.dispatched_net), _raw(f.received_value))  # fmt: skip
    for r in conn.execute(value_query.where(f.currency != "", *scope)).all():
        values[(r[0], r[1], r[2])].append((r[3], exact(r[4]), exact(r[5]), exact(r[6])))
    return values


def values_by_currency(
    conn: Connection, donor: str | None = None, recipient: str | None = None
) -> dict[tuple[str, str, str], dict[str, tuple[Decimal, Decimal]]]:
    """(dispatched value, received value) per live value currency of each (donor, recipient,
    item): what `reconcile` leaves blank when goods of one item came in several currencies."""
    return {
        key: {cur: (value, received) for cur, value, net, received in rows if net != 0}
        for key, rows in _currency_values(conn, _figure_scope(donor, recipient)).items()
    }


def reconcile(
    conn: Connection, donor: str | None = None, recipient: str | None = None
) -> list[ReconRow]:
    """Pledged → dispatched → customs → received → distributed per (donor, recipient, item).

    Reads the `figure` summary: per (donor, recipient, item) the row with currency "" (the
    quantity and UAH columns) and one row per donor currency (the value columns). A donor or
    recipient code that is no party is refused: a typo would otherwise read as "nothing".
    """
    for code, role in ((donor, "donor"), (recipient, "recipient")):
        if code and conn.execute(select(t.Party.code).where(t.Party.code == code)).first() is None:
            raise NotFound(f"no party {code!r} in the ledger")
        if code:
            require_role(conn, code, role, f"nothing to reconcile for it as {role}")
    units = {r.code: r.unit for r in conn.execute(select(t.Item.code, t.Item.unit))}
    f = t.Figure
    scope = _figure_scope(donor, recipient)
    values = _currency_values(conn, scope)
    against = _dispatched_against_pledges(conn, donor, recipient)
    columns = QUANTITY_COLUMNS + UAH_COLUMNS
    query = select(f.donor, f.recipient, f.item, *(_raw(f.__table__.c[c]) for c in columns))
    rows = []
    for r in conn.execute(query.where(f.currency == "", *scope)).all():
        fig = dict(zip(columns, map(exact, r[3:]), strict=True))
        per_currency = values.get((r[0], r[1], r[2]), [])
        # Values are shown in one currency only: that of the dispatches that still stand (a
        # reversed dispatch nets to zero and lends no currency).
        live = {cur for cur, _value, net, _received in per_currency if net != 0}
        one = next(iter(live)) if len(live) == 1 else None
        pending = fig.pop("uah_pending")
        uah = fig.pop("received_value_uah")
        # FORMATS: max(pledged − dispatched against pledges, 0), whichever line of the pledge a
        # shipment named (the `pledged` account keeps what is left per line: a line shipped
        # beyond its own quantity does not lower the next line of the same item)
        against_pledges = against.get((r[0], r[1], r[2]), ZERO)
        fig["outstanding_pledge"] = max(fig["pledged"] - against_pledges, ZERO)
        if not (live or uah or pending or any(fig.values())):
            continue  # all its events were reversed: nothing to reconcile
        rows.append(ReconRow(
            donor=r[0], recipient=r[1], item=r[2], unit=units.get(r[2], ""), **fig,
            currency=one,
            dispatched_value=sum((x[1] for x in per_currency), ZERO) if one else None,
            received_value=sum((x[3] for x in per_currency), ZERO) if one else None,
            received_value_uah=None if pending else uah,
            uah_pending=int(pending),
        ))  # fmt: skip
    rows.sort(key=lambda x: (x.donor, x.recipient, x.item))  # code point order on every engine
    return rows


def _dispatched_against_pledges(conn: Connection, donor: str | None,
                                recipient: str | None) -> dict[tuple[str, str, str], Decimal]:  # fmt: skip
    """Per (donor, recipient, item) of the pledges: the quantity of the standing shipment lines
    sent against one of their lines."""
    s, p, e = t.ShipmentLine, t.PledgeLine, t.Entry
    query = (select(p.donor, p.recipient, p.item, _raw(s.quantity))
             .join(p, p.id == s.pledge_line_id)
             .where(s.entry_id.not_in(select(e.reverses_id).where(e.reverses_id.is_not(None)))))  # fmt: skip
    if donor:
        query = query.where(p.donor == donor)
    if recipient:
        query = query.where(p.recipient == recipient)
    out: dict[tuple[str, str, str], Decimal] = defaultdict(lambda: ZERO)
    for d, r, item, quantity in conn.execute(query):
        out[(d, r, item)] += exact(quantity)
    return out


def pending_receipts(conn: Connection, month: str) -> list[str]:
    """`receipt_ref shipment_ref/line` of the standing receipt lines dated in `month`
    (YYYY-MM) whose UAH value is still pending."""
    r, e = t.ReceiptLine, t.Entry
    first = dt.date.fromisoformat(f"{month}-01")
    after = (first + dt.timedelta(days=32)).replace(day=1)
    reversed_ids = select(e.reverses_id).where(e.reverses_id.is_not(None))
    query = (
        select(r.receipt_ref, r.shipment_ref, r.line_no)
        .where(r.date >= first, r.date < after, r.value_uah.is_(None),
               r.entry_id.not_in(reversed_ids))
        .order_by(*bytewise(conn.dialect.name, r.date, r.receipt_ref, r.shipment_ref, r.line_no))
    )  # fmt: skip
    return [f"{ref} {sref}/{line}" for ref, sref, line in conn.execute(query)]


def require_role(conn: Connection, code: str, role: str, answer: str) -> None:
    """Refuse an answer about a party in a role it never acted in (a donor pack, or the
    reconciliation of a donor, for a recipient city): an empty answer exiting 0 reads as
    "nothing this time", not as the typo it likely is. `answer` ends the message."""
    if role == "donor":
        found = or_(exists().where(t.PledgeLine.donor == code),
                    exists().where(t.ShipmentLine.donor == code))  # fmt: skip
        what = "pledges or shipments as donor"
    else:
        found = or_(exists().where(t.ShipmentLine.recipient == code),
                    exists().where(t.PledgeLine.recipient == code),
                    exists().where(t.Warehouse.party == code))  # fmt: skip
        what = "shipments, pledges or warehouses as recipient"
    if not conn.execute(select(found)).scalar():
        raise NotFound(f"{code} has no {what} in the ledger: {answer}")
