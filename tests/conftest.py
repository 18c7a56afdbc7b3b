"""Test fixtures: a fresh ledger per test on real SQLite and on a real throwaway PostgreSQL.

Each engine gets one migrated template per session (an SQLite file, a PostgreSQL template
database); every test starts from a copy of it, so tests are isolated and fast.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.api import Ledger
from tests.pgcluster import PgCluster, find_pg_bindir

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
_counter = itertools.count()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    Ledger(f"sqlite:///{path}").close()
    return path


@pytest.fixture(scope="session")
def pg() -> Iterator[PgCluster]:
    if find_pg_bindir() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries not found; CI must run the PostgreSQL suite")
        pytest.skip("PostgreSQL server binaries not installed")
    cluster = PgCluster()
    cluster.start()
    url = cluster.create_database("aidledger_template")
    Ledger(url).close()
    yield cluster
    cluster.stop()


def _fresh_url(request: pytest.FixtureRequest, engine: str, tmp_path: Path) -> str:
    if engine == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "ledger.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    cluster: PgCluster = request.getfixturevalue("pg")
    name = f"t_{os.getpid()}_{next(_counter)}"
    return cluster.create_database(name, template="aidledger_template")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated, empty ledger database URL: once on SQLite, once on PostgreSQL."""
    return _fresh_url(request, request.param, tmp_path)


@pytest.fixture
def led(db_url: str) -> Iterator[Ledger]:
    ledger = Ledger(db_url, migrate=False)
    yield ledger
    ledger.close()


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _fresh_url(request, "sqlite", tmp_path)


@pytest.fixture
def sqlite_led(sqlite_url: str) -> Iterator[Ledger]:
    ledger = Ledger(sqlite_url, migrate=False)
    yield ledger
    ledger.close()


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE
