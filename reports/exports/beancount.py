"""Beancount v3 export: `aidledger export beancount --out F.beancount`.

One transaction per journal entry: the entry's reference as narration, links to its shipment,
pledge and document (`^shipment/WRO-2022-001 ^pledge/PRAGUE/MHMP-UA-2022-01 ^receipt/LV-PN-1`),
its id, kind and reference as metadata, and per posting the lot (shipment line) it moves. Goods
postings carry their value as a total price (`10 MED-PARACET-500 @@ 35.50 CZK`) unless
`values=False`. Accounts are opened on the date of their earliest posting; every item is declared
as a `commodity` with its human name; and the file ends with a `balance` assertion for every
(account, commodity) of the ledger, dated the day after the last entry, with zero tolerance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection

from reports.exports.common import Totals, amount_text, money_assertions, priced
from reports.exports.source import (
    ExportStats,
    Journal,
    OutEntry,
    assembled,
    iter_entries,
    load_journal,
    meta_items,
    number,
    one_line,
    reported,
)


def quote(text: str) -> str:
    """A Beancount string literal."""
    return '"' + one_line(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _meta_value(value: Any) -> str:
    return quote(str(value))


def _amount(q: Decimal) -> str:
    return number(q)


def _balance_amount(q: Decimal) -> str:
    """A balance amount checked exactly: a fractional amount gets an explicit zero tolerance
    (Beancount would otherwise allow twice its last digit's half-unit)."""
    text = number(q)
    return f"{text} ~ 0" if "." in text else text


def write_entry(out: IO[str], j: Journal, entry: OutEntry, values: bool, totals: Totals,
                first_use: dict[str, dt.date]) -> int:  # fmt: skip
    chart = j.chart
    narration = entry.ref + (f": {entry.memo}" if entry.memo.strip() else "")
    links = "".join(f" ^{link}" for link in j.links(entry))
    lines = [f"{entry.date.isoformat()} * {quote(narration)}{links}"]
    lines += [f"  {k}: {_meta_value(v)}" for k, v in meta_items(entry)]
    if entry.memo.strip():
        lines.append(f"  memo: {quote(entry.memo)}")
    with_value = values and priced(entry)
    written = 0
    for p in entry.postings:
        account = chart.accounts[p.account]
        if entry.date < first_use.get(p.account, dt.date.max):  # journal order is not date
            first_use[p.account] = entry.date  # order: a late import comes after newer entries
        amount = amount_text(p, chart.tickers[p.commodity], with_value, _amount, totals)
        if amount is None:
            continue
        lines.append(f"  {account}  {amount}")
        lot = j.lot_text(p.lot_id)
        if lot:
            lines.append(f"    lot: {quote(lot)}")
        written += 1
    out.write("\n".join(lines))
    out.write("\n\n")
    return written


def write_beancount(conn: Connection, path: Path, *, values: bool = True,
                    progress: Callable[[int, int], None] | None = None) -> ExportStats:  # fmt: skip
    """Write the whole journal of the ledger on `conn` to `path` as a Beancount v3 file."""
    j = load_journal(conn)
    stats = ExportStats(Path(path))
    totals = Totals()
    first_use: dict[str, dt.date] = {}
    start = j.first_date or dt.date.today()
    with assembled(Path(path)) as (head, body):
        for entry in reported(iter_entries(conn), j.entry_count, progress):
            stats.postings += write_entry(body, j, entry, values, totals, first_use)
            stats.entries += 1
        closing_day = (j.last_date or start) + dt.timedelta(days=1)
        body.write("; closing balances of the ledger, as AidLedger holds them\n")
        assertions = [(j.chart.accounts[a], j.chart.tickers[c], q)
                      for (a, c), q in j.closing.items()]  # fmt: skip
        assertions += money_assertions(j, totals, values)
        for account, commodity, q in sorted(assertions):
            body.write(f"{closing_day.isoformat()} balance {account}  "
                       f"{_balance_amount(q)} {commodity}\n")  # fmt: skip
        stats.assertions = len(assertions)

        head.write(f'option "title" {quote("AidLedger journal")}\n')
        head.write('option "operating_currency" "UAH"\n\n')
        head.write("; Exported by `aidledger export beancount`. Goods are commodities (one ticker\n"
                   "; per item, its name in the metadata); postings with a price (@@) carry the\n"
                   "; goods' declared value in the donor's currency. See docs/exports.md.\n\n")  # fmt: skip
        for code, ticker in sorted(j.chart.tickers.items(), key=lambda kv: kv[1]):
            info = j.items.get(code)
            if info is None:
                continue
            head.write(f"{start.isoformat()} commodity {ticker}\n")
            head.write(f"  name: {quote(info.name)}\n  code: {quote(code)}\n"
                       f"  unit: {quote(info.unit)}\n")  # fmt: skip
            if info.name_uk:
                head.write(f"  name_uk: {quote(info.name_uk)}\n")
        head.write("\n")
        opened = {a: first_use.get(a, closing_day) for a in j.chart.accounts}
        for acc, name in sorted(j.chart.accounts.items(), key=lambda kv: kv[1]):
            head.write(
                f"{opened[acc].isoformat()} open {name}\n  aidledger_account: {quote(acc)}\n"
            )
        head.write("\n")
        stats.accounts = len(j.chart.accounts)
        stats.commodities = len(j.chart.tickers)
    return stats
