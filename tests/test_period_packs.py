"""A period's accounting pack shows the period as it stood at its end: a reversal dated in a
later period leaves it as it was (closed or not) and appears in its own period as a storno line,
negative, in the register of aid received, the FX schedule and the acts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from ledger import operations as ops
from ledger.api import Ledger
from ledger.db import tables as t
from reports.produce import build
from tests import factories as f

D = Decimal
APRIL = dt.date(2023, 4, 12)  # f.DAY0 is 2023-03-01: the events below are in March


def rows(led: Ledger, period: str, section: str) -> list[dict[str, Any]]:
    doc = build(led, "accounting-pack", recipient="KYIV", period=period)
    return [dict(r) for r in next(s for s in doc.sections if s.key == section).rows]


def totals(led: Ledger, period: str) -> list[dict[str, Any]]:
    doc = build(led, "accounting-pack", recipient="KYIV", period=period)
    return next(s for s in doc.sections if s.key == "aid_register").totals


def entry_of(led: Ledger, table: Any, **where: Any) -> int:
    with led.engine.connect() as conn:
        q = select(table.entry_id).filter_by(**where)
        return conn.execute(q).scalar_one()


@pytest.fixture
def march(sqlite_led: Ledger) -> Ledger:
    """100 generators at 1000 CZK received on 3 March at 1.6 (160,000 UAH); 30 handed out."""
    f.world(sqlite_led)
    ops.dispatch(sqlite_led, f.ship("S1", qty="100"))
    ops.receive(sqlite_led, f.receive(received="100", day=2))
    ops.distribute(sqlite_led, f.distribute("D1", qty="30", day=4))
    return sqlite_led


SECTIONS = ("aid_register", "fx_schedule", "acceptance_acts", "distribution_acts")


@pytest.mark.parametrize("close", [False, True], ids=["open", "closed"])
def test_a_reversal_in_a_later_period_leaves_the_earlier_pack_as_it_was(
    march: Ledger, close: bool
) -> None:
    before = {s: rows(march, "2023-03", s) for s in SECTIONS}
    assert [r["value_uah"] for r in before["aid_register"]] == [D(160_000)]
    if close:
        march.close_period("2023-03")
    march.reverse(entry_of(march, t.DistributionLine, distribution_ref="D1"), "wrong act", APRIL)
    march.reverse(entry_of(march, t.ReceiptLine, receipt_ref="R1"), "wrong warehouse", APRIL)
    assert {s: rows(march, "2023-03", s) for s in SECTIONS} == before
    assert totals(march, "2023-03")[0]["value_uah"] == D(160_000)


def test_the_later_period_shows_the_reversals_as_storno_lines(march: Ledger) -> None:
    march.reverse(entry_of(march, t.DistributionLine, distribution_ref="D1"), "wrong act", APRIL)
    march.reverse(entry_of(march, t.ReceiptLine, receipt_ref="R1"), "wrong warehouse", APRIL)
    (line,) = rows(march, "2023-04", "aid_register")
    assert (line["date"], line["quantity"], line["value_uah"]) == (APRIL, -100, D(-160_000))
    assert "storno" in line["act"] and "R1" in line["act"]
    assert totals(march, "2023-04")[0]["value_uah"] == D(-160_000)
    (fx,) = rows(march, "2023-04", "fx_schedule")
    assert (fx["amount"], fx["rate"], fx["value_uah"]) == (D(-100_000), D("1.6"), D(-160_000))
    (act,) = rows(march, "2023-04", "distribution_acts")
    assert (act["date"], act["quantity"]) == (APRIL, -30) and "storno" in act["act"]
    assert rows(march, "2023-04", "acceptance_acts") == []  # no new acceptance act is signed


def test_a_reversal_in_the_same_period_shows_neither_line(march: Ledger) -> None:
    march.reverse(entry_of(march, t.DistributionLine, distribution_ref="D1"), "wrong act")
    march.reverse(entry_of(march, t.ReceiptLine, receipt_ref="R1"), "wrong warehouse")
    for section in SECTIONS:
        assert rows(march, "2023-03", section) == [], section


def pack_rows(led: Ledger, recipient: str, period: str, section: str) -> list[dict[str, Any]]:
    doc = build(led, "accounting-pack", recipient=recipient, period=period)
    return [dict(r) for r in next(s for s in doc.sections if s.key == section).rows]


def test_goods_handed_to_another_recipient_come_with_an_act_and_their_uah_value(
    march: Ledger,
) -> None:
    """10 of KYIV's generators (1000 CZK, received at 1.6) go to LVIV's warehouse: both packs
    show the transfer act, LVIV's as goods in at 16,000 UAH (the lot's own receipt rate); a
    reversal in April is a storno line of April's pack."""
    ops.transfer(march, f.transfer("T1", qty="10", day=5))
    (into,) = pack_rows(march, "LVIV", "2023-03", "transfer_acts")
    assert (into["quantity"], into["value"], into["currency"], into["value_uah"]) == (
        10, D(10_000), "CZK", D(16_000))  # fmt: skip
    assert into["direction"].startswith("in") and into["to_warehouse"] == "WHL (LVIV)"
    (out,) = pack_rows(march, "KYIV", "2023-03", "transfer_acts")
    assert out["direction"].startswith("out") and out["quantity"] == 10
    march.reverse(entry_of(march, t.TransferLine, transfer_ref="T1"), "wrong city", APRIL)
    assert pack_rows(march, "LVIV", "2023-03", "transfer_acts") == [into]  # March as it was
    (storno,) = pack_rows(march, "LVIV", "2023-04", "transfer_acts")
    assert (storno["date"], storno["quantity"], storno["value_uah"]) == (APRIL, -10, D(-16_000))
    assert "storno" in storno["act"]


