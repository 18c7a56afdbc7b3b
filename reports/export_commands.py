"""`aidledger export`: the journal for hledger / ledger-cli and Beancount / Fava; a donor's
aid for IATI; the reconciliation for HXL tools; the records as exchange-format files.

Only click is imported at module level so `aidledger --help` stays instant; the exporters (and
SQLAlchemy) load when an export runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy import Connection

_UNITS_ONLY = click.option(
    "--units-only", is_flag=True,
    help="Write quantities only, without the goods' value as a total price (@@).",
)  # fmt: skip


def _written(ctx: click.Context, out: Path, write: Callable[[Connection], Any]) -> Any:
    """Run `write` on a read transaction of the ledger; refusals and unwritable files exit 1."""
    from cli import Failure, refusals
    from ledger.api import Ledger
    from ledger.db.engine import reader
    from reports.outfiles import check_not_ledger

    with refusals():
        led = Ledger(ctx.obj["db"] if ctx.obj else None, create=False)
    try:
        with refusals():
            check_not_ledger(out, led.sqlite_path)
        with refusals(), reader(led.engine) as conn:
            try:
                return write(conn)
            except OSError as exc:
                raise Failure(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        led.close()


def _run(ctx: click.Context, fmt: str, out: Path, units_only: bool) -> None:
    from cli import progress_bar

    if fmt == "hledger":
        from reports.exports.hledger import write_hledger as write
    else:
        from reports.exports.beancount import write_beancount as write
    with progress_bar("exporting", "entries written; closing balances follow…") as progress:
        stats = _written(ctx, out, lambda conn: write(conn, out, values=not units_only,
                                                      progress=progress))  # fmt: skip
    click.echo(f"wrote {stats.entries} entries, {stats.postings} postings, {stats.accounts} "
               f"accounts, {stats.commodities} commodities and {stats.assertions} closing "
               f"balance assertions to {out}")  # fmt: skip


@click.group()
def export() -> None:
    """Export the journal to accounting tools (hledger, ledger-cli, Beancount/Fava), a donor's
    aid to IATI, the reconciliation to HXL tools, the records as exchange-format files.

    Journal exports keep every entry's date, reference and links (shipment, pledge, receipt
    ...) and end with closing balance assertions, so the tool re-checks AidLedger's balances.
    See docs/exports.md.
    """


@export.command("hledger")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The journal file to write, e.g. books.journal.")  # fmt: skip
@_UNITS_ONLY
@click.pass_context
def export_hledger(ctx: click.Context, out: Path, units_only: bool) -> None:
    """An hledger journal (ledger-cli reads it too).

    \b
    Example:
      aidledger export hledger --out books.journal
      hledger -f books.journal balance
    """
    _run(ctx, "hledger", out, units_only)


@export.command("beancount")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The Beancount file to write, e.g. books.beancount.")  # fmt: skip
@_UNITS_ONLY
@click.pass_context
def export_beancount(ctx: click.Context, out: Path, units_only: bool) -> None:
    """A Beancount v3 file (for bean-check, bean-query, Fava).

    \b
    Example:
      aidledger export beancount --out books.beancount
      bean-check books.beancount
    """
    _run(ctx, "beancount", out, units_only)


TX_NAMES = {"2": "commitments", "3": "disbursements", "12": "pledges"}  # IATI transaction types


@export.command("iati")
@click.option("--donor", required=True, metavar="CODE", help="The publishing donor (party code).")
@click.option("--org-ref", metavar="ID",
              help="The donor's IATI organisation identifier, e.g. CZ-ICO-00064581 "
                   "(default: the party's registry_id).")  # fmt: skip
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The XML file to write, e.g. prague-iati.xml.")  # fmt: skip
@click.pass_context
def export_iati(ctx: click.Context, donor: str, org_ref: str | None, out: Path) -> None:
    """A donor's pledges, commitments and shipments as an IATI 2.03 activity file.

    One activity per recipient; shipments are disbursements at the goods' declared value,
    described as in kind. Reversed records are left out.

    \b
    Example:
      aidledger export iati --donor PRAGUE --org-ref CZ-ICO-00064581 --out prague-iati.xml
    """
    from ledger.decimals import dstr
    from reports.exports.iati import write_iati

    stats = _written(ctx, out, lambda conn: write_iati(conn, out, donor, org_ref))
    totals = ", ".join(f"{TX_NAMES.get(kind, kind)} {dstr(amount)} {currency}"
                       for (kind, currency), amount in sorted(stats.totals.items()))  # fmt: skip
    activities = f"{stats.activities} activit{'y' if stats.activities == 1 else 'ies'}"
    click.echo(f"wrote {activities}, {stats.transactions} transactions "
               f"({totals}) to {out}")  # fmt: skip
    if stats.unsigned:
        click.echo(f"warning: {len(stats.unsigned)} pledge line(s) recorded as commitments have "
                   f"no signed agreement on file and are published as pledges (12), not "
                   f"commitments (REP-005): {', '.join(stats.unsigned)}", err=True)  # fmt: skip


@export.command("hxl")
@click.option("--donor", metavar="CODE", help="Only this donor.")
@click.option("--recipient", metavar="CODE", help="Only this recipient.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The CSV file to write, e.g. reconciliation-hxl.csv.")  # fmt: skip
@click.pass_context
def export_hxl(ctx: click.Context, donor: str | None, recipient: str | None, out: Path) -> None:
    """The reconciliation as CSV with a row of HXL hashtags under the header.

    \b
    Example:
      aidledger export hxl --donor PRAGUE --out prague-hxl.csv
    """
    from reports.exports.hxl import write_hxl

    n = _written(ctx, out, lambda conn: write_hxl(conn, out, donor, recipient))
    click.echo(f"wrote {n} reconciliation rows with HXL tags to {out}")


@export.command("bundle")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="A folder for one CSV file per kind, or a workbook ending in .xlsx.")  # fmt: skip
@click.pass_context
def export_bundle(ctx: click.Context, out: Path) -> None:
    """The ledger's records in the exchange format, ready for `aidledger import`.

    Master data whole; events whose entry stands, in booking order (reversed records are left
    out, corrected ones appear corrected); extra columns kept.

    \b
    Example:
      aidledger export bundle --out bundle/
      aidledger --db copy.db import bundle/
    """
    from reports.exports.bundle import write_bundle

    stats = _written(ctx, out, lambda conn: write_bundle(conn, out))
    parts = ", ".join(f"{n} {kind}" for kind, n in stats.rows.items())
    click.echo(f"wrote {parts or 'nothing: the ledger is empty'} to {out}")
