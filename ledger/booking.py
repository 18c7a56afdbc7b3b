"""Booking: turn one validated row into one balanced journal entry (DESIGN §4, events table).

Each `book_*` function reads the `Book`, refuses what the ledger cannot record (unknown codes,
more than is in transit or in stock, a closed period) with a `BookingError` naming the column,
and otherwise applies exactly one entry and registers the record under its natural key.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import String, or_, select

from ledger import accounts as acc
from ledger.book import RECORD_TABLES, Book, Lot, PledgeLine
from ledger.db import tables as t
from ledger.decimals import dstr
from ledger.entries import ZERO, Entry, Posting, balance_values
from ledger.errors import (
    BookingError,
    BookingErrors,
    InsufficientStock,
    UnknownCode,
    UnknownCodes,
)
from schemas.fields import FIRST_DATE, LAST_DATE
from schemas.rows import (
    CustomsRow,
    DistributionRow,
    DocumentRow,
    FxRateRow,
    ItemRow,
    PartnershipRow,
    PartyRow,
    PledgeRow,
    ReceiptRow,
    Row,
    ShipmentRow,
    TransferRow,
    WarehouseRow,
    WriteoffRow,
)


class Outcome(StrEnum):
    NEW = "new"
    UNCHANGED = "unchanged"
    CORRECTED = "corrected"
    STILL_REVERSED = "still reversed"  # as a record whose entry was reversed: not booked again
    # the same record as one whose entry was reversed, posted again on purpose: no correction
    BOOKED_AGAIN = "booked again"


def _shown(value: Any) -> str:
    """A stored or given value in a conflict: an empty one as "(blank)", not Python's None."""
    return "(blank)" if value is None else repr(value)


class Conflict(BookingError):
    """A row whose natural key is taken by a different stored version. Nothing is overwritten.

    `given_by` names where the new version comes from: a row of a file, or one event posted on
    its own (a command: "the command has …"), which the user did not type into any file."""

    def __init__(self, key: str, stored: dict[str, Any], given: dict[str, Any],
                 advice: str = "", given_by: str = "file") -> None:  # fmt: skip
        diff = sorted(k for k in set(stored) | set(given) if stored.get(k) != given.get(k))
        shown = "; ".join(
            f"{k}: ledger has {_shown(stored.get(k))}, {given_by} has {_shown(given.get(k))}"
            for k in diff
        )
        super().__init__(
            f"conflict with the record already stored under {key}: {shown}{advice}",
            diff[0] if diff else None,
        )
        self.stored = stored
        self.given = given


def book_row(book: Book, row: Row, *, rebook_reversed: bool = False, correct_rates: bool = False,
             correct_documents: bool = False, one_event: bool = False) -> Outcome:  # fmt: skip
    """Book one row of any kind, honouring natural keys (invariant 7).

    A row equal to a record whose entry was reversed is booked again only with
    `rebook_reversed` (one event posted on purpose, e.g. a receipt re-posted once its day's
    rate is on file: `booked again`, no correction); an import of the same files again leaves
    the reversal standing. A changed FX rate is a conflict like any changed row unless
    `correct_rates` says the stored one was mistyped (`import --correct-rates`). A changed
    document (signed since, another signatory, date or file) is a conflict too unless
    `correct_documents` says it replaces the one on file (`import --correct-documents`; the
    version it replaces is kept, `journal._write_records`); no other kind changes with it.
    `one_event`: the row was posted on its own (a command, `Ledger.post`), not read from a
    file, and a conflict says so.
    """
    kind = row.kind
    _check_lengths(row)
    src = row.canonical()
    key = _store_key(row)
    existing = book.record(kind, key)
    replaces = False  # the stored version is replaced (its id kept) by this one
    outcome = Outcome.NEW
    if existing is not None:
        stored, given = book.stored_src(existing, key), json.loads(src)
        reversed_ = existing.entry_id is not None and book.is_reversed(existing.entry_id)
        if stored == given and not (reversed_ and rebook_reversed):
            return Outcome.STILL_REVERSED if reversed_ else Outcome.UNCHANGED
        _refuse_change(book, row, existing, stored, given, reversed_, correct_rates,
                       correct_documents, one_event)  # fmt: skip
        replaces = True  # its entry was reversed (the key is free), a rate or document to correct
        outcome = Outcome.BOOKED_AGAIN if stored == given else Outcome.CORRECTED
    if row.date_field is not None:  # a closed month first: before stock or pledge checks
        day = getattr(row, row.date_field)
        if isinstance(day, dt.date):
            book.check_open(day, row.date_field)
    try:
        BOOKERS[kind](book, row, src, existing.id if replaces and existing else None)
    except UnknownCode as first:  # raised before anything is booked: say every unknown code
        _all_unknown(book, row, first)
        raise
    return outcome


def _refuse_change(book: Book, row: Row, existing: Any, stored: dict[str, Any],
                   given: dict[str, Any], reversed_: bool, correct_rates: bool,
                   correct_documents: bool, one_event: bool) -> None:  # fmt: skip
    """Raise a Conflict unless the stored version may be replaced: its entry was reversed, it
    is a mistyped rate to correct (`correct_rates`), or a document to correct
    (`correct_documents`: documents post nothing, so no reversal can free their key). The
    advice says what to do again: post the one event, or import the row."""
    if reversed_:
        return
    given_by, again = ("the command", "post it again") if one_event else ("file", "import the row again")  # fmt: skip
    if row.kind == "fx_rates":
        if not correct_rates:  # never overwritten unasked (invariant 7)
            how = ("post it again with correct_rates=True" if one_event
                   else "import it again with --correct-rates")  # fmt: skip
            raise Conflict(row.key_text, stored, given,
                           f"; if the stored rate was mistyped, {how}", given_by)  # fmt: skip
        _rate_correctable(book, row, stored, given, given_by)  # type: ignore[arg-type]
    elif row.kind == "documents":
        if not correct_documents:  # never overwritten unasked (invariant 7)
            how = ("post it again with correct_documents=True" if one_event
                   else "import the corrected row again with --correct-documents")  # fmt: skip
            raise Conflict(row.key_text, stored, given,
                           f"; to replace the document on file with this version (signed since, "
                           f"a corrected signatory, date or file), {how}", given_by)  # fmt: skip
    elif existing.entry_id is not None:  # an event: corrected by reversing its entry
        raise Conflict(row.key_text, stored, given,
                       f"; to correct it, reverse entry {existing.entry_id} (aidledger reverse "
                       f"{existing.entry_id} --reason …), then {again}", given_by)  # fmt: skip
    else:
        raise Conflict(row.key_text, stored, given, given_by=given_by)


def _rate_correctable(book: Book, row: FxRateRow, stored: dict[str, Any],
                      given: dict[str, Any], given_by: str = "file") -> None:  # fmt: skip
    """A mistyped rate must be correctable, or it would stay in the books for good; but a UAH
    value is fixed when its receipt is posted (never re-translated, DESIGN §4), so only while
    no standing receipt was valued at it. Otherwise the conflict names those receipts."""
    book.check_open(row.date, "date")  # a closed month's documents read its rates
    valued = book.receipts_valued_at(row.date, row.currency) if row.base == "UAH" else []
    if valued:
        shown = ", ".join(valued[:5]) + (f" and {len(valued) - 5} more" if len(valued) > 5 else "")
        raise Conflict(row.key_text, stored, given,
                       f"; receipts valued at the stored rate: {shown} — reverse them (aidledger "
                       "reverse), import the corrected rate (--correct-rates), then post them "
                       "again", given_by)  # fmt: skip


# The master-data codes each kind of row refers to: (column, master kind, what it is called).
CODES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "warehouses": (("party", "parties", "party"),),
    "partnerships": (("party_a", "parties", "party"), ("party_b", "parties", "party")),
    "pledges": (("donor", "parties", "party"), ("recipient", "parties", "party"),
                ("item", "items", "item")),
    "shipments": (("donor", "parties", "party"), ("recipient", "parties", "party"),
                  ("item", "items", "item"), ("carrier", "parties", "party")),
    "distributions": (("recipient", "parties", "party"), ("beneficiary", "parties", "party"),
                      ("item", "items", "item"), ("warehouse", "warehouses", "warehouse")),
    "writeoffs": (("recipient", "parties", "party"), ("item", "items", "item"),
                  ("warehouse", "warehouses", "warehouse")),
    "transfers": (("item", "items", "item"), ("from_warehouse", "warehouses", "warehouse"),
                  ("to_warehouse", "warehouses", "warehouse")),
}  # fmt: skip


def _all_unknown(book: Book, row: Row, first: UnknownCode) -> None:
    """Raise every code of the row that is not in the ledger at once, the booker's first one
    first: fixing one only to meet the next on the following import wastes the coordinator's
    time. Looked up only once a row has failed, so booking good rows pays nothing for it."""
    problems: list[BookingError] = [first]
    for column, kind, what in CODES.get(row.kind, ()):
        code = getattr(row, column, None)
        if column == first.column or code is None:
            continue
        try:
            book.require(kind, code, column, what)  # the same refusal the booker would give
        except UnknownCode as exc:
            problems.append(exc)
    if len(problems) > 1:
        raise UnknownCodes(problems) from None


def _store_key(row: Row) -> tuple[Any, ...]:
    return row.key


