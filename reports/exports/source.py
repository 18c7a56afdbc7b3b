"""The journal as the exports read it: one streaming pass over entries and their postings.

Reads only what a writer needs, in journal order (entry id, then posting sequence), in chunks,
so exporting a million postings keeps memory flat. Closing balances come from the ledger's
stored running balances (the `balance` table), not from re-adding the postings: the receiving
tool's assertions then check the exported postings against AidLedger's own figures. That holds
for the money the exports write as plain currency amounts too (`Journal.money`).
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, func, select

from ledger.db import tables as t
from ledger.decimals import dstr
from ledger.entries import ZERO
from ledger.errors import LedgerError
from reports.exports.chart import Chart
from reports.outfiles import copy_into, replaced
from schemas.fields import FIRST_DATE, LAST_DATE

CHUNK = 20_000


@dataclass(frozen=True, slots=True)
class OutPosting:
    account: str
    commodity: str
    quantity: Decimal
    value: Decimal | None
    currency: str | None
    lot_id: int | None
    pledge_line_id: int | None


@dataclass(slots=True)
class OutEntry:
    id: int
    date: dt.date
    kind: str
    ref: str
    memo: str
    reverses_id: int | None
    postings: list[OutPosting] = field(default_factory=list)


@dataclass
class ExportStats:
    path: Path
    entries: int = 0
    postings: int = 0
    assertions: int = 0
    accounts: int = 0
    commodities: int = 0


@dataclass
class ItemInfo:
    code: str
    name: str
    unit: str
    name_uk: str | None


# ("lot", shipment line id) or ("pledge", pledge line id) -> (declared unit value, currency)
UnitValues = dict[tuple[str, int | None], tuple[Decimal, str]]


@dataclass
class Journal:
    """Everything an export needs besides the entries themselves."""

    chart: Chart
    items: dict[str, ItemInfo]
    lots: dict[int, tuple[str, int, int | None]]  # id -> shipment_ref, line_no, pledge_line_id
    pledges: dict[int, tuple[str, str, int]]  # id -> donor, pledge_ref, line_no
    first_date: dt.date | None
    last_date: dt.date | None
    closing: dict[tuple[str, str], Decimal]  # (account, commodity) -> quantity
    money: dict[tuple[str, str], Decimal]  # (account, currency) -> value beyond the goods'
    currencies: set[str]  # the value currencies of the ledger
    entry_count: int

    def links(self, entry: OutEntry) -> list[str]:
        """Shipment, pledge and document links of an entry, e.g. `shipment/WRO-2022-001`."""
        out: dict[str, None] = {}
        pledge_ids: dict[int, None] = {}
        for p in entry.postings:
            if p.lot_id is not None and p.lot_id in self.lots:
                shipment_ref, _line, pl = self.lots[p.lot_id]
                out[f"shipment/{shipment_ref}"] = None
                if pl is not None:
                    pledge_ids[pl] = None
            if p.pledge_line_id is not None:
                pledge_ids[p.pledge_line_id] = None
        for pl in pledge_ids:
            if pl in self.pledges:
                donor, ref, _line = self.pledges[pl]
                out[f"pledge/{donor}/{ref}"] = None
        kind, _, rest = entry.ref.partition(":")
        if kind == "customs" and rest:  # a hold moves nothing, yet belongs to its shipment
            out.setdefault(f"shipment/{rest.split('/', 1)[0]}", None)
        if kind in ("receipt", "distribution", "writeoff", "transfer") and rest:
            out[f"{kind}/{rest.split('/', 1)[0]}"] = None
        return list(out)

    def lot_text(self, lot_id: int | None) -> str | None:
        if lot_id is None or lot_id not in self.lots:
            return None
        shipment_ref, line_no, _pl = self.lots[lot_id]
        return f"{shipment_ref}/{line_no}"


def load_journal(conn: Connection) -> Journal:
    """Master data, the chart of the export and the closing balances (small tables only)."""
    items = {
        r.code: ItemInfo(r.code, r.name, r.unit, r.name_uk)
        for r in conn.execute(select(t.Item.code, t.Item.name, t.Item.unit, t.Item.name_uk))
    }
    s = t.ShipmentLine
    lots: dict[int, tuple[str, int, int | None]] = {}
    unit_values: UnitValues = {}
    for r in conn.execute(select(s.id, s.shipment_ref, s.line_no, s.pledge_line_id,
                                 s.unit_value, s.currency)):  # fmt: skip
        lots[r.id] = (r.shipment_ref, r.line_no, r.pledge_line_id)
        unit_values[("lot", r.id)] = (r.unit_value, r.currency)
    p = t.PledgeLine
    pledges: dict[int, tuple[str, str, int]] = {}
    for r in conn.execute(select(p.id, p.donor, p.pledge_ref, p.line_no, p.unit_value,
                                 p.currency)):  # fmt: skip
        pledges[r.id] = (r.donor, r.pledge_ref, r.line_no)
        unit_values[("pledge", r.id)] = (r.unit_value, r.currency)
    closing, money, currencies = _closing(conn, unit_values)
    e = t.Entry
    first, last, count = conn.execute(
        select(func.min(e.date), func.max(e.date), func.count())
    ).one()
    for day in (first, last):
        if day is not None and not FIRST_DATE <= day <= LAST_DATE:  # written by an older version
            raise LedgerError(
                f"the ledger holds an entry dated {day.isoformat()}, outside the years "
                f"{FIRST_DATE.year}–{LAST_DATE.year} the exported books can hold (ledger-cli "
                "reads 1400–9999; closing balances are asserted the day after the last entry)"
            )
    accounts = {a for a, _c in closing}
    commodities = {c for _a, c in closing} | set(items)
    goods = set(items) | (commodities - currencies)  # an item code is goods even if "EUR"
    chart = Chart.build(accounts, goods, currencies)
    for c in commodities - goods:  # money held as a commodity keeps its ISO code
        chart.tickers[c] = c
    return Journal(chart, items, lots, pledges, first, last, closing, money, currencies,
                   count or 0)  # fmt: skip


def _closing(conn: Connection, unit_values: UnitValues
             ) -> tuple[dict[tuple[str, str], Decimal], dict[tuple[str, str], Decimal], set[str]]:  # fmt: skip
    """Closing quantities per (account, commodity) and money per (account, currency), from
    the stored running balances (the `balance` table), and the value currencies.

    The money is what the exports write as plain currency amounts: the zero-quantity value
    postings (a re-valued dispatch's difference, on the donor account). Every other posting
    of a slot moves goods at the declared unit value of its lot or pledge line (`booking`),
    so a slot's value beyond `quantity × unit value` is that money. Taken from the stored
    slots and the declared unit values, never from the postings the export writes: a journal
    whose values disagree with the stored balances then fails the tools' money assertions.
    """
    b = t.Balance
    closing: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    money: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    currencies: set[str] = set()
    query = select(b.account, b.commodity, b.quantity, b.value, b.currency, b.lot_id,
                   b.pledge_line_id)  # fmt: skip
    for r in conn.execute(query):
        closing[(r.account, r.commodity)] += r.quantity
        if not r.currency:
            continue
        currencies.add(r.currency)
        declared = ZERO
        if r.quantity != 0:
            key = ("lot", r.lot_id) if r.lot_id is not None else ("pledge", r.pledge_line_id)
            unit_value, currency = unit_values.get(key, (ZERO, ""))
            if currency == r.currency:
                declared = r.quantity * unit_value
        if r.value != declared:
            money[(r.account, r.currency)] += r.value - declared
    return dict(closing), dict(money), currencies


PROGRESS_ENTRIES = 5_000  # entries written between two reports to an export's progress


def reported(entries: Iterator[OutEntry], total: int,
             progress: Callable[[int, int], None] | None) -> Iterator[OutEntry]:  # fmt: skip
    """`entries` as they are, telling `progress(done, total)` every `PROGRESS_ENTRIES` and at
    the end (a 1M-posting journal takes ~30 s to write)."""
    done = 0
    for done, entry in enumerate(entries, start=1):
        if progress and done % PROGRESS_ENTRIES == 0 and done != total:
            progress(done, total)
        yield entry
    if progress:
        progress(total, total)


def iter_entries(conn: Connection) -> Iterator[OutEntry]:
    """Every entry with its postings, in journal order, streamed in chunks."""
    e, p = t.Entry, t.Posting
    query = (
        select(e.id, e.date, e.kind, e.ref, e.memo, e.reverses_id, p.account, p.commodity,
               p.quantity, p.value, p.currency, p.lot_id, p.pledge_line_id)
        .select_from(e)
        .outerjoin(p, p.entry_id == e.id)
        .order_by(e.id, p.seq)
    )  # fmt: skip
    current: OutEntry | None = None
    result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(query)
    for row in result:
        if current is None or current.id != row[0]:
            if current is not None:
                yield current
            current = OutEntry(row[0], row[1], row[2], row[3], row[4] or "", row[5])
        if row[6] is not None:
            current.postings.append(OutPosting(*row[6:]))
    if current is not None:
        yield current


def number(value: Decimal) -> str:
    """Exact decimal text, as every tool reads it: no exponent, no grouping."""
    return dstr(value)


@contextmanager
def assembled(path: Path) -> Iterator[tuple[IO[str], IO[str]]]:
    """A (header, body) pair of text streams that become one file at `path` when done.

    The body is streamed to a temporary file while the header is gathered in memory (it needs
    what the body pass learns, e.g. the first date of every account); then both replace `path`
    (`reports.outfiles.replaced`).
    """
    head = io.StringIO()
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n") as body:
        yield head, body
        with replaced(Path(path), "w", encoding="utf-8", newline="\n") as out:
            out.write(head.getvalue())
            copy_into(body, out)


def one_line(text: str) -> str:
    return " ".join(text.split())


def meta_items(entry: OutEntry) -> list[tuple[str, Any]]:
    """Entry metadata shared by both formats."""
    out: list[tuple[str, Any]] = [("entry", entry.id), ("kind", entry.kind), ("ref", entry.ref)]
    if entry.reverses_id is not None:
        out.append(("reverses", entry.reverses_id))
    return out
