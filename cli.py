"""`aidledger`: the command line. Thin: parse, call `ledger.Ledger`, print.

Heavy libraries (SQLAlchemy, pandas, WeasyPrint) are imported inside the commands, so
`aidledger --help` answers at once.
"""

from __future__ import annotations

import datetime as dt
import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from schemas.cli_types import DATE

# A command is one short process that builds up to a few hundred thousand long-lived objects
# (rows, balances, answers). With the default threshold (700) the cyclic collector re-scans
# them thousands of times; every 50,000 allocations is plenty and cuts `balance`/`reconcile`
# on a 1M-posting ledger by ~0.15 s each and the import by ~10 %.
gc.set_threshold(50_000, 20, 100)

if TYPE_CHECKING:
    from ledger.api import Ledger

F = TypeVar("F", bound=Callable[..., Any])
FORMAT = click.Choice(["table", "csv", "json"])
# the journal's entry kinds (`Entry.kind`), listed here so `--help` imports no ledger code
ENTRY_KINDS = ["pledge", "dispatch", "customs", "receipt", "distribution", "writeoff", "transfer"]
ROOT = Path(__file__).resolve().parent


class Failure(click.ClickException):
    """A refusal or bad input: one clear sentence (or list) on stderr, exit code 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


@contextmanager
def refusals() -> Iterator[None]:
    """Turn ledger refusals into exit code 1 with their message; never a traceback."""
    from ledger.errors import ImportRejected, LedgerError

    try:
        yield
    except ImportRejected as exc:
        _unmake_new_ledger()
        for note in exc.notes:
            click.echo(f"note: {note}", err=True)
        for problem in exc.errors:
            click.echo(f"  {problem}", err=True)
        raise Failure(str(exc)) from None
    except LedgerError as exc:
        _unmake_new_ledger()
        raise Failure(str(exc)) from None


# Work of fewer steps than this finishes too soon for a progress bar to be worth drawing.
PROGRESS_MIN = 2_000


@contextmanager
def progress_bar(label: str, finishing: str) -> Iterator[Callable[[int, int], None]]:
    """A `progress(done, total)` callback drawing a bar on stderr once the work is long.

    When `done` reaches `total` the bar closes and `finishing` says why the command still
    waits (the final write of an import, the balance comparison of `verify`).
    """
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None and total >= PROGRESS_MIN and done < total:
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        if bar is not None:
            bar.update(done - bar.pos)
            if done == total:
                bar.__exit__(None, None, None)
                bar = None
                click.echo(finishing, err=True)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def _option_of(error: Any, command: str) -> str:
    """The option a validation error is about: its field, the column a check across fields
    names (`ColumnError`), else the command itself."""
    column = (
        error["loc"][0]
        if error["loc"]
        else getattr((error.get("ctx") or {}).get("error"), "column", None)
    )
    return str(column).replace("_", "-") if column else command


class _Commands(click.Group):
    """The command group: any refusal of the ledger, and a database that cannot be reached or
    read, is an error line and exit 1, never a traceback, whichever command meets it."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with refusals():
                return super().invoke(ctx)
        except Exception as exc:
            detail = _database_error(exc)
            if detail is not None:
                _unmake_new_ledger()  # the transaction rolled back: a new ledger holds nothing
                raise Failure(f"the ledger database ({_shown_db(ctx)}) cannot be used: {detail}"
                              + _read_only_hint(ctx, detail)) from None  # fmt: skip
            if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError) and exc.strerror:
                where = f": {exc.filename}" if exc.filename else ""
                raise Failure(f"{exc.strerror}{where}") from None
            raise


def _database_error(exc: BaseException) -> str | None:
    """The first line of a database's own error, from SQLAlchemy or straight from the driver
    (the bulk writer hands rows to sqlite3 and psycopg directly: a full disk or a read-only
    file surfaces there); None for anything else."""
    module = type(exc).__module__
    if module.startswith("sqlalchemy"):
        from sqlalchemy.exc import DBAPIError

        if not isinstance(exc, DBAPIError):
            return None
        return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    if module == "sqlite3" or module.startswith("psycopg"):
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return None


