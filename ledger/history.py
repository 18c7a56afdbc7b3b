"""What a physical slot can give up on a past day (invariant 3 holds on every day, not just now).

An event dated before the newest entry of the ledger (a late import, a back-dated correction)
changes the balance of every day from its date on. Taking out `q` on day `d` is allowed only if
the slot held at least `q` at the end of `d` *and* still does at the end of every later day,
after what later entries took out. Comparing against today's balance alone would let goods
leave before they arrived: received in October, distributed the January before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from ledger.entries import ZERO

Move = tuple[dt.date, Decimal]


def headroom(held: Decimal, later: Iterable[Move]) -> Decimal:
    """How much may leave a slot holding `held` now, on a day before every move in `later`.

    `later` are the slot's postings dated after that day (date, signed quantity). The balance at
    the end of a later day t is `held` minus the moves dated after t, so the smallest balance
    over the day itself and every later day is `held` minus the largest sum of a newest-first
    run of moves (or nothing). Moves on the same day count together: within a day order does
    not matter, only where the day ends.
    """
    per_day: dict[dt.date, Decimal] = {}
    for day, q in later:
        per_day[day] = per_day.get(day, ZERO) + q
    peak = running = ZERO
    for day in sorted(per_day, reverse=True):
        running += per_day[day]
        peak = max(peak, running)
    return held - peak


def enough_from(held: Decimal, later: Iterable[Move], need: Decimal) -> dt.date | None:
    """The first of the later days from which `need` may leave the slot without it going below
    zero then or after (None if no day does): said when a back-dated row is refused, e.g. goods
    that came back into transit by a reversal dated later than the corrected receipt."""
    moves = list(later)
    for day in sorted({d for d, _q in moves}):
        if headroom(held, [(d, q) for d, q in moves if d > day]) >= need:
            return day
    return None
