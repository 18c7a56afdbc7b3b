"""How an import's Book loads: whole tables, or per key when the batch is small next to the ledger.

A handful of rows into a large ledger must not pay for loading the whole ledger (1 row into a
1M-posting ledger took 22 s and 1.3 GB when every import loaded whole tables), and the two ways
must book exactly the same entries, records, balances and summaries.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ledger import journal
from ledger.api import Ledger
from ledger.db import tables as t
from ledger.errors import ImportRejected
from ledger.importer import pipeline
from ledger.importer.pipeline import import_into
from tests.conftest import _fresh_url
from tests.test_import_bad import snapshot

ROOT = Path(__file__).resolve().parents[1]
DATE_COLUMNS = ("date", "dispatch_date")
MASTER_FILES = {f"{kind}.csv" for kind in pipeline.MASTER_ORDER}  # fx rates included


def date_column(name: str, header: list[str]) -> str | None:
    if name in MASTER_FILES:
        return None
    return next((c for c in DATE_COLUMNS if c in header), None)


def generated(out: Path, size: int, seed: int) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    generate.write(generate.simulate(size, seed=seed), out)
    return out


def split_by_date(data: Path, early: Path, late: Path, share: float) -> int:
    """Master data and events before the cut go to `early`; the last `share` of event days'
    rows to `late` (whole days, so the booking order is the one a single import uses).
    Returns the number of rows in `late`."""
    tables: dict[str, tuple[list[str], list[list[str]]]] = {}
    dates = []
    for path in sorted(data.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            header, *rows = list(csv.reader(f))
        tables[path.name] = (header, rows)
        column = date_column(path.name, header)
        if column:
            dates += [r[header.index(column)] for r in rows]
    dates.sort()
    cut = dates[int(len(dates) * (1 - share))]
    n_late = 0
    for folder in (early, late):
        folder.mkdir()
    for name, (header, rows) in tables.items():
        column = date_column(name, header)
        is_late = [column is not None and r[header.index(column)] >= cut for r in rows]
        n_late += sum(is_late)
        for folder, wanted in ((early, False), (late, True)):
            chosen = [r for r, flag in zip(rows, is_late, strict=True) if flag == wanted]
            if chosen or not wanted:
                with (folder / name).open("w", encoding="utf-8", newline="") as f:
                    csv.writer(f).writerows([header, *chosen])
    return n_late


def tip(led: Ledger) -> Any:
    with led.engine.connect() as conn:
        return conn.execute(select(t.Entry.id, t.Entry.hash).order_by(t.Entry.id.desc())).first()


@pytest.mark.parametrize(
    "engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_per_key_import_books_what_a_bulk_import_books(
    request: pytest.FixtureRequest, tmp_path: Path, engine: str
) -> None:
    data = generated(tmp_path / "data", 3000, seed=11)
    early, late = tmp_path / "early", tmp_path / "late"
    n_late = split_by_date(data, early, late, share=0.03)
    states = []
    for bulk in (True, False):
        folder = tmp_path / f"bulk-{bulk}"
        folder.mkdir()
        with Ledger(_fresh_url(request, engine, folder), migrate=False) as led:
            led.import_files([early])
            with led.booking() as book:
                report = import_into(book, [late], bulk=bulk)
                assert book.bulk is bulk
            assert report.new == n_late > 20
            assert {"receipts", "distributions"} <= set(report.counts), report.counts
            states.append((snapshot(led), tip(led)))
    assert states[0] == states[1]


def test_the_import_chooses_per_key_loading_only_when_small_next_to_the_ledger(
    sqlite_led: Ledger, sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen: list[bool] = []
    real = pipeline.worth_bulk

    def spy(rows: int, stored: int) -> bool:
        chosen.append(real(rows, stored))
        return chosen[-1]

    monkeypatch.setattr(pipeline, "worth_bulk", spy)
    sqlite_led.import_files([sample_dir])  # into an empty ledger: whole tables
    sqlite_led.import_files([sample_dir])  # as large as the ledger: whole tables
    with (sample_dir / "pledges.csv").open(encoding="utf-8", newline="") as f:
        header, first, *_ = list(csv.reader(f))
    with (tmp_path / "pledges.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, first])
    report = sqlite_led.import_files([tmp_path / "pledges.csv"])  # one row: per key
    assert chosen == [True, True, False]
    assert report.unchanged == 1 and report.new == 0
    assert not real(1, pipeline.BULK_SHARE + 1) and real(1, pipeline.BULK_SHARE)
    assert not real(1_000, 1_000_000) and real(50_000, 1_000_000)


def _lots_from_balances(led: Ledger) -> dict[tuple[str, str], dict[int | None, Decimal]]:
    """Non-zero quantity per lot of every (account, commodity), from the stored balances."""
    out: dict[tuple[str, str], dict[int | None, Decimal]] = defaultdict(dict)
    b = t.Balance
    with led.engine.connect() as conn:
        for r in conn.execute(select(b.account, b.commodity, b.lot_id, b.quantity)):
            lots = out[(r.account, r.commodity)]
            lots[r.lot_id] = lots.get(r.lot_id, Decimal(0)) + r.quantity
    return {pair: {k: q for k, q in lots.items() if q != 0} for pair, lots in out.items()}


def test_holdings_per_lot_agree_with_the_stored_balances(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """What FEFO picks from, kept up to date as each entry applies, equals the per-lot sums of
    the running balances the import stored: for a bulk Book and for a per-key one."""
    data = generated(tmp_path / "data", 3000, seed=5)
    early, late = tmp_path / "early", tmp_path / "late"
    split_by_date(data, early, late, share=0.03)
    with Ledger(_fresh_url(request, "sqlite", tmp_path), migrate=False) as led:
        with led.booking() as bulk_book:
            import_into(bulk_book, [early], bulk=True)
        stored = _lots_from_balances(led)
        assert sum(map(len, stored.values())) > 500
        for pair in stored.keys() | bulk_book._lot_qty.keys():
            assert bulk_book.holdings(*pair) == stored.get(pair, {}), pair
        with led.booking() as key_book:
            import_into(key_book, [late], bulk=False)
        stored = _lots_from_balances(led)
        assert len(key_book._holdings_loaded) > 20
        for pair in key_book._holdings_loaded:
            assert key_book.holdings(*pair) == stored.get(pair, {}), pair


def test_an_import_collects_garbage_rarely_and_restores_the_collector(
    sqlite_led: Ledger, sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collector's thresholds are raised while an import books and writes (the journal
    write included), and are the caller's again afterwards, also when the import is refused."""
    import gc

    seen: list[tuple[int, int, int]] = []
    real_write = journal.write

    def spy(book: Any, **kw: Any) -> int:
        seen.append(gc.get_threshold())
        return real_write(book, **kw)

    monkeypatch.setattr(journal, "write", spy)
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        sqlite_led.import_files([sample_dir])
        assert seen and set(seen) == {pipeline.BULK_GC_THRESHOLD}
        assert gc.get_threshold() == (700, 10, 10)
        bad = tmp_path / "items.csv"
        bad.write_text("code,name,unit\n,no code,pcs\n", encoding="utf-8")
        with pytest.raises(ImportRejected):
            sqlite_led.import_files([bad])
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*saved)