def _read_only_hint(ctx: click.Context, detail: str) -> str:
    """Why SQLite cannot open a ledger file that is there, when its folder is read-only."""
    from ledger.api import sqlite_file
    from ledger.db.engine import resolve_url

    if "unable to open database file" not in detail and "readonly database" not in detail:
        return ""
    try:
        file = sqlite_file(resolve_url((ctx.obj or {}).get("db")))
    except Exception:  # the URL was refused before: no file to speak of
        return ""
    return read_only_folder_note(file)


def read_only_folder_note(file: Path | None) -> str:
    """For a ledger file that exists in a folder this process cannot write: SQLite writes its
    -wal and -shm files beside the ledger, so read-only storage cannot hold a ledger in use."""
    import os

    if file is None or not file.is_file() or os.access(file.absolute().parent, os.W_OK):
        return ""
    return (f" ({file.absolute().parent} is not writable: SQLite needs to write the ledger's "
            f"-wal and -shm files next to it, so a ledger on read-only storage must be copied "
            f"to writable storage first)")  # fmt: skip


def _shown_db(ctx: click.Context) -> str:
    """The database as given, without a password."""
    from ledger.db.engine import resolve_url

    url = resolve_url((ctx.obj or {}).get("db"))
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        url = f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return url


@click.group(cls=_Commands,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})  # fmt: skip
@click.option("--db", envvar="AIDLEDGER_DB", metavar="URL",
              help="Ledger database: an SQLite path or URL (default ./aidledger.db) or "
                   "postgresql://user@host/db. Also AIDLEDGER_DB.")  # fmt: skip
@click.version_option("0.1.0", prog_name="aidledger")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """AidLedger: a double-entry ledger of humanitarian aid between partner cities.

    \b
    Quick look:
      aidledger demo                      build a ledger from sample_data/ into out/
      aidledger import sample_data/       import the exchange-format files
      aidledger reconcile --donor PRAGUE  where every unit of Prague's aid is now
    """
    ctx.obj = {"db": db}


def _ledger(ctx: click.Context, *, create: bool = False) -> Ledger:
    """The ledger of `--db`; only commands that write (`create=True`) may start a new one."""
    from ledger.api import Ledger, sqlite_file
    from ledger.db.engine import resolve_url

    file = sqlite_file(resolve_url(ctx.obj["db"]))
    existed = file is not None and file.exists()
    # a new ledger: no file yet, or an empty one (which a refusal leaves empty again)
    new = create and file is not None and (not existed or file.stat().st_size == 0)
    folders = [d for d in file.absolute().parents if not d.exists()] if new and file else []
    with refusals():
        led = Ledger(ctx.obj["db"], create=create)
    if (new and file is not None) or led.created:
        ctx.obj["made"] = (led, file, folders, existed)
        # said, so that a mistyped --db does not quietly fill a second ledger
        where = file or led.engine.url.render_as_string(hide_password=True)
        click.echo(f"note: starting a new ledger in {where}", err=True)
    return led


def _unmake_new_ledger() -> None:
    """Remove the SQLite file (or a server database's schema) this command created when it was
    refused: a refused import into a new path leaves no empty ledger behind (the ledger
    "exactly as before" is no file, or an empty database)."""
    ctx = click.get_current_context(silent=True)
    made = ctx.obj.get("made") if ctx is not None and ctx.obj else None
    if made is None:
        return
    led, path, folders, existed = made
    del ctx.obj["made"]
    if path is None:  # a server database: the schema this command laid into it goes again
        try:
            led.drop_if_empty()
        except Exception as exc:  # the refusal is what to report; this is a footnote to it
            click.echo(f"note: the new ledger's empty tables stay in the database ({exc})",
                       err=True)  # fmt: skip
        finally:
            led.close()
        return
    empty = led.holds_nothing()
    led.close()
    if not empty:  # another command wrote to the new file since: keep it
        return
    if existed:  # it was an empty file: empty again
        Path(path).write_bytes(b"")
    else:
        Path(path).unlink(missing_ok=True)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    for folder in folders:  # innermost first; only the folders this command made
        try:
            folder.rmdir()
        except OSError:
            break


def _fields(rows: list[Any]) -> list[dict[str, Any]]:
    """Output records as dicts of their fields, without copying: a frozen record's `__dict__`
    is exactly that, and an answer on a large ledger has 10⁴–10⁵ rows."""
    return [vars(r) for r in rows]


