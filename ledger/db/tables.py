"""The storage schema: typed SQLAlchemy tables for master data, event records and the journal.

Event records (pledge lines, shipment lines, receipts ...) hold what the coordinator said, under
their natural key, with `src` = the validated row as it was imported, so a re-import can tell
"unchanged" from "conflict". The journal (`entry`, `posting`) is what the ledger booked from them;
`balance` is the running total per (account, commodity, lot, pledge line, currency), kept in the
same transaction as the postings so balances never need a scan of the journal.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ledger.db.types import ExactDecimal


class Base(DeclarativeBase):
    type_annotation_map = {Decimal: ExactDecimal, dict[str, Any]: JSON}  # noqa: RUF012


# ---------------------------------------------------------------- master data


class Party(Base):
    __tablename__ = "party"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2))
    name_local: Mapped[str | None] = mapped_column(String(300))
    registry_id: Mapped[str | None] = mapped_column(String(64))
    aid_register_no: Mapped[str | None] = mapped_column(String(64))
    src: Mapped[dict[str, Any]]


class Partnership(Base):
    __tablename__ = "partnership"
    __table_args__ = (UniqueConstraint("party_a", "party_b", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_a: Mapped[str] = mapped_column(ForeignKey("party.code"))
    party_b: Mapped[str] = mapped_column(ForeignKey("party.code"))
    kind: Mapped[str] = mapped_column(String(32))
    signed_on: Mapped[dt.date]
    areas: Mapped[str | None] = mapped_column(String(500))
    src: Mapped[dict[str, Any]]


class Item(Base):
    __tablename__ = "item"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(16))
    hs_code: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    tracks_expiry: Mapped[bool] = mapped_column(Boolean)
    name_uk: Mapped[str | None] = mapped_column(String(300))
    flags: Mapped[str | None] = mapped_column(String(200))
    src: Mapped[dict[str, Any]]


class Warehouse(Base):
    __tablename__ = "warehouse"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    party: Mapped[str] = mapped_column(ForeignKey("party.code"))
    name: Mapped[str] = mapped_column(String(300))
    settlement: Mapped[str | None] = mapped_column(String(200))
    src: Mapped[dict[str, Any]]


class FxRate(Base):
    __tablename__ = "fx_rate"
    date: Mapped[dt.date] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    base: Mapped[str] = mapped_column(String(3), primary_key=True)
    rate: Mapped[Decimal]
    source: Mapped[str | None] = mapped_column(String(32))
    src: Mapped[dict[str, Any]]


class Document(Base):
    """A document on file (extension `documents.csv`): read by the rules engine, never booked."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("kind", "number", "subject"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(64), index=True)
    date: Mapped[dt.date]
    signed: Mapped[bool | None] = mapped_column(Boolean)
    signatory: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
    src: Mapped[dict[str, Any]]


class ClosedPeriod(Base):
    __tablename__ = "closed_period"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # 'YYYY-MM'
    closed_at: Mapped[dt.datetime] = mapped_column(DateTime)


# ---------------------------------------------------------------- the journal


class Entry(Base):
    __tablename__ = "entry"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(300), index=True)
    memo: Mapped[str] = mapped_column(String(1000), default="")
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"), unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # digest of the event record(s) this entry booked (`ledger.seal`); NULL before 0006
    records_hash: Mapped[str | None] = mapped_column(String(64))


class Posting(Base):
    __tablename__ = "posting"
    # No index on account: every query filters accounts by prefix (LIKE), which neither engine
    # can answer from a plain B-tree index, and it cost ~5 % of an import (migration 0004).
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    account: Mapped[str] = mapped_column(String(200))
    commodity: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal]
    value: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("shipment_line.id"))
    pledge_line_id: Mapped[int | None] = mapped_column(ForeignKey("pledge_line.id"))


class Balance(Base):
    """Running total per (account, commodity, lot, pledge line, currency, entry kind).

    Derived from `posting` in the same transaction and checked against it by `verify`. Keeping
    the entry kind in the key lets reconciliation read flows ("received", "written off") as well
    as stocks from this small table, without scanning the journal.
    """

    __tablename__ = "balance"
    # Looked up per (account, commodity) by a Book that loads only what an event touches.
    __table_args__ = (Index("ix_balance_account_commodity", "account", "commodity"),)
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    account: Mapped[str] = mapped_column(String(200))
    commodity: Mapped[str] = mapped_column(String(64))
    lot_id: Mapped[int | None] = mapped_column(Integer)
    pledge_line_id: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal]
    value: Mapped[Decimal]


class Holding(Base):
    """Running total per (account, commodity, value currency): what `balance` reads.

    `live` counts the (lot, pledge line) slots of this currency that are not zero, so `balance`
    can tell whether an account's value is in one currency without reading every lot.
    See `ledger.summaries`.
    """

    __tablename__ = "holding"
    account: Mapped[str] = mapped_column(String(200), primary_key=True)
    commodity: Mapped[str] = mapped_column(String(64), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)  # "" for none
    quantity: Mapped[Decimal]
    value: Mapped[Decimal]
    live: Mapped[int] = mapped_column(Integer)


