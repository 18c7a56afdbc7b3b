"""`aidledger check` and `aidledger rules list|explain`. Only click is imported at the top."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from schemas.cli_types import DATE

ECHO_LINES = 5_000  # lines of a table written at a time

PACK_NAMES = ("ua-import", "eu-export", "medicines-food", "bookkeeping", "reporting")
FORMAT = click.Choice(["table", "csv", "json"])


class _Fail(click.ClickException):
    """A check that cannot be made (a bad rules configuration, no ledger, an unknown
    shipment): exit code 2, apart from exit 1's error findings."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class _Refused(_Fail):
    """A lookup of something absent (no such rule): exit code 1, as every other command's."""

    exit_code = 1


def finding_rows(findings: Any) -> list[dict[str, Any]]:
    """Findings as output rows, in `FindingRow`'s column order.

    Read straight off the typed `Finding` records: validating each one again through the
    pydantic model cost ~60 µs a finding (15 s for the 247k findings of a 1M-posting ledger);
    a test keeps every row valid against `FindingRow`.
    """
    from schemas.findings import FindingRow

    columns = FindingRow.COLUMNS
    return [{c: getattr(f, c) for c in columns} for f in findings]


def render_result(result: Any, fmt: str) -> str:
    """The check result as table (with parameters header/footer), CSV or JSON."""
    from reports.tabular import render
    from schemas.findings import FindingRow

    if fmt == "table":
        return "\n".join(result_lines(result))
    rows = finding_rows(result.findings)
    if fmt == "csv":
        return render("csv", list(FindingRow.COLUMNS), rows)
    doc = {
        "as_of": result.as_of.isoformat(), "packs": list(result.packs),
        "shipment": result.shipment, "summary": result.counts, "clean": not result.has_errors,
        "parameters": result.parameters(), "findings": rows,
    }  # fmt: skip
    return json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"


def result_lines(result: Any) -> Iterator[str]:
    """The check result as a terminal table with its parameters, line by line."""
    from reports.tabular import table_lines

    counts = result.counts
    yield (f"AidLedger check as of {result.as_of} — packs: {', '.join(result.packs)}"
           + (f" — shipment {result.shipment}" if result.shipment else ""))  # fmt: skip
    yield f"rules run: {len(result.rules_run)}; config: {result.settings.origin or 'defaults'}"
    yield ""
    if result.findings:
        cols = ["severity", "rule", "record", "field", "value", "message", "fix"]
        yield from table_lines(cols, finding_rows(result.findings))
    else:
        yield "no findings"
    yield from ("", f"{counts['error']} error(s), {counts['warning']} warning(s), "
                f"{counts['info']} info", "", "parameters in effect:")  # fmt: skip
    params = result.parameters()
    yield f"  engine: {_kv(params['engine'])}"
    for name, values in params["packs"].items():
        if values:
            yield f"  pack {name}: {_kv(values)}"
    for rid, values in params["rules"].items():
        yield f"  {rid}: {_kv(values)}"


def _kv(values: dict[str, Any]) -> str:
    def one(v: Any) -> str:
        return ";".join(map(str, v)) if isinstance(v, list) else str(v)

    return ", ".join(f"{k}={one(v)}" for k, v in values.items()) or "-"


@click.command()
@click.option("--shipment", metavar="REF", help="Only findings about this shipment.")
@click.option("--pack", "packs", multiple=True, type=click.Choice(PACK_NAMES),
              help="Run only this pack (repeatable). Default: all packs.")  # fmt: skip
@click.option("--as-of", "as_of", type=DATE,
              help="The day the check is made for: deadlines, windows and shelf life are "
                   "measured to it (default today).")  # fmt: skip