@cache
def _text_limits(kind: str) -> tuple[tuple[str, str, int], ...]:
    """(row attribute, stored column, longest text) per text column, read off the table."""
    table = RECORD_TABLES[kind].__table__
    renamed = {"parties": {"kind": "party_kind"}, "partnerships": {"kind": "partnership_kind"}}
    return tuple(
        (renamed.get(kind, {}).get(c.name, c.name), c.name, c.type.length)
        for c in table.columns
        if isinstance(c.type, String) and c.type.length is not None
    )


def _check_lengths(row: Row) -> None:
    """Refuse text longer than the ledger stores, as row errors rather than a database error:
    every such cell of the row at once."""
    problems = [
        BookingError(f"text of {len(value)} characters; at most {limit} are stored",
                     column, value[:40] + "…")
        for attr, column, limit in _text_limits(row.kind)
        if isinstance(value := getattr(row, attr, None), str) and len(value) > limit
    ]  # fmt: skip
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise BookingErrors(problems)


def _record(book: Book, row: Row, values: dict[str, Any]) -> None:
    book.put_record(row.kind, _store_key(row), values)


# ---------------------------------------------------------------- master data


def _book_party(book: Book, row: PartyRow, src: str, _id: int | None) -> None:
    _record(book, row, {
        "code": row.code, "name": row.name, "kind": row.party_kind, "country": row.country,
        "name_local": row.name_local, "registry_id": row.registry_id,
        "aid_register_no": row.aid_register_no, "src": src,
    })  # fmt: skip


def _book_partnership(book: Book, row: PartnershipRow, src: str, rid: int | None) -> None:
    book.require("parties", row.party_a, "party_a", "party")
    book.require("parties", row.party_b, "party_b", "party")
    _record(book, row, {
        "id": rid or book.next_id(t.Partnership), "party_a": row.party_a, "party_b": row.party_b,
        "kind": row.partnership_kind, "signed_on": row.signed_on, "areas": row.areas, "src": src,
    })  # fmt: skip


def _book_item(book: Book, row: ItemRow, src: str, _id: int | None) -> None:
    _record(book, row, {
        "code": row.code, "name": row.name, "unit": row.unit, "hs_code": row.hs_code,
        "category": row.category, "tracks_expiry": row.tracks_expiry, "name_uk": row.name_uk,
        "flags": row.flags, "src": src,
    })  # fmt: skip


def _book_warehouse(book: Book, row: WarehouseRow, src: str, _id: int | None) -> None:
    book.require("parties", row.party, "party", "party")
    _record(book, row, {
        "code": row.code, "party": row.party, "name": row.name, "settlement": row.settlement,
        "src": src,
    })  # fmt: skip


def _book_fx(book: Book, row: FxRateRow, src: str, _id: int | None) -> None:
    if row.currency == row.base:
        raise BookingError("a rate of a currency into itself is always 1", "currency", row.currency)
    _record(book, row, {
        "date": row.date, "currency": row.currency, "base": row.base, "rate": row.rate,
        "source": row.source, "src": src,
    })  # fmt: skip


# ---------------------------------------------------------------- helpers


def _money(q: Decimal, unit_value: Decimal) -> Decimal:
    return q * unit_value


def _goods(account: str, lot: Lot, q: Decimal) -> Posting:
    """A goods posting of `q` units of a lot, valued at the lot's declared unit value."""
    return Posting(account, lot.item, q, _money(q, lot.unit_value), lot.currency, lot.id)


def _check_party(book: Book, code: str, column: str) -> dict[str, Any]:
    return book.require("parties", code, column, "party")


def _check_item(book: Book, code: str) -> dict[str, Any]:
    return book.require("items", code, "item", "item")


def _warehouse_owner(book: Book, warehouse: str, column: str = "warehouse") -> str:
    return str(book.require("warehouses", warehouse, column, "warehouse")["party"])


def _not_before(on: dt.date, earliest: dt.date, what: str) -> None:
    if on < earliest:
        raise BookingError(f"dated before {what} ({earliest.isoformat()})", "date", on.isoformat())


