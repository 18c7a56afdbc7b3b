"""The import: read every file, validate every row, book in a sensible order, all or nothing.

Order: master data first (parties, items, warehouses, partnerships, rates), then events in date
order, and within a day in pipeline order (pledge, dispatch, customs, receipt, distribution,
write-off, transfer); a row short of stock waits for the rest of its day (`_Booker`). Every
problem of every row is collected before anything is decided; if there is any, nothing is
written and the caller gets them all at once.
"""

from __future__ import annotations

import csv
import difflib
import gc
import itertools
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ledger.book import Book
from ledger.booking import Outcome, book_row
from ledger.errors import BookingError, BookingErrors, ImportRejected, InsufficientStock, RowError
from ledger.importer.headers import canonical, suggest
from ledger.importer.readers import MalformedRow, Table, expand, read_path
from schemas.fields import ColumnError
from schemas.rows import EVENT_KINDS, ROW_TYPES, Row

MASTER_ORDER = ("parties", "items", "warehouses", "partnerships", "fx_rates", "documents")
EVENT_ORDER = {t.kind: i for i, t in enumerate(EVENT_KINDS)}

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class SourceRow:
    file: str
    row: int
    model: Row


@dataclass
class ImportReport:
    files: list[str] = field(default_factory=list)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # worth a look, not a refusal
    # per file read: how many sheets of it were read (a workbook), None for a CSV file
    sources: list[int | None] = field(default_factory=list)

    def read_from(self) -> str:
        """The files read, as a summary line says it: "12 files", "1 file (7 sheets)", "3 files
        (2 CSV, 1 workbook of 7 sheets)". `files` holds a label per table, so a workbook of
        7 sheets was "7 file(s)"."""
        n = len(self.sources)
        workbooks = [k for k in self.sources if k is not None]
        text = _count(n, "file")
        if not workbooks:
            return text
        sheets = _count(sum(workbooks), "sheet")
        if len(workbooks) == n:
            return f"{text} ({sheets})"
        return (
            f"{text} ({n - len(workbooks)} CSV, {_count(len(workbooks), 'workbook')} of {sheets})"
        )

    @property
    def new(self) -> int:
        """Rows booked: new keys, corrections, and records booked again."""
        booked = (Outcome.NEW, Outcome.CORRECTED, Outcome.BOOKED_AGAIN)
        return sum(c[o] for c in self.counts.values() for o in booked)

    @property
    def brand_new(self) -> int:
        """Rows booked under a key the ledger did not hold (`new` less the corrections)."""
        return sum(c[Outcome.NEW] for c in self.counts.values())

    @property
    def corrected(self) -> int:
        """Rows that replaced a stored version: one whose entry was reversed, a mistyped rate
        (`--correct-rates`) or a document on file (`--correct-documents`)."""
        return sum(c[Outcome.CORRECTED] for c in self.counts.values())

    @property
    def unchanged(self) -> int:
        return sum(c[Outcome.UNCHANGED] for c in self.counts.values())

    @property
    def still_reversed(self) -> int:
        return sum(c[Outcome.STILL_REVERSED] for c in self.counts.values())


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _pydantic_errors(
    exc: ValidationError, label: str, number: int, data: dict[str, Any]
) -> list[RowError]:
    out = []
    for err in exc.errors():
        column = str(err["loc"][0]) if err["loc"] else None
        cause = (err.get("ctx") or {}).get("error")
        if column is None and isinstance(cause, ColumnError):  # a check across columns
            column = cause.column
        if column in ("party_kind", "partnership_kind"):
            column = "kind"
        reason = "required value is missing" if err["type"] == "missing" else err["msg"]
        reason = reason.removeprefix("Value error, ")
        out.append(RowError(label, number, column, data.get(column or "", None), reason))
    return out


HEADER_SEARCH_ROWS = 10  # how far below row 1 the column names are looked for


def _header_below(table: Table, known: list[str], required: list[str]) -> int | None:
    """The row of the first few that holds every required column name, when row 1 does not:
    a title or a note above the header (as spreadsheets are often laid out). The table's rows
    are not read further: the file is refused either way."""
    for number, cells in itertools.islice(table.rows, HEADER_SEARCH_ROWS):
        if isinstance(cells, MalformedRow):
            continue
        names = {canonical(str(c), known) for c in cells if c not in (None, "")}
        if all(c in names for c in required):
            return number
    return None


