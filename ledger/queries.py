"""Answers read from the running balances: `balance` and `reconcile`.

Both read the small `balance` table (one row per account, commodity, lot, pledge line, currency
and entry kind), never the whole journal, so they stay fast as the journal grows.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from ledger.accounts import stage
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
    b = t.Balance
    query = select(
        b.account, b.commodity, b.lot_id, b.pledge_line_id, b.currency, b.quantity, b.value
    )
    if account_prefix:
        query = query.where(b.account.startswith(account_prefix, autoescape=True))
    lots = _lots(conn) if by_lot else {}
    pledges = _pledges(conn) if by_lot else {}
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


# (stage, entry kind or None for any, extra account test) -> reconciliation column
def _columns_for(account: str, kind: str) -> list[str]:
    st = stage(account)
    cols: list[str] = []
    if st == "pledged":
        cols.append("outstanding_pledge")
        if kind == "pledge":
            cols.append("pledged")
    elif st == "transit":
        cols.append("in_transit")
        if kind == "dispatch":
            cols.append("dispatched")
    elif st == "customs":
        cols += ["in_transit", "at_customs"]
    elif st == "stock":
        cols.append("in_stock")
        if kind == "receipt":
            cols.append("received")
    elif st == "distributed":
        cols.append("distributed")
    elif st == "loss":
        if kind == "receipt" and account.endswith(":short"):
            cols.append("short")
        elif kind == "receipt" and account.endswith(":damaged"):
            cols.append("damaged")
        elif kind == "writeoff":
            cols.append("written_off")
    elif st == "donor" and kind == "receipt":
        cols.append("-excess")
    return cols


def reconcile(
    conn: Connection, donor: str | None = None, recipient: str | None = None
) -> list[ReconRow]:
    """Pledged → dispatched → customs → received → distributed per (donor, recipient, item)."""
    lots = _lots(conn)
    pledges = _pledges(conn)
    units = {r.code: r.unit for r in conn.execute(select(t.Item.code, t.Item.unit))}
    figures: dict[tuple[str, str, str], dict[str, Decimal]] = defaultdict(
        lambda: defaultdict(lambda: ZERO)
    )
    dispatched_net: dict[tuple[tuple[str, str, str], str], Decimal] = defaultdict(lambda: ZERO)
    b = t.Balance
    query = select(b.account, b.commodity, b.lot_id, b.pledge_line_id, b.kind, b.quantity,
                   b.value, b.currency)  # fmt: skip
    for r in conn.execute(query):
        if r.lot_id is not None:
            owner = lots[r.lot_id]
        elif r.pledge_line_id is not None:
            owner = pledges[r.pledge_line_id]
        else:
            continue
        key = (owner.donor, owner.recipient, r.commodity)
        fig = figures[key]
        for col in _columns_for(r.account, r.kind):
            if col == "-excess":
                fig["excess"] -= r.quantity
            else:
                fig[col] += r.quantity
        if r.lot_id is not None and r.currency:
            if stage(r.account) == "transit" and r.kind == "dispatch":
                fig["dispatched_value"] += r.value
                dispatched_net[(key, r.currency)] += r.quantity
            if stage(r.account) == "stock" and r.kind == "receipt":
                fig["received_value"] += r.value
    # Values are shown in one currency only: that of the dispatches that still stand (a
    # reversed dispatch nets to zero and lends no currency).
    currency: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for (key, cur), q in dispatched_net.items():
        if q != 0:
            currency[key].add(cur)
    uah: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [ZERO, 0])
    rl = t.ReceiptLine
    reversed_ids = set(
        conn.execute(select(t.Entry.reverses_id).where(t.Entry.reverses_id.is_not(None))).scalars()
    )
    for r in conn.execute(select(rl.shipment_line_id, rl.value_uah, rl.entry_id)):
        if r.entry_id in reversed_ids:
            continue  # a reversed receipt values nothing
        lot = lots[r.shipment_line_id]
        acc = uah[(lot.donor, lot.recipient, lot.item)]
        if r.value_uah is None:
            acc[1] += 1
        else:
            acc[0] += r.value_uah
    rows = []
    for key in sorted(figures):
        d, rcp, item = key
        if (donor and d != donor) or (recipient and rcp != recipient):
            continue
        fig = figures[key]
        cur = currency[key]
        one = next(iter(cur)) if len(cur) == 1 else None
        uah_total, pending = uah.get(key, (ZERO, 0))
        rows.append(ReconRow(
            donor=d, recipient=rcp, item=item, unit=units.get(item, ""),
            **{c: fig[c] for c in ReconRow.QUANTITIES if c != "outstanding_pledge"},
            outstanding_pledge=max(fig["outstanding_pledge"], ZERO),
            currency=one,
            dispatched_value=fig["dispatched_value"] if one else None,
            received_value=fig["received_value"] if one else None,
            received_value_uah=None if pending else uah_total,
            uah_pending=pending,
        ))  # fmt: skip
    return rows
