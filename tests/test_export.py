"""Exports to hledger and Beancount: the real tools accept them and agree with `aidledger balance`.

Each data set (the sample ledger, a generated ledger, a ledger of awkward codes) is imported into
a fresh SQLite ledger, exported in both formats, and then: `bean-check` passes; Beancount's own
balances (loader + realization) equal ours for every (account, commodity); where hledger and
ledger-cli are installed, they accept the journal with its closing assertions and hledger's
`balance -O csv` equals ours too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger.api import Ledger
from ledger.db.engine import reader
from reports.exports.beancount import write_beancount
from reports.exports.chart import (
    COMPONENT_RE,
    TICKER_MAX,
    TICKER_RE,
    Chart,
    account_name,
    ticker,
)
from reports.exports.hledger import write_hledger
from reports.exports.source import load_journal
from schemas.rows import ItemRow, PartyRow, PledgeRow, ReceiptRow, ShipmentRow, WarehouseRow

D = Decimal
ROOT = Path(__file__).resolve().parents[1]
BEAN_CHECK = Path(sys.executable).with_name("bean-check")
HLEDGER = shutil.which("hledger")
LEDGER = shutil.which("ledger")


# ---------------------------------------------------------------- helpers


def ours(led: Ledger) -> tuple[dict[tuple[str, str], Decimal], Chart]:
    """`aidledger balance` as exported names: (account, ticker) -> quantity, zeros left out."""
    with reader(led.engine) as conn:
        chart = load_journal(conn).chart
    out = {
        (chart.accounts[r.account], chart.tickers[r.commodity]): r.quantity
        for r in led.balances()
        if r.quantity != 0
    }
    return out, chart


def beancount_balances(path: Path, tickers: set[str]) -> dict[tuple[str, str], Decimal]:
    from beancount import loader
    from beancount.core import realization

    entries, errors, _options = loader.load_file(str(path))
    assert not errors, [str(e.message) for e in errors[:5]]
    out: dict[tuple[str, str], Decimal] = {}
    for real in realization.iter_children(realization.realize(entries)):
        for pos in real.balance.get_positions():
            if pos.units.currency in tickers and pos.units.number != 0:
                out[(real.account, pos.units.currency)] = pos.units.number
    return out


def hledger_balances(path: Path, tickers: set[str]) -> dict[tuple[str, str], Decimal]:
    assert HLEDGER
    done = subprocess.run(
        [HLEDGER, "-f", str(path), "balance", "-O", "csv", "--layout=bare", "--flat"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out: dict[tuple[str, str], Decimal] = {}
    for row in csv.DictReader(io.StringIO(done.stdout)):
        if row["account"] != "total" and row["commodity"] in tickers and D(row["balance"]) != 0:
            out[(row["account"], row["commodity"])] = D(row["balance"])
    return out


def check_exports(led: Ledger, tmp_path: Path, *, values: bool = True) -> None:
    bean, journal = tmp_path / "books.beancount", tmp_path / "books.journal"
    with reader(led.engine) as conn:
        stats = write_beancount(conn, bean, values=values)
        write_hledger(conn, journal, values=values)
    expected, chart = ours(led)
    tickers = set(chart.tickers.values())
    assert expected, "the ledger holds something"
    assert stats.assertions >= len(expected)

    done = subprocess.run([str(BEAN_CHECK), str(bean)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert beancount_balances(bean, tickers) == expected

    if HLEDGER:
        done = subprocess.run([HLEDGER, "-f", str(journal), "check", "--strict"],
                              capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert hledger_balances(journal, tickers) == expected
    # every commodity is declared, value currencies too: hledger 1.25's `check --strict` looks
    # at posting amounts only, not at prices (`@@ 35.50 CZK`)
    text = journal.read_text(encoding="utf-8")
    declared = set(re.findall(r"^commodity (\S+)$", text, re.M))
    used = set(re.findall(r"^    \S+    -?[0-9.]+ (\S+)(?: @@ [0-9.]+ (\S+))?", text, re.M))
    assert {c for pair in used for c in pair if c} <= declared
    if LEDGER:
        done = subprocess.run([LEDGER, "-f", str(journal), "bal"], capture_output=True,
                              text=True)  # fmt: skip
        assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------- names


@pytest.mark.parametrize("code", ["MED-PARACET-500", "med.x", "a", "1234", "X_", "é-1",
                                  "A" * 40, "ab'c", "--", "EN.GEN_5KW"])  # fmt: skip
def test_tickers_are_valid_for_beancount(code: str) -> None:
    t = ticker(code)
    assert TICKER_RE.match(t), t
    assert 2 <= len(t) <= TICKER_MAX


@pytest.mark.parametrize("account", ["stock:KYIV:wh.1", "loss:CARR-1:short", "donor:_x",
                                     "transit:S 1/2", "mystery:thing"])  # fmt: skip
def test_account_components_are_valid(account: str) -> None:
    name = account_name(account)
    root, *rest = name.split(":")
    assert root in {"Assets", "Liabilities", "Equity", "Income", "Expenses"}
    assert rest and all(COMPONENT_RE.match(c) for c in rest), name


def test_stages_map_under_the_five_roots() -> None:
    assert account_name("pledged:PRAGUE:KYIV") == "Assets:Pledged:PRAGUE:KYIV"
    assert account_name("transit:S1") == "Assets:Transit:S1"
    assert account_name("customs:S1") == "Assets:Customs:S1"
    assert account_name("stock:KYIV:WH1") == "Assets:Stock:KYIV:WH1"
    assert account_name("distributed:KYIV:HOSP") == "Expenses:Distributed:KYIV:HOSP"
    assert account_name("loss:KYIV:expired") == "Expenses:Loss:KYIV:Expired"
    assert account_name("donor:PRAGUE") == "Income:Donor:PRAGUE"


def test_names_stay_unique_when_codes_collide() -> None:
    chart = Chart.build(["stock:K:wh.1", "stock:K:Wh-1", "stock:K:wh_1"],
                        ["med.x", "MED-X", "med_x", "EUR", "B" * 30, "B" * 31], ["EUR"])  # fmt: skip
    assert len(set(chart.accounts.values())) == 3
    # parents too: two recipients whose codes differ only in `.` and `_` are two accounts
    nested = Chart.build(["stock:ngo.a:W1", "stock:ngo_a:W1", "distributed:ngo_a:H"], [], [])
    parents = {a: n.rsplit(":", 1)[0] for a, n in nested.accounts.items()}
    assert parents["stock:ngo.a:W1"] != parents["stock:ngo_a:W1"]
    assert parents["distributed:ngo_a:H"].endswith(parents["stock:ngo_a:W1"].split(":")[-1])
    assert len(set(chart.tickers.values())) == 6
    assert chart.tickers["EUR"] != "EUR"  # an item may not pass for a value currency
    assert all(TICKER_RE.match(t) for t in chart.tickers.values())


# ---------------------------------------------------------------- real tools on real ledgers


def test_sample_ledger_exports_check_and_agree(sqlite_led: Ledger, sample_dir: Path,
                                               tmp_path: Path) -> None:  # fmt: skip
    sqlite_led.import_files([sample_dir])
    check_exports(sqlite_led, tmp_path)


def test_generated_ledger_exports_check_and_agree(sqlite_led: Ledger, tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    generate.write(generate.simulate(3000, seed=7), tmp_path / "data")
    sqlite_led.import_files([tmp_path / "data"])
    check_exports(sqlite_led, tmp_path)
    check_exports(sqlite_led, tmp_path / "units", values=False)


def _awkward(led: Ledger) -> None:
    """Codes the tools would reject as they are, fractional quantities, a re-valued dispatch."""
    for code, kind, country in [("don.or", "city", "CZ"), ("kyiv", "city", "UA"),
                                ("KYIV", "city", "UA"), ("carr_1", "carrier", "PL")]:  # fmt: skip
        led.post(PartyRow.model_validate({"code": code, "name": code, "kind": kind,
                                          "country": country}))  # fmt: skip
    for code in ("flour.wheat", "FLOUR-WHEAT", "EUR", "x" * 40):
        led.post(ItemRow(code=code, name=f'Flour "{code}"; 50 kg', unit="kg", hs_code="110100",
                         category="food", tracks_expiry=False))  # fmt: skip
    led.post(WarehouseRow(code="wh.1", party="kyiv", name="one"))
    led.post(WarehouseRow(code="Wh-1", party="KYIV", name="two"))
    day = dt.date(2023, 5, 1)
    led.post(PledgeRow(pledge_ref="p.1", line_no=1, date=day, donor="don.or", recipient="kyiv",
                       item="flour.wheat", quantity=D("1000.125"), unit_value=D("0.333"),
                       currency="EUR"))  # fmt: skip
    lines = [("flour.wheat", "kyiv", "400.5", "0.4", "p.1"), ("FLOUR-WHEAT", "kyiv", "12.25", "1", None),
             ("EUR", "KYIV", "3", "2", None), ("x" * 40, "KYIV", "7", "1.5", None)]  # fmt: skip
    for n, (item, recipient, qty, uv, pledge_ref) in enumerate(lines, start=1):
        led.post(ShipmentRow(shipment_ref=f"s.{recipient}", line_no=n, dispatch_date=day,
                             donor="don.or", recipient=recipient, item=item, quantity=D(qty),
                             unit_value=D(uv), currency="EUR", carrier="carr_1",
                             pledge_ref=pledge_ref, pledge_line=1 if pledge_ref else None))  # fmt: skip
    led.post(ReceiptRow(receipt_ref="r.1", shipment_ref="s.kyiv", line_no=1, warehouse="wh.1",
                        date=day + dt.timedelta(days=2), received=D("390.25"), short=D("10.25")))  # fmt: skip
    led.post(ReceiptRow(receipt_ref="r.2", shipment_ref="s.KYIV", line_no=3, warehouse="Wh-1",
                        date=day + dt.timedelta(days=2), received=D("3")))  # fmt: skip


def test_awkward_codes_export_check_and_agree(sqlite_led: Ledger, tmp_path: Path) -> None:
    _awkward(sqlite_led)
    check_exports(sqlite_led, tmp_path)
    text = (tmp_path / "books.beancount").read_text(encoding="utf-8")
    assert "400.5 FLOUR.WHEAT @@ 160.2 EUR" in text  # full precision, value as total price
    assert re.search(r'^  code: "flour\.wheat"$', text, re.M)  # the item's own code is kept
    assert "^shipment/s.kyiv ^pledge/don.or/p.1" in text  # links to shipment and pledge
    assert "balance Assets:Transit:S-kyiv  0 FLOUR.WHEAT" in text  # closing assertions
    assert "Income:Donor:Don-or  -26.8335 EUR" in text  # re-valued dispatch: value to the donor


def test_an_entry_booked_after_newer_ones_opens_its_accounts_early_enough(
    sqlite_led: Ledger, tmp_path: Path
) -> None:
    """A late import: journal order is not date order, so Beancount's `open` must take the
    earliest date of an account, not the date of its first entry in the journal."""
    _awkward(sqlite_led)
    early = dt.date(2023, 1, 2)  # before every entry so far, on accounts they opened
    sqlite_led.post(ShipmentRow(shipment_ref="s.early", line_no=1, dispatch_date=early,
                                donor="don.or", recipient="kyiv", item="flour.wheat",
                                quantity=D("5"), unit_value=D("0.5"), currency="EUR"))  # fmt: skip
    check_exports(sqlite_led, tmp_path)
    text = (tmp_path / "books.beancount").read_text(encoding="utf-8")
    assert "2023-01-02 open Income:Donor:Don-or" in text


def test_a_wrong_closing_balance_fails_the_tools(sqlite_led: Ledger, tmp_path: Path) -> None:
    _awkward(sqlite_led)
    with reader(sqlite_led.engine) as conn:
        write_beancount(conn, tmp_path / "b.beancount")
        write_hledger(conn, tmp_path / "b.journal")
    bean = tmp_path / "b.beancount"
    bean.write_text(bean.read_text().replace("  390.25 ~ 0 FLOUR.WHEAT", "  390.2 ~ 0 FLOUR.WHEAT"))
    done = subprocess.run([str(BEAN_CHECK), str(bean)], capture_output=True, text=True)
    assert done.returncode != 0 and "Balance failed" in done.stdout + done.stderr
    if HLEDGER:
        journal = tmp_path / "b.journal"
        journal.write_text(journal.read_text().replace('= 390.25 "FLOUR.WHEAT"',
                                                       '= 390.2 "FLOUR.WHEAT"'))  # fmt: skip
        done = subprocess.run([HLEDGER, "-f", str(journal), "check"], capture_output=True)
        assert done.returncode != 0


def _tool_failures(led: Ledger, tmp_path: Path) -> list[str]:
    """Export both formats and name the tools that refuse them."""
    bean, journal = tmp_path / "t.beancount", tmp_path / "t.journal"
    with reader(led.engine) as conn:
        write_beancount(conn, bean)
        write_hledger(conn, journal)
    runs = {"bean-check": [str(BEAN_CHECK), str(bean)]}
    if HLEDGER:
        runs["hledger"] = [HLEDGER, "-f", str(journal), "check"]
    if LEDGER:
        runs["ledger"] = [LEDGER, "-f", str(journal), "bal"]
    return [tool for tool, args in runs.items()
            if subprocess.run(args, capture_output=True, text=True).returncode != 0]  # fmt: skip


# the re-valued dispatch of `_awkward`: transit +160.2 EUR, pledged -133.3665, donor -26.8335
TAMPERED_MONEY = {
    "stored balance": [("UPDATE balance SET value = '-25.8335' WHERE account = 'donor:don.or' "
                        "AND commodity = 'flour.wheat' AND kind = 'dispatch'")],
    "stored postings": [  # still balanced by value: the tools' own balancing cannot see it
        "UPDATE posting SET value = '-25.8335' WHERE value = '-26.8335'",
        "UPDATE posting SET value = '159.2' WHERE value = '160.2'",
    ],
}  # fmt: skip


@pytest.mark.parametrize("tampered", sorted(TAMPERED_MONEY))
def test_money_assertions_come_from_the_stored_balances(sqlite_url: str, tmp_path: Path,
                                                        tampered: str) -> None:  # fmt: skip
    """The money written to the donor (a re-valued dispatch) is asserted as AidLedger stores
    it, not as the export added it up: a journal that disagrees with the stored balances
    fails in every tool, as a wrong quantity does."""
    import sqlite3

    with Ledger(sqlite_url) as led:
        _awkward(led)
        assert _tool_failures(led, tmp_path / "before") == []
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER posting_no_update")  # the journal is append-only
        for sql in TAMPERED_MONEY[tampered]:
            assert db.execute(sql).rowcount == 1
    db.close()
    with Ledger(sqlite_url, migrate=False) as led:
        failing = _tool_failures(led, tmp_path / "after")
    assert failing == ["bean-check", *(["hledger"] if HLEDGER else []),
                       *(["ledger"] if LEDGER else [])]  # fmt: skip


def test_a_corrected_dispatch_asserts_the_money_of_its_new_value(sqlite_led: Ledger,
                                                                 tmp_path: Path) -> None:  # fmt: skip
    """The money asserted is the stored value beyond the goods' declared value: a dispatch
    corrected to another unit value (reversed, booked again) keeps its lot, and the assertion
    follows the new value, not the reversed one."""
    _awkward(sqlite_led)
    receipt = ReceiptRow(receipt_ref="r.1", shipment_ref="s.kyiv", line_no=1, warehouse="wh.1",
                         date=dt.date(2023, 5, 3), received=D("390.25"), short=D("10.25"))  # fmt: skip
    dispatch = ShipmentRow(shipment_ref="s.kyiv", line_no=1, dispatch_date=dt.date(2023, 5, 1),
                           donor="don.or", recipient="kyiv", item="flour.wheat",
                           quantity=D("400.5"), unit_value=D("0.4"), currency="EUR",
                           carrier="carr_1", pledge_ref="p.1", pledge_line=1)  # fmt: skip
    for row in (receipt, dispatch):
        entry = sqlite_led.entry_of(row)
        assert entry is not None
        sqlite_led.reverse(entry, "wrong unit value")
    for row in (dispatch.model_copy(update={"unit_value": D("0.45"), "quantity": D("500")}),
                receipt.model_copy(update={"received": D("480")})):  # fmt: skip
        assert sqlite_led.post(row, rebook_reversed=True) == "corrected"
    check_exports(sqlite_led, tmp_path)
    text = (tmp_path / "books.journal").read_text(encoding="utf-8")
    assert "    Income:Donor:Don-or    0 EUR = -58.5 EUR\n" in text  # 500 × (0.45 − 0.333)


NAME = 'Paracetamol; 500 mg "forte", 10 tabs'
NAME_UK = "Парацетамол; 500 мг «форте», 10 табл."
REMARK = 'крадіжка; 1 ящик "мокрий", see: [2023-01-01]\nnext line'
COMMA, SEMICOLON = "\uff0c", "\uff1b"  # fullwidth: what hledger's syntax leaves of , and ;


def hledger_tag(journal: Path, tag: str, *query: str) -> list[str]:
    """The values of one tag as hledger itself parses them."""
    assert HLEDGER
    done = subprocess.run([HLEDGER, "-f", str(journal), "tags", f"^{tag}$", "--values", *query],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout.splitlines()


@pytest.mark.skipif(not HLEDGER, reason="hledger is not installed")
def test_hledger_keeps_human_text_as_hledger_reads_it(sqlite_led: Ledger, tmp_path: Path) -> None:
    """Names, units and remarks keep `;` and quotes in hledger's tags, as in Beancount; a comma,
    which ends a tag value in hledger, becomes a fullwidth comma (docs/exports.md), and the
    description, where `;` starts a comment, gets a fullwidth semicolon instead."""
    _awkward(sqlite_led)
    sqlite_led.post(ItemRow(code="MED-P", name=NAME, unit="pack; 10", hs_code="300490",
                            category="medicine", tracks_expiry=False, name_uk=NAME_UK))  # fmt: skip
    sqlite_led.post(ReceiptRow(receipt_ref="r.3", shipment_ref="s.KYIV", line_no=4,
                               warehouse="Wh-1", date=dt.date(2023, 5, 4), received=D("7"),
                               remarks=REMARK))  # fmt: skip
    check_exports(sqlite_led, tmp_path)
    journal = tmp_path / "books.journal"
    text = journal.read_text(encoding="utf-8")
    one_line = " ".join(REMARK.split())
    # the remark: a `memo` tag on the entry, read back by hledger, and in the description
    assert hledger_tag(journal, "memo", "tag:receipt=r.3") == [one_line.replace(",", COMMA)]
    done = subprocess.run([HLEDGER, "-f", str(journal), "descriptions", "tag:receipt=r.3"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    described = one_line.replace(";", SEMICOLON)
    assert done.stdout.splitlines() == [f"receipt:r.3/s.KYIV/4 | {described}"]
    # the item's directive: hledger 1.25 reads no tags on directives, so its comment lines are
    # read back as the comment of a transaction
    block = text.split('commodity "MED-P"\n', 1)[1].split("\ncommodity ", 1)[0]
    comments = [line for line in block.splitlines() if line.startswith("    ; ")]
    probe = tmp_path / "probe.journal"
    probe.write_text("2023-01-01 probe\n" + "\n".join(comments) + "\n    a  1\n    b\n",
                     encoding="utf-8")  # fmt: skip
    assert hledger_tag(probe, "name") == [NAME.replace(",", COMMA)]
    assert hledger_tag(probe, "name_uk") == [NAME_UK.replace(",", COMMA)]
    assert hledger_tag(probe, "unit") == ["pack; 10"]
    assert hledger_tag(probe, "code") == ["MED-P"]
    # Beancount keeps every character (bar line breaks, as in hledger)
    bean = (tmp_path / "books.beancount").read_text(encoding="utf-8")
    assert "  memo: " + '"' + one_line.replace('"', '\\"') + '"' in bean
    assert '  name: "Paracetamol; 500 mg \\"forte\\", 10 tabs"' in bean


def test_cli_export_writes_both_files(sqlite_url: str, tmp_path: Path) -> None:
    from cli import main

    Ledger(sqlite_url, migrate=False).close()
    runner = CliRunner()
    with Ledger(sqlite_url, migrate=False) as led:
        _awkward(led)
    for fmt, name in (("hledger", "x.journal"), ("beancount", "x.beancount")):
        out = tmp_path / name
        result = runner.invoke(main, ["--db", sqlite_url, "export", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert "closing balance assertions" in result.output
        assert out.read_text(encoding="utf-8").count("receipt:r.1/s.kyiv/1") >= 1
    result = runner.invoke(main, ["--db", sqlite_url, "export", "beancount"])
    assert result.exit_code == 2  # --out is required: bad usage


def test_an_entry_of_a_year_the_tools_cannot_read_is_refused_clearly(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Imports refuse such dates (schemas.fields.FIRST_DATE/LAST_DATE); a ledger written before
    they did gets a clear refusal from the export, not a traceback or a file ledger-cli rejects."""
    import sqlite3

    from cli import main

    with Ledger(sqlite_url) as led:
        _awkward(led)
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER entry_no_update")  # the journal is append-only
        db.execute("UPDATE entry SET date = '9999-12-31' WHERE id = 1")
    db.close()
    for fmt in ("hledger", "beancount"):
        out = tmp_path / f"x.{fmt}"
        result = CliRunner().invoke(main, ["--db", sqlite_url, "export", fmt, "--out", str(out)])
        assert result.exit_code == 1, result.output
        assert "entry dated 9999-12-31, outside the years 1900–2999" in result.output
        assert not out.exists()


