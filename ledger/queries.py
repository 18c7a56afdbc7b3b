"""Answers read from the running balances: `balance` and `reconcile`.

`balance` reads the `holding` summary (per lot: the `balance` table), `reconcile` the `figure`
summary; both are kept with the journal in the same transaction (`ledger.summaries`), so an
answer reads a few thousand rows however long the journal grows.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from ledger.db import tables as t
from ledger.entries import ZERO
from schemas.outputs import BalanceRow, ReconRow


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


def balances(
    conn: Connection, account_prefix: str | None = None, by_lot: bool = False
) -> list[BalanceRow]:
    """Quantity (and value) per account and commodity, optionally per lot; zero rows left out."""
    if not by_lot:
        return _holdings(conn, account_prefix)
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
    sums: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [ZERO, ZERO, set()])
    for (account, commodity, lot_id, pl_id, currency), (q, v) in slots.items():
        if q == 0 and v == 0:
            continue
        lot_key = (lot_id, pl_id) if by_lot else None
        acc = sums[(account, commodity, lot_key)]
        acc[0] += q
        acc[1] += v
        if currency:
            acc[2].add(currency)
    rows = []
    for (account, commodity, lot_key), (q, v, currencies) in sorted(
        sums.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]))
    ):
        if q == 0 and v == 0:
            continue
        one_currency = next(iter(currencies)) if len(currencies) == 1 else None
        extra: dict[str, Any] = {}
        if lot_key is not None:
            lot_id, pl_id = lot_key
            if lot_id is not None and lot_id in lots:
                lot = lots[lot_id]
                extra = {"lot": f"{lot.shipment_ref}/{lot.line_no}", "batch": lot.batch,
                         "expiry": lot.expiry.isoformat() if lot.expiry else None}  # fmt: skip
            elif pl_id is not None and pl_id in pledges:
                pl = pledges[pl_id]
                extra = {"lot": f"pledge {pl.donor}/{pl.pledge_ref}/{pl.line_no}"}
        rows.append(BalanceRow(account=account, commodity=commodity, quantity=q,
                               value=v if one_currency else None, currency=one_currency,
                               **extra))  # fmt: skip
    return rows


def _holdings(conn: Connection, account_prefix: str | None) -> list[BalanceRow]:
    """Balances per (account, commodity) from the `holding` summary: only live rows are read."""
    h = t.Holding
    query = select(h.account, h.commodity, h.currency, h.quantity, h.value).where(h.live > 0)
    if account_prefix:
        query = query.where(h.account.startswith(account_prefix, autoescape=True))
    sums: dict[tuple[str, str], list[Any]] = {}
    for account, commodity, currency, q, v in conn.execute(query):
        acc = sums.get((account, commodity))
        if acc is None:
            acc = sums[(account, commodity)] = [ZERO, ZERO, set()]
        acc[0] += q
        acc[1] += v
        if currency:
            acc[2].add(currency)
    rows = []
    for (account, commodity), (q, v, currencies) in sorted(sums.items()):
        if q == 0 and v == 0:
            continue
        one = next(iter(currencies)) if len(currencies) == 1 else None
        rows.append(BalanceRow(account=account, commodity=commodity, quantity=q,
                               value=v if one else None, currency=one))  # fmt: skip
    return rows


def reconcile(
    conn: Connection, donor: str | None = None, recipient: str | None = None
) -> list[ReconRow]:
    """Pledged → dispatched → customs → received → distributed per (donor, recipient, item).

    Reads the `figure` summary: one row per (donor, recipient, item) and donor currency.
    """
    units = {r.code: r.unit for r in conn.execute(select(t.Item.code, t.Item.unit))}
    f = t.Figure
    query = select(f.__table__)
    if donor:
        query = query.where(f.donor == donor)
    if recipient:
        query = query.where(f.recipient == recipient)
    quantities: dict[tuple[str, str, str], Any] = {}
    values: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for r in conn.execute(query):
        key = (r.donor, r.recipient, r.item)
        if r.currency:
            values[key].append(r)
        else:
            quantities[key] = r
    rows = []
    for key in sorted(quantities.keys() | values.keys()):
        d, rcp, item = key
        fig = quantities.get(key)
        per_currency = values.get(key, [])
        # Values are shown in one currency only: that of the dispatches that still stand (a
        # reversed dispatch nets to zero and lends no currency).
        live = {v.currency for v in per_currency if v.dispatched_net != 0}
        one = next(iter(live)) if len(live) == 1 else None
        pending = fig.uah_pending if fig is not None else ZERO
        rows.append(ReconRow(
            donor=d, recipient=rcp, item=item, unit=units.get(item, ""),
            **{c: getattr(fig, c) if fig is not None else ZERO
               for c in ReconRow.QUANTITIES if c != "outstanding_pledge"},
            outstanding_pledge=max(fig.outstanding_pledge if fig is not None else ZERO, ZERO),
            currency=one,
            dispatched_value=sum((v.dispatched_value for v in per_currency), ZERO) if one else None,
            received_value=sum((v.received_value for v in per_currency), ZERO) if one else None,
            received_value_uah=None if pending else (fig.received_value_uah if fig is not None
                                                     else ZERO),
            uah_pending=int(pending),
        ))  # fmt: skip
    return rows
