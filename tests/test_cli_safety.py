"""The command line refuses what would lose data or act on nothing: a demo over a user's
ledger, an in-memory or malformed database URL, a mistyped account; and exits as documented."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from ledger.api import Ledger
from tests.conftest import SAMPLE


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# ---------------------------------------------------------------- demo


def test_demo_refuses_a_ledger_it_did_not_make(tmp_path):
    """`demo --out .` deleted the user's own aidledger.db; now it is refused, untouched."""
    for name in ("aidledger.db", "aidledger.db-wal"):
        folder = tmp_path / name.replace(".", "_")
        folder.mkdir()
        theirs = folder / name
        theirs.write_bytes(b"SQLite format 3\x00 the user's real ledger")
        result = cli("demo", "--out", str(folder))
        assert result.exit_code == 1, result.output
        assert result.stderr.strip() == (
            f"error: {folder} holds a ledger the demo did not make (aidledger.db): give another "
            "--out, or move it away"
        )
        assert "Traceback" not in result.output
        assert theirs.read_bytes() == b"SQLite format 3\x00 the user's real ledger"
        assert sorted(p.name for p in folder.iterdir()) == [name]  # nothing else written


# ---------------------------------------------------------------- database URLs

IN_MEMORY = (
    "error: an in-memory SQLite database keeps nothing: give a file, e.g. sqlite:///aidledger.db"
)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite:///:memory:",
                                 "sqlite:///file::memory:?uri=true"])  # fmt: skip
@pytest.mark.parametrize("command", [["verify"], ["balance"], ["import", "SAMPLE"], ["check"],
                                     ["export", "hxl", "--out", "h.csv"]])  # fmt: skip
def test_an_in_memory_database_is_refused(url, command, sample_dir, tmp_path, monkeypatch):
    """It acted as an empty ledger: verify said intact, an import said rows new, then they
    were gone. (`--db sqlite:///$UNSET` is `sqlite:///`.)"""
    monkeypatch.chdir(tmp_path)
    args = [str(sample_dir) if a == "SAMPLE" else a for a in command]
    result = cli("--db", url, *args)
    code = 2 if command == ["check"] else 1  # `check`: not checked (docs/rules.md)
    assert (result.exit_code, result.stderr.strip()) == (code, IN_MEMORY)
    assert result.stdout == "" and list(tmp_path.iterdir()) == []


def test_an_in_memory_database_is_refused_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIDLEDGER_DB", "sqlite:///")
    result = cli("verify")
    assert (result.exit_code, result.stderr.strip()) == (1, IN_MEMORY)