def test_a_reversal_cannot_be_dated_outside_the_years_a_ledger_holds(sqlite_led: Ledger) -> None:
    from ledger.errors import BookingError

    _awkward(sqlite_led)
    with pytest.raises(BookingError, match="year is outside 1900–2999"):
        sqlite_led.reverse(1, "typo", dt.date(3000, 1, 1))


def test_exports_report_their_progress(sqlite_led: Ledger, sample_dir: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """A 1M-posting journal takes ~30 s to write: the exports tell a progress callback (the CLI
    draws a bar) every PROGRESS_ENTRIES entries and once at the end."""
    from reports.exports import source

    sqlite_led.import_files([sample_dir])
    monkeypatch.setattr(source, "PROGRESS_ENTRIES", 100)
    for write, name in ((write_beancount, "b.beancount"), (write_hledger, "b.journal")):
        seen: list[tuple[int, int]] = []
        with reader(sqlite_led.engine) as conn:
            stats = write(conn, tmp_path / name, progress=lambda d, n: seen.append((d, n)))
        total = stats.entries
        assert total > 300
        assert seen == [*((d, total) for d in range(100, total, 100)), (total, total)]


def test_a_customs_hold_links_to_its_shipment(sqlite_led: Ledger, tmp_path: Path) -> None:
    """A hold moves nothing, so no posting names the lot; the link comes from its reference."""
    from ledger import operations as ops
    from tests import factories as f

    f.world(sqlite_led)
    ops.dispatch(sqlite_led, f.ship("S1", qty="10"))
    for event in ("arrived", "held"):
        ops.customs(sqlite_led, f.customs("S1", event))
    check_exports(sqlite_led, tmp_path)
    text = (tmp_path / "books.beancount").read_text(encoding="utf-8")
    (held,) = [
        line for line in text.splitlines() if line.startswith('2023-03-02 * "customs:S1/held')
    ]
    assert held.endswith("^shipment/S1"), held