def pick_lots(book: Book, account: str, item: str, quantity: Decimal, batch: str | None,
              on: dt.date | None = None) -> list[tuple[Lot, Decimal]]:  # fmt: skip
    """Choose lots to issue from: the named batch, else expiry first (FEFO), then oldest.

    With `on` (the event's day), only what may leave on that day counts: not goods that arrive
    later, nor goods later entries take out (see `ledger.history`).
    """
    held = book.holdings(account, item, on)
    lots = [(book.lot(lot_id), q) for lot_id, q in held.items() if lot_id is not None and q > 0]
    if batch is not None:
        lots = [(lot, q) for lot, q in lots if lot.batch == batch]
    lots.sort(key=lambda lq: (lq[0].expiry is None, lq[0].expiry or dt.date.max,
                              lq[0].dispatch_date, lq[0].id))  # fmt: skip
    available = sum((q for _lot, q in lots), ZERO)
    if available < quantity:
        what = f"{item} batch {batch}" if batch else item
        when = f" that may leave on {on.isoformat()}" if on and book.back_dated(on) else ""
        raise InsufficientStock(
            f"{account} holds only {dstr(available)} of {what}{when}; cannot issue "
            f"{dstr(quantity)}",
            "quantity",
            dstr(quantity),
        )
    picked: list[tuple[Lot, Decimal]] = []
    left = quantity
    for lot, q in lots:
        take = min(q, left)
        picked.append((lot, take))
        left -= take
        if left == 0:
            break
    return picked


# ---------------------------------------------------------------- events


def _book_pledge(book: Book, row: PledgeRow, src: str, rid: int | None) -> None:
    _check_party(book, row.donor, "donor")
    _check_party(book, row.recipient, "recipient")
    _check_item(book, row.item)
    pl = PledgeLine(rid or book.next_id(t.PledgeLine), row.donor, row.pledge_ref, row.line_no,
                    row.recipient, row.item, row.quantity, row.unit_value, row.currency)  # fmt: skip
    value = _money(row.quantity, row.unit_value)
    entry = Entry(row.date, "pledge", f"pledge:{row.donor}/{row.pledge_ref}/{row.line_no}", (
        Posting(acc.pledged(row.donor, row.recipient), row.item, row.quantity, value,
                row.currency, pledge_line_id=pl.id),
        Posting(acc.donor(row.donor), row.item, -row.quantity, -value, row.currency,
                pledge_line_id=pl.id),
    ), memo=row.status)  # fmt: skip
    book.add_pledge_line(pl)  # as for lots: the line must exist before postings carry it
    entry_id = book.apply(entry)
    _record(book, row, {
        "id": pl.id, "donor": row.donor, "pledge_ref": row.pledge_ref, "line_no": row.line_no,
        "date": row.date, "recipient": row.recipient, "item": row.item, "quantity": row.quantity,
        "unit_value": row.unit_value, "currency": row.currency, "status": row.status,
        "entry_id": entry_id, "src": src,
    })  # fmt: skip


def _book_shipment(book: Book, row: ShipmentRow, src: str, rid: int | None) -> None:
    _check_party(book, row.donor, "donor")
    _check_party(book, row.recipient, "recipient")
    item = _check_item(book, row.item)
    if row.carrier:
        _check_party(book, row.carrier, "carrier")
    if item["tracks_expiry"]:
        for column in ("batch", "expiry"):
            if getattr(row, column) is None:
                raise BookingError(f"item {row.item} tracks expiry: {column} is required", column)
    if rid is None and book.shipment_lots(row.shipment_ref):
        _no_customs_yet(book, row.shipment_ref)
    pledge: PledgeLine | None = None
    if row.pledge_ref is not None and row.pledge_line is not None:
        pledge = book.pledge_line(row.donor, row.pledge_ref, row.pledge_line)
        if pledge is None:
            raise BookingError(
                f"no pledge line {row.donor}/{row.pledge_ref}/{row.pledge_line} in the ledger",
                "pledge_ref", row.pledge_ref,
            )  # fmt: skip
        if pledge.item != row.item:
            raise BookingError(
                f"pledge line is for {pledge.item}, not {row.item}", "item", row.item
            )
        if pledge.recipient != row.recipient:
            raise BookingError(f"pledge line is for recipient {pledge.recipient}", "recipient",
                               row.recipient)  # fmt: skip
    lot = Lot(rid or book.next_id(t.ShipmentLine), row.shipment_ref, row.line_no,
              row.dispatch_date, row.donor, row.recipient, row.item, row.quantity, row.unit_value,
              row.currency, row.batch, row.expiry, pledge.id if pledge else None, row.carrier)  # fmt: skip
    postings = [_goods(acc.transit(row.shipment_ref), lot, row.quantity)]
    from_pledge = ZERO
    if pledge is not None:
        remaining = book.balance(acc.pledged(row.donor, row.recipient), row.item, None, pledge.id)
        from_pledge = min(row.quantity, max(remaining, ZERO))
        if from_pledge > 0:
            postings.append(Posting(
                acc.pledged(row.donor, row.recipient), row.item, -from_pledge,
                -_money(from_pledge, pledge.unit_value), pledge.currency,
                pledge_line_id=pledge.id,
            ))  # fmt: skip
    beyond = row.quantity - from_pledge
    if beyond > 0:  # unpledged, or more than the pledge line still promised
        postings.append(_goods(acc.donor(row.donor), lot, -beyond))
    for p in balance_values(postings, acc.donor(row.donor), row.item):
        postings.append(Posting(p.account, p.commodity, p.quantity, p.value, p.currency, lot.id))
    entry = Entry(row.dispatch_date, "dispatch", f"dispatch:{row.shipment_ref}/{row.line_no}",
                  tuple(postings))  # fmt: skip
    book.add_lot(lot)  # the lot must exist before postings that carry it are applied
    entry_id = book.apply(entry)
    _record(book, row, {
        "id": lot.id, "shipment_ref": row.shipment_ref, "line_no": row.line_no,
        "dispatch_date": row.dispatch_date, "donor": row.donor, "recipient": row.recipient,
        "item": row.item, "quantity": row.quantity, "unit_value": row.unit_value,
        "currency": row.currency, "pledge_line_id": lot.pledge_line_id, "batch": row.batch,
        "expiry": row.expiry, "gross_kg": row.gross_kg, "packages": row.packages,
        "vehicle_reg": row.vehicle_reg, "waybill_no": row.waybill_no, "carrier": row.carrier,
        "route": row.route, "aid_code": row.aid_code, "aid_code_date": row.aid_code_date,
        "entry_id": entry_id, "src": src,
    })  # fmt: skip