def _emit(fmt: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    from reports.tabular import render

    click.echo(render(fmt, columns, rows), nl=fmt == "table")


# ---------------------------------------------------------------- import / template


LARGE_INPUT = 5_000_000  # bytes of input above which the import says it is reading


def _input_bytes(paths: tuple[Path, ...]) -> int:
    """Size of the files an import will read (folders: their files, one level)."""
    total = 0
    for path in paths:
        try:
            files = list(path.iterdir()) if path.is_dir() else [path]
            total += sum(f.stat().st_size for f in files if f.is_file())
        except OSError:
            continue  # unreadable: the importer reports it properly
    return total


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--correct-rates", is_flag=True,
              help="A changed FX rate row replaces the stored one (a mistyped rate), while no "
                   "standing receipt was valued at it; without this flag it is a conflict.")  # fmt: skip
@click.option("--correct-documents", is_flag=True,
              help="A changed document row (signed since, another signatory, date, sha256 …) "
                   "replaces the one on file under its key (kind, number, subject), which is "
                   "kept as a superseded version; without this flag it is a conflict. Other "
                   "changed rows stay conflicts.")  # fmt: skip
@click.pass_context
def import_(ctx: click.Context, paths: tuple[Path, ...], correct_rates: bool,
            correct_documents: bool) -> None:  # fmt: skip
    """Import exchange-format CSV files, XLSX workbooks or folders, all or nothing.

    A folder is read master data first, then events in date order. Rows already in the
    ledger are skipped; a changed row under an existing key is a conflict (an event is
    corrected by reversing its entry first, a mistyped rate with --correct-rates, a document
    on file with --correct-documents). Any problem: every bad row is listed, nothing is
    written, exit code 1.

    \b
    Example:
      aidledger import sample_data/
      aidledger import pledges.csv shipments.xlsx
      aidledger import --correct-rates fx_rates.csv
      aidledger import --correct-documents documents.csv
    """
    led = _ledger(ctx, create=True)
    size = _input_bytes(paths)
    if size >= LARGE_INPUT:  # a long read: say so before the bar can start
        click.echo(f"reading and checking {size / 1e6:.0f} MB of input…", err=True)
    with refusals(), progress_bar("booking", "all rows booked; finishing…") as progress:
        report = led.import_files(list(paths), progress, correct_rates=correct_rates,
                                  correct_documents=correct_documents)  # fmt: skip
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    for kind, counts in report.counts.items():
        parts = [f"{n} {outcome}" for outcome, n in sorted(counts.items()) if n]
        click.echo(f"{kind:14} {', '.join(parts)}")
    if report.still_reversed:
        click.echo(f"{report.still_reversed} row(s) are records whose entries were reversed: not "
                   "booked again. To book one again, post it as one event (e.g. `aidledger "
                   "receive …`), or change it in the file to book the correction.")  # fmt: skip
    if report.new == 0 and report.still_reversed:
        click.echo("nothing new booked")
    elif report.new == 0 and report.unchanged == 0:
        holds = "the file holds" if len(report.sources) == 1 else "the files hold"
        click.echo(f"nothing imported: {holds} no rows ({report.read_from()} read)")
    elif report.new == 0:
        click.echo("nothing new: the ledger already holds every row of these files")
    else:
        corrected = report.corrected
        click.echo(f"imported {report.new} row(s) from {report.read_from()}"
                   + (f", {corrected} of them correction(s)" if corrected else ""))  # fmt: skip


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def template(directory: Path) -> None:
    """Write empty exchange-format files (headers only) to fill in.

    \b
    Example:
      aidledger template my_shipments/
    """
    from schemas.rows import ROW_TYPES

    directory.mkdir(parents=True, exist_ok=True)
    for kind, row_type in ROW_TYPES.items():
        target = directory / f"{kind}.csv"
        if target.exists():
            raise Failure(f"{target} exists; not overwriting it")
        target.write_text(",".join(row_type.columns()) + "\n", encoding="utf-8")
        click.echo(str(target))


# ---------------------------------------------------------------- answers


