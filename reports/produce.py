"""One call per report: open a read transaction, build the document, write it in each format.

Used by the `aidledger report` commands, the demo and the benchmark, so they all make the same
documents the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reports.model import Document

KINDS = ("reconciliation", "customs-pack", "accounting-pack", "donor-pack")


def build(led: Any, kind: str, *, findings: list[dict[str, Any]] | None = None,
          findings_note: str | None = None, locale: str = "en", **params: Any) -> Document:  # fmt: skip
    from ledger.db.engine import reader
    from reports.packs import accounting, customs, donor, reconciliation

    builder = {"reconciliation": reconciliation.build, "customs-pack": customs.build,
               "accounting-pack": accounting.build, "donor-pack": donor.build}[kind]  # fmt: skip
    with reader(led.engine) as conn:
        return builder(
            conn, findings=findings, findings_note=findings_note, locale=locale, **params
        )


def rule_findings(
    led: Any, use_rules: bool = True
) -> tuple[list[dict[str, Any]] | None, str | None]:
    if not use_rules:
        return None, "rule checks skipped (--no-rules)"
    from reports.findings import collect

    return collect(led)


def write(doc: Document, targets: list[Path]) -> list[Path]:
    from reports.render import write as write_one

    for path in targets:
        write_one(doc, path)
        if doc.kind == "reconciliation" and path.suffix == ".csv":
            _variances_csv(doc, path.with_name(path.stem + "-variances.csv"))
            targets = [*targets, path.with_name(path.stem + "-variances.csv")]
    return targets


def _variances_csv(doc: Document, path: Path) -> None:
    from reports.tabular import to_csv

    section = doc.section("variances")
    columns = ["donor", "recipient", "shipment", "item", "variance", "quantity", "value",
               "currency", "value_uah", "act", "date", "remarks"]  # fmt: skip
    # data, not a filed document: the exact values, as the reconciliation CSV has them
    rows = [{**r, "value": r.get("exact_value", r["value"]),
             "remarks": ("UNEXPLAINED: " if r.get("_flag_remarks") else "") + str(r["remarks"])}
            for r in section.rows]  # fmt: skip
    path.write_text(to_csv(columns, rows), encoding="utf-8")


DEMO_JOBS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("reconciliation", {}, ["pdf", "xlsx", "html", "csv"]),
    ("donor-pack", {"donor": "PRAGUE", "period": "2022"}, ["pdf"]),
    ("accounting-pack", {"recipient": "KYIV", "period": "2023"}, ["pdf", "xlsx"]),
    ("customs-pack", {"shipment": "HEL-2023-001"}, ["pdf", "xlsx"]),
    ("customs-pack", {"shipment": "KYOTO-2024-002"}, ["pdf", "xlsx"]),
    ("accounting-pack", {"recipient": "LVIV", "period": "2022-03"}, ["pdf", "xlsx"]),
    ("donor-pack", {"donor": "KYOTO"}, ["pdf"]),
    ("donor-pack", {"donor": "WROCLAW", "period": "2022-Q1"}, ["pdf"]),
]


DemoResult = tuple[str, bool, list[str]]  # verification code, NOT READY, paths written


def _demo_job(
    url: str, out: str, kind: str, params: dict[str, Any], formats: list[str]
) -> DemoResult:
    from ledger.api import Ledger

    with Ledger(url, migrate=False) as led:
        findings, note = rule_findings(led)
        doc = build(led, kind, findings=findings, findings_note=note, **params)
    stem = "-".join([kind, *(str(v) for v in params.values())])
    paths = write(doc, [Path(out) / f"{stem}.{fmt}" for fmt in formats])
    return doc.code, bool(doc.not_ready), [str(p) for p in paths]


def demo_reports(led: Any, out: Path, echo: Any = print) -> list[Path]:
    """Every kind of report for the sample data into OUT/reports, rendered in parallel."""
    import os
    from concurrent.futures import ProcessPoolExecutor, as_completed

    target = out / "reports"
    target.mkdir(parents=True, exist_ok=True)
    _, note = rule_findings(led)
    if note:
        echo(f"  rule findings: not available ({note})")
    workers = max(1, min(len(DEMO_JOBS), os.cpu_count() or 1))
    args = [(led.url, str(target), kind, params, formats) for kind, params, formats in DEMO_JOBS]
    echo(f"  ({len(args)} documents, a few seconds each; each is listed when written)")
    written: list[Path] = []

    def done(n: int, job: tuple[str, dict[str, str], Any], result: DemoResult) -> None:
        (kind, params, _formats), (code, not_ready, paths) = job, result
        echo(f"  [{n}/{len(args)}] {kind} {' '.join(str(v) for v in params.values())}: {code}"
             + (" — NOT READY" if not_ready else ""))  # fmt: skip
        written.extend(Path(p) for p in paths)

    if workers == 1:
        for n, (job, a) in enumerate(zip(DEMO_JOBS, args, strict=True), 1):
            done(n, job, _demo_job(*a))
    else:  # listed as each finishes: the user sees the work go on
        with ProcessPoolExecutor(workers) as pool:
            futures = {pool.submit(_demo_job, *a): job
                       for job, a in zip(DEMO_JOBS, args, strict=True)}  # fmt: skip
            for n, future in enumerate(as_completed(futures), 1):
                done(n, futures[future], future.result())
    return sorted(written)