def _no_customs_yet(book: Book, shipment_ref: str) -> None:
    """Refuse a new line of a consignment whose customs events are booked: they moved the
    consignment's goods without it, and booking it now would leave it in transit where the same
    rows imported together put it at customs (the ledger would depend on how files are split)."""
    events = book.customs_events(shipment_ref)
    if events:
        event, day = min(events, key=lambda e: e[1])
        raise BookingError(
            f"shipment {shipment_ref} already has customs events booked ({event} on "
            f"{day.isoformat()}): a new line cannot join the consignment after them; reverse "
            "them (`aidledger reverse`), book the line, then post them again (`aidledger "
            "customs …`)", "line_no",
        )  # fmt: skip


def _book_customs(book: Book, row: CustomsRow, src: str, rid: int | None) -> None:
    lots = book.shipment_lots(row.shipment_ref)
    if not lots:
        raise BookingError(
            f"unknown shipment {row.shipment_ref!r}", "shipment_ref", row.shipment_ref
        )
    _not_before(row.date, min(lot.dispatch_date for lot in lots), "the shipment's dispatch")
    # the event moves the whole consignment (one vehicle): none of its lines may leave later
    last = max(lots, key=lambda lot: lot.dispatch_date)
    _not_before(row.date, last.dispatch_date, f"line {last.line_no} of the shipment was dispatched")
    transit, customs = acc.transit(row.shipment_ref), acc.customs(row.shipment_ref)
    source, target = (customs, transit) if row.event == "released" else (transit, customs)
    postings: list[Posting] = []
    for lot in lots:
        q = book.balance(source, lot.item, lot.id)
        if q > 0:
            postings += [_goods(target, lot, q), _goods(source, lot, -q)]
    at_customs = any(book.balance(customs, lot.item, lot.id) > 0 for lot in lots)
    if row.event == "released" and not postings:
        raise BookingError(f"shipment {row.shipment_ref} is not at customs: nothing to release",
                           "event", row.event)  # fmt: skip
    if row.event != "released" and not postings and not at_customs:
        raise BookingError(f"nothing of shipment {row.shipment_ref} is in transit or at customs: "
                           "its goods were received or lost before this event was booked; book "
                           "customs events before the receipts that follow them",
                           "event", row.event)  # fmt: skip
    entry = Entry(row.date, "customs", f"customs:{row.shipment_ref}/{row.event}/{row.date}",
                  tuple(postings), memo=row.event)  # fmt: skip
    entry_id = book.apply(entry)
    _record(book, row, {
        "id": rid or book.next_id(t.CustomsEvent), "shipment_ref": row.shipment_ref,
        "event": row.event, "date": row.date, "declaration_no": row.declaration_no,
        "office": row.office, "note": row.note, "entry_id": entry_id, "src": src,
    })  # fmt: skip