@main.command()
@click.option(
    "--account",
    metavar="PREFIX",
    help="Only accounts starting with PREFIX, e.g. stock:KYIV "
    "(refused when no account of the ledger does).",
)
@click.option("--by-lot", is_flag=True, help="One row per lot (shipment line, batch, expiry), "
              "and per currency where a lot holds values in two.")  # fmt: skip
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
@click.pass_context
def balance(ctx: click.Context, account: str | None, by_lot: bool, fmt: str) -> None:
    """Balances per account and commodity.

    \b
    Example:
      aidledger balance --account stock:KYIV --by-lot
      aidledger balance --format csv > balance.csv
    """
    led = _ledger(ctx)
    rows = led.balances(account, by_lot)
    if account and not rows:  # a mistyped prefix must not read as "holds nothing"
        led.require_account(account)
    columns = ["account", "commodity", "quantity", "value", "currency"]
    if by_lot:
        columns += ["lot", "batch", "expiry"]
    _emit(fmt, columns, _fields(rows))


@main.command()
@click.option("--donor", metavar="CODE", help="Only this donor.")
@click.option("--recipient", metavar="CODE", help="Only this recipient.")
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
@click.pass_context
def reconcile(ctx: click.Context, donor: str | None, recipient: str | None, fmt: str) -> None:
    """Pledged → dispatched → customs → received → distributed, per donor, recipient, item.

    A unit dispatched and never received stays in_transit until a receipt or a loss act
    explains it.

    \b
    Example:
      aidledger reconcile --donor PRAGUE --recipient KYIV
      aidledger reconcile --format csv > reconciliation.csv
    """
    from schemas.outputs import ReconRow

    rows = _ledger(ctx).reconcile(donor, recipient)
    columns = ["donor", "recipient", "item", *ReconRow.QUANTITIES]
    if fmt != "table":
        columns = list(ReconRow.CSV_COLUMNS)
    _emit(fmt, columns, _fields(rows))