@pytest.mark.parametrize("april_rate", ["2.0", None], ids=["valued", "pending"])
def test_a_later_receipt_of_the_lot_does_not_revalue_a_period_s_transfer(
    sqlite_led: Ledger, april_rate: str | None
) -> None:
    """The act's UAH value is the lot's as received up to the transfer: April's receipt of the
    rest of the lot, at another rate or still without one, leaves March's act as it was."""
    from schemas.rows import FxRateRow

    f.world(sqlite_led)
    ops.dispatch(sqlite_led, f.ship("S1", qty="100"))
    ops.receive(sqlite_led, f.receive(received="50", day=2))  # 1000 CZK at 1.6
    ops.transfer(sqlite_led, f.transfer("T1", qty="10", day=5))
    (march,) = pack_rows(sqlite_led, "LVIV", "2023-03", "transfer_acts")
    assert march["value_uah"] == D(16_000)
    april = dt.date(2023, 4, 3)
    if april_rate:
        sqlite_led.post(FxRateRow(date=april, currency="CZK", rate=D(april_rate), base="UAH",
                                  source="NBU"))  # fmt: skip
    ops.receive(sqlite_led, f.receive("R2", received="50", day=(april - f.DAY0).days))
    assert pack_rows(sqlite_led, "LVIV", "2023-03", "transfer_acts") == [march]


def test_the_written_workbook_shows_the_storno_lines_and_the_transfer_act(
    march: Ledger, tmp_path
) -> None:
    """Read back from the XLSX an accountant files: April's negative register line and the
    transfer act's storno, with the register's total the sum of its lines."""
    from reports.produce import write
    from tests.test_reports import d, sheet_rows

    ops.transfer(march, f.transfer("T1", qty="10", day=5))
    march.reverse(entry_of(march, t.TransferLine, transfer_ref="T1"), "wrong city", APRIL)
    march.reverse(entry_of(march, t.DistributionLine, distribution_ref="D1"), "wrong act", APRIL)
    march.reverse(entry_of(march, t.ReceiptLine, receipt_ref="R1"), "wrong warehouse", APRIL)
    path = tmp_path / "april.xlsx"
    write(build(march, "accounting-pack", recipient="KYIV", period="2023-04"), [path])
    register = sheet_rows(path, "aid_register")
    lines = [r for r in register if r["date"] is not None]
    assert [(d(r["quantity"]), d(r["value, UAH"])) for r in lines] == [(-100, -160_000)]
    assert "storno" in lines[0]["act"] and d(register[-1]["value, UAH"]) == -160_000
    (act,) = [r for r in sheet_rows(path, "transfer_acts") if r["date"] is not None]
    assert (d(act["quantity"]), d(act["value, UAH"])) == (-10, -16_000) and "storno" in act["act"]


