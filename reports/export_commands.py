"""`aidledger export`: the journal for hledger / ledger-cli and Beancount / Fava.

Only click is imported at module level so `aidledger --help` stays instant; the exporters (and
SQLAlchemy) load when an export runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

_UNITS_ONLY = click.option(
    "--units-only", is_flag=True,
    help="Write quantities only, without the goods' value as a total price (@@).",
)  # fmt: skip


def _run(ctx: click.Context, fmt: str, out: Path, units_only: bool) -> None:
    from cli import Failure, refusals
    from ledger.api import Ledger
    from ledger.db.engine import reader

    with refusals():
        led = Ledger(ctx.obj["db"] if ctx.obj else None)
    try:
        with reader(led.engine) as conn:
            if fmt == "hledger":
                from reports.exports.hledger import write_hledger as write
            else:
                from reports.exports.beancount import write_beancount as write
            try:
                stats: Any = write(conn, out, values=not units_only)
            except OSError as exc:
                raise Failure(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        led.close()
    click.echo(f"wrote {stats.entries} entries, {stats.postings} postings, {stats.accounts} "
               f"accounts, {stats.commodities} commodities and {stats.assertions} closing "
               f"balance assertions to {out}")  # fmt: skip


@click.group()
def export() -> None:
    """Export the journal to other accounting tools (hledger, ledger-cli, Beancount/Fava).

    Every entry keeps its date, reference and links (shipment, pledge, receipt ...); the file
    ends with closing balance assertions, so the tool re-checks AidLedger's balances.
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
