"""The stored journal replayed day by day: what invariant 3 means on a past day."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from ledger.accounts import is_physical
from ledger.api import Ledger
from ledger.db import tables as t

D = Decimal


def physical_days(led: Ledger) -> dict[tuple[object, ...], list[tuple[dt.date, Decimal]]]:
    """Every physical slot's postings with their entry dates, from the stored journal."""
    e, p = t.Entry, t.Posting
    moves: dict[tuple[object, ...], list[tuple[dt.date, Decimal]]] = defaultdict(list)
    with led.engine.connect() as conn:
        query = select(e.date, p.account, p.commodity, p.lot_id, p.pledge_line_id, p.quantity)
        for date, account, commodity, lot, pledge_line, q in conn.execute(
            query.join(e, e.id == p.entry_id)
        ):
            if is_physical(account):
                moves[(account, commodity, lot, pledge_line)].append((date, q))
    return moves


def assert_never_negative(led: Ledger) -> None:
    """Replaying the journal day by day, no physical slot ends a day below zero."""
    for slot, moves in physical_days(led).items():
        per_day: dict[dt.date, Decimal] = defaultdict(Decimal)
        for date, q in moves:
            per_day[date] += q
        running = D(0)
        for date in sorted(per_day):
            running += per_day[date]
            assert running >= 0, f"{slot} ends {date} at {running}"