def test_rows_that_filled_the_same_columns_share_one_fields_set() -> None:
    """Validated rows wait in memory until booked; rows that filled the same columns share one
    `model_fields_set` (~700 bytes a row), and each row still reports exactly what it filled."""
    from ledger.importer.readers import Table

    header = ["code", "name", "unit", "hs_code", "category", "tracks_expiry", "name_uk"]
    cells = [
        ["A-1", "Flour", "kg", "110100", "food", "no", "Борошно"],
        ["A-2", "Rice", "kg", "100630", "food", "no", "Рис"],
        ["A-3", "Salt", "kg", "250100", "food", "no", ""],  # name_uk blank: not filled
        ["A-4", "Sugar", "kg", "170199", "food", "no", " "],
    ]
    table = Table("items.csv", "items", header, iter(enumerate(cells, start=2)))
    errors: list[Any] = []
    rows = [r.model for r in pipeline.parse_table(table, errors)]
    assert not errors and len(rows) == 4
    given = {*header, "extra"}  # `extra` (unknown columns) is always given
    assert rows[0].model_fields_set == given
    assert rows[2].model_fields_set == given - {"name_uk"}
    assert rows[0].model_fields_set is rows[1].model_fields_set
    assert rows[2].model_fields_set is rows[3].model_fields_set
    assert rows[0].model_fields_set is not rows[2].model_fields_set


def test_a_benchmark_run_keeps_the_steps_of_an_earlier_run_it_did_not_time(tmp_path: Path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    out = tmp_path / "results-10k.json"
    run.save(out, [run.Step("10k", "postgresql", "import", 2.0, 100.0, 10, True),
                   run.Step("10k", "sqlite", "import", 1.0, 90.0, 10, True)])  # fmt: skip
    run.save(out, [run.Step("10k", "sqlite", "import", 0.5, 80.0, 10, True)])
    saved = {(r["engine"], r["step"]): r["seconds"] for r in json.loads(out.read_text())}
    assert saved == {("postgresql", "import"): 2.0, ("sqlite", "import"): 0.5}
