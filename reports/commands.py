"""`aidledger report ...` and `aidledger verify-document`: the packs from the command line.

Only click and the standard library at the top: the ledger, Jinja2, Babel and WeasyPrint are
imported inside the commands, so `aidledger --help` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

FORMATS = click.Choice(["pdf", "xlsx", "html", "csv"])
LOCALE = click.option("--locale", type=click.Choice(["en", "uk"]), default="en", show_default=True,
                      help="How numbers and dates are written (labels are always bilingual).")  # fmt: skip
NO_RULES = click.option("--no-rules", is_flag=True,
                        help="Do not run the rule checks (the pack says so).")  # fmt: skip


class Refused(click.ClickException):
    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _ledger(ctx: click.Context) -> Any:
    from ledger.api import Ledger
    from ledger.errors import LedgerError

    try:
        return Ledger((ctx.find_root().obj or {}).get("db"), create=False)
    except LedgerError as exc:
        raise Refused(str(exc)) from None


# Table rows above which a PDF is announced: WeasyPrint lays out ~30–70 rows a second on 2
# cores (a 2,500-row donor pack for one quarter of a large ledger: ~2 minutes, 336 pages).
LARGE_PDF_ROWS = 2_000


def _warn_if_long(doc: Any, targets: list[Path]) -> None:
    """Say before a long PDF layout starts, and what would be quicker."""
    rows = sum(len(s.rows) + len(s.totals) for s in doc.sections)
    if rows >= LARGE_PDF_ROWS and any(p.suffix.lower() == ".pdf" for p in targets):
        click.echo(f"laying out {rows:,} table rows as PDF (roughly {rows // 8:,} pages); this "
                   "can take minutes. A narrower --period, or .xlsx, is much quicker.", err=True)  # fmt: skip


def _make(ctx: click.Context, kind: str, targets: list[Path], locale: str, no_rules: bool,
          **params: Any) -> None:  # fmt: skip
    from ledger.errors import LedgerError
    from reports.outfiles import check_not_ledger
    from reports.produce import build, rule_findings, write

    led = _ledger(ctx)
    try:
        for target in targets:
            check_not_ledger(target, led.sqlite_path)
        findings, note = rule_findings(led, not no_rules)
        doc = build(led, kind, findings=findings, findings_note=note, locale=locale, **params)
        _warn_if_long(doc, targets)
        written = write(doc, targets)
    except (LedgerError, ValueError) as exc:
        raise Refused(str(exc)) from None
    finally:
        led.close()
    for path in written:
        click.echo(str(path))
    click.echo(f"verification code: {doc.code}")
    if doc.findings is None:
        click.echo("rule findings: not available" + (f" ({note})" if note else ""))
    if doc.not_ready:
        raise Refused("NOT READY: " + "; ".join(doc.not_ready))


@click.group()
def report() -> None:
    """Documents from the ledger: reconciliation, customs, accounting and donor packs.

    \b
    Example:
      aidledger report reconciliation --donor PRAGUE --format pdf --out recon.pdf
      aidledger report customs-pack PRG-2022-001 --out customs.pdf
      aidledger report accounting-pack --recipient KYIV --period 2023-Q2 --out pack/
      aidledger report donor-pack --donor KYOTO --out kyoto.pdf
    """


@report.command()
@click.option("--donor", metavar="CODE", help="Only this donor.")
@click.option("--recipient", metavar="CODE", help="Only this recipient.")
@click.option("--format", "fmt", type=FORMATS, help="pdf, xlsx, html or csv (default: from --out).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@LOCALE
@NO_RULES
@click.pass_context
def reconciliation(ctx: click.Context, donor: str | None, recipient: str | None, fmt: str | None,
                   out: Path, locale: str, no_rules: bool) -> None:  # fmt: skip
    """Pledged → dispatched → customs → received → distributed, with every variance and its act.

    CSV writes the FORMATS.md figures and, beside it, OUT-variances.csv.

    \b
    Example:
      aidledger report reconciliation --donor PRAGUE --recipient KYIV --format xlsx --out r.xlsx
    """
    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt not in ("pdf", "xlsx", "html", "csv"):
        raise click.UsageError("give --format pdf|xlsx|html|csv or an --out file with that suffix")
    target = out if out.suffix.lower() == f".{fmt}" else out.with_name(f"{out.name}.{fmt}")
    _make(ctx, "reconciliation", [target], locale, no_rules, donor=donor, recipient=recipient)


PACK_SUFFIXES = (".pdf", ".xlsx", ".html")
PACK_OUT_HELP = "File to write; its suffix chooses the format: .pdf, .xlsx or .html."


def _pack_format(out: Path) -> None:
    """A pack is a document of several sections: PDF, XLSX (a sheet each) or HTML. A CSV holds
    one table, and the pack's first alone is not the pack the donor or the broker expects."""
    if out.suffix.lower() not in PACK_SUFFIXES:
        raise click.UsageError(f"--out must end in .pdf, .xlsx or .html (the suffix chooses the "
                               f"format), not {out.name!r}")  # fmt: skip


