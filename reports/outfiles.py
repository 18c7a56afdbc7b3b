"""Where exports and reports write: into the file the user named, never over the ledger.

An output path is what the user typed after `--out`, so it is taken as given: a symlink is
followed (the link stays, its target gets the content), a FIFO or device is written into as
it is, an existing file keeps its permissions and a new one gets the usual umask. Files are
still replaced whole, through a temporary file in the same folder, so a reader never sees half
an export. The one path refused is the ledger's own database (and its journal files).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from ledger.errors import LedgerError

LEDGER_SIDE_FILES = ("", "-wal", "-shm", "-journal")


def check_not_ledger(out: Path, database: str | None) -> None:
    """Refuse to write over an SQLite ledger's file (`database`: its path; None elsewhere)."""
    if not database or database == ":memory:":
        return
    target = os.path.realpath(out)
    ledger = os.path.realpath(database)
    if any(target == ledger + side for side in LEDGER_SIDE_FILES):
        raise LedgerError(f"{out} is the ledger's own database file; write to another file")


def new_file_mode(path: Path) -> int:
    """The permissions the file at `path` gets: its own if it exists, else 0666 less umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def replaced(path: Path, mode: str = "w", **open_args: object) -> Iterator[IO[str]]:
    """An open file whose content becomes `path`'s when the block ends without error."""
    if path.exists() and not path.is_file():  # a FIFO, a device, /dev/stdout: write into it
        with open(path, mode, **open_args) as out:  # type: ignore[call-overload]
            yield out
        return
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    permissions = new_file_mode(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        with open(name, mode, **open_args) as out:  # type: ignore[call-overload]
            yield out
        os.chmod(name, permissions)
        os.replace(name, target)
    finally:
        if os.path.exists(name):
            os.unlink(name)


def copy_into(source: IO[str], out: IO[str]) -> None:
    source.flush()
    source.seek(0)
    shutil.copyfileobj(source, out, 1 << 20)
