"""`aidledger check` and `aidledger rules` end to end, on the sample ledger and on an empty one."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from ledger.api import Ledger
from tests.conftest import SAMPLE

AS_OF = "2024-10-31"  # the sample data's "today"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('rules') / 'sample.db'}"
    with Ledger(url) as led:
        led.import_files([SAMPLE])
    return url


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_sample_check_finds_the_deliberate_problems(sample_db):
    result = run("--db", sample_db, "check", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["as_of"] == AS_OF and not doc["clean"] and doc["summary"]["error"] >= 6
    got = {(f["rule"], f["shipment"] or f["record"]) for f in doc["findings"]}
    expected = {
        ("QLT-003", "PRG-2024-002"),  # expired medicine
        ("QLT-002", "PRG-2024-002"),  # short-dated medicine with a justification
        ("CUS-002", "BXL-2024-001"),  # no aid code after the registration regime began
        ("CUS-012", "HEL-2024-002"),  # dual-use drones routed through BY
        ("DOC-007", "WRO-2024-004"),  # shortage without a waybill remark
        ("ACC-001", "HEL-2024-001"),  # receipt with no UAH rate for its day
        ("ACC-002", "HEL-2024-001"),
        ("REP-005", "pledge DUBLIN/DCC-UKR-2024-05"),  # a pledge counted nowhere as funded
        ("CUS-004", "KYOTO-2024-002"),  # held: packages/weight differ from the registration
        ("DOC-016", "TPE-2022-001"),  # Taipei ships to Kyiv with no partnership on record
    }
    assert expected <= got, expected - got
    severities = {(f["rule"], f["severity"]) for f in doc["findings"]}
    assert ("QLT-002", "warning") in severities and ("QLT-003", "error") in severities
    params = doc["parameters"]
    assert params["rules"]["QLT-001"]["min_remaining_shelf_life_days"] == 365
    assert params["packs"]["ua-import"]["registration_regime_from"] == "2023-12-01"
    assert len(params["rules"]) >= 40


def test_sample_check_is_fast(sample_db):
    from ledger.db.engine import reader
    from ledger.rules.dataset import load
    from ledger.rules.engine import run as run_rules

    with Ledger(sample_db, migrate=False) as led:
        best = 99.0
        for _ in range(3):  # best of three: the suite may run beside other workers
            started = time.perf_counter()
            with reader(led.engine) as conn:
                ds = load(conn)
            result = run_rules(ds, as_of=dt.date(2024, 10, 31))
            best = min(best, time.perf_counter() - started)
    assert result.findings and best < 1.0, best


def test_table_output_prints_parameters_and_csv_is_safe(sample_db, tmp_path):
    table = run("--db", sample_db, "check", "--as-of", AS_OF, "--pack", "medicines-food")
    assert table.exit_code == 1
    assert (
        "parameters in effect:" in table.stdout
        and "min_remaining_shelf_life_days=365" in table.stdout
    )
    assert "packs: medicines-food" in table.stdout and "CUS-002" not in table.stdout
    rows = list(csv.DictReader(io.StringIO(
        run("--db", sample_db, "check", "--as-of", AS_OF, "--format", "csv").stdout)))  # fmt: skip
    assert {"severity", "rule", "record", "field", "value", "message", "fix"} <= set(rows[0])
    from ledger.rules.commands import render_result
    from ledger.rules.engine import CheckResult, Settings
    from ledger.rules.model import Finding

    evil = Finding("DOC-001", "error", "ua-import", "=HYPERLINK(\"x\")", None, "@SUM(A1)",
                   "+msg", "-fix", source="x", grade="B")  # fmt: skip
    text = render_result(CheckResult(dt.date(2024, 1, 1), ("ua-import",), Settings.defaults(),
                                     (evil,)), "csv")  # fmt: skip
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and "'+msg" in text and "'-fix" in text


def test_shipment_filter_and_rules_config(sample_db, tmp_path):
    one = run("--db", sample_db, "check", "--as-of", AS_OF, "--shipment", "PRG-2024-002",
              "--format", "json")  # fmt: skip
    doc = json.loads(one.stdout)
    assert {f["shipment"] for f in doc["findings"]} == {"PRG-2024-002"} and one.exit_code == 1
    config = tmp_path / "rules.toml"
    config.write_text('[rules.QLT-003]\nseverity = "warning"\n'
                      '[rules.QLT-002]\nexception_until = 2024-01-01\n', encoding="utf-8")  # fmt: skip
    relaxed = run("--db", sample_db, "check", "--as-of", AS_OF, "--shipment", "PRG-2024-002",
                  "--rules-config", str(config), "--format", "json")  # fmt: skip
    rules = {(f["rule"], f["severity"]) for f in json.loads(relaxed.stdout)["findings"]}
    # the exception window closed: the short-dated insulin is now a QLT-001 error
    assert ("QLT-003", "warning") in rules and ("QLT-001", "error") in rules
    assert ("QLT-002", "warning") not in rules and relaxed.exit_code == 1
    assert json.loads(relaxed.stdout)["parameters"]["config"] == str(config)
    config.write_text("[rules.NOPE-1]\n", encoding="utf-8")
    bad = run("--db", sample_db, "check", "--rules-config", str(config))
    assert bad.exit_code == 2 and "unknown rule" in bad.stderr
    # a mistyped shipment said "no findings", which reads as "that shipment is clean"
    typo = run("--db", sample_db, "check", "--shipment", "PRG-2024-02")
    assert typo.exit_code == 2 and "no shipment 'PRG-2024-02' in the ledger" in typo.stderr


def test_empty_ledger_is_clean(sqlite_url):
    result = run("--db", sqlite_url, "check")
    assert result.exit_code == 0 and "no findings" in result.stdout


def test_rules_list_and_explain():
    listed = run("rules", "list", "--all", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert len(rows) == 60
    qlt1 = next(r for r in rows if r["id"] == "QLT-001")
    assert (
        "WHO-DD (grade A)" in qlt1["source"]
        and "min_remaining_shelf_life_days=365" in qlt1["parameters"]
    )
    assert sum(r["status"] == "implemented" for r in rows) >= 40
    assert "CUS-005" in run("rules", "list").stdout
    explained = run("rules", "explain", "cus-005")
    assert explained.exit_code == 0
    for text in ("CUS-005", "ua-import", "UA-174-SCS (grade B)", "one_declaration_per_vehicle",
                 "what to do", "[rules.CUS-005]"):  # fmt: skip
        assert text in explained.stdout
    assert "not implemented" in run("rules", "explain", "REP-001").stdout
    # the IATI and HXL rules are about what an export writes: the exports honour them
    assert "honoured by `aidledger export hxl`" in run("rules", "explain", "REP-007").stdout
    assert {r["id"]: r["status"] for r in rows}["REP-003"] == "by export"
    assert run("rules", "explain", "XYZ-9").exit_code == 1
    for name in ("check", "rules"):
        assert (
            "Example"
            in (run(name, "list", "--help") if name == "rules" else run(name, "--help")).stdout
        )


def test_demo_findings_summary(sample_db, tmp_path):
    from ledger.rules.commands import demo_findings

    lines: list[str] = []
    with Ledger(sample_db, migrate=False) as led:
        demo_findings(led, tmp_path, lines.append)
    text = "\n".join(lines)
    assert "Rules check as of 2024-10-29" in text and "error(s)" in text and "QLT-003" in text
    assert (tmp_path / "findings.csv").exists()
    assert json.loads(Path(tmp_path / "findings.json").read_text())["findings"]


def test_a_table_written_in_pieces_is_the_whole_table(
    sample_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long table goes out a few lines at a time; what arrives is the same text, whatever the
    size of the pieces (a line more or less at a piece's edge, or at the end, would show)."""
    from ledger.rules import commands
    from ledger.rules.engine import check_ledger

    with Ledger(sample_db) as led:
        whole = commands.render_result(check_ledger(led, as_of=dt.date(2024, 10, 31)), "table")
    n = len(whole.splitlines())
    assert n > 20
    for piece in (2, 3, n // 2, n, n + 1):
        monkeypatch.setattr(commands, "ECHO_LINES", piece)
        table = run("--db", sample_db, "check", "--as-of", AS_OF)
        assert table.stdout == whole + "\n", piece


def test_every_finding_row_is_a_valid_finding_row_in_column_order(sample_db: str) -> None:
    """Output rows are read straight off the findings; the published schema still holds."""
    from ledger.rules.commands import finding_rows
    from ledger.rules.engine import check_ledger
    from schemas.findings import FindingRow

    with Ledger(sample_db) as led:
        rows = finding_rows(check_ledger(led, as_of=dt.date(2024, 10, 31)).findings)
    assert len(rows) > 10
    assert {r["severity"] for r in rows} >= {"error", "warning"}
    for row in rows:
        assert list(row) == list(FindingRow.COLUMNS)
        assert FindingRow.model_validate(row).model_dump() == row


@pytest.mark.postgres
def test_the_dataset_streams_alike_on_both_engines(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loaded in batches of 7 rows (server-side cursors on PostgreSQL, queries interleaved),
    the sample ledger's dataset and findings are the same on SQLite and PostgreSQL, down to
    how the findings write their numbers."""
    from dataclasses import astuple

    from ledger.db.engine import reader
    from ledger.rules import dataset
    from ledger.rules.engine import run as run_rules
    from tests.conftest import _fresh_url

    monkeypatch.setattr(dataset, "STREAM_ROWS", 7)
    loaded = []
    for engine in ("sqlite", "postgresql"):
        folder = tmp_path / engine
        folder.mkdir()
        with Ledger(_fresh_url(request, engine, folder), migrate=False) as led:
            led.import_files([SAMPLE])
            with reader(led.engine) as conn:
                loaded.append(dataset.load(conn))
    lite, pg = loaded
    assert len(lite.lines) > 7 and len(lite.distributions) > 7

    def keyed(records: Any) -> list[Any]:  # no ORDER BY: each engine has its own row order
        return sorted(records, key=lambda r: repr(astuple(r)[:4]))

    for name in ("lines", "receipts", "distributions", "customs", "pledges", "documents"):
        assert keyed(getattr(lite, name)) == keyed(getattr(pg, name)), name
    assert (lite.parties, lite.items, lite.lot_flows) == (pg.parties, pg.items, pg.lot_flows)
    as_of = dt.date(2024, 10, 31)
    # word for word: PostgreSQL's NUMERIC keeps a written scale (3200.0), read back canonically
    assert run_rules(lite, as_of=as_of).findings == run_rules(pg, as_of=as_of).findings


def test_a_long_check_says_it_is_working(sample_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a large ledger `check` is silent for a while (~30 s at 1M postings): it says why on
    stderr first; a small ledger's check does not."""
    from ledger.rules import commands

    quiet = run("--db", sample_db, "check", "--as-of", AS_OF, "--format", "json")
    assert "against the rules" not in quiet.stderr
    json.loads(quiet.stdout)  # stdout stays the findings alone
    monkeypatch.setattr(commands, "LONG_CHECK_ENTRIES", 100)
    loud = run("--db", sample_db, "check", "--as-of", AS_OF, "--format", "json")
    assert re.match(r"checking [\d,]+ entries against the rules…", loud.stderr)
    assert json.loads(loud.stdout) == json.loads(quiet.stdout)


def test_an_as_of_day_before_later_events_is_said_to_be_no_cut_off(sample_db: str) -> None:
    early = run("--db", sample_db, "check", "--as-of", "2022-04-01", "--format", "json")
    assert "they are checked too" in early.stderr and "up to 2024-" in early.stderr
    json.loads(early.stdout)  # stdout stays the findings alone
    late = run("--db", sample_db, "check", "--as-of", AS_OF, "--format", "json")
    assert "checked too" not in late.stderr  # the sample's last event is before AS_OF