def _book_receipt(book: Book, row: ReceiptRow, src: str, rid: int | None) -> None:
    lot = book.lot_by_key(row.shipment_ref, row.line_no)
    if lot is None and not book.shipment_lots(row.shipment_ref):
        raise BookingError(f"unknown shipment {row.shipment_ref!r}: not in the ledger",
                           "shipment_ref", row.shipment_ref)  # fmt: skip
    if lot is None:
        raise BookingError(f"no shipment line {row.shipment_ref}/{row.line_no} in the ledger",
                           "line_no", str(row.line_no))  # fmt: skip
    owner = _warehouse_owner(book, row.warehouse)
    if owner != lot.recipient:  # FORMATS.md: acceptance at the recipient's warehouse
        raise BookingError(
            f"warehouse {row.warehouse} belongs to {owner}, not to {lot.recipient}, the recipient "
            f"of shipment {row.shipment_ref}: receive into {lot.recipient}'s warehouse, then "
            f"record a transfer", "warehouse", row.warehouse,
        )  # fmt: skip
    _not_before(row.date, lot.dispatch_date, "the shipment's dispatch")
    customs = acc.customs(row.shipment_ref)
    consignment = book.shipment_lots(row.shipment_ref)
    if any(book.balance(customs, other.item, other.id) > 0 for other in consignment):
        raise BookingError(
            f"shipment {row.shipment_ref} is still at customs: record its release first",
            "shipment_ref", row.shipment_ref,
        )  # fmt: skip
    transit = acc.transit(row.shipment_ref)
    in_transit = book.balance(transit, lot.item, lot.id)
    take = row.out_of_transit
    if take > in_transit:
        raise BookingError(
            f"receipt takes {dstr(take)} out of transit (received − excess + short + damaged) "
            f"but only {dstr(in_transit)} of shipment line {row.shipment_ref}/{row.line_no} is "
            "in transit; record a surplus in `excess`",
            "received", dstr(row.received),
        )  # fmt: skip
    postings = [_goods(transit, lot, -take)]
    if row.received:
        postings.append(_goods(acc.stock(owner, row.warehouse), lot, row.received))
    if row.short:  # the carrier answers for it: the line's, else the consignment's (FORMATS:
        # header values may be filled on line 1 only)
        carrier = lot.carrier or next((o.carrier for o in consignment if o.carrier), "carrier")
        postings.append(_goods(acc.loss(carrier, "short"), lot, row.short))
    if row.damaged:
        postings.append(_goods(acc.loss(owner, "damaged"), lot, row.damaged))
    if row.excess:
        postings.append(_goods(acc.donor(lot.donor), lot, -row.excess))
    ref = f"receipt:{row.receipt_ref}/{row.shipment_ref}/{row.line_no}"
    entry_id = book.apply(Entry(row.date, "receipt", ref, tuple(postings), memo=row.remarks or ""))
    rate = book.fx_rate(row.date, lot.currency)
    value_uah = row.received * lot.unit_value * rate[0] if rate else None
    book.add_receipt_value(lot, value_uah)
    _record(book, row, {
        "id": rid or book.next_id(t.ReceiptLine), "receipt_ref": row.receipt_ref,
        "shipment_ref": row.shipment_ref, "line_no": row.line_no, "shipment_line_id": lot.id,
        "date": row.date, "warehouse": row.warehouse, "received": row.received,
        "short": row.short, "damaged": row.damaged, "excess": row.excess, "remarks": row.remarks,
        "fx_rate": rate[0] if rate else None, "fx_rate_date": row.date if rate else None,
        "fx_source": rate[1] if rate else None,
        "value_uah": value_uah,
        "entry_id": entry_id, "src": src,
    })  # fmt: skip


def _issue(book: Book, on: dt.date, kind: str, ref: str, source: str, target: str,
           item: str, quantity: Decimal, batch: str | None, memo: str = "") -> int:  # fmt: skip
    """Move goods out of one stock account into another account, lot by lot."""
    postings: list[Posting] = []
    for lot, q in pick_lots(book, source, item, quantity, batch, on):
        postings += [_goods(source, lot, -q), _goods(target, lot, q)]
    return book.apply(Entry(on, kind, ref, tuple(postings), memo=memo))


def _book_distribution(book: Book, row: DistributionRow, src: str, rid: int | None) -> None:
    _check_party(book, row.recipient, "recipient")
    _check_party(book, row.beneficiary, "beneficiary")
    _check_item(book, row.item)
    owner = _warehouse_owner(book, row.warehouse)
    if owner != row.recipient:
        raise BookingError(f"warehouse {row.warehouse} belongs to {owner}, not {row.recipient}",
                           "warehouse", row.warehouse)  # fmt: skip
    entry_id = _issue(book, row.date, "distribution",
                      f"distribution:{row.distribution_ref}/{row.line_no}",
                      acc.stock(owner, row.warehouse), acc.distributed(owner, row.beneficiary),
                      row.item, row.quantity, row.batch, row.settlement or "")  # fmt: skip
    _record(book, row, {
        "id": rid or book.next_id(t.DistributionLine), "distribution_ref": row.distribution_ref,
        "line_no": row.line_no, "date": row.date, "recipient": row.recipient,
        "warehouse": row.warehouse, "beneficiary": row.beneficiary, "item": row.item,
        "quantity": row.quantity, "batch": row.batch, "settlement": row.settlement,
        "entry_id": entry_id, "src": src,
    })  # fmt: skip


