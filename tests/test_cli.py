"""The command line, through click's CliRunner on a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import ROOT


@pytest.fixture
def run(sqlite_url):
    runner = CliRunner()

    def _run(*args: str):
        return runner.invoke(main, ["--db", sqlite_url, *args], catch_exceptions=False)

    _run.url = sqlite_url
    return _run


@pytest.fixture
def imported(run, sample_dir):
    result = run("import", str(sample_dir))
    assert result.exit_code == 0, result.output
    return run


def test_help_does_not_load_heavy_libraries():
    code = "import cli, sys; print(sorted(m for m in ('pandas', 'weasyprint', 'sqlalchemy', 'openpyxl') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_a_one_event_commands_help_does_not_load_the_database_layer():
    """A one-event command builds its options from the row schemas; they must not pull in
    SQLAlchemy (the schemas once did, through the decimal text helper: ~0.3 s per --help)."""
    code = ("import sys; sys.argv = ['aidledger', 'receive', '--help']; from cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pandas', 'weasyprint', 'sqlalchemy', 'openpyxl') "
            "if m in sys.modules), file=sys.stderr)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert "--received" in out.stdout
    assert out.stderr.strip() == "[]"


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    for name in ("import", "template", "balance", "reconcile", "reverse"):
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Example" in result.output, name


def test_an_option_says_what_it_means_for_its_own_kind_of_row():
    """`pledge --help` described --pledge-ref as a dispatch's "pledge this line is sent
    against"; for a pledge it is the pledge's own reference."""
    pledge = " ".join(CliRunner().invoke(main, ["pledge", "--help"]).output.split())
    dispatch = " ".join(CliRunner().invoke(main, ["dispatch", "--help"]).output.split())
    assert "--pledge-ref TEXT the pledge's reference" in pledge and "sent against" not in pledge
    assert "--pledge-ref TEXT the pledge this line is sent against" in dispatch


def test_a_dispatchs_batch_is_the_batch_loaded_not_a_fefo_choice():
    """`dispatch --help` said of --batch "without it the earliest expiry is taken first
    (FEFO)": a dispatch picks no lot, it loads one batch (required for expiry-tracked items)."""
    dispatch = " ".join(CliRunner().invoke(main, ["dispatch", "--help"]).output.split())
    distribute = " ".join(CliRunner().invoke(main, ["distribute", "--help"]).output.split())
    assert "FEFO" not in dispatch
    assert ("--batch TEXT batch (series) of the goods loaded; required for items that track "
            "expiry") in dispatch  # fmt: skip
    assert "--expiry TEXT expiry date of the batch loaded" in dispatch
    assert "without it the earliest expiry is taken first (FEFO)" in distribute


def test_import_twice_changes_nothing(imported, sample_dir):
    again = imported("import", str(sample_dir))
    assert again.exit_code == 0
    assert "nothing new" in again.output


