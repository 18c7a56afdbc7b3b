"""Self-test for tests/pgcluster.py: a real throwaway PostgreSQL cluster."""

from __future__ import annotations

import os
import socket

import pytest
from sqlalchemy import create_engine, text

try:
    from pgcluster import PgCluster, find_pg_bindir
except ImportError:  # tests/ imported as a package
    from tests.pgcluster import PgCluster, find_pg_bindir


def _require_pg() -> None:
    if find_pg_bindir() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries not found, but they are required in CI")
        pytest.skip("PostgreSQL server binaries not installed")


@pytest.mark.parametrize("name", ["", "Bad", "1abc", "a-b", "x; drop", 'a"b', "a\n", "a" * 64])
def test_rejects_invalid_identifiers(name: str) -> None:
    cluster = PgCluster()
    with pytest.raises(ValueError):
        cluster.create_database(name)
    with pytest.raises(ValueError):
        cluster.create_database("ok_name", template=name)
    with pytest.raises(ValueError):
        cluster.drop_database(name)
    with pytest.raises(ValueError):
        cluster.url(name)


@pytest.mark.postgres
def test_cluster_lifecycle() -> None:
    _require_pg()
    cluster = PgCluster()
    cluster.start()
    base = cluster.base_dir
    port = cluster.port
    try:
        assert base is not None and base.is_dir()
        assert (base / f".s.PGSQL.{port}").exists()  # unix socket next to the data

        src_url = cluster.create_database("tmpl_src")
        engine = create_engine(src_url)
        try:
            with engine.begin() as conn:
                assert conn.execute(text("select 1")).scalar_one() == 1
                version = conn.execute(text("show server_version")).scalar_one()
                assert version.startswith("15"), version
                conn.execute(text("create table item (id serial primary key, code text)"))
                conn.execute(
                    text(
                        "create function item_upper() returns trigger language plpgsql as "
                        "$$ begin new.code := upper(new.code); return new; end $$"
                    )
                )
                conn.execute(
                    text(
                        "create trigger item_upper before insert on item "
                        "for each row execute function item_upper()"
                    )
                )
        finally:
            engine.dispose()

        url = cluster.create_database("copy_db", template="tmpl_src")
        assert url == f"postgresql+psycopg://postgres@127.0.0.1:{port}/copy_db"
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("insert into item (code) values ('abc')"))
                assert conn.execute(text("select code from item")).scalar_one() == "ABC"
        finally:
            engine.dispose()

        cluster.drop_database("copy_db")
        engine = create_engine(cluster.url())
        try:
            with engine.connect() as conn:
                names = conn.execute(text("select datname from pg_database")).scalars().all()
        finally:
            engine.dispose()
        assert "copy_db" not in names and "tmpl_src" in names
    finally:
        cluster.stop()

    assert not base.exists()
    with socket.socket() as s, pytest.raises(OSError):
        s.settimeout(2)
        s.connect(("127.0.0.1", port))