class HoldingTotal(Base):
    """`holding` rolled up per (account, commodity): the rows `balance` reads, one per answer.

    `currency` is the one currency the account's live slots are valued in (NULL when none or
    several); `live` the number of live slots over all currencies.
    """

    __tablename__ = "holding_total"
    account: Mapped[str] = mapped_column(String(200), primary_key=True)
    commodity: Mapped[str] = mapped_column(String(64), primary_key=True)
    quantity: Mapped[Decimal]
    value: Mapped[Decimal]
    currency: Mapped[str | None] = mapped_column(String(3))
    live: Mapped[int] = mapped_column(Integer)


class Figure(Base):
    """Reconciliation columns per (donor, recipient, item, currency): what `reconcile` reads.

    The row with currency "" holds the quantity and UAH columns; one row per donor currency
    holds the value columns. See `ledger.summaries`.
    """

    __tablename__ = "figure"
    donor: Mapped[str] = mapped_column(String(64), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(64), primary_key=True)
    item: Mapped[str] = mapped_column(String(64), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    pledged: Mapped[Decimal]
    outstanding_pledge: Mapped[Decimal]
    dispatched: Mapped[Decimal]
    in_transit: Mapped[Decimal]
    at_customs: Mapped[Decimal]
    received: Mapped[Decimal]
    in_stock: Mapped[Decimal]
    distributed: Mapped[Decimal]
    short: Mapped[Decimal]
    damaged: Mapped[Decimal]
    written_off: Mapped[Decimal]
    excess: Mapped[Decimal]
    received_value_uah: Mapped[Decimal]
    uah_pending: Mapped[Decimal]
    dispatched_value: Mapped[Decimal]
    dispatched_net: Mapped[Decimal]
    received_value: Mapped[Decimal]


# ---------------------------------------------------------------- event records


class PledgeLine(Base):
    __tablename__ = "pledge_line"
    __table_args__ = (UniqueConstraint("donor", "pledge_ref", "line_no"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    donor: Mapped[str] = mapped_column(ForeignKey("party.code"))
    pledge_ref: Mapped[str] = mapped_column(String(64))
    line_no: Mapped[int]
    date: Mapped[dt.date]
    recipient: Mapped[str] = mapped_column(ForeignKey("party.code"))
    item: Mapped[str] = mapped_column(ForeignKey("item.code"))
    quantity: Mapped[Decimal]
    unit_value: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))
    src: Mapped[dict[str, Any]]


class ShipmentLine(Base):
    """One line of one consignment; also the *lot* that stock postings carry."""

    __tablename__ = "shipment_line"
    __table_args__ = (UniqueConstraint("shipment_ref", "line_no"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    shipment_ref: Mapped[str] = mapped_column(String(64), index=True)
    line_no: Mapped[int]
    dispatch_date: Mapped[dt.date]
    donor: Mapped[str] = mapped_column(ForeignKey("party.code"))
    recipient: Mapped[str] = mapped_column(ForeignKey("party.code"))
    item: Mapped[str] = mapped_column(ForeignKey("item.code"))
    quantity: Mapped[Decimal]
    unit_value: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    pledge_line_id: Mapped[int | None] = mapped_column(ForeignKey("pledge_line.id"))
    batch: Mapped[str | None] = mapped_column(String(64))
    expiry: Mapped[dt.date | None]
    gross_kg: Mapped[Decimal | None]
    packages: Mapped[int | None]
    vehicle_reg: Mapped[str | None] = mapped_column(String(32))
    waybill_no: Mapped[str | None] = mapped_column(String(64))
    carrier: Mapped[str | None] = mapped_column(String(64))
    route: Mapped[str | None] = mapped_column(String(100))
    aid_code: Mapped[str | None] = mapped_column(String(64))
    aid_code_date: Mapped[dt.date | None]
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))
    src: Mapped[dict[str, Any]]


class CustomsEvent(Base):
    __tablename__ = "customs_event"
    __table_args__ = (UniqueConstraint("shipment_ref", "event", "date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    shipment_ref: Mapped[str] = mapped_column(String(64), index=True)
    event: Mapped[str] = mapped_column(String(16))
    date: Mapped[dt.date]
    declaration_no: Mapped[str | None] = mapped_column(String(64))
    office: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(1000))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))
    src: Mapped[dict[str, Any]]


class ReceiptLine(Base):
    __tablename__ = "receipt_line"
    __table_args__ = (UniqueConstraint("receipt_ref", "shipment_ref", "line_no"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    receipt_ref: Mapped[str] = mapped_column(String(64))
    shipment_ref: Mapped[str] = mapped_column(String(64))
    line_no: Mapped[int]
    shipment_line_id: Mapped[int] = mapped_column(ForeignKey("shipment_line.id"), index=True)
    date: Mapped[dt.date]
    warehouse: Mapped[str] = mapped_column(ForeignKey("warehouse.code"))
    received: Mapped[Decimal]
    short: Mapped[Decimal]
    damaged: Mapped[Decimal]
    excess: Mapped[Decimal]
    remarks: Mapped[str | None] = mapped_column(String(1000))
    # Valuation in the functional currency (UAH) at the NBU rate of the day of receipt.
    # NULL while the rate is missing: the ledger still records what physically happened.
    fx_rate: Mapped[Decimal | None]
    fx_rate_date: Mapped[dt.date | None]
    fx_source: Mapped[str | None] = mapped_column(String(32))
    value_uah: Mapped[Decimal | None]
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))
    src: Mapped[dict[str, Any]]