def test_an_import_counts_files_and_sheets_honestly(run, sample_dir, tmp_path):
    """One workbook of 7 sheets said "from 7 file(s)"; header-only files said "the ledger
    already holds every row of these files", of files that hold none."""
    from openpyxl import Workbook

    names = ["parties", "items", "warehouses", "partnerships", "pledges", "shipments", "customs"]
    wb = Workbook()
    wb.remove(wb.active)
    for name in names:
        ws = wb.create_sheet(name)
        with (sample_dir / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                ws.append(row)
    wb.save(tmp_path / "book.xlsx")
    result = run("import", str(tmp_path / "book.xlsx"))
    assert result.exit_code == 0, result.stderr
    assert result.output.splitlines()[-1].endswith(" row(s) from 1 file (7 sheets)")
    empty = tmp_path / "empty"
    empty.mkdir()
    for name in ("pledges", "receipts"):
        (empty / f"{name}.csv").write_text((sample_dir / f"{name}.csv").read_text(
            encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")  # fmt: skip
    result = run("import", str(empty))
    assert (
        result.output.splitlines()[-1] == "nothing imported: the files hold no rows (2 files read)"
    )
    (tmp_path / "receipts.csv").write_text((sample_dir / "receipts.csv").read_text(
        encoding="utf-8"), encoding="utf-8")  # fmt: skip
    result = run("import", str(tmp_path / "receipts.csv"), str(tmp_path / "book.xlsx"))
    assert result.output.splitlines()[-1].endswith(
        " row(s) from 2 files (1 CSV, 1 workbook of 7 sheets)"
    ), result.output


def test_bad_import_exits_1_lists_rows_and_writes_nothing(run, tmp_path):
    (tmp_path / "parties.csv").write_text(
        "code,name,kind,country\nKYIV,Kyiv,city,UA\nBAD CODE,x,city,UA\nLVIV,Lviv,planet,UA\n",
        encoding="utf-8",
    )
    result = run("import", str(tmp_path))
    assert result.exit_code == 1
    assert "parties.csv, row 3, column code, value 'BAD CODE'" in result.stderr
    assert "parties.csv, row 4, column kind, value 'planet'" in result.stderr
    assert "nothing was written" in result.stderr
    assert (
        run("balance", "--format", "csv").output.strip()
        == "account,commodity,quantity,value,currency"
    )


def test_balance_csv_and_json(imported):
    rows = list(csv.DictReader(io.StringIO(imported("balance", "--format", "csv").output)))
    assert {"account", "commodity", "quantity"} <= set(rows[0])
    by_lot = list(
        csv.DictReader(
            io.StringIO(
                imported("balance", "--by-lot", "--account", "stock:", "--format", "csv").output
            )
        )
    )
    assert all(r["account"].startswith("stock:") and r["lot"] for r in by_lot)
    data = json.loads(imported("balance", "--format", "json").output)
    total = {}
    for r in data:
        total[r["commodity"]] = total.get(r["commodity"], Decimal(0)) + Decimal(r["quantity"])
    assert all(v == 0 for v in total.values())  # every item balances across all accounts


def test_reconcile_csv_has_the_format_columns(imported):
    out = imported("reconcile", "--format", "csv").output
    rows = list(csv.DictReader(io.StringIO(out)))
    needed = (
        "donor recipient item pledged dispatched at_customs in_transit received short "
        "damaged excess distributed written_off in_stock outstanding_pledge"
    ).split()
    assert set(needed) <= set(rows[0])
    for r in rows:
        q = {k: Decimal(r[k]) for k in needed[3:]}
        assert q["in_stock"] == q["received"] - q["distributed"] - q["written_off"]
        assert q["at_customs"] <= q["in_transit"]
    filtered = list(
        csv.DictReader(
            io.StringIO(imported("reconcile", "--donor", "PRAGUE", "--format", "csv").output)
        )
    )
    assert filtered and {r["donor"] for r in filtered} == {"PRAGUE"}


def test_verify_reverse_and_period_close(imported):
    verified = imported("verify")
    assert verified.exit_code == 0
    last = verified.output.split(":")[1].split()[0]  # "ledger intact: N entries ..."
    refused = imported("reverse", "1", "--reason", "pledge already shipped", "--date", "2024-12-01")
    assert refused.exit_code == 1 and "below zero" in refused.stderr
    result = imported("reverse", last, "--reason", "entered twice", "--date", "2024-12-01")
    assert result.exit_code == 0, result.output
    again = imported("reverse", last, "--reason", "again", "--date", "2024-12-01")
    assert again.exit_code == 1 and "already been reversed" in again.stderr
    assert imported("period", "close", "2024-12").exit_code == 0
    closed = imported("reverse", str(int(last) - 1), "--reason", "late", "--date", "2024-12-02")
    assert closed.exit_code == 1 and "period 2024-12 is closed" in closed.stderr
    assert imported("period", "list").output.split() == ["2024-12"]
    assert imported("verify").exit_code == 0


def test_closing_a_month_with_receipts_still_unvalued_warns(imported):
    """The sample leaves receipt KV-PN-2024-0002 (2024-01-28) without its EUR rate: once the
    month is closed, posting it again there is refused, so closing says so (and still closes)."""
    quiet = imported("period", "close", "2024-02")
    assert quiet.exit_code == 0 and "UAH value pending" not in quiet.stderr
    # months close in order: the earlier open ones still change February's opening balances
    assert "earlier months with entries are still open (2022-" in quiet.stderr
    result = imported("period", "close", "2024-01")
    assert result.exit_code == 0 and result.stdout.strip() == "period 2024-01 closed"
    assert "1 receipt line(s) of 2024-01 still have their UAH value pending" in result.stderr
    assert "KV-PN-2024-0002 HEL-2024-001/1" in result.stderr


def test_template_writes_headers(tmp_path):
    result = CliRunner().invoke(main, ["template", str(tmp_path / "t")])
    assert result.exit_code == 0
    header = (tmp_path / "t" / "receipts.csv").read_text().strip().split(",")
    assert header[:3] == ["receipt_ref", "shipment_ref", "line_no"]
    assert {"received", "short", "damaged", "excess", "remarks"} <= set(header)


def test_demo_writes_outputs_and_replaces_its_own_ledger(tmp_path, sample_dir):
    """Into a folder as a previous demo left it (its marker beside its ledger): that ledger is
    replaced, as `make demo` run twice needs (a ledger without the marker is refused:
    tests/test_cli_safety.py). One full run: they take ~20 s."""
    out = tmp_path / "out"
    out.mkdir()
    (out / ".aidledger-demo").write_text("made by the demo\n", encoding="utf-8")
    (out / "aidledger.db").write_bytes(b"a previous demo's ledger")
    (out / "aidledger.db-wal").write_bytes(b"its WAL")
    (out / "my-notes.txt").write_text("not the demo's", encoding="utf-8")
    os.utime(out / "my-notes.txt", (1_600_000_000, 1_600_000_000))  # written long before
    result = CliRunner().invoke(main, ["demo", "--data", str(sample_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "verify: intact" in result.output
    assert (out / "aidledger.db").read_bytes().startswith(b"SQLite format 3\x00")
    assert (out / ".aidledger-demo").is_file()  # so the next run replaces it again
    assert ".aidledger-demo" not in result.output
    assert "my-notes.txt" not in result.output and str(out / "reconciliation.csv") in result.output
    # it prints the count of every severity but lists the errors alone: it says so
    assert "the error findings:" in result.output and "warnings and info too" in result.output
    assert (out / "reconciliation.csv").exists() and (out / "aidledger.db").exists()
    plain = (out / "reconciliation.csv").read_text(encoding="utf-8").splitlines()
    header, tags, *rows = (out / "reconciliation-hxl.csv").read_text(encoding="utf-8").splitlines()
    assert tags.startswith("#org+funder+code,") and [header, *rows] == plain  # same rows, tagged


def test_csv_output_neutralises_formula_text(run, tmp_path):
    (tmp_path / "parties.csv").write_text("code,name,kind,country\nX,x,city,UA\n", encoding="utf-8")
    (tmp_path / "items.csv").write_text(
        'code,name,unit,hs_code,category,tracks_expiry\nEVIL,"=HYPERLINK(""http://x"",""y"")",pcs,300490,other,false\n',
        encoding="utf-8",
    )
    assert run("import", str(tmp_path)).exit_code == 0
    from reports.tabular import to_csv

    text = to_csv(
        ["name", "n"],
        [{"name": "=1+2", "n": Decimal("-5")}, {"name": "@SUM(A1)", "n": Decimal("1.50")}],
    )
    assert "'=1+2" in text and "'@SUM(A1)" in text and ",-5" in text and ",1.5" in text


def test_missing_path_is_a_clear_error(run):
    result = run("import", str(Path("/nonexistent/file.csv")))
    assert result.exit_code == 1 and "no such file" in result.stderr


def test_one_event_at_a_time_from_the_command_line(run):
    steps = [
        ["pledge", "--pledge-ref", "P-1", "--line-no", "1", "--date", "2023-05-02", "--donor", "PRAGUE",
         "--recipient", "KYIV", "--item", "GEN", "--quantity", "10", "--unit-value", "25000", "--currency", "CZK"],
        ["dispatch", "--shipment-ref", "S-1", "--line-no", "1", "--dispatch-date", "2023-05-10",
         "--donor", "PRAGUE", "--recipient", "KYIV", "--item", "GEN", "--quantity", "10",
         "--unit-value", "25000", "--currency", "CZK", "--pledge-ref", "P-1", "--pledge-line", "1"],
        ["customs", "--shipment-ref", "S-1", "--event", "arrived", "--date", "2023-05-12"],
        ["customs", "--shipment-ref", "S-1", "--event", "released", "--date", "2023-05-13"],
        ["receive", "--receipt-ref", "GRN-1", "--shipment-ref", "S-1", "--line-no", "1", "--date",
         "14.05.2023", "--warehouse", "WH1", "--received", "9", "--short", "1", "--remarks", "1 missing"],
        ["distribute", "--distribution-ref", "DA-1", "--line-no", "1", "--date", "2023-05-20",
         "--recipient", "KYIV", "--warehouse", "WH1", "--beneficiary", "HOSP", "--item", "GEN", "--quantity", "2"],
        ["write-off", "--writeoff-ref", "WO-1", "--line-no", "1", "--date", "2023-06-01", "--recipient",
         "KYIV", "--warehouse", "WH1", "--item", "GEN", "--quantity", "1", "--reason", "damaged"],
        ["transfer", "--transfer-ref", "TR-1", "--line-no", "1", "--date", "2023-06-02",
         "--from-warehouse", "WH1", "--to-warehouse", "WHL", "--item", "GEN", "--quantity", "1"],
    ]  # fmt: skip
    from ledger.api import Ledger
    from tests import factories as f

    with Ledger(run.url, migrate=False) as led:
        f.world(led)
    entries = []
    for step in steps:
        result = run(*step)
        assert result.exit_code == 0, (step[0], result.output, result.stderr)
        assert ": new (entry " in result.output  # the id `reverse` takes
        entries.append(int(result.output.split("(entry ")[1].split(")")[0]))
    assert entries == sorted(entries) and len(set(entries)) == len(steps)
    assert run(*steps[0]).output.strip() == f"pledge PRAGUE/P-1/1: unchanged (entry {entries[0]})"
    rows = list(csv.DictReader(io.StringIO(run("reconcile", "--format", "csv").output)))
    (gen,) = [r for r in rows if r["item"] == "GEN"]
    assert (
        gen["received"],
        gen["short"],
        gen["distributed"],
        gen["written_off"],
        gen["in_stock"],
    ) == ("9", "1", "2", "1", "6")
    undone = run("reverse", str(entries[-1]), "--reason", "wrong warehouse")
    assert undone.exit_code == 0 and f"entry {entries[-1]} reversed" in undone.output
    bad = run("receive", "--receipt-ref", "GRN-2", "--shipment-ref", "S-1", "--line-no", "1",
              "--date", "2023-05-14", "--warehouse", "WH1", "--received", "-3")  # fmt: skip
    assert bad.exit_code == 1 and "--received: must not be negative" in bad.stderr
    across = run("receive", "--receipt-ref", "GRN-2", "--shipment-ref", "S-1", "--line-no", "1",
                 "--date", "2023-05-14", "--warehouse", "WH1", "--received", "1", "--excess", "2")  # fmt: skip
    assert across.exit_code == 1 and "--excess: excess is part of received" in across.stderr


def test_a_folder_without_files_is_an_error(run, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("import", str(tmp_path / "empty"))
    assert result.exit_code == 1 and "no .csv or .xlsx files" in result.stderr


def test_verify_exits_1_naming_the_entry_edited_in_the_database(imported):
    from sqlalchemy import create_engine, text

    from ledger.db import guards

    engine = create_engine(imported.url)
    with engine.begin() as conn:
        for statement in guards.drop_statements("sqlite"):
            conn.execute(text(statement))
        conn.execute(text("UPDATE posting SET quantity = '1' WHERE entry_id = 7"))
    engine.dispose()
    result = imported("verify")
    assert result.exit_code == 1
    assert "entry 7 " in result.stderr and "changed" in result.stderr


def test_large_import_says_what_it_is_doing(run, sample_dir, tmp_path, monkeypatch):
    """Long imports announce the read and the final write around the progress bar."""
    import cli

    monkeypatch.setattr(cli, "LARGE_INPUT", 1)
    result = run("import", str(sample_dir))
    assert result.exit_code == 0, result.stderr
    assert "reading and checking" in result.stderr


def test_long_work_draws_a_bar_then_says_what_it_still_waits_for(imported, monkeypatch):
    """`import` and `verify` draw a progress bar on stderr when the work is long (here: made
    long by lowering the threshold), then say what the command is still doing."""
    import cli
    from ledger import journal

    monkeypatch.setattr(cli, "PROGRESS_MIN", 10)
    monkeypatch.setattr(journal, "PROGRESS_ENTRIES", 5)
    verified = imported("verify")
    assert verified.exit_code == 0 and "ledger intact" in verified.stdout
    assert "verifying" in verified.stderr
    assert verified.stderr.rstrip().endswith(
        "entries verified; comparing records and running balances…"
    )
    again = imported("import", str(ROOT / "sample_data"))
    assert again.exit_code == 0 and "booking" in again.stderr
    assert again.stderr.rstrip().endswith("all rows booked; finishing…")
    monkeypatch.setattr(cli, "PROGRESS_MIN", 10**9)  # short work: no bar, no message
    quiet = imported("verify")
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_verify_reports_its_progress_through_the_api(imported, monkeypatch):
    from ledger import journal
    from ledger.api import Ledger

    monkeypatch.setattr(journal, "PROGRESS_ENTRIES", 7)
    calls: list[tuple[int, int]] = []
    with Ledger(imported.url) as led:
        result = led.verify(lambda done, total: calls.append((done, total)))
    n = result.entries
    assert result.ok and n > 20
    assert calls[-1] == (n, n)
    assert [d for d, _ in calls[:-1]] == list(range(7, n + 1, 7))
    assert {total for _, total in calls} == {n}


def test_a_database_that_cannot_be_used_is_an_error_not_a_traceback(tmp_path):
    """Nothing listens on port 1; a file of text is no SQLite database. The password given in
    the URL is not shown."""
    garbage = tmp_path / "notes.db"
    garbage.write_text("not a ledger " * 100, encoding="utf-8")
    for db, why in [("postgresql://nobody:s3cret@127.0.0.1:1/x", "connection"),
                    (str(garbage), "file is not a database")]:  # fmt: skip
        result = CliRunner().invoke(main, ["--db", db, "balance"], catch_exceptions=False)
        assert result.exit_code == 1, result.output
        assert "cannot be used" in result.output and why in result.output, result.output
        assert "Traceback" not in result.output and "s3cret" not in result.output
    assert garbage.read_text(encoding="utf-8").startswith("not a ledger")


def test_read_only_commands_refuse_a_path_with_no_ledger(tmp_path):
    """A mistyped --db answered from a new, empty ledger (and left the file behind)."""
    missing = tmp_path / "typo" / "ledger.db"
    for args in (["balance"], ["reconcile"], ["verify"], ["check"],
                 ["export", "hledger", "--out", str(tmp_path / "x.journal")],
                 ["report", "reconciliation", "--out", str(tmp_path / "r.csv")]):  # fmt: skip
        result = CliRunner().invoke(main, ["--db", str(missing), *args], catch_exceptions=False)
        # `check` keeps exit 1 for error findings: it refuses what it cannot check with 2
        assert result.exit_code == (2 if args == ["check"] else 1), (args, result.output)
        assert f"no ledger at {missing}" in result.output, result.output
    assert not missing.parent.exists()


def test_import_starts_a_new_ledger(tmp_path, sample_dir):
    """Keeps the refusal to the readers: import (a writer) makes the file and its folder."""
    db = tmp_path / "new" / "ledger.db"
    result = CliRunner().invoke(main, ["--db", str(db), "import", str(sample_dir)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["--db", str(db), "verify"])
    assert result.exit_code == 0, result.output


def test_an_unknown_party_is_refused_not_answered_with_nothing(imported, tmp_path):
    for args in (["reconcile", "--donor", "PRAGUEE"], ["reconcile", "--recipient", "KYYIV"],
                 ["report", "reconciliation", "--donor", "PRAGUEE",
                  "--out", str(tmp_path / "r.csv")]):  # fmt: skip
        result = imported(*args)
        assert result.exit_code == 1, (args, result.output)
        assert "no party 'PRAGUEE' in the ledger" in result.output or "'KYYIV'" in result.output
    assert not (tmp_path / "r.csv").exists()
    known = imported("reconcile", "--donor", "PRAGUE", "--format", "csv")  # keeps it quiet
    assert known.exit_code == 0 and known.output.count("\n") > 2
    # a party in the other role: an empty answer read as "nothing this time"
    for args in (["reconcile", "--donor", "KYIV"],
                 ["report", "reconciliation", "--donor", "KYIV", "--out", str(tmp_path / "k.pdf")]):  # fmt: skip
        result = imported(*args)
        assert (
            result.exit_code == 1 and "KYIV has no pledges or shipments as donor" in result.output
        )
    assert not (tmp_path / "k.pdf").exists()


def test_an_unsupported_database_or_an_entry_id_out_of_range_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["--db", "mysql://x/y", "balance"], catch_exceptions=False)
    assert result.exit_code == 1 and "unsupported database 'mysql'" in result.output
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "l.db"), "reverse", "9" * 25,
                                       "--reason", "x"])  # fmt: skip
    assert result.exit_code == 2 and "is not in the range" in result.output


def test_an_export_to_standard_output(imported):
    """/dev/stdout is a pipe here: written into as it is, not replaced by a file."""
    done = subprocess.run([sys.executable, "cli.py", "--db", imported.url, "export", "hxl",
                           "--out", "/dev/stdout"], cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith("#org+funder+code")


@pytest.mark.postgres
def test_a_postgresql_database_not_in_utf8_is_refused_clearly(pg):
    """In SQL_ASCII the driver hands text back as bytes: every command crashed obscurely."""
    from psycopg import sql

    with pg._admin_connection() as conn:
        conn.execute(sql.SQL("CREATE DATABASE ascii_ledger ENCODING 'SQL_ASCII' TEMPLATE template0 "
                             "LC_COLLATE 'C' LC_CTYPE 'C'"))  # fmt: skip
    try:
        for command in (["import", str(ROOT / "sample_data")], ["balance"]):
            result = CliRunner().invoke(main, ["--db", pg.url("ascii_ledger"), *command])
            assert result.exit_code == 1, result.output
            assert "uses the SQL_ASCII encoding; AidLedger needs UTF8" in result.output
            assert "Traceback" not in result.output
    finally:
        pg.drop_database("ascii_ledger")


def test_refused_writes_into_a_new_path_leave_no_ledger_behind(tmp_path, sample_dir):
    """A refused import (or one-event command) into a new path left an empty ledger file and
    its folders: the ledger "exactly as before" is no file at all."""
    bad = tmp_path / "in" / "parties.csv"
    bad.parent.mkdir()
    bad.write_text("code,name\nX,\n", encoding="utf-8")
    db = tmp_path / "new" / "deeper" / "ledger.db"
    result = CliRunner().invoke(main, ["--db", str(db), "import", str(bad)])
    assert result.exit_code == 1 and "nothing was written" in result.output, result.output
    assert not (tmp_path / "new").exists()
    receive = ["receive", "--receipt-ref", "G", "--shipment-ref", "S", "--line-no", "1",
               "--date", "2024-01-01", "--warehouse", "W", "--received", "1"]  # fmt: skip
    result = CliRunner().invoke(main, ["--db", str(db), *receive])
    assert result.exit_code == 1 and "unknown shipment" in result.output, result.output
    assert not (tmp_path / "new").exists()
    # an empty file stays an empty file
    empty = tmp_path / "empty.db"
    empty.touch()
    result = CliRunner().invoke(main, ["--db", str(empty), "import", str(bad)])
    assert result.exit_code == 1 and empty.stat().st_size == 0
    assert not Path(f"{empty}-wal").exists()
    # a ledger that was there stays, refusal or not
    assert CliRunner().invoke(main, ["--db", str(db), "import", str(sample_dir)]).exit_code == 0
    before = CliRunner().invoke(main, ["--db", str(db), "export", "bundle", "--out",
                                       str(tmp_path / "b1")])  # fmt: skip
    assert before.exit_code == 0, before.output
    assert CliRunner().invoke(main, ["--db", str(db), "import", str(bad)]).exit_code == 1
    assert db.exists() and CliRunner().invoke(main, ["--db", str(db), "verify"]).exit_code == 0
    after = CliRunner().invoke(main, ["--db", str(db), "export", "bundle", "--out",
                                      str(tmp_path / "b2")])  # fmt: skip
    assert after.exit_code == 0
    assert {p.name: p.read_bytes() for p in (tmp_path / "b1").iterdir()} == {
        p.name: p.read_bytes() for p in (tmp_path / "b2").iterdir()}  # fmt: skip


@pytest.mark.postgres
def test_a_refused_first_import_leaves_an_empty_postgresql_database_empty(pg, tmp_path):
    """It left the ledger's tables behind, and `balance` then answered from an empty ledger
    where SQLite (no file) refuses the mistyped --db."""
    from sqlalchemy import create_engine, inspect

    bad = tmp_path / "parties.csv"
    bad.write_text("code,name\nX,\n", encoding="utf-8")
    url = pg.create_database("refused_first")
    result = CliRunner().invoke(main, ["--db", url, "import", str(bad)])
    assert result.exit_code == 1 and "nothing was written" in result.output, result.output
    assert "note: starting a new ledger in postgresql" in result.stderr
    engine = create_engine(url)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
        functions = "SELECT count(*) FROM pg_proc WHERE starts_with(proname, 'aidledger')"
        assert conn.exec_driver_sql(functions).scalar() == 0
    engine.dispose()
    result = CliRunner().invoke(main, ["--db", url, "balance"])
    assert result.exit_code == 1 and "no ledger in" in result.output, result.output
    # once it holds something, a refusal leaves it as it was
    good = tmp_path / "ok" / "parties.csv"
    good.parent.mkdir()
    good.write_text("code,name,kind,country\nX,Xity,city,UA\n", encoding="utf-8")
    assert CliRunner().invoke(main, ["--db", url, "import", str(good)]).exit_code == 0
    assert CliRunner().invoke(main, ["--db", url, "import", str(bad)]).exit_code == 1
    result = CliRunner().invoke(main, ["--db", url, "verify"])
    assert result.exit_code == 0, result.output


@pytest.mark.postgres
def test_a_new_postgresql_ledger_another_command_has_opened_is_not_taken_out(pg, sample_dir):
    """A refused first import took the new schema out under a command that had opened the
    ledger too and not yet taken the writer lock: its good import then failed on a missing
    table. While another session is connected, the schema stays."""
    from ledger.api import Ledger

    url = pg.create_database("opened_twice")
    first = Ledger(url)
    assert first.created
    other = Ledger(f"{url}?application_name=another+command")  # another process's command
    try:
        assert not first.drop_if_empty()
        assert other.import_files([sample_dir]).new > 0
    finally:
        other.close()
        first.close()


def test_another_applications_database_is_refused_and_left_alone(tmp_path, sample_dir):
    """A read-only command (or an import) given another application's SQLite file laid the
    ledger's schema into it; an empty file became a ledger on `balance`."""
    import sqlite3

    other = tmp_path / "notes.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
        conn.execute("INSERT INTO notes VALUES (1)")
    conn.close()
    before = other.read_bytes()
    empty = tmp_path / "empty.db"
    empty.touch()
    for args in (["balance"], ["verify"], ["import", str(sample_dir)]):
        result = CliRunner().invoke(main, ["--db", str(other), *args], catch_exceptions=False)
        assert result.exit_code == 1, (args, result.output)
        assert f"{other} is not a ledger: it holds other tables (notes)" in result.output
    assert other.read_bytes() == before
    result = CliRunner().invoke(main, ["--db", str(empty), "balance"], catch_exceptions=False)
    assert result.exit_code == 1 and "no ledger in" in result.output, result.output
    assert empty.stat().st_size == 0
    # an empty file is a new database to a writer
    result = CliRunner().invoke(main, ["--db", str(empty), "import", str(sample_dir)])
    assert result.exit_code == 0, result.output
    # another application that keeps its schema with Alembic too
    alembic_app = tmp_path / "app.db"
    with sqlite3.connect(alembic_app) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES ('deadbeef1234')")
        conn.execute("CREATE TABLE users (id INTEGER)")
    conn.close()
    before = alembic_app.read_bytes()
    for args in (["balance"], ["import", str(sample_dir)]):
        result = CliRunner().invoke(main, ["--db", str(alembic_app), *args])
        assert result.exit_code == 1 and "'deadbeef1234' is not one of ours" in result.output
        assert "Traceback" not in result.output
    assert alembic_app.read_bytes() == before


def test_a_malformed_month_to_close_is_bad_usage(imported):
    """`period close 2023-13` exited 1 (a refusal) where a bad `--period` exits 2."""
    result = imported("period", "close", "2023-13")
    assert result.exit_code == 2 and "is not a month" in result.output


def test_closing_a_month_after_its_earlier_months_is_quiet(run, sample_dir, tmp_path):
    """Closing a month while an earlier one with entries stayed open said nothing, and
    postings there then changed the closed month's accounting pack."""
    from ledger.api import Ledger

    assert run("import", str(sample_dir)).exit_code == 0
    with Ledger(run.url) as led:
        months = sorted({d.strftime("%Y-%m") for d in _entry_dates(led)})
    for month in months[:3]:
        result = run("period", "close", month)
        assert result.exit_code == 0 and "earlier months" not in result.stderr, result.stderr
    skipped = run("period", "close", months[4])
    assert f"earlier months with entries are still open ({months[3]})" in skipped.stderr


def _entry_dates(led):
    from sqlalchemy import select

    from ledger.db import tables as t

    with led.engine.connect() as conn:
        return list(conn.execute(select(t.Entry.date).distinct()).scalars())


def test_the_readme_finds_an_entry_id_with_entries_and_reverses_it(imported):
    """The README's way to a correction: `entries --ref` shows the id that `reverse` takes."""
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    ref = re.search(r"aidledger entries --ref (\S+)", text).group(1)
    entry_id = int(re.search(r"aidledger reverse (\d+) --reason", text).group(1))
    found = imported("entries", "--ref", ref, "--format", "json")
    assert found.exit_code == 0, found.output
    assert [e["id"] for e in json.loads(found.output)] == [entry_id]
    assert imported("reverse", str(entry_id), "--reason", "wrong warehouse").exit_code == 0
    after = json.loads(imported("entries", "--ref", ref, "--format", "json").output)
    assert [(e["id"], e["reverses"], e["reversed_by"]) for e in after] == [
        (entry_id, None, entry_id + 1), (entry_id + 1, entry_id, None)]  # fmt: skip


def test_entries_filters_by_kind_and_dates_and_names_kinds_the_journal_has(imported):
    from cli import ENTRY_KINDS

    rows = json.loads(imported("entries", "--format", "json").output)
    assert {r["kind"] for r in rows} == set(ENTRY_KINDS)  # the sample books every kind
    some = json.loads(imported("entries", "--kind", "receipt", "--from", "01.01.2024", "--to",
                               "2024-01-31", "--format", "json").output)  # fmt: skip
    expected = [r["id"] for r in rows
                if r["kind"] == "receipt" and "2024-01-01" <= r["date"] <= "2024-01-31"]  # fmt: skip
    assert expected and [r["id"] for r in some] == expected
    newest = json.loads(imported("entries", "--kind", "receipt", "--last", "2", "--format",
                                 "json").output)  # fmt: skip
    assert [r["id"] for r in newest] == [r["id"] for r in rows if r["kind"] == "receipt"][-2:]


def test_a_date_option_names_what_is_wrong_with_the_date(imported):
    result = imported("check", "--as-of", "2024-02-30")
    assert result.exit_code == 2 and "not a real date (day is out of range" in result.stderr
    result = imported("reverse", "1", "--reason", "x", "--date", "2024/01/01")
    assert result.exit_code == 2 and "use YYYY-MM-DD or DD.MM.YYYY" in result.stderr


def test_a_conflicting_event_row_says_which_entry_to_reverse(run, tmp_path):
    files = ROOT / "sample_data"
    assert run("import", str(files)).exit_code == 0
    receipts = (files / "receipts.csv").read_text(encoding="utf-8").splitlines()
    header, first = receipts[0].split(","), receipts[1].split(",")
    i = header.index("received")
    changed = first.copy()
    changed[i] = str(Decimal(first[i]) + 1)
    (tmp_path / "receipts.csv").write_text("\n".join([receipts[0], ",".join(changed)]) + "\n",
                                            encoding="utf-8")  # fmt: skip
    result = run("import", str(tmp_path / "receipts.csv"))
    ref = "/".join(first[header.index(c)] for c in ("receipt_ref", "shipment_ref", "line_no"))
    found = json.loads(run("entries", "--ref", f"receipt:{ref}", "--format", "json").output)
    assert result.exit_code == 1
    assert f"reverse entry {found[0]['id']} (aidledger reverse {found[0]['id']}" in result.stderr


def _posted(run, *args: str) -> int:
    """Post one event through its command; the entry id it printed."""
    result = run(*args)
    assert result.exit_code == 0, (result.output, result.stderr)
    return int(result.output.split("(entry ")[1].split(")")[0])


SHIP_S1 = ["dispatch", "--shipment-ref", "S-1", "--line-no", "1", "--dispatch-date", "2023-05-10",
           "--donor", "PRAGUE", "--recipient", "KYIV", "--item", "GEN", "--quantity", "10",
           "--unit-value", "25000", "--currency", "CZK"]  # fmt: skip
RECEIVE_S1 = ["receive", "--receipt-ref", "GRN-1", "--shipment-ref", "S-1", "--line-no", "1",
              "--date", "2023-05-14", "--warehouse", "WH1", "--received", "10"]  # fmt: skip


def test_a_one_event_conflict_speaks_of_the_command_not_a_file(run):
    """A receipt posted again with a remark said "remarks: ledger has None, file has 'NOSUCH'
    … then import the row again", though no file was involved."""
    from ledger.api import Ledger
    from tests import factories as f

    with Ledger(run.url, migrate=False) as led:
        f.world(led)
    _posted(run, *SHIP_S1)
    entry = _posted(run, *RECEIVE_S1)
    result = run(*RECEIVE_S1, "--remarks", "NOSUCH")
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "remarks: ledger has (blank), the command has 'NOSUCH'" in message
    assert f"reverse entry {entry} (aidledger reverse {entry} --reason …), then post it again" in (
        message
    )
    assert "file" not in message and "None" not in message


def test_an_unchanged_event_posted_again_after_its_reversal_is_booked_again_not_corrected(run):
    """Re-posting the very receipt whose entry was reversed printed "corrected"; nothing was
    corrected: the same record is booked again (an import says of it "not booked again")."""
    from ledger.api import Ledger
    from tests import factories as f

    with Ledger(run.url, migrate=False) as led:
        f.world(led)
    _posted(run, *SHIP_S1)
    entry = _posted(run, *RECEIVE_S1)
    assert run("reverse", str(entry), "--reason", "valued without a rate").exit_code == 0
    again = run(*RECEIVE_S1)
    assert again.exit_code == 0, again.stderr
    assert again.output.startswith("receive GRN-1/S-1/1: booked again (entry ")
    changed = run("reverse", again.output.split("(entry ")[1].split(")")[0], "--reason", "9")
    assert changed.exit_code == 0
    corrected = run(*RECEIVE_S1[:-1], "9", "--short", "1")  # a changed record: a correction
    assert corrected.output.startswith("receive GRN-1/S-1/1: corrected (entry ")


def test_the_one_event_help_examples_book_in_order_on_the_sample_ledger(imported):
    """Each one-event command's `--help` example is a step of one sequence that books."""
    import shlex

    for command in ("pledge", "dispatch", "customs", "receive", "distribute", "write-off",
                    "transfer"):  # fmt: skip
        shown = imported(command, "--help").output
        examples = [ln.strip() for ln in shown.splitlines()
                    if ln.strip().startswith(f"aidledger {command} ")]  # fmt: skip
        assert examples, command
        for example in examples:
            result = imported(*shlex.split(example)[1:])
            assert result.exit_code == 0, (example, result.output)
            assert ": new (entry " in result.output


def test_verify_document_of_a_missing_file_says_the_file_is_missing(imported, tmp_path):
    result = imported("verify-document", str(tmp_path / "pack.pdf"))
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_one_event_options_say_what_they_take(run):
    """A choice lists its values, a date its forms; --received says that excess is part of it."""
    customs = " ".join(run("customs", "--help").output.split())
    assert "--event TEXT one of: arrived, released, held, rejected" in customs
    assert "--date TEXT a date, YYYY-MM-DD or DD.MM.YYYY" in customs
    receive = " ".join(run("receive", "--help").output.split())
    assert "--received TEXT units taken into the warehouse, any excess included" in receive
    assert (
        "--expiry TEXT expiry date of the batch loaded; required for items that track expiry; "
        "a date, YYYY-MM-DD or DD.MM.YYYY"
    ) in " ".join(run("dispatch", "--help").output.split())


def test_a_command_starting_a_new_ledger_says_so(tmp_path, sample_dir):
    """A mistyped --db must not quietly fill a second ledger: the first write says where."""
    db = tmp_path / "typo" / "ledgr.db"
    first = CliRunner().invoke(main, ["--db", str(db), "import", str(sample_dir / "parties.csv")])
    assert first.exit_code == 0 and f"note: starting a new ledger in {db}" in first.stderr
    again = CliRunner().invoke(main, ["--db", str(db), "import", str(sample_dir / "items.csv")])
    assert again.exit_code == 0 and "starting a new ledger" not in again.stderr


@pytest.mark.parametrize("args", [["donor-pack", "--donor", "PRAGUE"],
                                  ["customs-pack", "HEL-2023-001"]])  # fmt: skip
def test_a_pack_out_of_another_format_is_refused_before_any_work(run, tmp_path, args):
    """`report donor-pack --out d.csv` wrote the pack's first table alone, exit 0, as if it
    were the pack (and the docs offered a `--format` it does not have): a pack's --out suffix
    chooses its format, .pdf, .xlsx or .html, and anything else is bad usage."""
    out = tmp_path / "pack.csv"
    result = run("report", *args, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert "--out must end in .pdf, .xlsx or .html" in result.output
    assert not out.exists()