@pytest.mark.parametrize("command", [["verify"], ["import", "SAMPLE"]])
def test_an_sqlite_url_with_a_host_part_is_refused(command, sample_dir, tmp_path, monkeypatch):
    """`sqlite://tmp/x.db`: the import gave a traceback (Invalid SQLite URL), verify said "no
    ledger at x.db" (the host part dropped)."""
    monkeypatch.chdir(tmp_path)
    args = [str(sample_dir) if a == "SAMPLE" else a for a in command]
    result = cli("--db", "sqlite://tmp/x.db", *args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip() == (
        "error: sqlite://tmp/x.db is not a SQLite URL of a file: use sqlite:///relative/path.db "
        "or sqlite:////absolute/path.db (or just the path)"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_url_that_cannot_be_parsed_is_refused_without_its_password(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("--db", "postgresql://aid:secret@host:port/db", "verify")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith("error: postgresql://aid:***@host:port/db is not a database "
                                    "URL AidLedger can read")  # fmt: skip
    assert "secret" not in result.output


@pytest.mark.parametrize(("url", "right"), [
    ("sqlite:/tmp/w/x.db", "write sqlite:////tmp/w/x.db (or just the path, /tmp/w/x.db)"),
    ("sqlite:w/x.db", "write sqlite:///w/x.db (or just the path, w/x.db)"),
    ("SQLite:w/x.db", "write sqlite:///w/x.db (or just the path, w/x.db)"),
])  # fmt: skip
def test_an_sqlite_url_with_one_slash_is_refused(url, right, sample_dir, tmp_path, monkeypatch):
    """It was taken for a bare path: the import made a folder named `sqlite:` here."""
    monkeypatch.chdir(tmp_path)
    result = cli("--db", url, "import", str(sample_dir))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {url} is not a SQLite URL of a file: {right}"
    assert list(tmp_path.iterdir()) == []


def test_a_server_url_with_one_slash_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("--db", "postgresql:/aid@host/db", "import", "x.csv")
    assert result.exit_code == 1 and list(tmp_path.iterdir()) == []
    assert "postgresql:/aid@host/db is not a database URL" in result.stderr
    assert "postgresql://user@host/db" in result.stderr


# ---------------------------------------------------------------- exit codes


def test_without_a_ledger_check_says_not_checked_and_the_others_refuse(tmp_path, monkeypatch):
    """`check` answers 1 for error findings, so a missing ledger is 2 ("not checked",
    docs/rules.md); every other command refuses it with 1. Each says why on stderr."""
    monkeypatch.chdir(tmp_path)
    for command, code in ((["check"], 2), (["verify"], 1), (["balance"], 1)):
        result = cli("--db", "missing.db", *command)
        assert result.exit_code == code, command
        assert result.stderr.startswith("error: no ledger at missing.db"), command
    assert list(tmp_path.iterdir()) == []


def test_check_with_a_bad_rules_config_still_exits_2(tmp_path, sqlite_url):
    config = tmp_path / "rules.toml"
    config.write_text("[rules.NOPE-1]\n", encoding="utf-8")
    result = cli("--db", sqlite_url, "check", "--rules-config", str(config))
    assert result.exit_code == 2 and "unknown rule" in result.stderr


def test_explaining_an_unknown_rule_exits_1():
    result = cli("rules", "explain", "QLT-999")
    assert (result.exit_code, result.stderr) == (
        1, "error: no rule 'QLT-999'; see `aidledger rules list`\n")  # fmt: skip


# ---------------------------------------------------------------- balance --account


@pytest.fixture(scope="module")
def sample_ledger(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('safety') / 'sample.db'}"
    result = cli("--db", url, "import", str(SAMPLE))
    assert result.exit_code == 0, result.output
    return url


@pytest.mark.parametrize("by_lot", [[], ["--by-lot"]])
def test_balance_of_an_account_prefix_no_account_starts_with_is_refused(sample_ledger, by_lot):
    """`balance --account stock:KYYIV` printed an empty table (exit 0), while `reconcile
    --donor PRAHA` refuses "no party 'PRAHA'"."""
    result = cli("--db", sample_ledger, "balance", "--account", "stock:KYYIV", *by_lot)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("error: no account starts with 'stock:KYYIV'; did you mean "
                             "stock:KYIV, stock:LVIV, stock:KHARKIV?\n")  # fmt: skip
    wrong_case = cli("--db", sample_ledger, "balance", "--account", "stock:kyiv", *by_lot)
    assert wrong_case.exit_code == 1 and "did you mean stock:KYIV," in wrong_case.stderr
    nothing_like = cli("--db", sample_ledger, "balance", "--account", "zzz", *by_lot)
    assert nothing_like.stderr == "error: no account starts with 'zzz'\n"


def test_balance_of_an_account_that_holds_nothing_now_is_still_an_empty_answer(sample_ledger):
    """An account of the ledger whose goods all moved on (released from customs), and a prefix
    that is not a whole part of a name, answer as before."""
    empty = cli("--db", sample_ledger, "balance", "--account", "customs:BXL-2022-001",
                "--format", "csv")  # fmt: skip
    assert (empty.exit_code, empty.stdout) == (0, "account,commodity,quantity,value,currency\n")
    part = cli("--db", sample_ledger, "balance", "--account", "stock:KY", "--format", "csv")
    assert part.exit_code == 0 and "stock:KYIV:KYIV-WH-CENTRAL,CL-SOCKS-THERMAL" in part.stdout


# ---------------------------------------------------------------- read-only storage

READ_ONLY_NOTE = ("is not writable: SQLite needs to write the ledger's -wal and -shm files next "
                  "to it, so a ledger on read-only storage must be copied to writable storage "
                  "first)")  # fmt: skip


def test_a_ledger_in_a_read_only_folder_says_why_it_cannot_be_used():
    """It said only "cannot be used: unable to open database file" (or "attempt to write a
    readonly database"). Root writes into any folder, so as root the command runs as nobody
    (setpriv); the folder is made outside pytest's own (mode 700) so that nobody reaches it."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root, and no setpriv to run the command as another user")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        folder = Path(tmp) / "readonly"
        folder.mkdir()
        db = folder / "ledger.db"
        Ledger(f"sqlite:///{db}").close()  # a ledger (its schema), no -wal or -shm left
        before = db.read_bytes()
        db.chmod(0o666)
        folder.chmod(0o555)
        try:
            out = subprocess.run([*prefix, str(Path(sys.executable).parent / "aidledger"),
                                  "--db", str(db), "verify"], capture_output=True, text=True,
                                 cwd=tmp, timeout=120)  # fmt: skip
        finally:
            folder.chmod(0o755)
        assert out.returncode == 1, out.stderr
        assert out.stderr.startswith(f"error: the ledger database (sqlite:///{db}) cannot be used")
        assert f"({folder} {READ_ONLY_NOTE}" in out.stderr and "Traceback" not in out.stderr
        assert db.read_bytes() == before


def test_the_read_only_note_needs_an_existing_file_in_a_folder_not_writable(tmp_path):
    """The note alone, for a folder no user (root neither) can write: /proc/sys."""
    from cli import read_only_folder_note

    proc = Path("/proc/sys/kernel/hostname")
    if proc.is_file() and not os.access(proc.parent, os.W_OK):
        assert read_only_folder_note(proc) == f" ({proc.parent} {READ_ONLY_NOTE}"
    (tmp_path / "ledger.db").write_bytes(b"")
    assert read_only_folder_note(tmp_path / "ledger.db") == ""  # writable: another cause
    assert read_only_folder_note(Path("/proc/sys/kernel/no-such-ledger.db")) == ""
    assert read_only_folder_note(None) == ""
