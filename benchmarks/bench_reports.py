"""Benchmark the packs: our overhead (queries + templating) against WeasyPrint's layout time.

    .venv/bin/python benchmarks/bench_reports.py

Builds a throwaway SQLite ledger with a 1,000-line consignment and a donor with 100 consignments
(received and distributed), then times, for a customs pack and a donor pack:
queries (building the Document from the ledger), templating (Jinja2 HTML) and WeasyPrint
(layout + PDF of that same HTML). Target: queries + templating < 20 % of WeasyPrint's time.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.api import Ledger
from ledger.booking import book_row
from reports import render
from reports.produce import build
from schemas.rows import (
    DistributionRow,
    FxRateRow,
    ItemRow,
    PartyRow,
    ReceiptRow,
    ShipmentRow,
    WarehouseRow,
)

DAY0 = dt.date(2023, 3, 1)


def populate(led: Ledger) -> None:
    rows: list = []
    for code, kind, country, local in [
        ("PRAGUE", "city", "CZ", "Hlavní město Praha"), ("KYOTO", "city", "JP", "京都市"),
        ("KYIV", "municipal_body", "UA", "Київська міська державна адміністрація"),
        ("HOSP", "hospital", "UA", "Лікарня № 1"), ("CARRIER", "carrier", "PL", "Trans-Odra"),
    ]:  # fmt: skip
        rows.append(PartyRow.model_validate({"code": code, "name": code.title(), "kind": kind,
                                             "country": country, "name_local": local}))  # fmt: skip
    for i in range(40):
        rows.append(ItemRow(code=f"IT{i:02d}", name=f"Item {i} with a fairly long descriptive name",
                            unit="pcs", hs_code=f"{630140 + i}", category="shelter",
                            tracks_expiry=False, name_uk=f"Товар {i}"))  # fmt: skip
    rows.append(WarehouseRow(code="WH", party="KYIV", name="Kyiv central", settlement="Київ"))
    for n in range(200):
        for cur, rate in (("CZK", "1.6"), ("JPY", "0.27")):
            rows.append(FxRateRow(date=DAY0 + dt.timedelta(days=n), currency=cur, rate=D(rate),
                                  base="UAH", source="NBU"))  # fmt: skip
    for ln in range(1, 1001):  # one consignment of 1,000 lines
        rows.append(ShipmentRow(shipment_ref="BIG-1", line_no=ln, dispatch_date=DAY0, donor="PRAGUE",
                                recipient="KYIV", item=f"IT{ln % 40:02d}", quantity=D(10 + ln % 7),
                                unit_value=D("123.45"), currency="CZK", gross_kg=D("12.5"),
                                packages=2, carrier="CARRIER", vehicle_reg="1AB 2345",
                                waybill_no="CMR-1", route="CZ>PL>UA"))  # fmt: skip
    for s in range(100):  # a donor with 100 consignments, received and distributed
        day = DAY0 + dt.timedelta(days=s)
        for ln in range(1, 4):
            rows.append(ShipmentRow(shipment_ref=f"KY-{s:03d}", line_no=ln, dispatch_date=day,
                                    donor="KYOTO", recipient="KYIV", item=f"IT{(s + ln) % 40:02d}",
                                    quantity=D(100), unit_value=D(2500), currency="JPY",
                                    carrier="CARRIER"))  # fmt: skip
            rows.append(ReceiptRow(receipt_ref=f"R-{s:03d}", shipment_ref=f"KY-{s:03d}", line_no=ln,
                                   date=day + dt.timedelta(days=3), warehouse="WH",
                                   received=D(98), short=D(2), remarks="2 missing at unloading"))  # fmt: skip
    with led.booking() as book:
        for row in rows:
            book_row(book, row)
    with led.booking() as book:
        for s in range(100):
            for ln in range(1, 4):
                book_row(book, DistributionRow(
                    distribution_ref=f"D-{s:03d}", line_no=ln, date=DAY0 + dt.timedelta(days=s + 5),
                    recipient="KYIV", warehouse="WH", beneficiary="HOSP",
                    item=f"IT{(s + ln) % 40:02d}", quantity=D(50), settlement="Київ"))  # fmt: skip


def measure(led: Ledger, label: str, kind: str, **params: str) -> float:
    build(led, kind, **params)  # warm caches (imports, translations, Babel data)
    t0 = time.perf_counter()
    doc = build(led, kind, **params)
    t1 = time.perf_counter()
    markup = render.html(doc)
    t2 = time.perf_counter()
    pdf = render.pdf_bytes(markup)
    t3 = time.perf_counter()
    queries, templating, layout = t1 - t0, t2 - t1, t3 - t2
    ratio = (queries + templating) / layout
    rows = sum(len(s.rows) for s in doc.sections)
    print(f"{label:34} rows {rows:5}  queries {queries:6.3f}s  templating {templating:6.3f}s  "
          f"WeasyPrint {layout:6.2f}s  PDF {len(pdf) // 1024:5} KiB  overhead {ratio:6.1%}"
          f"  {'OK' if ratio < 0.20 else 'OVER the 20% target'}")  # fmt: skip
    return ratio


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        led = Ledger(f"sqlite:///{Path(tmp) / 'bench.db'}")
        t0 = time.perf_counter()
        populate(led)
        print(f"ledger built in {time.perf_counter() - t0:.1f}s")
        worst = max(
            measure(led, "customs pack, 1,000-line shipment", "customs-pack", shipment="BIG-1"),
            measure(led, "donor pack, 100 shipments", "donor-pack", donor="KYOTO"),
        )
        led.close()
    print(f"worst overhead: {worst:.1%} of WeasyPrint's time (target < 20%)")
    return 0 if worst < 0.20 else 1


if __name__ == "__main__":
    sys.exit(main())