@report.command("customs-pack")
@click.argument("shipment")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help=PACK_OUT_HELP)  # fmt: skip
@LOCALE
@NO_RULES
@click.pass_context
def customs_pack(ctx: click.Context, shipment: str, out: Path, locale: str, no_rules: bool) -> None:
    """Bilingual customs pack of one consignment; exit 1 (and stamped NOT READY) on error findings.

    \b
    Example:
      aidledger report customs-pack HEL-2023-001 --out hel.pdf
    """
    _pack_format(out)
    _make(ctx, "customs-pack", [out], locale, no_rules, shipment=shipment)


@report.command("accounting-pack")
@click.option("--recipient", required=True, metavar="CODE")
@click.option("--period", required=True, metavar="PERIOD", help="YYYY-MM, YYYY-Qn or YYYY.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory: gets a PDF and one XLSX workbook.")  # fmt: skip
@LOCALE
@NO_RULES
@click.pass_context
def accounting_pack(ctx: click.Context, recipient: str, period: str, out: Path, locale: str,
                    no_rules: bool) -> None:  # fmt: skip
    """Journal, trial balance, UAH aid register, stock movement, acts, FX schedule, findings.

    \b
    Example:
      aidledger report accounting-pack --recipient KYIV --period 2023-Q3 --out pack/
    """
    from reports.data import PERIOD_RE

    if not PERIOD_RE.match(period):
        raise click.BadParameter(
            "use YYYY-MM, YYYY-Qn or YYYY, e.g. 2023-05", param_hint="--period"
        )
    _not_over_yet(period)
    stem = out / f"accounting-pack-{recipient}-{period}"
    _make(ctx, "accounting-pack", [stem.with_suffix(".pdf"), stem.with_suffix(".xlsx")], locale,
          no_rules, recipient=recipient, period=period)  # fmt: skip


def _not_over_yet(period: str | None) -> None:
    """Say so when a period has not ended: its pack is a draft that later entries will change
    (a typo such as 2032 for 2023 reads as an empty pack otherwise)."""
    import datetime as dt

    from reports.data import parse_period

    span = parse_period(period) if period else None
    if span and span[1] >= dt.date.today():
        click.echo(f"note: the period {period} ends on {span[1].isoformat()}, not yet over: "
                   "entries dated in it later will change this pack", err=True)  # fmt: skip


@report.command("donor-pack")
@click.option("--donor", required=True, metavar="CODE")
@click.option(
    "--period", metavar="PERIOD", help="Consignments dispatched in YYYY-MM, YYYY-Qn, YYYY."
)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help=PACK_OUT_HELP)  # fmt: skip
@LOCALE
@NO_RULES
@click.pass_context
def donor_pack(ctx: click.Context, donor: str, period: str | None, out: Path, locale: str,
               no_rules: bool) -> None:  # fmt: skip
    """Proof of delivery for a donor: dispatched, received, distributed, written off, per pledge.

    \b
    Example:
      aidledger report donor-pack --donor PRAGUE --period 2022 --out prague.pdf
    """
    from reports.data import PERIOD_RE

    if period and not PERIOD_RE.match(period):
        raise click.BadParameter(
            "use YYYY-MM, YYYY-Qn or YYYY, e.g. 2023-05", param_hint="--period"
        )
    _pack_format(out)
    _not_over_yet(period)
    _make(ctx, "donor-pack", [out], locale, no_rules, donor=donor, period=period)


@click.command("verify-document")
@click.argument("code_or_file")
@click.pass_context
def verify_document(ctx: click.Context, code_or_file: str) -> None:
    """Does the ledger still agree with a document? Exit 0 if so, 1 if not.

    Give the verification code printed on every page (AL1-…) or the PDF/XLSX file itself.

    \b
    Example:
      aidledger verify-document out/reports/donor-pack-KYOTO.pdf
      aidledger verify-document AL1-…   (the code printed at the foot of its pages)
    """
    from reports.verification import decode, find_code, verify

    path = Path(code_or_file)
    if not path.exists() and (path.suffix.lower() in (".pdf", ".xlsx") or len(path.parts) > 1):
        raise click.UsageError(f"no such file: {code_or_file}")  # meant a file, not a code
    try:
        code = find_code(path) if path.is_file() else code_or_file
        decode(code)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    from ledger.db.engine import reader

    led = _ledger(ctx)
    try:
        with reader(led.engine) as conn:
            verdict = verify(conn, code)
    finally:
        led.close()
    if not verdict.ok:
        raise Refused(f"document does NOT match the ledger: {verdict.message}")
    click.echo(f"document verified: {verdict.message}")