@main.command()
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Check the hash chain, every entry's balance, the event records and the running balances.

    Exit 0 when intact; exit 1 naming the first entry changed behind the ledger's back.
    """
    with progress_bar(
        "verifying", "entries verified; comparing records and running balances…"
    ) as progress:
        result = _ledger(ctx).verify(progress)
    if not result.ok:
        raise Failure(f"ledger NOT intact: {result.problem}")
    click.echo(
        f"ledger intact: {result.entries} entries, hash chain, records and balances verified"
    )


@main.command()
@click.option("--ref", metavar="TEXT", help="Only entries whose reference contains TEXT, e.g. a "
              "receipt, shipment or act number.")  # fmt: skip
@click.option("--kind", type=click.Choice(ENTRY_KINDS), help="Only entries of this kind.")
@click.option("--from", "since", type=DATE, help="Only entries dated on or after this day.")
@click.option("--to", "until", type=DATE, help="Only entries dated on or before this day.")
@click.option("--last", type=click.IntRange(1), metavar="N",
              help="Only the newest N of them (a large journal is long).")  # fmt: skip
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
@click.pass_context
def entries(ctx: click.Context, ref: str | None, kind: str | None, since: dt.date | None,
            until: dt.date | None, last: int | None, fmt: str) -> None:  # fmt: skip
    """Journal entries: id, date, kind, reference, memo, and which entry reversed which.

    The id is what `reverse` takes: find the receipt to post again, or the row to correct.

    \b
    Example:
      aidledger entries --ref KV-PN-2024-0002
      aidledger entries --kind receipt --from 2024-01-01 --to 2024-01-31
      aidledger entries --last 20
    """
    rows = _ledger(ctx).entries(ref, kind, since, until, last)
    _emit(fmt, ["id", "date", "kind", "ref", "memo", "reverses", "reversed_by"], _fields(rows))


@main.command()
@click.argument("entry_id", type=click.IntRange(1, 2**63 - 1))
@click.option("--reason", required=True, help="Why the entry is reversed (kept in the journal).")
@click.option(
    "--date", "on", type=DATE,
    help="Date of the reversal (default: the reversed entry's own date, so a corrected row of "
         "that date books; today if its month is closed or later entries moved the goods on).",
)  # fmt: skip
@click.pass_context
def reverse(ctx: click.Context, entry_id: int, reason: str, on: dt.date | None) -> None:
    """Post the exact reversal of entry ENTRY_ID (once only).

    \b
    Example:
      aidledger reverse 42 --reason "wrong warehouse" --date 2023-05-31
    """
    led = _ledger(ctx)
    with refusals():
        new_id = led.reverse(entry_id, reason, on)
    click.echo(f"entry {entry_id} reversed by entry {new_id}")


@main.group()
def period() -> None:
    """Accounting periods (months): close them so nothing more is posted in them."""


def _month(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """A month argument: malformed is bad usage (exit 2), as a bad `--period` is."""
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise click.BadParameter(f"{value!r} is not a month: use YYYY-MM, e.g. 2023-05")
    return value


@period.command("close")
@click.argument("month", metavar="YYYY-MM", callback=_month)
@click.pass_context
def period_close(ctx: click.Context, month: str) -> None:
    """Close a month: any later posting dated in it is refused.

    \b
    Example:
      aidledger period close 2023-05
    """
    led = _ledger(ctx)
    with refusals():
        pending = led.close_period(month)
    click.echo(f"period {month} closed")
    if pending:
        click.echo(f"warning: {len(pending)} receipt line(s) of {month} still have their UAH value "
                   f"pending ({', '.join(pending[:5])}{' …' if len(pending) > 5 else ''}); a "
                   "re-post dated in the closed month is refused from now on (ACC-001)",
                   err=True)  # fmt: skip
    if earlier := led.open_months_before(month):
        click.echo(f"warning: earlier months with entries are still open ({', '.join(earlier[:6])}"
                   f"{' …' if len(earlier) > 6 else ''}): postings dated in them still change "
                   f"{month}'s opening balances; close them too", err=True)  # fmt: skip


@period.command("list")
@click.pass_context
def period_list(ctx: click.Context) -> None:
    """List closed periods."""
    for month in _ledger(ctx).closed_periods():
        click.echo(month)


# ---------------------------------------------------------------- demo


@main.command()
@click.option("--data", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=ROOT / "sample_data", show_default="sample_data/")  # fmt: skip
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
              show_default=True)  # fmt: skip
def demo(data: Path, out: Path) -> None:
    """Build a fresh SQLite ledger from the sample data and write what it shows to OUT.

    OUT/aidledger.db is replaced only when an earlier demo made it (a .aidledger-demo file
    beside it says so): a ledger of your own there is refused, untouched.

    \b
    Example:
      aidledger demo --out out/
    """
    from ledger.api import Ledger
    from reports.tabular import render
    from schemas.outputs import ReconRow

    db = _demo_ledger_file(out)
    started = db.parent.joinpath(DEMO_MARKER).stat().st_mtime  # written just now
    with refusals(), Ledger(f"sqlite:///{db}") as led:
        report = led.import_files([data])
        click.echo(f"imported {report.new} rows from {report.read_from()} into {db}")
        result = led.verify()
        click.echo(
            f"verify: {'intact' if result.ok else result.problem} ({result.entries} entries)"
        )
        recon = [r.as_dict() for r in led.reconcile()]
        columns = list(ReconRow.CSV_COLUMNS)
        (out / "reconciliation.csv").write_text(render("csv", columns, recon), encoding="utf-8")
        (out / "reconciliation.json").write_text(render("json", columns, recon), encoding="utf-8")
        from ledger.db.engine import reader
        from reports.exports.hxl import write_hxl

        with reader(led.engine) as conn:  # the same rows, HXL-tagged for humanitarian tools
            write_hxl(conn, out / "reconciliation-hxl.csv")
        bal = [r.as_dict() for r in led.balances(by_lot=True)]
        bal_cols = [
            "account",
            "commodity",
            "quantity",
            "value",
            "currency",
            "lot",
            "batch",
            "expiry",
        ]
        (out / "balance.csv").write_text(render("csv", bal_cols, bal), encoding="utf-8")
        click.echo(
            "\nReconciliation summary per donor → recipient and unit (quantities of "
            "all items counted in that unit):"
        )
        click.echo(render("table", ["donor", "recipient", "unit", "items", *ReconRow.QUANTITIES],
                          _summary(recon)))  # fmt: skip
        from ledger.rules.commands import demo_findings

        demo_findings(led, out, click.echo)
        from reports.produce import demo_reports

        click.echo("\nreports (PDF, XLSX, HTML, CSV) with their verification codes:")
        demo_reports(led, out, click.echo)
    click.echo("\nwritten:")  # by this run: not whatever else the folder holds
    for path in sorted(p for p in out.rglob("*") if p.is_file() and p.name != DEMO_MARKER
                       and p.stat().st_mtime >= started):  # fmt: skip
        click.echo(f"  {path}")


# Left beside the ledger the demo builds: only a ledger with it beside it is the demo's own,
# and only that one a later demo replaces (`demo --out .` must not wipe a user's ledger).
DEMO_MARKER = ".aidledger-demo"


def _demo_ledger_file(out: Path) -> Path:
    """OUT/aidledger.db cleared for a fresh demo ledger, and marked as the demo's: a ledger
    there that the demo did not make (no marker beside it) is refused, before any work."""
    db = out / "aidledger.db"
    files = [Path(f"{db}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")]
    marker = out / DEMO_MARKER
    if any(f.exists() for f in files) and not marker.is_file():
        raise Failure(f"{out} holds a ledger the demo did not make ({db.name}): give another "
                      "--out, or move it away")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    for file in files:
        file.unlink(missing_ok=True)
    marker.write_text("This folder's aidledger.db was built by `aidledger demo`; the next demo "
                      "into this folder replaces it.\n", encoding="utf-8")  # fmt: skip
    return db


def _summary(recon: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from decimal import Decimal

    from schemas.outputs import ReconRow

    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in recon:  # per unit: pieces, packs and boxes are never added up
        g = groups.setdefault((r["donor"], r["recipient"], r["unit"]),
                              {"donor": r["donor"], "recipient": r["recipient"], "unit": r["unit"],
                               "items": 0, **{c: Decimal(0) for c in ReconRow.QUANTITIES}})  # fmt: skip
        g["items"] += 1
        for c in ReconRow.QUANTITIES:
            g[c] += r[c]
    return [groups[k] for k in sorted(groups)]


# ---------------------------------------------------------------- one event at a time


# What a column means where its name does not say it all (FORMATS.md)
COLUMN_MEANING = {
    "received": "units taken into the warehouse, any excess included",
    "short": "units missing on arrival (the carrier answers for them)",
    "damaged": "units that arrived damaged",
    "excess": "units beyond the dispatched quantity (part of --received)",
    "unit_value": "value of one unit in --currency",
    "batch": "batch (series); without it the earliest expiry is taken first (FEFO)",
    "pledge_ref": "the pledge this line is sent against, with --pledge-line",
}
# ... where it means something else for one kind of row
KIND_MEANING = {
    ("pledges", "pledge_ref"): "the pledge's reference (the donor's letter or decision)",
    ("pledges", "line_no"): "the line of the pledge",
    # a dispatch picks no lot: it loads one batch, and creates the lot
    ("shipments", "batch"): "batch (series) of the goods loaded; required for items that track "
    "expiry",
    ("shipments", "expiry"): "expiry date of the batch loaded; required for items that track "
    "expiry",
}


def _column_help(row_type: Any, column: str) -> str:
    """An option's help from the row schema: its meaning, then what it takes (a date's forms,
    the allowed values of a choice, a number)."""
    import datetime as dt
    import types
    import typing
    from decimal import Decimal

    field = row_type.model_fields.get(column)
    annotation = field.annotation if field is not None else None
    optional = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    kinds = typing.get_args(annotation) if optional else [annotation]
    takes = ""
    for kind in kinds:
        if typing.get_origin(kind) is typing.Annotated:  # a constrained type: its base
            kind = typing.get_args(kind)[0]
        if typing.get_origin(kind) is typing.Literal:
            takes = "one of: " + ", ".join(str(v) for v in typing.get_args(kind))
        elif kind is dt.date:
            takes = "a date, YYYY-MM-DD or DD.MM.YYYY"
        elif kind is Decimal:
            takes = "a number"
    meaning = KIND_MEANING.get((row_type.kind, column), COLUMN_MEANING.get(column, ""))
    return "; ".join(x for x in (meaning, takes) if x)


class EventCommand(click.Command):
    """A command whose options are the columns of one row schema, built only when used.

    Building the options needs pydantic; doing it lazily keeps `aidledger --help` fast while
    `aidledger receive --help` still lists every column with its meaning.
    """

    def __init__(self, name: str, kind: str, help: str, example: str) -> None:
        super().__init__(name, help=f"{help}\n\n\b\nExample:\n  {example}", callback=self._post)
        self.kind = kind
        self._built = False

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if not self._built:
            from schemas.rows import ROW_TYPES

            row_type = ROW_TYPES[self.kind]
            required = set(row_type.required_columns())
            for column in row_type.columns():
                flag = "--" + column.replace("_", "-")
                self.params.append(click.Option([flag, column], required=column in required,
                                                help=_column_help(row_type, column)))  # fmt: skip
            self._built = True
        return super().get_params(ctx)

    def _post(self, **values: Any) -> None:
        from pydantic import ValidationError

        from schemas.rows import ROW_TYPES

        ctx = click.get_current_context()
        data = {k: v for k, v in values.items() if v is not None}
        try:
            row = ROW_TYPES[self.kind].model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"--{_option_of(e, self.name)}: {e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors()
            )
            raise Failure(problems) from None
        led = _ledger(ctx, create=True)
        with refusals():
            outcome = led.post(row, rebook_reversed=True)  # one event: a deliberate act
            entry = led.entry_of(row)
        click.echo(f"{self.name} {row.key_text}: {outcome}"
                   + (f" (entry {entry})" if entry is not None else ""))  # fmt: skip
        if outcome == "unchanged" and entry is not None and led.rate_now_on_file(row):
            click.echo(f"note: its UAH value is pending while the NBU rate of its day is now on "
                       f"file; posted again unchanged it stays so: reverse it (aidledger reverse "
                       f"{entry} --reason …), then post it again", err=True)  # fmt: skip


for _name, _kind, _help, _example in [  # one sequence that books on the demo ledger, in order
    ("pledge", "pledges", "Record a pledge (or signed commitment) line.",
     "aidledger pledge --pledge-ref P-1 --line-no 1 --date 2024-11-04 --donor PRAGUE "
     "--recipient KYIV --item MS-IFAK --quantity 10 --unit-value 1200 --currency CZK"),
    ("dispatch", "shipments", "Record one loaded shipment line (against a pledge line or not).",
     "aidledger dispatch --shipment-ref S-1 --line-no 1 --dispatch-date 2024-11-05 --donor PRAGUE "
     "--recipient KYIV --item MS-IFAK --quantity 10 --unit-value 1200 --currency CZK "
     "--pledge-ref P-1 --pledge-line 1"),
    ("customs", "customs", "Record a customs event: arrived, held, rejected or released.",
     "aidledger customs --shipment-ref S-1 --event arrived --date 2024-11-06\n  "
     "aidledger customs --shipment-ref S-1 --event released --date 2024-11-06"),
    ("receive", "receipts", "Record the acceptance of a shipment line into a warehouse.",
     "aidledger receive --receipt-ref GRN-1 --shipment-ref S-1 --line-no 1 --date 2024-11-07 "
     "--warehouse KYIV-WH-CENTRAL --received 9 --short 1 --remarks '1 missing, noted on CMR'"),
    ("distribute", "distributions", "Hand goods over to a beneficiary (FEFO unless --batch).",
     "aidledger distribute --distribution-ref DA-1 --line-no 1 --date 2024-11-08 --recipient KYIV "
     "--warehouse KYIV-WH-CENTRAL --beneficiary KYIV-HOSP-1 --item MS-IFAK --quantity 2"),
    ("write-off", "writeoffs", "Write goods off stock (expired, damaged, stolen, other).",
     "aidledger write-off --writeoff-ref WO-1 --line-no 1 --date 2024-11-09 --recipient KYIV "
     "--warehouse KYIV-WH-CENTRAL --item MS-IFAK --quantity 1 --reason damaged"),
    ("transfer", "transfers", "Move stock between warehouses (same or another recipient).",
     "aidledger transfer --transfer-ref TR-1 --line-no 1 --date 2024-11-10 --from-warehouse "
     "KYIV-WH-CENTRAL --to-warehouse KYIV-WH-MED --item MS-IFAK --quantity 1"),
]:  # fmt: skip
    main.add_command(EventCommand(_name, _kind, _help, _example))


# ---------------------------------------------------------------- other command modules
# Each module below imports only click at its top level, so `--help` stays fast. A module adds
# itself here with one line: main.add_command(...).


def _register() -> None:
    """Attach the commands that live beside their subject (rules, reports, exports)."""
    from ledger.rules.commands import check, rules
    from reports.commands import report, verify_document
    from reports.export_commands import export

    for command in (check, rules, report, verify_document, export):
        main.add_command(command)


_register()


if __name__ == "__main__":
    main()