def _lookalikes(unknown: list[str], absent: list[str]) -> list[tuple[str, str]]:
    """Extra columns named almost like an optional column the file lacks (`damage` for
    `damaged`, `batch_no` for `batch`). FORMATS keeps extra columns as metadata, so they are
    not refused; but their values are left out of the booking (the FEFO lot picked instead of
    the batch asked for, damaged goods left in transit), which the user should hear of."""
    out = []
    for column in unknown:
        for name in absent:
            shorter, longer = sorted((column, name), key=len)
            prefix = len(shorter) >= 4 and longer.startswith(shorter)
            if prefix or difflib.SequenceMatcher(None, column, name).ratio() >= 0.85:
                out.append((column, name))
                break
    return out


def parse_table(table: Table, errors: list[RowError],
                notes: list[str] | None = None) -> list[SourceRow]:  # fmt: skip
    """Validate one table's rows; append problems to `errors` (and what is worth a look but
    no refusal to `notes`) and return the good rows."""
    notes = [] if notes is None else notes
    row_type = ROW_TYPES.get(table.kind)
    if row_type is None:
        errors.append(RowError(table.label, None, None, table.kind,
                               f"unknown kind of file: expected one of {', '.join(ROW_TYPES)}"))  # fmt: skip
        return []
    if not any(h.strip() for h in table.header):
        first = next(table.rows, None)
        if first is None:  # 0 bytes, a BOM, blank lines: not one "missing" line per column
            errors.append(RowError(table.label, None, None, None, "the file is empty"))
            return []
        table.rows = itertools.chain([first], table.rows)
    known = row_type.columns()
    header = [canonical(h, known) if h.strip() else "" for h in table.header]
    unknown = [h for h in header if h and h not in known]
    missing = [c for c in row_type.required_columns() if c not in header]
    if missing and (below := _header_below(table, known, row_type.required_columns())):
        errors.append(RowError(table.label, 1, None, None,
                               f"row 1 is not the header: the column names are on row {below}; "
                               "remove the rows above them (a title, a note)"))  # fmt: skip
        return []
    for column in missing:
        errors.append(RowError(table.label, 1, column, None,
                               f"required column is missing{suggest(unknown, column)}"))  # fmt: skip
    seen = Counter(h for h in header if h)
    for column, n in seen.items():
        if n > 1:
            errors.append(RowError(table.label, 1, column, None, "column appears more than once"))
    optional = [c for c in known if c not in header and c not in row_type.required_columns()]
    for column, meant in _lookalikes(unknown, optional):
        notes.append(f"{table.label}: column {column!r} is kept as metadata, not read as the "
                     f"optional column {meant!r}; rename it {meant!r} if that is what it holds")  # fmt: skip
    if missing or any(n > 1 for n in seen.values()):
        return []
    context: dict[str, Any] = {"decimal_comma": table.decimal_comma,
                               "comma_groups": table.comma_groups}  # fmt: skip
    if table.excel_epoch is not None:
        context["excel_epoch"] = table.excel_epoch
    good: list[SourceRow] = []
    unnamed: Counter[int] = Counter()  # cells with a value under a column with no header
    try:
        _validate_rows(table, row_type, header, known, context, good, errors, unnamed)
    except MalformedRow as exc:
        errors.append(_malformed_error(table, header, exc))
    for place, n in sorted(unnamed.items()):
        notes.append(f"{table.label}: {n} cell(s) of column {place} were not read: the column "
                     "has no header (name it to keep it as metadata)")  # fmt: skip
    return good


def _malformed_error(table: Table, header: list[str], exc: MalformedRow) -> RowError:
    index = exc.column_index
    column = header[index] or None if index is not None and index < len(header) else None
    return RowError(table.label, exc.row, column, exc.value, str(exc))


