"""Where exports and reports write (`reports.outfiles`): the file the user named, as named.

Never the ledger's own database; a symlink's target rather than the link; a FIFO as it is; an
existing file keeps its permissions, a new one gets the umask. A bundle folder written again
loses the files of kinds that have no records any more.
"""

from __future__ import annotations

import csv
import os
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli import main
from ledger.api import Ledger
from ledger.db import tables as t

EXPORTS = [
    ("export", "hledger"),
    ("export", "beancount"),
    ("export", "hxl"),
    ("export", "iati", "--donor", "PRAGUE", "--org-ref", "CZ-ICO-00064581"),
]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("outfiles") / "ledger.db"
    with Ledger(f"sqlite:///{path}") as led:
        led.import_files([sample_dir])
    return path


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize("command", EXPORTS, ids=lambda c: " ".join(c[:2]))
def test_an_export_over_the_ledger_itself_is_refused(sample_db: Path, command: tuple[str, ...]):
    before = sample_db.read_bytes()
    for target in (sample_db, Path(f"{sample_db}-wal")):
        code, output = run(sample_db, *command, "--out", str(target))
        assert code == 1, output
        assert "is the ledger's own database file" in output
    assert sample_db.read_bytes() == before
    code, _ = run(sample_db, "verify")
    assert code == 0


def test_a_report_over_the_ledger_itself_is_refused(tmp_path: Path, sample_dir: Path):
    db = tmp_path / "recon.csv"  # a ledger whose name looks like a report
    with Ledger(f"sqlite:///{db}") as led:
        led.import_files([sample_dir])
    before = db.read_bytes()
    code, output = run(db, "report", "reconciliation", "--out", str(db))
    assert code == 1 and "is the ledger's own database file" in output, output
    assert db.read_bytes() == before
    code, output = run(db, "report", "reconciliation", "--out", str(tmp_path / "r.csv"))
    assert code == 0, output


def test_an_export_elsewhere_is_written(sample_db: Path, tmp_path: Path):
    """Keeps the guard quiet: a file beside the ledger is fine (and its folder is made)."""
    for command in EXPORTS:
        out = tmp_path / "new" / f"{command[1]}.out"
        code, output = run(sample_db, *command, "--out", str(out))
        assert code == 0, output
        assert out.stat().st_size > 0


def test_a_symlink_is_followed_and_permissions_are_kept(sample_db: Path, tmp_path: Path):
    target = tmp_path / "real.journal"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "books.journal"
    link.symlink_to(target)
    code, output = run(sample_db, "export", "hledger", "--out", str(link))
    assert code == 0, output
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8").startswith("; AidLedger journal")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_new_file_gets_the_umask(sample_db: Path, tmp_path: Path):
    old = os.umask(0o027)
    try:
        for fmt in ("hledger", "beancount"):
            out = tmp_path / f"books.{fmt}"
            code, output = run(sample_db, "export", fmt, "--out", str(out))
            assert code == 0, output
            assert stat.S_IMODE(out.stat().st_mode) == 0o640  # not mkstemp's 0600
    finally:
        os.umask(old)


def test_a_fifo_is_written_into(sample_db: Path, tmp_path: Path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    code, output = run(sample_db, "export", "beancount", "--out", str(fifo))
    reader.join(timeout=60)
    assert code == 0, output
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO, not replaced by a file
    assert b'option "title"' in received[0] and b" balance " in received[0]


def test_hxl_for_an_unknown_party_is_refused(sample_db: Path, tmp_path: Path):
    out = tmp_path / "x.csv"
    for option in ("--donor", "--recipient"):
        code, output = run(sample_db, "export", "hxl", option, "NOPE", "--out", str(out))
        assert code == 1 and "no party 'NOPE' in the ledger" in output, output
    assert not out.exists()


def test_a_bundle_written_again_drops_kinds_that_are_gone(tmp_path: Path, sample_dir: Path):
    """Write-offs reversed after the first export must not come back from the old file."""
    db = tmp_path / "l.db"
    with Ledger(f"sqlite:///{db}") as led:
        led.import_files([sample_dir])
    folder = tmp_path / "bundle"
    assert run(db, "export", "bundle", "--out", str(folder))[0] == 0
    assert (folder / "writeoffs.csv").exists()
    with (folder / "writeoffs.csv").open(encoding="utf-8") as f:
        refs = {(r["writeoff_ref"], r["line_no"]) for r in csv.DictReader(f)}
    with Ledger(f"sqlite:///{db}") as led, led.engine.connect() as conn:
        ids = conn.execute(select(t.WriteoffLine.entry_id)).scalars().all()
    assert len(ids) == len(refs)
    for entry_id in ids:
        code, output = run(db, "reverse", str(entry_id), "--reason", "booked in error")
        assert code == 0, output
    assert run(db, "export", "bundle", "--out", str(folder))[0] == 0
    assert not (folder / "writeoffs.csv").exists()
    copy = tmp_path / "copy.db"
    assert run(copy, "import", str(folder))[0] == 0
    with Ledger(f"sqlite:///{copy}") as b, b.engine.connect() as conn:
        assert conn.execute(select(t.WriteoffLine.id)).all() == []  # not booked again
    with Ledger(f"sqlite:///{db}") as a, Ledger(f"sqlite:///{copy}") as b:
        assert a.reconcile() == b.reconcile()


def test_a_bundle_folder_with_other_files_is_refused(sample_db: Path, tmp_path: Path):
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    code, output = run(sample_db, "export", "bundle", "--out", str(folder))
    assert code == 1 and "notes.csv" in output, output
    assert sorted(p.name for p in folder.iterdir()) == ["notes.csv"]
