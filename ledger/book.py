"""The ledger's state as booking sees it: balances, lots, pledge lines, master data, records.

A `Book` is opened inside one writer transaction, loads each table the first time booking asks
for it, and then keeps the state in memory while a batch of events is booked (so an import of
thousands of rows costs a handful of queries, not thousands). Booking never touches the database
directly: it reads the Book and hands back entries and records, which `ledger.journal` writes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field, fields
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, or_, select

from ledger.accounts import PHYSICAL_PREFIXES, is_physical
from ledger.db import tables as t
from ledger.entries import GENESIS_HASH, ZERO, Entry, Posting
from ledger.errors import ClosedPeriodError, InsufficientStock, UnknownCode
from ledger.history import Move, enough_from, headroom
from ledger.summaries import FIGURE_COLUMNS, figure_amount, figure_plan, receipt_deltas


@cache
def keyed(table: str, columns: tuple[str, ...], keys: tuple[str, ...]) -> Select[Any]:
    """SELECT `columns` (all if empty) of `table` WHERE each key column = its bound parameter
    (no key columns: the whole table).

    Built once per shape: a Book that loads per key runs these thousands of times, and building
    the SQLAlchemy expression each time cost more than running the query.
    """
    tab = t.Base.metadata.tables[table]
    chosen = [tab.c[c] for c in columns] if columns else [tab]
    return select(*chosen).where(*(tab.c[k] == bindparam(k) for k in keys))


@dataclass(slots=True)
class Lot:
    """One shipment line: item, batch, expiry, unit value, donor, pledge line."""

    id: int
    shipment_ref: str
    line_no: int
    dispatch_date: dt.date
    donor: str
    recipient: str
    item: str
    quantity: Decimal
    unit_value: Decimal
    currency: str
    batch: str | None
    expiry: dt.date | None
    pledge_line_id: int | None
    carrier: str | None


@dataclass(slots=True)
class PledgeLine:
    id: int
    donor: str
    pledge_ref: str
    line_no: int
    recipient: str
    item: str
    quantity: Decimal
    unit_value: Decimal
    currency: str


@dataclass(slots=True)
class BalanceLine:
    account: str
    commodity: str
    lot_id: int | None
    pledge_line_id: int | None
    currency: str | None
    kind: str
    quantity: Decimal = ZERO
    value: Decimal = ZERO
    stored: bool = False  # a row exists in the `balance` table
    dirty: bool = False


@dataclass(slots=True)
class HoldingLine:
    """A row of the `holding` summary (see `ledger.summaries`)."""

    account: str
    commodity: str
    currency: str
    quantity: Decimal = ZERO
    value: Decimal = ZERO
    live: int = 0
    stored: bool = False
    dirty: bool = False


@dataclass(slots=True)
class FigureLine:
    """A row of the `figure` summary: reconciliation columns of one (donor, recipient, item)."""

    donor: str
    recipient: str
    item: str
    currency: str
    values: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(FIGURE_COLUMNS, ZERO))
    stored: bool = False
    dirty: bool = False


@dataclass(slots=True)
class Record:
    """An event or master record under its natural key, as stored (or about to be)."""

    table: str
    id: int | None
    # JSON text when booked here, parsed when read from the ledger; None once compacted
    src: str | dict[str, Any] | None
    entry_id: int | None
    values: dict[str, Any] = field(default_factory=dict)
    stored: bool = True
    updated: bool = False


RECORD_TABLES: dict[str, type[t.Base]] = {
    "parties": t.Party,
    "partnerships": t.Partnership,
    "items": t.Item,
    "warehouses": t.Warehouse,
    "fx_rates": t.FxRate,
    "pledges": t.PledgeLine,
    "shipments": t.ShipmentLine,
    "customs": t.CustomsEvent,
    "receipts": t.ReceiptLine,
    "distributions": t.DistributionLine,
    "writeoffs": t.WriteoffLine,
    "transfers": t.TransferLine,
    "documents": t.Document,
}

# The stored columns each in-memory line is read from, in its fields' order.
LOT_COLUMNS = tuple(f.name for f in fields(Lot))
PLEDGE_COLUMNS = tuple(f.name for f in fields(PledgeLine))
BALANCE_COLUMNS = ("account", "commodity", "lot_id", "pledge_line_id", "currency", "kind",
                   "quantity", "value")  # fmt: skip
HOLDING_COLUMNS = ("account", "commodity", "currency", "quantity", "value", "live")

# Records booking reads the values of again (the rest may be compacted once written).
MASTER_KINDS = frozenset({"parties", "partnerships", "items", "warehouses", "fx_rates"})

# The natural key columns per table, in the order the row schemas give them.
RECORD_KEYS: dict[str, tuple[str, ...]] = {
    "parties": ("code",),
    "partnerships": ("party_a", "party_b", "kind"),
    "items": ("code",),
    "warehouses": ("code",),
    "fx_rates": ("date", "currency", "base"),
    "pledges": ("donor", "pledge_ref", "line_no"),
    "shipments": ("shipment_ref", "line_no"),
    "customs": ("shipment_ref", "event", "date"),
    "receipts": ("receipt_ref", "shipment_ref", "line_no"),
    "distributions": ("distribution_ref", "line_no"),
    "writeoffs": ("writeoff_ref", "line_no"),
    "transfers": ("transfer_ref", "line_no"),
    "documents": ("kind", "number", "subject"),
}


class Book:
    """In-memory, lazily loaded view of one ledger inside one writer transaction.

    Two ways of loading, same answers: a bulk Book (an import large next to the ledger) loads
    each table whole the first time it is asked, then books thousands of rows from memory; a
    per-key Book (one event, or a small import) asks the database for just the keys, lots and
    balances each event touches, so posting a few rows stays quick however large the ledger is.
    `bulk` may be set until the first load.
    """

    def __init__(self, conn: Connection, *, bulk: bool = False) -> None:
        self.conn = conn
        self.bulk = bulk
        self._records: dict[str, dict[tuple[Any, ...], Record]] = defaultdict(dict)
        self._records_full: set[str] = set()
        self._records_absent: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
        self._customs_index: dict[str, dict[tuple[Any, ...], Record]] | None = None
        # (account, commodity, lot, pledge line, currency, entry kind) -> running balance
        self._balances: dict[tuple[Any, ...], BalanceLine] = {}
        self._balances_full = False
        self._holdings_loaded: set[tuple[str, str]] = set()
        # Index over the same BalanceLine objects: the lines of each exact slot.
        self._slots: dict[tuple[str, str, int | None, int | None], list[BalanceLine]] = defaultdict(
            list
        )
        # Non-zero quantity per lot of each (account, commodity), all kinds and currencies: what
        # FEFO picks from. Lots issued in full leave it, so picking does not walk the history.
        self._lot_qty: dict[tuple[str, str], dict[int | None, Decimal]] = defaultdict(dict)
        # Net quantity and value per (account, commodity, lot, pledge line, currency), all kinds.
        self._net: dict[tuple[Any, ...], list[Decimal]] = {}
        self._lots: dict[int, Lot] = {}
        self._lots_full = False
        self._shipments_loaded: set[str] = set()
        self._lot_keys: dict[tuple[str, int], int] = {}
        self._shipment_lots: dict[str, list[int]] = defaultdict(list)
        self._holdings: dict[tuple[str, str, str], HoldingLine] = {}
        self._holdings_full = False
        self._holding_pairs: set[tuple[str, str]] = set()
        self._pair_lines: dict[tuple[str, str], list[HoldingLine]] = defaultdict(list)
        self._figures: dict[tuple[str, str, str, str], FigureLine] = {}
        self._figures_full = False
        self._figure_owners: set[tuple[str, str, str]] = set()
        self._pledges: dict[int, PledgeLine] = {}
        self._pledges_full = False
        self._pledge_keys: dict[tuple[str, str, int], int] = {}
        self._closed: set[str] | None = None
        self._open_days: set[dt.date] = set()
        self._reversed: set[int] = set()
        self._reversed_full = False
        self._next_ids: dict[str, int] = {}
        self._tip: tuple[int, str] | None = None
        # Events dated before the ledger's newest entry (see `ledger.history`): the newest date
        # stored and booked here, and, once such an event comes, the physical moves dated after
        # it per (account, commodity, lot, pledge line), kept up to date as entries are applied.
        self._newest: dt.date | None = None
        self._newest_loaded = False
        self._later: dict[tuple[Any, ...], list[Move]] | None = None
        self._later_since = dt.date.max
        self._last_id: int | None = None  # the newest entry id, stored or booked here
        self.new_entries: list[tuple[int, Entry]] = []  # booked, not yet written (nor hashed)
        self.changed_records: list[Record] = []

    # ---------------------------------------------------------------- ids and the hash chain

    def next_id(self, table: type[t.Base]) -> int:
        name = table.__tablename__
        if name not in self._next_ids:
            current = self.conn.execute(select(func.max(table.id))).scalar()  # type: ignore[attr-defined]
            self._next_ids[name] = (current or 0) + 1
        value = self._next_ids[name]
        self._next_ids[name] = value + 1
        return value

    def stored_entries(self) -> int:
        """How many entries the ledger holds (ids are dense: the newest id)."""
        if self._last_id is None:
            self._last_id = self.chain_tip()[0]
        return self._last_id

    def chain_tip(self) -> tuple[int, str]:
        """(id, hash) of the newest entry written: what the next written entry chains to.

        Entries are hashed when they are written (`journal.write`), not when booked: an
        entry's hash covers the records it booked (`ledger.seal`), which are complete only
        once the row is booked (a receipt's UAH value comes after its entry).
        """
        if self._tip is None:
            row = self.conn.execute(
                select(t.Entry.id, t.Entry.hash).order_by(t.Entry.id.desc()).limit(1)
            ).first()
            self._tip = (row.id, row.hash) if row else (0, GENESIS_HASH)
        return self._tip

    def written(self, tip: tuple[int, str]) -> None:
        """The newest entry written is now `tip` (id, hash)."""
        self._tip = tip

    # ---------------------------------------------------------------- records and master data

    def _stored_records(self, kind: str, key: tuple[Any, ...] | None = None) -> None:
        """Read stored records of a kind (all, or the one under `key`) into the cache."""
        key_cols = RECORD_KEYS[kind]
        where = None if key is None else dict(zip(key_cols, key, strict=True))
        cache = self._records[kind]
        for obj in self._select(RECORD_TABLES[kind].__tablename__, (), where).mappings():
            key = tuple(obj[c] for c in key_cols)
            cache.setdefault(key, Record(kind, obj.get("id"), obj["src"], obj.get("entry_id"),
                                         values=dict(obj)))  # fmt: skip

    def records(self, kind: str) -> dict[tuple[Any, ...], Record]:
        """Every record of a kind (loads the whole table once)."""
        if kind not in self._records_full:
            self._stored_records(kind)
            self._records_full.add(kind)
        return self._records[kind]

    def record(self, kind: str, key: tuple[Any, ...]) -> Record | None:
        """The record under a natural key: from memory, else (single-event Book) by one query."""
        if self.bulk or kind in self._records_full:
            return self.records(kind).get(key)
        cache = self._records[kind]
        if key not in cache and key not in self._records_absent[kind]:
            self._stored_records(kind, key)
            if key not in cache:
                self._records_absent[kind].add(key)
        return cache.get(key)

    def stored_src(self, rec: Record, key: tuple[Any, ...]) -> dict[str, Any]:
        """The validated row a record was made from (read back if `compact` dropped it)."""
        if rec.src is None:
            where = dict(zip(RECORD_KEYS[rec.table], key, strict=True))
            table = RECORD_TABLES[rec.table].__tablename__
            rec.src = self._select(table, ("src",), where).scalar_one()
        return json.loads(rec.src) if isinstance(rec.src, str) else rec.src

    def compact(self, written: list[Record]) -> None:
        """Forget what written event records held; keep ids and entry links for look-ups.

        A long import flushes every few thousand rows; without this, every row it booked would
        stay in memory twice (its src and its column values) until the end. Master data and
        FX rates stay whole: booking reads their values.
        """
        for rec in written:
            if rec.table not in MASTER_KINDS:
                rec.src = None
                rec.values = {}

    def put_record(self, kind: str, key: tuple[Any, ...], values: dict[str, Any]) -> None:
        """Register a new (or corrected) record; `journal.write` stores it with the batch."""
        existing = self.record(kind, key)
        rec = Record(kind, values.get("id"), values["src"], values.get("entry_id"), values,
                     stored=existing is not None and existing.stored,
                     updated=existing is not None)  # fmt: skip
        self._records[kind][key] = rec
        self._records_absent[kind].discard(key)
        if kind == "customs" and self._customs_index is not None:
            self._customs_index[key[0]][key] = rec
        self.changed_records.append(rec)

    def customs_events(self, shipment_ref: str) -> list[tuple[str, dt.date]]:
        """(event, date) of the consignment's customs records whose entries stand."""
        cache = self._records["customs"]
        if self.bulk or "customs" in self._records_full:
            if self._customs_index is None:
                self._customs_index = defaultdict(dict)
                for key, rec in self.records("customs").items():
                    self._customs_index[key[0]][key] = rec
            found = self._customs_index.get(shipment_ref, {}).items()
        else:
            for row in self._select("customs_event", (), {"shipment_ref": shipment_ref}).mappings():
                key = tuple(row[c] for c in RECORD_KEYS["customs"])
                cache.setdefault(key, Record("customs", row["id"], row["src"], row["entry_id"],
                                             values=dict(row)))  # fmt: skip
            found = [(key, rec) for key, rec in cache.items() if key[0] == shipment_ref]
        return [(key[1], key[2]) for key, rec in found
                if rec.entry_id is None or not self.is_reversed(rec.entry_id)]  # fmt: skip

    def master(self, kind: str, code: str) -> dict[str, Any] | None:
        rec = self.record(kind, (code,))
        return rec.values if rec else None

    def require(self, kind: str, code: str, column: str, what: str) -> dict[str, Any]:
        found = self.master(kind, code)
        if found is None:
            raise UnknownCode(f"unknown {what} {code!r}: not in {kind}", column, code)
        return found

    def fx_rate(
        self, on: dt.date, currency: str, base: str = "UAH"
    ) -> tuple[Decimal, str | None] | None:
        if currency == base:
            return Decimal(1), "identity"
        rec = self.record("fx_rates", (on, currency, base))
        return (rec.values["rate"], rec.values.get("source")) if rec else None

    def receipts_valued_at(self, on: dt.date, currency: str) -> list[str]:
        """References of standing receipts (stored or booked here) valued at the UAH rate of
        `currency` on `on`: what a corrected rate of that day would leave at the old rate."""
        r, ln = t.ReceiptLine, t.ShipmentLine
        found = [
            (f"{ref}/{shipment}/{line}", entry_id)
            for ref, shipment, line, entry_id in self.conn.execute(
                select(r.receipt_ref, r.shipment_ref, r.line_no, r.entry_id)
                .join(ln, ln.id == r.shipment_line_id)
                .where(r.fx_rate_date == on, ln.currency == currency, r.fx_rate.is_not(None))
                .order_by(r.id)
            )
        ]
        for rec in self.changed_records:  # booked here, not yet written
            v = rec.values
            lot = self._lots.get(v.get("shipment_line_id", -1))
            if (rec.table == "receipts" and not rec.stored and v.get("fx_rate_date") == on
                    and v.get("fx_rate") is not None and lot is not None
                    and lot.currency == currency):  # fmt: skip
                found.append((f"{v['receipt_ref']}/{v['shipment_ref']}/{v['line_no']}",
                              rec.entry_id))  # fmt: skip
        return list(dict.fromkeys(ref for ref, eid in found
                                  if eid is None or not self.is_reversed(eid)))  # fmt: skip

    def closed_months(self) -> set[str]:
        if self._closed is None:
            self._closed = set(self.conn.execute(select(t.ClosedPeriod.month)).scalars())
        return self._closed

    def check_open(self, on: dt.date, column: str = "date") -> None:
        if on in self._open_days:
            return
        month = on.strftime("%Y-%m")
        if month in self.closed_months():
            raise ClosedPeriodError(
                f"period {month} is closed: nothing may be posted on {on.isoformat()}",
                column,
                on.isoformat(),
            )
        self._open_days.add(on)  # periods are closed in their own transaction, never mid-Book

    def is_reversed(self, entry_id: int) -> bool:
        if entry_id in self._reversed or self._reversed_full:
            return entry_id in self._reversed
        query = select(t.Entry.reverses_id).where(t.Entry.reverses_id.is_not(None))
        if self.bulk:
            self._reversed.update(self.conn.execute(query).scalars())
            self._reversed_full = True
        elif self.conn.execute(query.where(t.Entry.reverses_id == entry_id)).first():
            self._reversed.add(entry_id)
        return entry_id in self._reversed

    # ---------------------------------------------------------------- lots and pledge lines

    def _select(self, table: str, columns: tuple[str, ...], where: dict[str, Any] | None) -> Any:
        """Rows of `table` (all, or those whose columns equal `where`'s values)."""
        return self.conn.execute(keyed(table, columns, tuple(where or ())), where)

    def _stored_lots(self, where: dict[str, Any] | None = None) -> None:
        for row in self._select("shipment_line", LOT_COLUMNS, where):
            if row.id not in self._lots:
                self.add_lot(Lot(*row))

    def _ensure_shipment(self, shipment_ref: str) -> None:
        if self._lots_full or shipment_ref in self._shipments_loaded:
            return
        if self.bulk:
            self._stored_lots()
            self._lots_full = True
        else:
            self._stored_lots({"shipment_ref": shipment_ref})
            self._shipments_loaded.add(shipment_ref)

    def add_lot(self, lot: Lot) -> None:
        if lot.id not in self._lots:
            self._shipment_lots[lot.shipment_ref].append(lot.id)
        self._lots[lot.id] = lot
        self._lot_keys[(lot.shipment_ref, lot.line_no)] = lot.id

    def lot(self, lot_id: int) -> Lot:
        if lot_id not in self._lots:
            self._stored_lots({"id": lot_id})
        return self._lots[lot_id]

    def _lot_name(self, lot_id: int) -> str:
        """A lot as the coordinator knows it: its shipment line (the id is internal)."""
        lot = self.lot(lot_id)
        return f"{lot.shipment_ref}/{lot.line_no}"

    def lot_by_key(self, shipment_ref: str, line_no: int) -> Lot | None:
        self._ensure_shipment(shipment_ref)
        lot_id = self._lot_keys.get((shipment_ref, line_no))
        return None if lot_id is None else self.lot(lot_id)

    def shipment_lots(self, shipment_ref: str) -> list[Lot]:
        self._ensure_shipment(shipment_ref)
        return [self.lot(i) for i in self._shipment_lots.get(shipment_ref, [])]

    def add_pledge_line(self, pl: PledgeLine) -> None:
        self._pledges[pl.id] = pl
        self._pledge_keys[(pl.donor, pl.pledge_ref, pl.line_no)] = pl.id

    def _stored_pledges(self, where: dict[str, Any] | None = None) -> None:
        if self.bulk:
            self._pledges_full = True
            where = None
        for row in self._select("pledge_line", PLEDGE_COLUMNS, where):
            if row.id not in self._pledges:
                self.add_pledge_line(PledgeLine(*row))

    def pledge_line(self, donor: str, ref: str, line_no: int) -> PledgeLine | None:
        key = (donor, ref, line_no)
        if key not in self._pledge_keys and not self._pledges_full:
            self._stored_pledges({"donor": donor, "pledge_ref": ref, "line_no": line_no})
        pl_id = self._pledge_keys.get(key)
        return None if pl_id is None else self._pledges[pl_id]

    def pledge_by_id(self, pledge_line_id: int) -> PledgeLine:
        if pledge_line_id not in self._pledges and not self._pledges_full:
            self._stored_pledges({"id": pledge_line_id})
        return self._pledges[pledge_line_id]

    # ---------------------------------------------------------------- balances

    def _stored_balances(self, where: dict[str, Any] | None = None) -> None:
        for row in self._select("balance", BALANCE_COLUMNS, where):
            key = tuple(row[:6])
            if key not in self._balances:
                line = BalanceLine(*row, stored=True)
                self._balances[key] = line
                self._index(line)

    def _ensure_holding(self, account: str, commodity: str) -> None:
        """Make sure every stored balance line of (account, commodity) is in memory."""
        if self._balances_full or (account, commodity) in self._holdings_loaded:
            return
        if self.bulk:
            self._stored_balances()
            self._balances_full = True
        else:
            self._stored_balances({"account": account, "commodity": commodity})
            self._holdings_loaded.add((account, commodity))

    def _index(self, line: BalanceLine) -> None:
        self._slots[(line.account, line.commodity, line.lot_id, line.pledge_line_id)].append(line)
        if line.quantity:
            self._add_lot_qty(line.account, line.commodity, line.lot_id, line.quantity)
        net = self._net.get(slot := (line.account, line.commodity, line.lot_id,
                                     line.pledge_line_id, line.currency))  # fmt: skip
        if net is None:
            self._net[slot] = [line.quantity, line.value]
        else:
            net[0] += line.quantity
            net[1] += line.value

    def balance(self, account: str, commodity: str, lot_id: int | None = None,
                pledge_line_id: int | None = None) -> Decimal:  # fmt: skip
        """Quantity on (account, commodity, lot, pledge line), summed over value currencies."""
        self._ensure_holding(account, commodity)
        total = ZERO
        for line in self._slots.get((account, commodity, lot_id, pledge_line_id), ()):
            total += line.quantity
        return total

    def holdings(self, account: str, commodity: str,
                 on: dt.date | None = None) -> dict[int | None, Decimal]:  # fmt: skip
        """Non-zero quantities of one commodity on an account, per lot; with `on`, what may
        leave each lot on that day (less than now if later entries need it, see `headroom`)."""
        self._ensure_holding(account, commodity)
        held = dict(self._lot_qty.get((account, commodity), {}))
        if on is None or not self.back_dated(on):
            return held
        # goods postings carry a lot and no pledge line (`booking._goods`)
        rooms = {lot: headroom(q, self.later_moves((account, commodity, lot, None), on))
                 for lot, q in held.items()}  # fmt: skip
        return {lot: room for lot, room in rooms.items() if room > 0}

    # ---------------------------------------------------------------- back-dated events

    def back_dated(self, on: dt.date) -> bool:
        """Whether an event on `on` comes before an entry of the ledger (stored or booked here).

        Only then do later days' balances need reading (`later_moves`): never for an import of
        events newer than the ledger, nor within one, as imports book oldest first.
        """
        if not self._newest_loaded:
            stored = self.conn.execute(select(func.max(t.Entry.date))).scalar()
            days = [e.date for _id, e in self.new_entries]  # not yet written
            self._newest = max((d for d in (stored, *days) if d is not None), default=None)
            self._newest_loaded = True
        return self._newest is not None and on < self._newest

    def later_moves(self, slot: tuple[Any, ...], on: dt.date) -> list[Move]:
        """The moves of one physical slot (account, commodity, lot, pledge line) dated after `on`."""
        if self._later is None or on < self._later_since:
            self._load_later(on)
        assert self._later is not None
        return [(day, q) for day, q in self._later.get(slot, ()) if day > on]

    def _load_later(self, since: dt.date) -> None:
        """Read every physical move dated after `since`: stored, then booked here and not yet
        written. One query for a whole late import (its rows come oldest first)."""
        e, p = t.Entry, t.Posting
        query = (
            select(e.date, p.account, p.commodity, p.lot_id, p.pledge_line_id, p.quantity)
            .join(e, e.id == p.entry_id)
            .where(e.date > since)
            .where(or_(*(p.account.startswith(s, autoescape=True) for s in PHYSICAL_PREFIXES)))
        )
        later: dict[tuple[Any, ...], list[Move]] = defaultdict(list)
        for day, account, commodity, lot_id, pledge_line_id, q in self.conn.execute(query):
            later[(account, commodity, lot_id, pledge_line_id)].append((day, q))
        for _id, entry in self.new_entries:
            if entry.date > since:
                _note_moves(later, entry)
        self._later, self._later_since = later, since

    def _add_lot_qty(self, account: str, commodity: str, lot_id: int | None, q: Decimal) -> None:
        lots = self._lot_qty[(account, commodity)]
        total = lots.get(lot_id, ZERO) + q
        if total:
            lots[lot_id] = total
        else:
            del lots[lot_id]

    def dirty_balances(self) -> list[BalanceLine]:
        return [b for b in self._balances.values() if b.dirty]

    # ---------------------------------------------------------------- summaries

    def _holding(self, account: str, commodity: str, currency: str) -> HoldingLine:
        pair = (account, commodity)
        if not self._holdings_full and pair not in self._holding_pairs:
            where = None
            if self.bulk:
                self._holdings_full = True
            else:
                where = {"account": account, "commodity": commodity}
                self._holding_pairs.add(pair)
            for row in self._select("holding", HOLDING_COLUMNS, where):
                if (row[0], row[1], row[2]) not in self._holdings:
                    self._add_holding(HoldingLine(*row, stored=True))
        line = self._holdings.get((account, commodity, currency))
        if line is None:
            line = self._add_holding(HoldingLine(account, commodity, currency))
        return line

    def _add_holding(self, line: HoldingLine) -> HoldingLine:
        self._holdings[(line.account, line.commodity, line.currency)] = line
        self._pair_lines[(line.account, line.commodity)].append(line)
        return line

    def pair_holdings(self, account: str, commodity: str) -> list[HoldingLine]:
        """Every currency's holding of one (account, commodity): what its total rolls up."""
        return self._pair_lines.get((account, commodity), [])

    def _figure(self, donor: str, recipient: str, item: str, currency: str) -> FigureLine:
        owner = (donor, recipient, item)
        if not self._figures_full and owner not in self._figure_owners:
            where = None
            if self.bulk:
                self._figures_full = True
            else:
                where = {"donor": donor, "recipient": recipient, "item": item}
                self._figure_owners.add(owner)
            for row in self._select("figure", (), where).mappings():
                key = (row["donor"], row["recipient"], row["item"], row["currency"])
                self._figures.setdefault(key, FigureLine(
                    *key, values={c: row[c] for c in FIGURE_COLUMNS}, stored=True))  # fmt: skip
        key = (donor, recipient, item, currency)
        line = self._figures.get(key)
        if line is None:
            line = self._figures[key] = FigureLine(donor, recipient, item, currency)
        return line

    def _owner(self, p: Posting) -> tuple[str, str] | None:
        if p.lot_id is not None:
            lot = self._lots.get(p.lot_id) or self.lot(p.lot_id)
            return lot.donor, lot.recipient
        if p.pledge_line_id is not None:
            pl = self.pledge_by_id(p.pledge_line_id)
            return pl.donor, pl.recipient
        return None

    def add_receipt_value(self, lot: Lot, value_uah: Decimal | None, sign: int = 1) -> None:
        """Count a receipt line's UAH value (or its missing rate) in the figures; −1 undoes."""
        line = self._figure(lot.donor, lot.recipient, lot.item, "")
        for col, amount in receipt_deltas(value_uah, sign).items():
            line.values[col] += amount
        line.dirty = True

    def _summarise(self, entry: Entry, before: dict[tuple[Any, ...], bool]) -> None:
        """Carry an applied entry into the holding and figure summaries."""
        net, holdings, figures = self._net, self._holdings, self._figures
        for slot, was_live in before.items():
            account, commodity, _lot, _pledge_line, currency = slot
            q, v = net[slot]
            line = holdings.get((account, commodity, currency or "")) or self._holding(
                account, commodity, currency or ""
            )
            line.live += (q != 0 or v != 0) - was_live
            line.dirty = True
        kind = entry.kind
        for p in entry.postings:
            h = holdings[(p.account, p.commodity, p.currency or "")]  # made by the loop above
            h.quantity = (h.quantity + p.quantity) or ZERO
            if p.value:
                h.value = (h.value + p.value) or ZERO
            owner = self._owner(p)
            if owner is None:
                continue
            donor, recipient = owner
            fig = figures.get((donor, recipient, p.commodity, "")) or self._figure(
                donor, recipient, p.commodity, ""
            )
            fig.dirty = True  # every owned key shows, even with nothing to add
            plan = figure_plan(p.account, kind, p.lot_id is not None, bool(p.currency))
            for in_currency, col, source in plan:
                if in_currency:
                    fig = figures.get((donor, recipient, p.commodity, p.currency)) or (
                        self._figure(donor, recipient, p.commodity, p.currency)  # type: ignore[arg-type]
                    )
                    fig.dirty = True
                amount = figure_amount(source, p.quantity, p.value)
                fig.values[col] = (fig.values[col] + amount) or ZERO

    def receipt_values(self, entry_id: int) -> list[tuple[int, Decimal | None]]:
        """(lot id, UAH value) of the stored receipt lines an entry booked."""
        r = t.ReceiptLine
        query = select(r.shipment_line_id, r.value_uah).where(r.entry_id == entry_id)
        return [(row[0], row[1]) for row in self.conn.execute(query)]

    def dirty_holdings(self) -> list[HoldingLine]:
        return [h for h in self._holdings.values() if h.dirty]

    def dirty_figures(self) -> list[FigureLine]:
        return [f for f in self._figures.values() if f.dirty]

    # ---------------------------------------------------------------- applying an entry

    def apply(self, entry: Entry) -> int:
        """Check and take an entry into the book; returns its id. Raises on any invariant."""
        entry.check_balanced()
        self.check_open(entry.date)
        postings = entry.postings
        if not self._balances_full:  # every stored line this entry touches must be in memory
            for p in postings:
                self._ensure_holding(p.account, p.commodity)
        slots = [(p.account, p.commodity, p.lot_id, p.pledge_line_id, p.currency) for p in postings]
        deltas: dict[tuple[Any, ...], Decimal] = {}
        for slot, p in zip(slots, postings, strict=True):
            d = deltas.get(slot)
            deltas[slot] = p.quantity if d is None else d + p.quantity
        for slot, delta in deltas.items():
            if delta >= 0 or not is_physical(slot[0]):
                continue
            account, commodity, lot_id, pledge_line_id, _currency = slot
            held = self.balance(account, commodity, lot_id, pledge_line_id)
            where = f" lot {self._lot_name(lot_id)}" if lot_id else ""
            if held + delta < 0:
                raise InsufficientStock(
                    f"{account} holds {held} of {commodity}{where}; "
                    f"cannot take out {-delta} (no account stage may go below zero)"
                )
            if self.back_dated(entry.date):
                later = self.later_moves(slot[:4], entry.date)
                room = headroom(held, later)
                if room + delta < 0:
                    day = enough_from(held, later, -delta)
                    raise InsufficientStock(
                        f"{account} can give up only {max(room, ZERO)} of {commodity}{where} on "
                        f"{entry.date.isoformat()} without going below zero then or on a later "
                        f"day (it holds {held} now); cannot take out {-delta}"
                        + (f"; it can from {day.isoformat()} on"
                           if day else "")
                    )  # fmt: skip
        net = self._net
        before = {slot: (n := net.get(slot)) is not None and bool(n[0] or n[1]) for slot in deltas}
        balances, kind = self._balances, entry.kind
        for slot, p in zip(slots, postings, strict=True):
            value = p.value or ZERO
            line = balances.get(key := (*slot, kind))
            if line is None:
                line = balances[key] = BalanceLine(*slot, kind)
                self._index(line)
            # `or ZERO`: a running total that comes back to nothing shares one zero object; at a
            # million postings half of the totals are zero, ~100 MB of separate Decimals.
            line.quantity = (line.quantity + p.quantity) or ZERO
            line.value = (line.value + value) or ZERO
            line.dirty = True
            n = net[slot]
            n[0] = (n[0] + p.quantity) or ZERO
            n[1] = (n[1] + value) or ZERO
            if p.quantity:
                self._add_lot_qty(p.account, p.commodity, p.lot_id, p.quantity)
        self._summarise(entry, before)
        entry_id = self.stored_entries() + 1
        self.new_entries.append((entry_id, entry))
        self._last_id = entry_id
        if self._newest_loaded and (self._newest is None or entry.date > self._newest):
            self._newest = entry.date
        if self._later is not None and entry.date > self._later_since:
            _note_moves(self._later, entry)
        if entry.reverses_id is not None:
            self._reversed.add(entry.reverses_id)
        return entry_id

    def load_entry(self, entry_id: int) -> Entry | None:
        row = self.conn.execute(select(t.Entry.__table__).where(t.Entry.id == entry_id)).first()
        if row is None:
            return None
        postings = tuple(
            Posting(
                p.account, p.commodity, p.quantity, p.value, p.currency, p.lot_id, p.pledge_line_id
            )
            for p in self.conn.execute(
                select(t.Posting.__table__)
                .where(t.Posting.entry_id == entry_id)
                .order_by(t.Posting.seq)
            )
        )
        return Entry(row.date, row.kind, row.ref, postings, row.memo, row.reverses_id, id=row.id)


def _note_moves(later: dict[tuple[Any, ...], list[Move]], entry: Entry) -> None:
    """Add an entry's physical postings to `Book._later`."""
    for p in entry.postings:
        if p.quantity and is_physical(p.account):
            later[(p.account, p.commodity, p.lot_id, p.pledge_line_id)].append(
                (entry.date, p.quantity)
            )