def _validate_rows(table: Table, row_type: type[Row], header: list[str], known: list[str],
                   context: dict[str, Any], good: list[SourceRow], errors: list[RowError],
                   unnamed: Counter[int]) -> None:  # fmt: skip
    names = set(known)
    plain = all(name in names for name in header)  # no blank or unknown column names
    field_sets: dict[frozenset[str], set[str]] = {}
    for number, cells in table.rows:
        if type(cells) is MalformedRow:  # a row the reader could not read as it stands
            errors.append(_malformed_error(table, header, cells))
            continue
        data: dict[str, Any]
        extra: dict[str, str] = {}
        if plain:  # the usual file: one C-level pass instead of a Python loop per cell
            data = dict(zip(header, cells, strict=False))
        else:
            data = {}
            for i, (name, value) in enumerate(zip(header, cells, strict=False)):
                if name in names:
                    data[name] = value
                elif value in (None, ""):
                    continue
                elif name:
                    extra[name] = str(value)
                else:  # a column with no header has no name to keep it under
                    unnamed[i + 1] += 1
        if len(cells) > len(header) and any(str(c).strip() for c in cells[len(header) :]):
            errors.append(RowError(table.label, number, None, None,
                                   "more cells than the header has columns"))  # fmt: skip
            continue
        try:
            model = row_type.model_validate({**data, "extra": extra}, context=context)
        except ValidationError as exc:
            errors.extend(_pydantic_errors(exc, table.label, number, data))
            continue
        _share_fields_set(model, field_sets)
        good.append(SourceRow(table.label, number, model))


def _share_fields_set(model: Row, shared: dict[frozenset[str], set[str]]) -> None:
    """Let rows that filled the same columns share one `model_fields_set`.

    An import holds every validated row until it is booked (events are booked in date order
    across files), and pydantic gives each row its own set of the names it was given: ~700 of
    the ~2,000 bytes a row takes, ~250 MB of a 1M-posting import. Rows are frozen, so nothing
    adds to the set after validation (`model_copy` copies it first).
    """
    fields = model.__pydantic_fields_set__
    one = shared.setdefault(frozenset(fields), fields)
    if one is not fields:
        object.__setattr__(model, "__pydantic_fields_set__", one)


def read_all(paths: list[Path], errors: list[RowError], notes: list[str] | None = None,
             sources: list[int | None] | None = None) -> tuple[list[str], list[SourceRow]]:  # fmt: skip
    """Every table's rows, validated; the tables' labels. `sources` gets, per file read, the
    number of its sheets read (a workbook) or None (a CSV file)."""
    rows: list[SourceRow] = []
    files: list[str] = []
    sources = [] if sources is None else sources
    for folder in paths:
        if folder.is_dir() and not expand([folder]):
            errors.append(RowError(str(folder), None, None, None,
                                   "no .csv or .xlsx files in this folder"))  # fmt: skip
    given = _once(expand(paths), notes)
    names = Counter(p.name for p in given)
    for path in given:
        if not path.exists():
            errors.append(RowError(str(path), None, None, None, "no such file or folder"))
            continue
        try:
            read = len(files)
            for table in read_path(path):
                if names[path.name] > 1:  # a/shipments.csv and b/shipments.csv: say which
                    table.label = str(path) + table.label[len(path.name) :]
                if table.hidden:
                    _hidden_note(table, notes)
                    continue
                files.append(table.label)
                rows += parse_table(table, errors, notes)
            sources.append(None if path.suffix.lower() == ".csv" else len(files) - read)
        except (
            ValueError,
            OSError,
            KeyError,
            csv.Error,
            zipfile.BadZipFile,
        ) as exc:
            errors.append(RowError(str(path), None, None, None, f"cannot be read: {exc}"))
    return files, rows


def _hidden_note(table: Table, notes: list[str] | None) -> None:
    """A hidden sheet named like a kind of row is not read (FORMATS: a draft or a helper), but
    the user may have hidden it by mistake: its rows would be missing without a word. A hidden
    sheet of another name (notes, lookups) is left unmentioned."""
    if notes is not None and table.kind in ROW_TYPES:
        workbook, _, sheet = table.label.rpartition("[")
        notes.append(f"{workbook}: sheet {sheet[:-1]!r} was not read because it is hidden "
                     "(unhide it to import its rows)")  # fmt: skip


def _once(given: list[Path], notes: list[str] | None) -> list[Path]:
    """Each file once, however often it is named (`a.csv a.csv`, or a folder and a file in it):
    read twice, its rows were refused as duplicates of themselves."""
    seen: set[Path] = set()
    out: list[Path] = []
    for path in given:
        try:
            same = path.resolve()
        except OSError:  # reported as it is read
            same = path
        if same in seen:
            if notes is not None:
                notes.append(f"{path}: given more than once, read once")
            continue
        seen.add(same)
        out.append(path)
    return out


def _day(r: SourceRow) -> Any:
    """The date an event row is booked on (None for master data)."""
    return getattr(r.model, r.model.date_field or "date", None)