def test_a_correction_in_a_later_period_leaves_the_closed_period_and_stornos_the_old_version(
    led: Ledger,
) -> None:
    """March is closed; in April the act D1 (30 handed out) and the receipt R1 are reversed and
    posted again under their keys, corrected (25; 90 received). March's pack is as filed; April
    shows the versions they replaced as storno lines next to the corrected lines; `verify`
    checks the replaced versions against their entries' seals."""
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.receive(led, f.receive(received="100", day=2))
    ops.distribute(led, f.distribute("D1", qty="30", day=4))
    sections = {s: rows(led, "2023-03", s) for s in SECTIONS}
    led.close_period("2023-03")
    led.reverse(entry_of(led, t.DistributionLine, distribution_ref="D1"), "30 → 25", APRIL)
    led.reverse(entry_of(led, t.ReceiptLine, receipt_ref="R1"), "100 → 90", APRIL)
    april = (APRIL - f.DAY0).days
    assert ops.receive(led, f.receive(received="90", short="10", day=april)) == "corrected"
    assert ops.distribute(led, f.distribute("D1", qty="25", day=april)) == "corrected"

    assert {s: rows(led, "2023-03", s) for s in SECTIONS} == sections  # as filed
    register = rows(led, "2023-04", "aid_register")
    assert sorted((r["quantity"], "storno" in r["act"]) for r in register) == [
        (-100, True), (90, False)]  # fmt: skip
    acts = rows(led, "2023-04", "distribution_acts")
    assert sorted((a["quantity"], "storno" in a["act"]) for a in acts) == [(-30, True), (25, False)]
    assert led.verify().ok
    with led.engine.connect() as conn:  # the replaced versions keep their own entries
        kept = conn.execute(select(t.VERSIONS["distributions"].c.quantity,
                                   t.VERSIONS["distributions"].c.entry_id)).all()  # fmt: skip
    assert [q for q, _ in kept] == [30]


def test_a_superseded_version_changed_behind_the_ledger_s_back_fails_verify(led: Ledger) -> None:
    from sqlalchemy import text

    versions = _corrected_act(led)
    with pytest.raises(Exception, match="append-only"), led.engine.begin() as conn:
        conn.execute(text(f"UPDATE {versions} SET quantity = '3'"))
    with led.engine.begin() as conn:  # behind the guards' back
        _unguard(conn, versions)
        conn.execute(text(f"UPDATE {versions} SET quantity = '3'"))
    result = led.verify()
    assert not result.ok and "no longer matches" in (result.problem or "")
    assert "distribution_line_version" in (result.problem or "")  # names where it was changed


def test_a_kept_version_deleted_behind_the_ledger_s_back_fails_verify(led: Ledger) -> None:
    """A deleted kept version took the act out of its closed period's pack (and its storno out
    of the later one) while `verify` said intact: a correction booked since revision 0007 must
    have left one."""
    from sqlalchemy import text

    versions = _corrected_act(led)
    with led.engine.begin() as conn:
        _unguard(conn, versions)
        conn.execute(text(f"DELETE FROM {versions}"))
    result = led.verify()
    assert not result.ok and "is gone: it was deleted" in (result.problem or "")
    assert "distribution:D1/1" in (result.problem or "")
    # a correction booked before the ledger kept versions (revision 0007 came later) left none
    with led.engine.begin() as conn:
        _unguard(conn, "ledger_setting")
        conn.execute(text("UPDATE ledger_setting SET value = '99'"))
    assert led.verify().ok