@click.option("--rules-config", "config", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML file overriding rule and pack parameters.")  # fmt: skip
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
@click.pass_context
def check(ctx: click.Context, shipment: str | None, packs: tuple[str, ...],
          as_of: dt.date | None, config: Path | None, fmt: str) -> None:  # fmt: skip
    """Check the ledger against the customs and bookkeeping rules catalogue.

    Packs are chosen per shipment by corridor and date (e.g. the 2022 simplified regime or
    the AHARS registration regime from 2023-12-01). Exit 0 when no error finding stands,
    1 when any does, 2 when the check cannot be made (a bad rules config, an unknown shipment,
    no ledger): a script can tell "not clean" from "not checked".

    \b
    Example:
      aidledger check --as-of 2024-10-31
      aidledger check --shipment PRG-2024-002 --pack ua-import --pack medicines-food
      aidledger check --rules-config rules.toml --format json > findings.json
    """
    from ledger.api import Ledger
    from ledger.errors import LedgerError
    from ledger.rules.engine import ConfigError, check_ledger, load_settings

    try:
        settings = load_settings(config)
        with Ledger((ctx.obj or {}).get("db"), create=False) as led:
            _say_when_long(led)
            result = check_ledger(led, packs=packs or None, settings=settings, shipment=shipment,
                                  as_of=as_of)  # fmt: skip
    except (ConfigError, LedgerError) as exc:  # not checked: 2, apart from 1's error findings
        raise _Fail(str(exc)) from None
    if result.last_event and result.last_event > result.as_of:
        click.echo(f"note: the ledger has events dated after {result.as_of} (up to "
                   f"{result.last_event}); they are checked too: --as-of is the day deadlines "
                   "are measured to, not a cut-off", err=True)  # fmt: skip
    if shipment and not any(f.shipment == shipment for f in result.findings):
        click.echo(f"note: no findings about shipment {shipment}", err=True)
    if fmt == "table":  # in pieces: a large ledger's table is hundreds of MB of text
        lines: list[str] = []
        for line in result_lines(result):
            lines.append(line)
            if len(lines) == ECHO_LINES:
                click.echo("\n".join(lines))
                lines.clear()
        if lines:
            click.echo("\n".join(lines))
    else:
        click.echo(render_result(result, fmt), nl=False)
    ctx.exit(1 if result.has_errors else 0)


# Entries above which a check takes long enough (~5 s and more) to say that it is working.
LONG_CHECK_ENTRIES = 50_000


def _say_when_long(led: Any) -> None:
    """On a large ledger, say on stderr what the silent seconds are for (1M postings: ~30 s)."""
    from sqlalchemy import func, select

    from ledger.db import tables as t
    from ledger.db.engine import reader

    with reader(led.engine) as conn:
        entries = conn.execute(select(func.count()).select_from(t.Entry)).scalar_one()
    if entries >= LONG_CHECK_ENTRIES:
        click.echo(f"checking {entries:,} entries against the rules…", err=True)


@click.group()
def rules() -> None:
    """The rules catalogue: what is checked, from which source, with which parameters."""


@rules.command("list")
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
@click.option("--all", "show_all", is_flag=True, help="Also list catalogue rules not implemented.")
def rules_list(fmt: str, show_all: bool) -> None:
    """List the rules with pack, severity, source (grade) and parameters.

    \b
    Example:
      aidledger rules list
      aidledger rules list --all --format csv > catalogue.csv
    """
    from ledger.rules.catalogue import BY_EXPORT, PENDING, RULES
    from ledger.rules.engine import jsonable
    from reports.tabular import render

    rows: list[dict[str, Any]] = []
    for spec in RULES.values():
        rows.append({
            "id": spec.id, "pack": spec.pack, "regimes": ", ".join(spec.regimes) or "all",
            "severity": spec.default_severity, "source": spec.source_text,
            "parameters": _kv(jsonable(spec.params)), "title": spec.title,
            "status": "implemented",
        })  # fmt: skip
    if show_all:
        for rid, title, sev, sources, grade in PENDING:
            status = "by export" if rid in BY_EXPORT else "not implemented"
            rows.append({"id": rid, "pack": "", "regimes": "", "severity": sev,
                         "source": f"{sources} (grade {grade})", "parameters": "",
                         "title": title, "status": status})  # fmt: skip
    cols = ["id", "severity", "pack", "regimes", "source", "parameters", "title"]
    if show_all or fmt != "table":
        cols.append("status")
    click.echo(render(fmt, cols, rows), nl=fmt == "table")


@rules.command("explain")
@click.argument("rule_id", metavar="ID")
def rules_explain(rule_id: str) -> None:
    """Show one rule in full: what it checks, source, grade, parameters, records read, fix.

    \b
    Example:
      aidledger rules explain QLT-001
    """
    from ledger.rules.catalogue import PENDING, RULES, why_pending
    from ledger.rules.engine import jsonable
    from ledger.rules.model import GRADE_C_NOTE
    from ledger.rules.packs import PACKS

    rid = rule_id.upper()
    spec = RULES.get(rid)
    if spec is None:
        pending = next((p for p in PENDING if p[0] == rid), None)
        if pending:
            click.echo(f"{rid}  {pending[1]}\n(source {pending[3]}, grade {pending[4]}) "
                       f"{why_pending(rid)}")  # fmt: skip
            return
        raise _Refused(f"no rule {rule_id!r}; see `aidledger rules list`")
    pack = PACKS[spec.pack]
    out = [
        f"{spec.id}  {spec.title}",
        "",
        f"severity   {spec.default_severity}"
        + (f" (catalogue: {spec.severity}; {GRADE_C_NOTE})" if spec.default_severity != spec.severity else ""),
        f"pack       {spec.pack} — {pack.title}",
        f"regimes    {', '.join(spec.regimes) if spec.regimes else 'all'}",
        f"source     {spec.source_text}",
        f"reads      {', '.join(spec.reads)}",
        "parameters " + (_kv(jsonable(spec.params)) if spec.params else "none"),
        "",
        spec.doc or spec.title,
        "",
        f"what to do {spec.fix}",
        "",
        f"override   [rules.{spec.id}] in the --rules-config TOML file "
        "(parameters, severity = \"...\", enabled = false)",
    ]  # fmt: skip
    click.echo("\n".join(out))


def demo_findings(led: Any, out: Path, echo: Any) -> None:
    """For `aidledger demo`: check the sample ledger as of its last event, print counts per
    severity and the error findings, write OUT/findings.csv and OUT/findings.json."""
    from ledger.db.engine import reader
    from ledger.rules.dataset import load
    from ledger.rules.engine import run
    from reports.tabular import render

    with reader(led.engine) as conn:
        ds = load(conn)
    result = run(ds, as_of=ds.last_event_date or dt.date.today())
    (out / "findings.csv").write_text(render_result(result, "csv"), encoding="utf-8")
    (out / "findings.json").write_text(render_result(result, "json"), encoding="utf-8")
    counts = result.counts
    echo(f"\nRules check as of {result.as_of} ({len(result.rules_run)} rules, all packs): "
         f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info")  # fmt: skip
    errors = [r for r in finding_rows(result.findings) if r["severity"] == "error"]
    if errors:
        echo("the error findings:")
        echo(render("table", ["rule", "record", "field", "value", "message"], errors))
    echo(
        "all findings (warnings and info too) with what to do: findings.csv, findings.json "
        "(or: aidledger check --as-of " + result.as_of.isoformat() + ")"
    )
