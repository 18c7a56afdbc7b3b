"""The command line refuses what would lose data or act on nothing: a demo over a user's
ledger, an in-memory or malformed database URL, a mistyped account; and exits as documented."""

from __future__ import annotations

from click.testing import CliRunner

from cli import main


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


def test_demo_replaces_its_own_ledger(tmp_path):
    """A ledger the demo made (its marker beside it) is replaced: `make demo` runs twice. One
    full run (they take ~20 s): into a folder as a previous demo left it."""
    out = tmp_path / "out"
    out.mkdir()
    (out / ".aidledger-demo").write_text("made by the demo\n", encoding="utf-8")
    (out / "aidledger.db").write_bytes(b"a previous demo's ledger")
    (out / "aidledger.db-wal").write_bytes(b"its WAL")
    result = cli("demo", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "aidledger.db").read_bytes().startswith(b"SQLite format 3\x00")
    assert not (out / "aidledger.db-wal").exists() or (out / "aidledger.db-wal").stat().st_size
    assert (out / ".aidledger-demo").is_file()  # so the next run replaces it again
    assert ".aidledger-demo" not in result.stdout