def _corrected_act(led: Ledger) -> str:
    """D1 handed out 30, reversed and posted again as 25: its versions table, holding the 30."""
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.receive(led, f.receive(received="100", day=2))
    ops.distribute(led, f.distribute("D1", qty="30", day=4))
    led.reverse(entry_of(led, t.DistributionLine, distribution_ref="D1"), "30 → 25")
    ops.distribute(led, f.distribute("D1", qty="25", day=4))
    assert led.verify().ok
    return t.VERSIONS["distributions"].name


def _unguard(conn: Any, table: str) -> None:
    """Drop a table's append-only triggers, as a writer behind the ledger's back would."""
    from sqlalchemy import text

    on = f" ON {table}" if conn.dialect.name == "postgresql" else ""
    for name in _trigger_names(conn, table):
        conn.execute(text(f"DROP TRIGGER {name}{on}"))


def _trigger_names(conn: Any, table: str) -> list[str]:
    from sqlalchemy import text

    if conn.dialect.name == "postgresql":
        q = "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal"
    else:
        q = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"
    return list(conn.execute(text(q), {"t": table}).scalars())


def test_a_filed_pack_still_verifies_after_a_correction_in_a_later_period(led: Ledger) -> None:
    """The filed March pack shows March as it stood at its end, as the pack made again does:
    a reversal dated in April (a storno line of April's pack) reported it as no longer
    matching; a reversal dated inside March still does."""
    from reports.verification import code_for, verify

    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.receive(led, f.receive(received="100", day=2))
    ops.distribute(led, f.distribute("D1", qty="30", day=4))
    ops.distribute(led, f.distribute("D2", qty="5", day=5))
    params = {"recipient": "KYIV", "period": "2023-03"}
    with led.engine.connect() as conn:
        last = conn.exec_driver_sql("SELECT max(id) FROM entry").scalar()
        code, _shown = code_for(conn, "A", params, last)
    led.reverse(entry_of(led, t.DistributionLine, distribution_ref="D1"), "30 → 25", APRIL)
    ops.distribute(led, f.distribute("D1", qty="25", day=(APRIL - f.DAY0).days))
    with led.engine.connect() as conn:
        assert verify(conn, code).ok, verify(conn, code).message
    led.reverse(
        entry_of(led, t.DistributionLine, distribution_ref="D2"), "never", dt.date(2023, 3, 20)
    )
    with led.engine.connect() as conn:
        verdict = verify(conn, code)
    assert not verdict.ok and "was reversed by entry" in verdict.message


def test_the_storno_of_a_receipt_still_pending_says_pending_too(sqlite_led: Ledger) -> None:
    """A receipt with no rate for its day is "pending" in its period; its storno line in a
    later period had an empty status, as if it had been valued."""
    led = sqlite_led
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.receive(led, f.receive(received="100", day=12))  # the world has rates for days 0-9
    led.reverse(entry_of(led, t.ReceiptLine, receipt_ref="R1"), "wrong warehouse", APRIL)
    (march,) = rows(led, "2023-03", "fx_schedule")
    (storno,) = rows(led, "2023-04", "fx_schedule")
    assert march["value_uah"] is None and storno["value_uah"] is None
    assert march["status"] and storno["status"] == march["status"]


def test_a_reversal_in_the_journal_says_which_entry_it_undoes(march: Ledger) -> None:
    """It read as a plain receipt with negative stock."""
    receipt = entry_of(march, t.ReceiptLine, receipt_ref="R1")
    march.reverse(entry_of(march, t.DistributionLine, distribution_ref="D1"), "wrong act", APRIL)
    march.reverse(receipt, "wrong warehouse", APRIL)
    refs = {r["ref"] for r in rows(march, "2023-04", "journal")}
    assert any(ref.endswith(f"of entry / сторно запису {receipt}") for ref in refs), refs
