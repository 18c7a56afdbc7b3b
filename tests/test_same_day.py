"""An import books a day's stock movements in whatever order makes them fit.

Within a day the pipeline books distributions before transfers (kind order, then file and row).
Goods transferred to a warehouse and distributed from it on the same day are common (the central
warehouse hands a district its share in the morning, the district distributes it by noon), so a
row short of stock waits for the rest of its day and is tried again (`pipeline._Booker`).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ledger import operations as ops
from ledger.api import Ledger
from ledger.db import tables as t
from ledger.errors import ImportRejected
from tests import factories as f

D = Decimal
DAY3 = (f.DAY0 + dt.timedelta(days=3)).isoformat()

DIST_HEADER = "distribution_ref,line_no,date,recipient,warehouse,beneficiary,item,quantity\n"
WOFF_HEADER = "writeoff_ref,line_no,date,recipient,warehouse,item,quantity,reason\n"
TRANSFER_HEADER = "transfer_ref,line_no,date,from_warehouse,to_warehouse,item,quantity\n"


def received_100(led: Ledger) -> None:
    """100 generators in Kyiv's WH1 since day 2; WH2 (also Kyiv's) empty."""
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.receive(led, f.receive(received="100", day=2))


def stock(led: Ledger) -> dict[str, Decimal]:
    return {
        wh: sum((r.quantity for r in led.balances(f"stock:KYIV:{wh}", by_lot=True)), D(0))
        for wh in ("WH1", "WH2")
    }


def write(folder: Path, name: str, header: str, lines: list[str]) -> Path:
    path = folder / name
    path.write_text(header + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def test_a_transfer_and_a_distribution_from_its_target_on_one_day(led, tmp_path: Path):
    """Fires the wait: the distribution comes first in pipeline order and finds WH2 empty."""
    received_100(led)
    dist = write(tmp_path, "distributions.csv", DIST_HEADER, [f"D1,1,{DAY3},KYIV,WH2,HOSP,GEN,30"])
    moves = write(tmp_path, "transfers.csv", TRANSFER_HEADER, [f"T1,1,{DAY3},WH1,WH2,GEN,40"])
    report = led.import_files([dist, moves])
    assert report.new == 2
    assert stock(led) == {"WH1": D(60), "WH2": D(10)}
    assert led.verify().ok
    # the distribution was booked after the transfer: its entry is the newer one
    with led.engine.connect() as conn:
        entries = dict(conn.execute(select(t.Entry.kind, t.Entry.id)).all())
    assert entries["distribution"] > entries["transfer"]


def test_a_row_short_of_stock_after_its_whole_day_is_still_refused(led, tmp_path: Path):
    """Keeps the wait honest: 50 out of WH2 when the day brings it only 40 is refused, once,
    with its file, row and column, and nothing of the import is written."""
    received_100(led)
    before = led.verify().entries
    dist = write(tmp_path, "distributions.csv", DIST_HEADER, [
        f"D1,1,{DAY3},KYIV,WH2,HOSP,GEN,50",
        f"D1,2,{DAY3},KYIV,WH1,HOSP,GEN,10",
    ])  # fmt: skip
    moves = write(tmp_path, "transfers.csv", TRANSFER_HEADER, [f"T1,1,{DAY3},WH1,WH2,GEN,40"])
    with pytest.raises(ImportRejected) as exc:
        led.import_files([dist, moves])
    errors = exc.value.errors
    shown = "\n".join(map(str, errors))
    assert [(e.file, e.row, e.column) for e in errors] == [(dist.name, 2, "quantity")], shown
    assert "holds only 40 of GEN; cannot issue 50" in errors[0].reason
    assert led.verify().entries == before
    assert stock(led) == {"WH1": D(100), "WH2": D(0)}


def test_a_row_does_not_wait_for_a_later_day(led, tmp_path: Path):
    """The transfer a day later does not make the distribution possible: refused."""
    received_100(led)
    day4 = (f.DAY0 + dt.timedelta(days=4)).isoformat()
    dist = write(tmp_path, "distributions.csv", DIST_HEADER, [f"D1,1,{DAY3},KYIV,WH2,HOSP,GEN,30"])
    moves = write(tmp_path, "transfers.csv", TRANSFER_HEADER, [f"T1,1,{day4},WH1,WH2,GEN,40"])
    with pytest.raises(ImportRejected) as exc:
        led.import_files([dist, moves])
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, "quantity")]


# ---------------------------------------------------------------- any order of a day's rows


@pytest.fixture(scope="module")
def received_db(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("same_day") / "received.db"
    shutil.copy(sqlite_template, path)
    with Ledger(f"sqlite:///{path}", migrate=False) as led:
        received_100(led)
    return path


@st.composite
def day_plans(draw: st.DrawFn) -> tuple[list[tuple[str, str, int]], list[int]]:
    """A day's moves that fit when booked in the order drawn: transfers WH1 → WH2 (goods flow
    one way), distributions and write-offs out of either; then a shuffled order to write them."""
    held = {"WH1": 100, "WH2": 0}
    plan: list[tuple[str, str, int]] = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["transfer", "distribution", "writeoff"]))
        wh = "WH1" if kind == "transfer" else draw(st.sampled_from(["WH1", "WH2"]))
        if held[wh] == 0:
            continue
        q = draw(st.integers(1, held[wh]))
        held[wh] -= q
        if kind == "transfer":
            held["WH2"] += q
        plan.append((kind, wh, q))
    return plan, draw(st.permutations(range(len(plan))))


@settings(max_examples=20, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(drawn=day_plans())
def test_a_days_moves_book_in_any_file_order(received_db: Path, drawn) -> None:
    """Moves that fit in one order are all booked whatever order the files list them in, and
    each warehouse ends the day with what that order leaves it."""
    plan, shuffled = drawn
    tmp = Path(tempfile.mkdtemp(prefix="same_day_"))
    try:
        lines: dict[str, list[str]] = {"transfer": [], "distribution": [], "writeoff": []}
        for n in shuffled:
            kind, wh, q = plan[n]
            if kind == "transfer":
                lines[kind].append(f"T{n},1,{DAY3},WH1,WH2,GEN,{q}")
            elif kind == "distribution":
                lines[kind].append(f"D{n},1,{DAY3},KYIV,{wh},HOSP,GEN,{q}")
            else:
                lines[kind].append(f"W{n},1,{DAY3},KYIV,{wh},GEN,{q},damaged")
        files = [
            write(tmp, "transfers.csv", TRANSFER_HEADER, lines["transfer"]),
            write(tmp, "distributions.csv", DIST_HEADER, lines["distribution"]),
            write(tmp, "writeoffs.csv", WOFF_HEADER, lines["writeoff"]),
        ]
        path = tmp / "ledger.db"
        shutil.copy(received_db, path)
        expected = {"WH1": D(100), "WH2": D(0)}
        for kind, wh, q in plan:
            expected[wh] -= q
            if kind == "transfer":
                expected["WH2"] += q
        with Ledger(f"sqlite:///{path}", migrate=False) as led:
            report = led.import_files(files)
            assert report.new == len(plan)
            assert stock(led) == expected
            assert led.verify().ok
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