def order(rows: list[SourceRow], errors: list[RowError]) -> list[SourceRow]:
    """Drop in-batch duplicates (reported), then master data, then events by date."""
    first: dict[tuple[str, tuple[Any, ...]], SourceRow] = {}
    unique: list[SourceRow] = []
    for r in rows:
        k = (r.model.kind, r.model.key)
        if k in first:
            prior = first[k]
            errors.append(RowError(r.file, r.row, r.model.key_fields[-1], r.model.key_text,
                                   f"duplicate key {r.model.key_text}: already on row "
                                   f"{prior.row} of {prior.file}"))  # fmt: skip
            continue
        first[k] = r
        unique.append(r)
    masters = sorted((r for r in unique if r.model.kind in MASTER_ORDER),
                     key=lambda r: MASTER_ORDER.index(r.model.kind))  # fmt: skip
    events = sorted(
        (r for r in unique if r.model.kind not in MASTER_ORDER),
        key=lambda r: (_day(r), EVENT_ORDER[r.model.kind], r.file, r.row),
    )  # fmt: skip
    return masters + events


# Rows booked between writes of the journal inside the import's one transaction.
FLUSH_ROWS = 20_000


# The kinds of row that take goods out of a warehouse: the ones that may wait for their day.
# (They change nothing before they are refused; a dispatch registers its lot first.)
ISSUES = frozenset({"distributions", "writeoffs", "transfers"})


