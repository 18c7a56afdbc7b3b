"""Throwaway PostgreSQL cluster for the test suite.

Starts a private cluster from the installed server binaries (initdb + pg_ctl)
in a fresh temporary directory, on a free TCP port on 127.0.0.1, with the unix
socket in that same directory. Durability is switched off for speed; the data
is thrown away on ``stop()``.

When running as root (sessions, CI) initdb/pg_ctl refuse to run, so they are
run as the ``postgres`` system user via ``runuser`` and the directory is
chowned to that user. Otherwise the binaries run as the current user.

Usage::

    with PgCluster() as pg:
        url = pg.create_database("aidledger_test")
        engine = sqlalchemy.create_engine(url)
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

__all__ = ["PgCluster", "find_pg_bindir"]

PG_SYSTEM_USER = "postgres"
SUPERUSER = "postgres"
HOST = "127.0.0.1"

_IDENTIFIER_RE = re.compile(r"[a-z_][a-z0-9_]*")
_MAX_IDENTIFIER_LEN = 63  # NAMEDATALEN - 1
_PORT_CLASH_MARKERS = ("could not bind", "Address already in use", "could not create lock file")
_START_ATTEMPTS = 3


def find_pg_bindir() -> Path | None:
    """Directory holding initdb/pg_ctl, or None when no server is installed.

    Prefers ``pg_config --bindir``; falls back to the highest
    ``/usr/lib/postgresql/<version>/bin`` that has initdb.
    """
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and _has_server_binaries(Path(out)):
            return Path(out)

    candidates = [
        p.parent
        for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")
        if _has_server_binaries(p.parent)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda bindir: _version_key(bindir.parent.name))


def _has_server_binaries(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in ("initdb", "pg_ctl"))


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name)) or (-1,)


def _validate_identifier(name: str, what: str = "database name") -> str:
    if (
        not isinstance(name, str)
        or len(name) > _MAX_IDENTIFIER_LEN
        or not _IDENTIFIER_RE.fullmatch(name)
    ):
        raise ValueError(
            f"invalid {what} {name!r}: must match [a-z_][a-z0-9_]* "
            f"and be at most {_MAX_IDENTIFIER_LEN} characters"
        )
    return name


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _conf_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


class PgCluster:
    """A private, disposable PostgreSQL cluster (see module docstring)."""

    def __init__(self, base_dir: Path | None = None, *, bindir: Path | None = None) -> None:
        # base_dir: parent directory for the temporary cluster directory
        # (default: the system temp dir). When root, the postgres user must be
        # able to traverse it.
        self._parent = Path(base_dir) if base_dir is not None else None
        self._bindir = Path(bindir) if bindir is not None else None
        self.base_dir: Path | None = None  # mkdtemp directory, removed on stop()
        self.port: int | None = None
        self.host = HOST
        self._running = False
        self._owner_pid: int | None = None
        self._as_root = os.geteuid() == 0

    # -- paths -----------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self._require_base() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._require_base()

    @property
    def log_path(self) -> Path:
        return self._require_base() / "server.log"

    def _require_base(self) -> Path:
        if self.base_dir is None:
            raise RuntimeError("PgCluster is not started")
        return self.base_dir

    # -- lifecycle -------------------------------------------------------
    def start(self) -> None:
        if self.base_dir is not None:
            raise RuntimeError("PgCluster already started")
        bindir = self._bindir or find_pg_bindir()
        if bindir is None:
            raise RuntimeError(
                "PostgreSQL server binaries not found (no pg_config --bindir with initdb, "
                "nothing in /usr/lib/postgresql/*/bin)"
            )
        self._bindir = bindir

        self.base_dir = Path(tempfile.mkdtemp(prefix="pgcluster-", dir=self._parent))
        self._owner_pid = os.getpid()
        atexit.register(self._atexit_stop)
        try:
            self._prepare_dir()
            self._initdb()
            self._write_config()
            self._start_server()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (immediate, falling back to a kill) and remove the directory."""
        with contextlib.suppress(Exception):
            atexit.unregister(self._atexit_stop)
        base = self.base_dir
        if base is None:
            return
        try:
            if self._running or (base / "data" / "postmaster.pid").exists():
                self._stop_server()
        finally:
            self._running = False
            self.base_dir = None
            self.port = None
            shutil.rmtree(base, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _atexit_stop(self) -> None:
        # Only the process that started the cluster may stop it (not forked children).
        if self._owner_pid == os.getpid():
            with contextlib.suppress(Exception):
                self.stop()

    # -- URLs and databases ----------------------------------------------
    def url(self, dbname: str = "postgres") -> str:
        _validate_identifier(dbname)
        if self.port is None:
            raise RuntimeError("PgCluster is not started")
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def create_database(self, name: str, template: str | None = None) -> str:
        _validate_identifier(name)
        if template is None:
            stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        else:
            _validate_identifier(template, "template name")
            stmt = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        with self._admin_connection() as conn:
            conn.execute(stmt)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        _validate_identifier(name)
        stmt = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        with self._admin_connection() as conn:
            conn.execute(stmt)

    def _admin_connection(self) -> psycopg.Connection:
        if self.port is None or not self._running:
            raise RuntimeError("PgCluster is not started")
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        )

    # -- internals -------------------------------------------------------
    def _prepare_dir(self) -> None:
        base = self._require_base()
        base.chmod(0o700)
        if not self._as_root:
            return
        try:
            pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            raise RuntimeError(
                f"running as root but there is no {PG_SYSTEM_USER!r} system user"
            ) from None
        if shutil.which("runuser") is None:
            raise RuntimeError("running as root but runuser is not available")
        for root, dirs, files in os.walk(base):
            for name in (*dirs, *files):
                shutil.chown(os.path.join(root, name), PG_SYSTEM_USER, PG_SYSTEM_USER)
        shutil.chown(base, PG_SYSTEM_USER, PG_SYSTEM_USER)
        check = self._run(["test", "-w", str(base), "-a", "-x", str(base)], timeout=30)
        if check.returncode != 0:
            raise RuntimeError(
                f"user {PG_SYSTEM_USER!r} cannot reach {base}; "
                "choose a base_dir whose parents are world-traversable"
            )

    def _cmd(self, argv: list[str]) -> list[str]:
        if self._as_root:
            return ["runuser", "-u", PG_SYSTEM_USER, "--", *argv]
        return argv

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        env["TZ"] = env.get("TZ", "UTC")
        return env

    def _run(self, argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._cmd(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self._env(),
            cwd=self._require_base(),
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def _bin(self, name: str) -> str:
        assert self._bindir is not None
        return str(self._bindir / name)

    def _initdb(self) -> None:
        res = self._run(
            [
                self._bin("initdb"),
                "-D", str(self.data_dir),
                "-A", "trust",
                "-U", SUPERUSER,
                "--encoding", "UTF8",
                "--locale", "C",
                "--no-sync",
                "--no-instructions",
            ],
            timeout=180,
        )  # fmt: skip
        if res.returncode != 0:
            raise RuntimeError(self._failure("initdb", res))

    def _write_config(self) -> None:
        settings = {
            "listen_addresses": _conf_quote(HOST),
            "unix_socket_directories": _conf_quote(str(self.socket_dir)),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "logging_collector": "off",
        }
        lines = [f"{k} = {v}" for k, v in settings.items()]
        # Appending keeps the file's owner (postgres) intact; later lines win.
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("\n# pgcluster.py\n" + "\n".join(lines) + "\n")

    def _start_server(self) -> None:
        last: subprocess.CompletedProcess[str] | None = None
        for _ in range(_START_ATTEMPTS):
            port = _free_port()
            # Port is passed on the command line so a clash can be retried with a new one.
            res = self._run(
                [
                    self._bin("pg_ctl"),
                    "start", "-w", "-t", "60",
                    "-D", str(self.data_dir),
                    "-l", str(self.log_path),
                    "-o", f"-p {port}",
                ],
                timeout=120,
            )  # fmt: skip
            if res.returncode == 0:
                self.port = port
                self._running = True
                return
            last = res
            log = self._log_tail()
            if not any(marker in log for marker in _PORT_CLASH_MARKERS):
                break
            self._stop_server()
            with contextlib.suppress(OSError):
                self.log_path.unlink()
        assert last is not None
        raise RuntimeError(self._failure("pg_ctl start", last))

    def _stop_server(self) -> None:
        # immediate: no shutdown checkpoint, whose writes (a session's databases) are thrown
        # away with the directory anyway (it was ~9 s at the end of the suite's PostgreSQL worker)
        for mode in ("immediate",):
            res = self._run(
                [
                    self._bin("pg_ctl"),
                    "stop", "-w", "-t", "30", "-m", mode,
                    "-D", str(self.data_dir),
                ],
                timeout=60,
            )  # fmt: skip
            if res.returncode == 0 or not self._postmaster_pid():
                return
        # Last resort: kill the postmaster we started.
        pid = self._postmaster_pid()
        if pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _pid_alive(pid):
                time.sleep(0.05)

    def _postmaster_pid(self) -> int | None:
        if self.base_dir is None:
            return None
        try:
            first = (self.data_dir / "postmaster.pid").read_text().splitlines()[0]
            pid = int(first.strip())
        except (OSError, IndexError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def _log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except (OSError, RuntimeError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _failure(self, what: str, res: subprocess.CompletedProcess[str]) -> str:
        return (
            f"{what} failed (exit {res.returncode}): {' '.join(res.args)}\n"
            f"--- stdout ---\n{res.stdout.strip()}\n"
            f"--- stderr ---\n{res.stderr.strip()}\n"
            f"--- server log (tail) ---\n{self._log_tail() or '(no server log)'}"
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        # A zombie (exited, not yet reaped by init) is as good as gone.
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] != "Z"
    return True
