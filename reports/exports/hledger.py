"""hledger journal export (also read by ledger-cli): `aidledger export hledger --out F.journal`.

One transaction per journal entry: `DATE (REF) REF | MEMO`, with tags `entry`, `kind`,
`shipment`, `pledge`, the document (`receipt`, `distribution`, `writeoff`, `transfer`) and
`memo` on comment lines, and per posting a `lot` tag. Commodities are the same tickers as the
Beancount export, double-quoted (`"MED-PARACET-500"`), each declared with its human name, code,
unit and Ukrainian name; accounts are declared with their AidLedger path. Human text keeps every
character hledger reads back, bar `;` in a description and `,` in a tag value (`tag_value`).
Goods postings carry their value as a total price (`@@ 35.50 CZK`) unless `values=False`.
Closing transactions, dated the day after the last entry, assert the stored closing balance of
every (account, commodity) (`0 "X" = 120 "X"`) and the money of every (account, currency) that
has some, one transaction per account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import IO

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


def symbol(ticker: str) -> str:
    """A commodity symbol as hledger and ledger-cli read it: quoted unless plain letters."""
    return ticker if ticker.isalpha() else f'"{ticker}"'


# What hledger's syntax reserves in human text, and what stands for it there: a `;` ends a
# description (a comment starts), a `,` ends a tag value. Their fullwidth forms read the same
# and are not syntax; everything else is kept (docs/exports.md, "Text: names, units, memos").
DESCRIPTION_RESERVED = str.maketrans({";": "\uff1b"})
TAG_RESERVED = str.maketrans({",": "\uff0c"})


def description(value: str) -> str:
    """Free text in a transaction's description: one line, no `;` (it would start a comment)."""
    return one_line(value).translate(DESCRIPTION_RESERVED)


def tag_value(value: str) -> str:
    """Free text as a tag value (`; name: value`): one line, no `,` (hledger ends the value
    there); a `;`, quotes and colons are kept, hledger reads them back as they are."""
    return one_line(value).translate(TAG_RESERVED)


def write_entry(out: IO[str], j: Journal, entry: OutEntry, values: bool, totals: Totals) -> int:
    chart = j.chart
    memo = entry.memo.strip()
    desc = description(entry.ref) + (f" | {description(memo)}" if memo else "")
    lines = [f"{entry.date.isoformat()} ({entry.ref}) {desc}"]
    lines += [f"    ; {k}: {v}" for k, v in meta_items(entry) if k != "ref"]
    for link in j.links(entry):
        kind, _, rest = link.partition("/")
        lines.append(f"    ; {kind}: {rest}")
    if memo:
        lines.append(f"    ; memo: {tag_value(memo)}")
    with_value = values and priced(entry)
    written = 0
    for p in entry.postings:
        account = chart.accounts[p.account]
        amount = amount_text(p, symbol(chart.tickers[p.commodity]), with_value, number, totals)
        if amount is None:
            continue
        line = f"    {account}    {amount}"
        lot = j.lot_text(p.lot_id)
        lines.append(f"{line}  ; lot: {lot}" if lot else line)
        written += 1
    out.write("\n".join(lines))
    out.write("\n\n")
    return written


def write_hledger(conn: Connection, path: Path, *, values: bool = True,
                  progress: Callable[[int, int], None] | None = None) -> ExportStats:  # fmt: skip
    """Write the whole journal of the ledger on `conn` to `path` as an hledger journal."""
    j = load_journal(conn)
    stats = ExportStats(Path(path))
    totals = Totals()
    with assembled(Path(path)) as (head, body):
        for entry in reported(iter_entries(conn), j.entry_count, progress):
            stats.postings += write_entry(body, j, entry, values, totals)
            stats.entries += 1
        closing_day = (j.last_date or j.first_date or dt.date.today()) + dt.timedelta(days=1)
        assertions = [(j.chart.accounts[a], symbol(j.chart.tickers[c]), q)
                      for (a, c), q in j.closing.items()]  # fmt: skip
        assertions += money_assertions(j, totals, values)
        # One assertion transaction per account: ledger-cli checks the assertions of one
        # transaction in quadratic time (60 s instead of 2 s for 30k assertions in one).
        current = None
        for account, sym, q in sorted(assertions):
            if account != current:
                body.write(f"\n{closing_day.isoformat()} closing balance, as AidLedger holds it\n")
                current = account
            body.write(f"    {account}    0 {sym} = {number(q)} {sym}\n")
        stats.assertions = len(assertions)

        head.write("; AidLedger journal, exported by `aidledger export hledger`.\n"
                   "; Goods are commodities (one symbol per item, its name in the directive);\n"
                   "; postings with a price (@@) carry the goods' declared value in the donor's\n"
                   "; currency. See docs/exports.md.\n\ndecimal-mark .\n\n")  # fmt: skip
        for code, ticker in sorted(j.chart.tickers.items(), key=lambda kv: kv[1]):
            info = j.items.get(code)
            if info is None:
                continue
            head.write(f"commodity {symbol(ticker)}\n    ; name: {tag_value(info.name)}\n"
                       f"    ; code: {tag_value(code)}\n    ; unit: {tag_value(info.unit)}\n")  # fmt: skip
            if info.name_uk:
                head.write(f"    ; name_uk: {tag_value(info.name_uk)}\n")
        # Value currencies (in prices and money postings) and money held as a commodity are
        # declared too, so that every commodity in the file is. hledger 1.25's `check --strict`
        # asks that of posting amounts only, not of prices (`@@ 35.50 CZK`).
        money = (
            j.currencies
            | {cur for _a, cur in totals.money}
            | {symbol(ticker) for code, ticker in j.chart.tickers.items() if code not in j.items}
        )
        for cur in sorted(money):
            head.write(f"commodity {cur}\n")
        head.write("\n")
        for acc, name in sorted(j.chart.accounts.items(), key=lambda kv: kv[1]):
            head.write(f"account {name}\n    ; aidledger: {acc}\n")
        head.write("\n")
        stats.accounts = len(j.chart.accounts)
        stats.commodities = len(j.chart.tickers)
    return stats
