"""The customs and bookkeeping rules engine (DESIGN §6, catalogue ../shared/rules-catalogue.md).

Rules are pure functions over an immutable `Dataset` loaded once per check; they are grouped in
packs chosen per corridor and date (`ua-import`, `eu-export`, `medicines-food`, `bookkeeping`,
`reporting`). This package module stays import-light (the CLI imports `ledger.rules.commands`):
everything heavy is imported on use.

    from ledger.rules.engine import check_ledger
    result = check_ledger(led, packs=["ua-import"], as_of=date(2024, 10, 31))
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def findings_for_reports(led: Any, as_of: dt.date | None = None) -> list[Any]:
    """Every finding over a `Ledger`, for the report packs.

    Measured as of the ledger's last recorded event (reports describe the ledger as recorded),
    unless `as_of` is given.
    """
    from ledger.db.engine import reader
    from ledger.rules.dataset import load
    from ledger.rules.engine import run

    with reader(led.engine) as conn:
        ds = load(conn)
    return list(run(ds, as_of=as_of or ds.last_event_date or dt.date.today()).findings)