class _Booker:
    """Books ordered rows, counting outcomes and collecting errors.

    A distribution, write-off or transfer that would take more out of a stock than it holds
    waits until the other rows of its day are booked, then is tried again (repeatedly, while any waiting row goes through): goods
    transferred to a warehouse and distributed from it on the same day book in either order,
    whatever kind and file order say. A refused row changes nothing in the Book
    (`InsufficientStock` is raised before an entry is applied), so trying again is safe.
    """

    def __init__(self, book: Book, errors: list[RowError], report: ImportReport,
                 pledged_on: dict[tuple[str, str, int], Any] | None = None,
                 correct_rates: bool = False,
                 shipped_on: dict[tuple[str, int], Any] | None = None,
                 correct_documents: bool = False) -> None:  # fmt: skip
        self.book, self.errors, self.report = book, errors, report
        self.correct_rates, self.correct_documents = correct_rates, correct_documents
        self.waiting: list[tuple[SourceRow, InsufficientStock]] = []
        self.day: Any = None
        self.pledged_on = pledged_on or {}  # this import's pledge lines: their dates
        self.shipped_on = shipped_on or {}  # this import's shipment lines: their dispatch dates
        self._first_dispatched: dict[str, Any] | None = None
        # the first refused shipment line (ref, line) and customs event (ref, None) of each
        self.refused_shipments: dict[tuple[str, int | None], SourceRow] = {}
        # the first refused receipt or transfer in per (warehouse, item)
        self.refused_receipts: dict[tuple[str, str], SourceRow] = {}

    def add(self, r: SourceRow) -> None:
        day = _day(r)
        if day != self.day:
            self.settle()
            self.day = day
        short = self._try(r)
        if short is None:
            return
        if r.model.kind in ISSUES:
            self.waiting.append((r, short))
        else:
            self._report(r, short)

    def settle(self) -> None:
        """Try the waiting rows again until none goes through; report those still refused."""
        while self.waiting:
            waiting, self.waiting = self.waiting, []
            for r, _short in waiting:
                short = self._try(r)
                if short is not None:
                    self.waiting.append((r, short))
            if len(self.waiting) == len(waiting):  # no progress: their refusals stand
                break
        for r, short in self.waiting:
            self._report(r, short)
        self.waiting = []

    def _try(self, r: SourceRow) -> InsufficientStock | None:
        """Book one row; a shortage is handed back (the row may wait), other refusals reported."""
        try:
            outcome = book_row(self.book, r.model, correct_rates=self.correct_rates,
                               correct_documents=self.correct_documents)  # fmt: skip
        except InsufficientStock as exc:
            return exc
        except BookingError as exc:
            self._report(r, exc)
        else:
            self.report.counts.setdefault(r.model.kind, Counter())[outcome] += 1
        return None

    def _report(self, r: SourceRow, exc: BookingError) -> None:
        if isinstance(exc, BookingErrors):  # one problem per cell of the row (unknown codes …)
            for problem in exc.problems:
                self._report(r, problem)
            return
        value = exc.value
        if value is None and exc.column:
            value = getattr(r.model, exc.column, None)
        why = self._why(r, exc) + self._after(r, exc)
        self.errors.append(RowError(r.file, r.row, exc.column, value, why))
        self._remember_refused(r)

    def _remember_refused(self, r: SourceRow) -> None:
        m: Any = r.model
        if m.kind == "shipments":
            self.refused_shipments.setdefault((m.shipment_ref, m.line_no), r)
        elif m.kind == "customs":
            self.refused_shipments.setdefault((m.shipment_ref, None), r)
        elif m.kind == "receipts":
            lot = self.book.lot_by_key(m.shipment_ref, m.line_no)
            if lot is not None:  # of an unknown line the item is unknown too
                self.refused_receipts.setdefault((m.warehouse, lot.item), r)
        elif m.kind == "transfers":
            self.refused_receipts.setdefault((m.to_warehouse, m.item), r)

    def _after(self, r: SourceRow, exc: BookingError) -> str:
        """A refusal that may only follow from an earlier one of this import says so: the
        release of a shipment whose arrival was refused finds it "not at customs", a receipt
        of a refused shipment line finds no such line, a hand-out of an item whose receipt or
        transfer into its warehouse was refused finds too little stock. Fixing the first may clear the rest, and
        the user should start there."""
        m: Any = r.model
        earlier = None
        if m.kind == "customs":
            earlier = self.refused_shipments.get((m.shipment_ref, None))
            what = f"an earlier customs event of shipment {m.shipment_ref}"
        elif m.kind == "receipts" and exc.column in ("shipment_ref", "line_no"):
            earlier = self.refused_shipments.get((m.shipment_ref, m.line_no))
            what = f"shipment line {m.shipment_ref}/{m.line_no}"
            if earlier is None:
                earlier = self.refused_shipments.get((m.shipment_ref, None))
                what = f"a customs event of shipment {m.shipment_ref}"
        elif isinstance(exc, InsufficientStock) and m.kind in ISSUES:
            warehouse = getattr(m, "warehouse", None) or m.from_warehouse
            earlier = self.refused_receipts.get((warehouse, m.item))
            what = (f"a transfer of {m.item} into {warehouse}"
                    if earlier is not None and earlier.model.kind == "transfers"
                    else f"a receipt into {warehouse}")  # fmt: skip
        if earlier is None:
            return ""
        return (f" (this may follow from the refusal of {what}, row {earlier.row} of "
                f"{earlier.file}: correct that first)")  # fmt: skip

    def _why(self, r: SourceRow, exc: BookingError) -> str:
        """The refusal as the user should read it: a row against a line of this very import
        that is dated later found "no pledge line" or "unknown shipment", as that line was not
        booked yet (events are booked in date order)."""
        m = r.model
        if m.kind == "shipments" and exc.column == "pledge_ref":
            day = self.pledged_on.get((m.donor, m.pledge_ref, m.pledge_line))  # type: ignore[attr-defined]
            if day is not None and day > m.dispatch_date:  # type: ignore[attr-defined]
                return (f"pledge line {m.donor}/{m.pledge_ref}/{m.pledge_line} is dated {day}, "  # type: ignore[attr-defined]
                        f"after this dispatch ({m.dispatch_date}): a shipment fulfils a pledge "  # type: ignore[attr-defined]
                        "made before it left; correct one of the dates")  # fmt: skip
        if m.kind in ("receipts", "customs") and exc.column in ("shipment_ref", "line_no"):
            return self._dispatched_later(m) or str(exc)
        return str(exc)

    def _first_dispatch(self) -> dict[str, Any]:
        """Each shipment of this import: the day its first line leaves (made once, when a
        refusal first asks: one pass, not one per refused row)."""
        if self._first_dispatched is None:
            first: dict[str, Any] = {}
            for (ref, _line), day in self.shipped_on.items():
                if ref not in first or day < first[ref]:
                    first[ref] = day
            self._first_dispatched = first
        return self._first_dispatched

    def _dispatched_later(self, m: Any) -> str | None:
        """A receipt or customs event dated before its shipment (line) is dispatched in this
        import: said so, where the ledger alone says the shipment is unknown. (Against a
        shipment already in the ledger the booking says "dated before the shipment's
        dispatch".)"""
        what = "receipt" if m.kind == "receipts" else "customs event"
        if m.kind == "receipts" and (m.shipment_ref, m.line_no) in self.shipped_on:
            day = self.shipped_on[(m.shipment_ref, m.line_no)]
            shipment = f"shipment line {m.shipment_ref}/{m.line_no}"
        else:
            day = self._first_dispatch().get(m.shipment_ref)
            shipment = f"shipment {m.shipment_ref}"
        if day is None or day <= m.date:
            return None
        return (
            f"{shipment} is dispatched on {day} in this import, after this {what}'s date "
            f"({m.date}): goods arrive after they leave; correct one of the dates"
        )