def _book_writeoff(book: Book, row: WriteoffRow, src: str, rid: int | None) -> None:
    _check_party(book, row.recipient, "recipient")
    _check_item(book, row.item)
    owner = _warehouse_owner(book, row.warehouse)
    if owner != row.recipient:
        raise BookingError(f"warehouse {row.warehouse} belongs to {owner}, not {row.recipient}",
                           "warehouse", row.warehouse)  # fmt: skip
    entry_id = _issue(book, row.date, "writeoff", f"writeoff:{row.writeoff_ref}/{row.line_no}",
                      acc.stock(owner, row.warehouse), acc.loss(owner, row.reason),
                      row.item, row.quantity, row.batch, row.reason)  # fmt: skip
    _record(book, row, {
        "id": rid or book.next_id(t.WriteoffLine), "writeoff_ref": row.writeoff_ref,
        "line_no": row.line_no, "date": row.date, "recipient": row.recipient,
        "warehouse": row.warehouse, "item": row.item, "quantity": row.quantity,
        "batch": row.batch, "reason": row.reason, "entry_id": entry_id, "src": src,
    })  # fmt: skip


def _book_transfer(book: Book, row: TransferRow, src: str, rid: int | None) -> None:
    _check_item(book, row.item)
    src_owner = _warehouse_owner(book, row.from_warehouse, "from_warehouse")
    dst_owner = _warehouse_owner(book, row.to_warehouse, "to_warehouse")
    entry_id = _issue(book, row.date, "transfer", f"transfer:{row.transfer_ref}/{row.line_no}",
                      acc.stock(src_owner, row.from_warehouse),
                      acc.stock(dst_owner, row.to_warehouse), row.item, row.quantity, row.batch)  # fmt: skip
    _record(book, row, {
        "id": rid or book.next_id(t.TransferLine), "transfer_ref": row.transfer_ref,
        "line_no": row.line_no, "date": row.date, "from_warehouse": row.from_warehouse,
        "to_warehouse": row.to_warehouse, "item": row.item, "quantity": row.quantity,
        "batch": row.batch, "entry_id": entry_id, "src": src,
    })  # fmt: skip


def _book_document(book: Book, row: DocumentRow, src: str, rid: int | None) -> None:
    """A document is kept as a record for the rules engine; it posts nothing."""
    _record(book, row, {
        "id": rid or book.next_id(t.Document), "kind": row.doc_kind, "number": row.number,
        "subject": row.subject, "date": row.date, "signed": row.signed,
        "signatory": row.signatory, "sha256": row.sha256, "src": src,
    })  # fmt: skip


def book_reversal(book: Book, entry_id: int, reason: str, on: dt.date | None = None) -> int:
    """Post the exact reversal of a stored entry (invariant 2: corrections are reversals).

    Without `on`, the reversal is dated like the entry it reverses while that month is open:
    the event is undone from the day it happened, so the corrected row, dated that day too,
    finds the goods where they were then (dated today, the goods would be back only from today,
    and a correction on the original day would be refused: invariant 3). When later entries
    moved those goods on, so that undoing from that day would leave a stage below zero on some
    day, or the month is closed, it is dated today.
    """
    original = book.load_entry(entry_id)
    if original is None:
        raise BookingError(f"no entry {entry_id} in the ledger")
    if on is None:
        today = dt.date.today()
        if original.date.strftime("%Y-%m") in book.closed_months() or original.date == today:
            return book_reversal(book, entry_id, reason, today)
        try:
            return book_reversal(book, entry_id, reason, original.date)
        except InsufficientStock:  # raised before anything was applied: today instead
            return book_reversal(book, entry_id, reason, today)
    if original.reverses_id is not None:
        raise BookingError(f"entry {entry_id} is itself a reversal; it cannot be reversed")
    if book.is_reversed(entry_id):
        raise BookingError(f"entry {entry_id} has already been reversed")
    if not reason.strip():
        raise BookingError("a reversal needs a reason")
    if not FIRST_DATE <= on <= LAST_DATE:
        raise BookingError(f"a reversal cannot be dated {on.isoformat()}: the year is outside "
                           f"{FIRST_DATE.year}–{LAST_DATE.year}", column="date")  # fmt: skip
    if on < original.date:
        raise BookingError(
            f"a reversal cannot be dated {on.isoformat()}, before the entry it reverses "
            f"({original.date.isoformat()})"
        )
    _nothing_stands_on(book, entry_id, original)
    try:
        reversal_id = book.apply(original.reversal(on, reason.strip()))
    except InsufficientStock as exc:
        raise InsufficientStock(f"{exc}{_moved_on_by(book, entry_id, original)}", exc.column,
                                exc.value) from None  # fmt: skip
    if original.kind == "receipt":  # the receipt's UAH value no longer counts
        for lot_id, value_uah in book.receipt_values(entry_id):
            book.add_receipt_value(book.lot(lot_id), value_uah, -1)
    return reversal_id