class DistributionLine(Base):
    __tablename__ = "distribution_line"
    __table_args__ = (UniqueConstraint("distribution_ref", "line_no"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    distribution_ref: Mapped[str] = mapped_column(String(64))
    line_no: Mapped[int]
    date: Mapped[dt.date]
    recipient: Mapped[str] = mapped_column(ForeignKey("party.code"))
    warehouse: Mapped[str] = mapped_column(ForeignKey("warehouse.code"))
    beneficiary: Mapped[str] = mapped_column(ForeignKey("party.code"))
    item: Mapped[str] = mapped_column(ForeignKey("item.code"))
    quantity: Mapped[Decimal]
    batch: Mapped[str | None] = mapped_column(String(64))
    settlement: Mapped[str | None] = mapped_column(String(200))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))
    src: Mapped[dict[str, Any]]


class WriteoffLine(Base):
    __tablename__ = "writeoff_line"
    __table_args__ = (UniqueConstraint("writeoff_ref", "line_no"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    writeoff_ref: Mapped[str] = mapped_column(String(64))
    line_no: Mapped[int]
    date: Mapped[dt.date]
    recipient: Mapped[str] = mapped_column(ForeignKey("party.code"))
    warehouse: Mapped[str] = mapped_column(ForeignKey("warehouse.code"))
    item: Mapped[str] = mapped_column(ForeignKey("item.code"))
    quantity: Mapped[Decimal]
    batch: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))
    src: Mapped[dict[str, Any]]


class TransferLine(Base):
    __tablename__ = "transfer_line"
    __table_args__ = (UniqueConstraint("transfer_ref", "line_no"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    transfer_ref: Mapped[str] = mapped_column(String(64))
    line_no: Mapped[int]
    date: Mapped[dt.date]
    from_warehouse: Mapped[str] = mapped_column(ForeignKey("warehouse.code"))
    to_warehouse: Mapped[str] = mapped_column(ForeignKey("warehouse.code"))
    item: Mapped[str] = mapped_column(ForeignKey("item.code"))
    quantity: Mapped[Decimal]
    batch: Mapped[str | None] = mapped_column(String(64))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))
    src: Mapped[dict[str, Any]]


# ---------------------------------------------------------------- superseded versions


def _versions_of(record: type[Base]) -> Table:
    """The versions of a record that a correction replaced, column for column as they stood.

    A correction (the reversed row imported or posted again under its key) updates the record
    in place, as natural keys require; its earlier version is copied here first, with the
    entry that booked it. A period's documents show the period as it stood (`reports.data`):
    without these, a receipt corrected in March would vanish from February's filed register.
    Append-only, like the journal (`ledger.db.guards`).
    """
    source = record.__table__
    columns = [Column(c.name, c.type, nullable=c.nullable)
               for c in source.columns]  # fmt: skip
    return Table(
        f"{source.name}_version",
        Base.metadata,
        Column("version_id", Integer, primary_key=True),
        *columns,
        Index(f"ix_{source.name}_version_entry_id", "entry_id"),
    )


class LedgerSetting(Base):
    """Facts about the ledger itself. `versions_kept_from_entry`: the first entry id booked by
    code that keeps superseded versions (revision 0007): a correction from there on must have
    left one, so `verify` finds a kept version deleted behind the ledger's back. Append-only."""

    __tablename__ = "ledger_setting"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


VERSIONS_KEPT_FROM = "versions_kept_from_entry"

# record kind (as in the exchange format) -> the table of its superseded versions
VERSIONS: dict[str, Table] = {
    "receipts": _versions_of(ReceiptLine),
    "distributions": _versions_of(DistributionLine),
    "writeoffs": _versions_of(WriteoffLine),
    "transfers": _versions_of(TransferLine),
}
# the entry kinds that book those records
VERSIONED_ENTRY_KINDS = frozenset({"receipt", "distribution", "writeoff", "transfer"})

# The versions of documents that `import --correct-documents` replaced (revision 0008), column for
# column as they stood, with when they were replaced: a document posts no entry, so no entry id
# dates it, and no seal covers it (`verify` has nothing to check it against). An auditor still
# sees that DL1 was on file unsigned until the signed letter replaced it. Append-only.
DOCUMENT_VERSIONS = Table(
    "document_version",
    Base.metadata,
    Column("version_id", Integer, primary_key=True),
    *(Column(c.name, c.type, nullable=c.nullable) for c in Document.__table__.columns),
    Column("replaced_at", DateTime, nullable=False),
    Index("ix_document_version_id", "id"),
)
