"""Time a full rules check over 10,000 shipments' worth of data (target: under 5 s).

    .venv/bin/python benchmarks/bench_check.py [--shipments 10000]

The dataset is generated in memory (the rules are pure functions over a `Dataset`; loading from
the database is measured separately by the sample-data test): 10,000 consignments of 3 lines,
a customs event pair, receipts, distributions, the documents each consignment needs, monthly
stock counts, pledges — with many deliberate problems (over 20,000 findings: a heavy case).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.rules.dataset import (
    CustomsEvent,
    Dataset,
    Distribution,
    Document,
    FxRate,
    Item,
    Line,
    LotFlow,
    Party,
    Pledge,
    Receipt,
    Warehouse,
)
from ledger.rules.engine import run

D = Decimal


def generate(n_shipments: int, seed: int = 1) -> Dataset:
    rng = random.Random(seed)
    start = dt.date(2022, 3, 1)
    donors = [
        Party(f"DONOR{i}", kind="city", country=c) for i, c in enumerate("CZ PL FI BE DE".split())
    ]
    recipients = [Party(f"RCP{i}", kind="city", country="UA", aid_register_no=f"UR-{i}",
                        entity_type="lsg_body") for i in range(5)]  # fmt: skip
    benef = [Party(f"HOSP{i}", kind="hospital", country="UA") for i in range(20)]
    items = [
        Item("MED", category="medicine", tracks_expiry=True, hs_code="300490"),
        Item("FOOD", category="food", tracks_expiry=True, hs_code="160250"),
        Item("GEN", category="energy", hs_code="850220"),
        Item("BLANKET", category="shelter", hs_code="630140"),
        Item("DRONE", category="equipment", hs_code="880622", flags=frozenset({"dual_use"})),
    ]
    whs = [Warehouse(f"WH{i}", f"RCP{i}") for i in range(5)]
    fx = [FxRate(start + dt.timedelta(days=d), c, D("30"))
          for d in range(1100) for c in ("EUR", "CZK", "PLN")]  # fmt: skip
    lines, customs, receipts, dists, docs, pledges = [], [], [], [], [], []
    flows: dict[tuple[str, int], LotFlow] = {}
    for n in range(n_shipments):
        ref = f"S{n:06d}"
        disp = start + dt.timedelta(days=n * 900 // n_shipments)
        donor, rcp = donors[n % 5].code, f"RCP{n % 5}"
        route = "CZ>PL>UA" if rng.random() > 0.01 else "FI>EE>LV>BY>UA"
        aid = (
            (f"UA-HA-{n}", disp - dt.timedelta(days=4))
            if disp >= dt.date(2023, 12, 1)
            else (None, None)
        )
        pref = f"P{n // 3:06d}"
        if n % 3 == 0:
            pledges += [Pledge(donor, pref, k, disp - dt.timedelta(days=20), rcp, it.code, D(300),
                               D(10), "EUR", "commitment") for k, it in enumerate(items[:3], 1)]  # fmt: skip
        arrived = disp + dt.timedelta(days=3)
        for k in range(1, 4):
            it = items[(n + k) % len(items)]
            expiry = (
                disp + dt.timedelta(days=rng.choice((500, 500, 500, 200, -5)))
                if it.tracks_expiry
                else None
            )
            lines.append(Line(
                ref, k, disp, donor, rcp, it.code, D(100), D(10), "EUR", n * 3 + k,
                pref if k <= 3 and it in items[:3] else None, k if it in items[:3] else None,
                f"B{n}-{k}" if expiry else None, expiry, D(250), 10, f"V{n % 50}", f"W{n}",
                "CARR", route, aid[0], aid[1], "electronic" if aid[0] else None,
                export_mrn=f"MRN{n}", exit_confirmed_at=arrived, seal_nos="S1",
                licence_no="L1" if rng.random() > 0.02 else None,
            ))  # fmt: skip
            if n % 10 != 9:
                short = D(2) if rng.random() < 0.02 else D(0)
                receipts.append(Receipt(f"R{n}", ref, k, arrived + dt.timedelta(days=1),
                                        f"WH{n % 5}", D(100) - short, short,
                                        fx_rate=D(30), fx_rate_date=arrived + dt.timedelta(days=1),
                                        fx_source="NBU", value_uah=D(30000)))  # fmt: skip
                dists.append(Distribution(f"A{n}", k, arrived + dt.timedelta(days=5), rcp,
                                          f"WH{n % 5}", f"HOSP{n % 20}", it.code,
                                          D(60) - short))  # fmt: skip
                flows[(ref, k)] = LotFlow(D(40), D(60) - short, D(0))
        customs += [CustomsEvent(ref, "arrived", arrived, f"DECL{n}"),
                    CustomsEvent(ref, "released", arrived, f"DECL{n}")]  # fmt: skip
        for kind in ("donation_letter", "recipient_consent", "packing_list", "gift_certificate"):
            docs.append(Document(kind, f"{kind}-{n}", ref, disp, signed=True, signatory="x"))
        docs.append(Document("proforma", f"PF-{n}", ref, disp, value=D(3000)))
        if aid[0]:
            docs.append(Document("ahars_registration", aid[0], ref, aid[1], packages=30,
                                 pieces=D(300), gross_kg=D(750)))  # fmt: skip
        if n % 10 != 9:
            docs.append(Document("acceptance_act", f"AA-{n}", ref, arrived, signed=True,
                                 signatory="commission"))  # fmt: skip
    for i in range(5):
        d = start
        while d < start + dt.timedelta(days=1000):
            docs.append(Document("stock_count", f"INV-{i}-{d}", f"WH{i}", d, signed=True))
            d += dt.timedelta(days=30)
    return Dataset.build(
        parties=donors + recipients + benef, items=items, warehouses=whs, fx_rates=fx,
        pledges=pledges, lines=lines, customs=customs, receipts=receipts, distributions=dists,
        documents=docs, lot_flows=flows,
    )  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shipments", type=int, default=10_000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ds = generate(args.shipments)
    t1 = time.perf_counter()
    result = run(ds, as_of=dt.date(2024, 10, 31))
    t2 = time.perf_counter()
    c = result.counts
    print(f"generated {args.shipments} shipments ({len(ds.lines)} lines, {len(ds.receipts)} "
          f"receipts, {len(ds.documents)} documents) in {t1 - t0:.2f} s")  # fmt: skip
    print(f"full check ({len(result.rules_run)} rules, all packs): {t2 - t1:.2f} s — "
          f"{c['error']} errors, {c['warning']} warnings, {c['info']} info")  # fmt: skip
    print("target < 5 s:", "OK" if t2 - t1 < 5 else "TOO SLOW")


if __name__ == "__main__":
    main()