def _moved_on_by(book: Book, entry_id: int, original: Entry) -> str:
    """Which later standing entries took the goods this entry brought somewhere: a reversal
    short of stock must say what to reverse first, not only which stage would go below zero."""
    e, p = t.Entry, t.Posting
    slots = [(x.account, x.lot_id) for x in original.postings
             if x.quantity > 0 and x.lot_id is not None]  # fmt: skip
    later: dict[int, str] = {}
    for account, lot_id in slots:
        query = (select(e.id, e.ref, p.quantity).join(p, p.entry_id == e.id)
                 .where(e.id > entry_id, e.reverses_id.is_(None), p.account == account,
                        p.lot_id == lot_id).order_by(e.id))  # fmt: skip
        for row in book.conn.execute(query):  # what took goods out (TEXT decimals on SQLite:
            if row.quantity < 0 and not book.is_reversed(row.id):  # compared here, not in SQL)
                later[row.id] = row.ref
    if not later:
        return ""
    shown = ", ".join(f"entry {i} ({ref})" for i, ref in sorted(later.items())[:10])
    more = f" and {len(later) - 10} more" if len(later) > 10 else ""
    return (
        f"; later entries moved these goods on: {shown}{more} — reverse those first "
        "(aidledger reverse), newest first, then this one"
    )


def _nothing_stands_on(book: Book, entry_id: int, original: Entry) -> None:
    """Refuse to reverse an entry that later standing entries were booked on, where undoing it
    alone would leave the ledger unlike any import of the remaining rows:

    * a customs event with later events of its consignment (a `held` books nothing when the
      goods are at customs already: without its `arrived`, it would have moved them there);
    * a dispatch against a pledge line that a later dispatch then exhausted (that one's split
      between the pledge and the donor was made with this one's quantity taken).
    """
    e, p = t.Entry, t.Posting
    if original.kind == "customs":
        shipment = original.ref.removeprefix("customs:").rsplit("/", 2)[0]
        query = select(e.id, e.date, e.memo).where(
            e.kind == "customs", e.id != entry_id, e.reverses_id.is_(None),
            e.ref.startswith(f"customs:{shipment}/", autoescape=True),
            # entered after it, or dated after it: a back-dated `held` entered later books
            # nothing either when the goods are at customs
            or_(e.id > entry_id, e.date > original.date))  # fmt: skip
        later = [r for r in book.conn.execute(query.order_by(e.id)) if not book.is_reversed(r.id)]
        if later:
            shown = ", ".join(f"{r.memo} on {r.date.isoformat()} (entry {r.id})" for r in later)
            raise BookingError(f"entry {entry_id} is a customs event of {shipment} that later "
                               f"events stand on: {shown}; reverse those first")  # fmt: skip
    if original.kind == "dispatch":
        lines = {x.pledge_line_id for x in original.postings if x.pledge_line_id is not None}
        if not lines:
            return
        sl = t.ShipmentLine  # by the lot's pledge line: a dispatch wholly beyond the pledge
        query = select(p.entry_id).distinct().join(e, e.id == p.entry_id).join(  # has no posting
            sl, sl.id == p.lot_id).where(                                        # against it
            e.kind == "dispatch", e.id > entry_id, e.reverses_id.is_(None),
            sl.pledge_line_id.in_(lines))  # fmt: skip
        for later_id in book.conn.execute(query.order_by(p.entry_id)).scalars():
            later = book.load_entry(later_id)
            beyond = later is not None and any(
                x.quantity and x.lot_id is not None and x.account.startswith("donor:")
                for x in later.postings
            )
            if beyond and not book.is_reversed(later_id):
                raise BookingError(f"entry {entry_id} is a dispatch against a pledge line that a "
                                   f"later dispatch (entry {later_id}, {later.ref}) then took "  # type: ignore[union-attr]
                                   "beyond its remainder; reverse that one first, so that "
                                   "both are booked again against what the pledge holds")  # fmt: skip


BOOKERS: dict[str, Callable[..., None]] = {
    "parties": _book_party,
    "partnerships": _book_partnership,
    "items": _book_item,
    "warehouses": _book_warehouse,
    "fx_rates": _book_fx,
    "pledges": _book_pledge,
    "shipments": _book_shipment,
    "customs": _book_customs,
    "receipts": _book_receipt,
    "distributions": _book_distribution,
    "writeoffs": _book_writeoff,
    "transfers": _book_transfer,
    "documents": _book_document,
}