def book_all(book: Book, rows: list[SourceRow], errors: list[RowError], report: ImportReport,
             progress: Progress | None = None, correct_rates: bool = False,
             correct_documents: bool = False) -> None:  # fmt: skip
    from ledger.journal import write

    pledged_on = {(m.donor, m.pledge_ref, m.line_no): m.date for r in rows
                  if (m := r.model).kind == "pledges"}  # type: ignore[attr-defined]  # fmt: skip
    shipped_on = {(m.shipment_ref, m.line_no): m.dispatch_date for r in rows
                  if (m := r.model).kind == "shipments"}  # type: ignore[attr-defined]  # fmt: skip
    booker = _Booker(book, errors, report, pledged_on, correct_rates, shipped_on,
                     correct_documents)  # fmt: skip
    total = len(rows)
    for i, r in enumerate(rows, start=1):
        rows[i - 1] = None  # type: ignore[call-overload]  # booked rows free their memory
        booker.add(r)
        if progress and (i % 500 == 0 or i == total):
            progress(i, total)
        if i % FLUSH_ROWS == 0:
            # into the same transaction: memory stays bounded, atomicity does not change
            write(book, totals=False)
    booker.settle()


# Allocations between young-generation collections while an import runs (Python's default: 700).
BULK_GC_THRESHOLD = (100_000, 50, 100)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect garbage rarely while a batch is booked and written.

    An import allocates millions of long-lived objects (rows, postings, running totals) and
    frees almost none; with the default thresholds the collector walks that growing heap again
    and again for no gain (~13 % of a 245k-posting import). Reference counting still frees
    everything at once; cycles (exception tracebacks of bad rows) wait for a later collection.
    """
    saved = gc.get_threshold()
    gc.set_threshold(*BULK_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


# An import loads whole tables once (bulk) unless it is this many times smaller than the ledger
# (in entries); then it asks the database per key, as a single event does. Loading a 1M-posting
# ledger whole costs ~20 s and ~1.2 GB however few rows come in; per key, ~2 ms a row.
BULK_SHARE = 30


def worth_bulk(rows: int, stored_entries: int) -> bool:
    """Whether loading whole tables beats asking per key for `rows` rows into this ledger."""
    return rows * BULK_SHARE >= stored_entries


def import_into(book: Book, paths: list[Path], progress: Progress | None = None,
                bulk: bool | None = None, correct_rates: bool = False,
                correct_documents: bool = False) -> ImportReport:  # fmt: skip
    """Book every row of `paths` into `book`, or raise ImportRejected with every problem.

    `bulk` None chooses how the book loads from the batch's size next to the ledger's
    (`worth_bulk`); both ways give the same answers. `correct_rates`: a changed FX rate
    replaces a mistyped one (`booking.book_row`) instead of being a conflict;
    `correct_documents`: so does a changed document row (its earlier version is kept).
    """
    errors: list[RowError] = []
    notes: list[str] = []
    sources: list[int | None] = []
    files, rows = read_all(paths, errors, notes, sources)
    ordered = order(rows, errors)
    del rows  # booking releases each row once booked (see book_all)
    book.bulk = worth_bulk(len(ordered), book.stored_entries()) if bulk is None else bulk
    report = ImportReport(files=files, notes=notes, sources=sources)
    book_all(book, ordered, errors, report, progress, correct_rates, correct_documents)
    if errors:
        raise ImportRejected(in_file_order(errors, files), notes)
    return report


def in_file_order(errors: list[RowError], files: list[str]) -> list[RowError]:
    """Errors by file (in the order the files were read), then row, as the user goes through
    them to fix them. They are found in booking order (master data, then events by date across
    files), so a file's row 9 came before its row 3 and receipts.csv before pledges.csv.
    A file that could not be read at all (no table of it was read) comes first; within a file
    a problem of the whole file first; equal places keep the order they were found in."""
    rank = {label: i for i, label in enumerate(files)}
    return sorted(errors, key=lambda e: (rank.get(e.file, -1), -1 if e.row is None else e.row))
