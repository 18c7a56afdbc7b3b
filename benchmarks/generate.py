#!/usr/bin/env python3
"""Generate a realistic synthetic AidLedger data set in the exchange format (FORMATS.md).

    python benchmarks/generate.py --size 100k --seed 1 --out /tmp/aid-100k

`--size` is the number of journal postings the import will book (10k, 100k, 245k, 1M ...); the
generator simulates the ledger while it writes, so it knows each event's postings and stops at
the target. The data has what a national hub sees: donor cities pledging to Ukrainian cities,
multi-line consignments (some against pledge lines, some unpledged, some beyond the pledge),
customs arrival / hold / release, receipts split over trucks with shortages, damage and the odd
excess, FEFO distributions to hospitals, schools and utilities, transfers between warehouses and
write-offs. The simulation replays the importer's order (by date, then pledge → dispatch →
customs → receipt → distribution → write-off → transfer, then file row), so every file is
accepted: stock never goes negative, receipts never exceed what is in transit, nothing is
received while at customs. Standard library only; the same seed gives the same files.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

START = dt.date(2022, 3, 1)

DONORS = {  # code: (currency, country)
    "PRAGUE": ("CZK", "CZ"), "WROCLAW": ("PLN", "PL"), "HELSINKI": ("EUR", "FI"),
    "BRUSSELS": ("EUR", "BE"), "DUBLIN": ("EUR", "IE"), "KYOTO": ("JPY", "JP"),
    "TAIPEI": ("TWD", "TW"), "VILNIUS": ("EUR", "LT"), "RIGA": ("EUR", "LV"),
    "KRAKOW": ("PLN", "PL"), "BRNO": ("CZK", "CZ"), "TALLINN": ("EUR", "EE"),
}  # fmt: skip
RECIPIENTS = ["KYIV", "LVIV", "KHARKIV", "ODESA", "DNIPRO", "ZAPORIZHZHIA", "MYKOLAIV", "CHERNIHIV"]
BENEFICIARY_KINDS = [("HOSP", "hospital"), ("SCH", "school"), ("TEPLO", "communal_enterprise"),
                     ("VODA", "communal_enterprise"), ("SOC", "budget_institution"),
                     ("EMS", "hospital")]  # fmt: skip
CARRIERS = {"CARR-CZ-1": "CZ", "CARR-PL-1": "PL", "CARR-PL-2": "PL", "CARR-UA-1": "UA",
            "CARR-LT-1": "LT"}  # fmt: skip
CATEGORIES = [  # prefix, category, unit, hs, tracks expiry, unit value range (EUR), qty range
    ("MED", "medicine", "pack", "300490", True, (1, 40), (200, 5000)),
    ("MS", "medical", "pcs", "901890", False, (2, 300), (50, 3000)),
    ("FD", "food", "kg", "190190", True, (1, 8), (500, 20000)),
    ("HY", "hygiene", "pack", "340111", False, (1, 12), (200, 8000)),
    ("SH", "shelter", "pcs", "630140", False, (10, 120), (50, 2000)),
    ("EN", "energy", "pcs", "850220", False, (100, 6000), (2, 60)),
    ("CL", "clothing", "pcs", "620193", False, (8, 80), (100, 3000)),
]
RATE_TO_UAH = {"CZK": Decimal("1.45"), "PLN": Decimal("8.6"), "EUR": Decimal("40.1"),
               "JPY": Decimal("0.27"), "TWD": Decimal("1.2")}  # fmt: skip
FX_FROM_EUR = {"CZK": 24, "PLN": 4.5, "EUR": 1, "JPY": 150, "TWD": 34}
EVENT_FILES = ["pledges", "shipments", "customs", "receipts", "distributions", "writeoffs",
               "transfers"]  # fmt: skip
HEADERS = {
    "parties": ["code", "name", "kind", "country", "name_local"],
    "items": ["code", "name", "unit", "hs_code", "category", "tracks_expiry", "name_uk"],
    "warehouses": ["code", "party", "name", "settlement"],
    "fx_rates": ["date", "currency", "rate", "base", "source"],
    "pledges": ["pledge_ref", "line_no", "date", "donor", "recipient", "item", "quantity",
                "unit_value", "currency", "status"],
    "shipments": ["shipment_ref", "line_no", "dispatch_date", "donor", "recipient", "item",
                  "quantity", "unit_value", "currency", "pledge_ref", "pledge_line", "batch",
                  "expiry", "gross_kg", "packages", "vehicle_reg", "waybill_no", "carrier",
                  "route"],
    "customs": ["shipment_ref", "event", "date", "declaration_no", "office", "note"],
    "receipts": ["receipt_ref", "shipment_ref", "line_no", "date", "warehouse", "received",
                 "short", "damaged", "excess", "remarks"],
    "distributions": ["distribution_ref", "line_no", "date", "recipient", "warehouse",
                      "beneficiary", "item", "quantity", "batch", "settlement"],
    "writeoffs": ["writeoff_ref", "line_no", "date", "recipient", "warehouse", "item", "quantity",
                  "batch", "reason"],
    "transfers": ["transfer_ref", "line_no", "date", "from_warehouse", "to_warehouse", "item",
                  "quantity", "batch"],
}  # fmt: skip


@dataclass
class Item:
    code: str
    unit: str
    tracks_expiry: bool
    unit_value_eur: Decimal
    qty: tuple[int, int]
    decimals: int  # 0 for pieces, 1 for kg / l


@dataclass
class Lot:
    id: int
    item: Item
    batch: str | None
    expiry: dt.date | None
    dispatch: dt.date


@dataclass
class PledgeLine:
    donor: str
    ref: str
    line: int
    recipient: str
    item: Item
    unit_value: Decimal
    remaining: Decimal


@dataclass
class Line:
    shipment: str
    line_no: int
    lot: Lot
    donor: str
    recipient: str
    unit_value: Decimal
    in_transit: Decimal
    carrier: str


@dataclass
class Shipment:
    ref: str
    lines: list[Line]
    at_customs: bool = False
    declaration: str | None = None  # one customs declaration for all its events


@dataclass
class Sim:
    rng: random.Random
    target: int
    postings: int = 0
    rows: dict[str, list[list[object]]] = field(default_factory=lambda: defaultdict(list))
    items: list[Item] = field(default_factory=list)
    warehouses: dict[str, list[str]] = field(default_factory=dict)  # recipient -> codes
    beneficiaries: dict[str, list[str]] = field(default_factory=dict)
    pledges: dict[tuple[str, str], list[PledgeLine]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # stock[warehouse][item code][lot id] = quantity; lots in FEFO order are derived on demand
    stock: dict[str, dict[str, dict[int, Decimal]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(dict))
    )
    lots: dict[int, Lot] = field(default_factory=dict)
    agenda: dict[dt.date, dict[str, list[object]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def next(self, kind: str) -> int:
        self.counters[kind] += 1
        return self.counters[kind]

    def later(self, day: dt.date, kind: str, what: object) -> None:
        self.agenda[day][kind].append(what)

    def quantity(self, item: Item, low: float, high: float) -> Decimal:
        q = self.rng.uniform(low, high)
        return Decimal(str(round(q, item.decimals))) if item.decimals else Decimal(max(1, round(q)))


def money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * mult)


# ---------------------------------------------------------------- master data


def master(sim: Sim, days: int) -> None:
    rng = sim.rng
    parties = sim.rows["parties"]
    for code, (_cur, country) in DONORS.items():
        parties.append([code, f"City of {code.title()}", "city", country, ""])
    for code in RECIPIENTS:
        parties.append(
            [code, f"{code.title()} City Council", "city", "UA", f"Місто {code.title()}"]
        )
        sim.warehouses[code] = [f"{code}-WH-{i}" for i in range(1, 4)]
        sim.beneficiaries[code] = []
        for suffix, kind in BENEFICIARY_KINDS:
            for n in range(1, 4):
                b = f"{code}-{suffix}-{n}"
                sim.beneficiaries[code].append(b)
                parties.append([b, f"{code.title()} {suffix.lower()} {n}", kind, "UA", ""])
    for code, country in CARRIERS.items():
        parties.append([code, f"Carrier {code}", "carrier", country, ""])
    for recipient, codes in sim.warehouses.items():
        for i, wh in enumerate(codes, start=1):
            sim.rows["warehouses"].append([wh, recipient, f"{recipient.title()} warehouse {i}",
                                           recipient.title()])  # fmt: skip
    for prefix, category, unit, hs, expiry, (vlo, vhi), qty in CATEGORIES:
        for n in range(1, 31):
            code = f"{prefix}-{n:03d}"
            value = Decimal(str(round(rng.uniform(vlo, vhi), 2)))
            decimals = 1 if unit == "kg" else 0
            sim.items.append(Item(code, unit, expiry, value, qty, decimals))
            sim.rows["items"].append([code, f"{category.title()} article {n}", unit, hs, category,
                                      "true" if expiry else "false", f"Товар {code}"])  # fmt: skip
    for d in range(days + 120):
        day = START + dt.timedelta(days=d)
        for cur, rate in RATE_TO_UAH.items():
            wobble = Decimal(str(round(rng.uniform(-0.02, 0.02), 4)))
            sim.rows["fx_rates"].append([day.isoformat(), cur, str(rate + rate * wobble),
                                         "UAH", "NBU"])  # fmt: skip


# ---------------------------------------------------------------- events, one day at a time


def pledge(sim: Sim, day: dt.date) -> None:
    rng = sim.rng
    donor = rng.choice(list(DONORS))
    recipient = rng.choice(RECIPIENTS)
    currency = DONORS[donor][0]
    ref = f"PL-{donor}-{sim.next('pledge'):06d}"
    for line, item in enumerate(rng.sample(sim.items, rng.randint(1, 6)), start=1):
        q = sim.quantity(item, *item.qty) * 2
        uv = money(item.unit_value_eur * Decimal(FX_FROM_EUR[currency]))
        sim.rows["pledges"].append([ref, line, day.isoformat(), donor, recipient, item.code, q, uv,
                                    currency, rng.choice(["pledge", "commitment"])])  # fmt: skip
        sim.pledges[(donor, recipient)].append(PledgeLine(donor, ref, line, recipient, item, uv, q))
        sim.postings += 2


def ship(sim: Sim, day: dt.date) -> None:
    rng = sim.rng
    donor = rng.choice(list(DONORS))
    recipient = rng.choice(RECIPIENTS)
    currency = DONORS[donor][0]
    ref = f"SH-{donor}-{sim.next('shipment'):07d}"
    carrier = rng.choice(list(CARRIERS))
    vehicle = f"{rng.choice('ABCEHKMOPTX')}{rng.randint(1000, 9999)}{rng.choice('ABCEHKMOPTX')}"
    open_pledges = [p for p in sim.pledges.get((donor, recipient), []) if p.remaining > 0]
    lines: list[Line] = []
    n_lines = rng.randint(1, 12)
    for line_no in range(1, n_lines + 1):
        pl = rng.choice(open_pledges) if open_pledges and rng.random() < 0.75 else None
        item = pl.item if pl else rng.choice(sim.items)
        if any(ln.lot.item is item for ln in lines):
            continue  # one line per item in a consignment
        q = sim.quantity(item, *item.qty)
        uv = pl.unit_value if pl else money(item.unit_value_eur * Decimal(FX_FROM_EUR[currency]))
        postings = 2
        if pl is not None:
            if rng.random() < 0.05:  # re-valued at dispatch: the difference goes to the donor
                uv = money(uv * Decimal("1.1"))
                postings += 1
            if q > pl.remaining:
                postings += 1 if pl.remaining > 0 else 0  # part pledged, the rest unpledged
            pl.remaining -= min(q, pl.remaining)
        lot_id = len(sim.lots) + 1
        batch = f"B{lot_id:07d}" if item.tracks_expiry else None
        expiry = day + dt.timedelta(days=rng.randint(200, 900)) if item.tracks_expiry else None
        lot = Lot(lot_id, item, batch, expiry, day)
        sim.lots[lot_id] = lot
        lines.append(Line(ref, line_no, lot, donor, recipient, uv, q, carrier))
        sim.rows["shipments"].append([
            ref, line_no, day.isoformat(), donor, recipient, item.code, q, uv, currency,
            pl.ref if pl else "", pl.line if pl else "", batch or "",
            expiry.isoformat() if expiry else "", str(q * 2), rng.randint(1, 40), vehicle,
            f"CMR-{ref}", carrier, f"{DONORS[donor][1]}>UA" if DONORS[donor][1] != "UA" else "UA",
        ])  # fmt: skip
        sim.postings += postings
    shipment = Shipment(ref, lines)
    if rng.random() < 0.9:  # most consignments clear customs; some pass a simplified regime
        arrive = day + dt.timedelta(days=rng.randint(1, 4))
        sim.later(arrive, "customs", (shipment, "arrived"))
        if rng.random() < 0.05:
            sim.later(arrive + dt.timedelta(days=1), "customs", (shipment, "held"))
            release = arrive + dt.timedelta(days=rng.randint(2, 6))
        else:
            release = arrive + dt.timedelta(days=rng.randint(0, 2))
        sim.later(release, "customs", (shipment, "released"))
        first_receipt = release + dt.timedelta(days=rng.randint(1, 3))
    else:
        first_receipt = day + dt.timedelta(days=rng.randint(2, 6))
    if rng.random() < 0.02:
        return  # lost track of: stays in transit
    for ln in lines:
        if rng.random() < 0.2:  # two trucks: two receipts
            part = (ln.in_transit * Decimal(rng.choice(["0.4", "0.5", "0.6"]))).quantize(
                Decimal(1) if ln.lot.item.decimals == 0 else Decimal("0.1")
            )
            if part <= 0 or part >= ln.in_transit:
                part = ln.in_transit
            sim.later(first_receipt, "receipts", (ln, part))
            if part < ln.in_transit:
                sim.later(first_receipt + dt.timedelta(days=rng.randint(1, 5)), "receipts",
                          (ln, None))  # fmt: skip
        else:
            sim.later(first_receipt, "receipts", (ln, None))


def customs(sim: Sim, day: dt.date, shipment: Shipment, event: str) -> None:
    moving = sum(1 for ln in shipment.lines if ln.in_transit > 0)
    if event == "arrived":
        if moving == 0:
            return
        shipment.at_customs = True
        sim.postings += 2 * moving
    elif event == "released":
        if not shipment.at_customs:
            return
        shipment.at_customs = False
        sim.postings += 2 * moving
    drawn = f"UA{sim.rng.randint(100000, 999999)}/{day.year}/{moving}"  # drawn every time:
    shipment.declaration = shipment.declaration or drawn  # the rest of the data stays the same
    sim.rows["customs"].append([shipment.ref, event, day.isoformat(), shipment.declaration,
                                "Yahodyn", ""])  # fmt: skip


def receive(sim: Sim, day: dt.date, ln: Line, part: Decimal | None) -> None:
    rng = sim.rng
    take = ln.in_transit if part is None else min(part, ln.in_transit)
    if take <= 0:
        return
    short = damaged = excess = Decimal(0)
    roll = rng.random()
    unit = Decimal(1) if ln.lot.item.decimals == 0 else Decimal("0.1")
    if roll < 0.08 and take > 10:
        short = (take * Decimal("0.03")).quantize(unit) or unit
    elif roll < 0.13 and take > 10:
        damaged = (take * Decimal("0.02")).quantize(unit) or unit
    elif roll < 0.15:
        excess = unit * rng.randint(1, 5)
    received = take - short - damaged + excess
    warehouse = rng.choice(sim.warehouses[ln.recipient])
    ref = f"GRN-{ln.recipient}-{sim.next('receipt'):07d}"
    sim.rows["receipts"].append([ref, ln.shipment, ln.line_no, day.isoformat(), warehouse,
                                 received, short, damaged, excess,
                                 "short on arrival" if short else ""])  # fmt: skip
    ln.in_transit -= take
    sim.postings += 1 + (received > 0) + (short > 0) + (damaged > 0) + (excess > 0)
    if received > 0:
        held = sim.stock[warehouse][ln.lot.item.code]
        held[ln.lot.id] = held.get(ln.lot.id, Decimal(0)) + received
        # hand it out over the next weeks: two to four distributions
        for _ in range(rng.randint(2, 4)):
            when = day + dt.timedelta(days=rng.randint(1, 60))
            sim.later(when, "distributions", (ln.recipient, warehouse, ln.lot.item))
        if rng.random() < 0.03:
            sim.later(day + dt.timedelta(days=rng.randint(5, 90)), "writeoffs",
                      (ln.recipient, warehouse, ln.lot.item))  # fmt: skip
        if rng.random() < 0.03:
            sim.later(day + dt.timedelta(days=rng.randint(2, 30)), "transfers",
                      (ln.recipient, warehouse, ln.lot.item))  # fmt: skip


def _fefo(sim: Sim, held: dict[int, Decimal]) -> list[int]:
    """The importer's picking order: earliest expiry, no expiry last, then oldest, then id."""

    def key(lot_id: int) -> tuple[bool, dt.date, dt.date, int]:
        lot = sim.lots[lot_id]
        return (lot.expiry is None, lot.expiry or dt.date.max, lot.dispatch, lot_id)

    return sorted((i for i, q in held.items() if q > 0), key=key)


def issue(sim: Sim, warehouse: str, item: Item, quantity: Decimal) -> int:
    """Take `quantity` out of stock FEFO; returns how many lots were touched."""
    held = sim.stock[warehouse][item.code]
    left, touched = quantity, 0
    for lot_id in _fefo(sim, held):
        take = min(held[lot_id], left)
        held[lot_id] -= take
        if held[lot_id] == 0:
            del held[lot_id]
        left -= take
        touched += 1
        if left == 0:
            break
    assert left == 0
    return touched


def on_hand(sim: Sim, warehouse: str, item: Item) -> Decimal:
    return sum(sim.stock[warehouse][item.code].values(), Decimal(0))


def distribute(sim: Sim, day: dt.date, recipient: str, warehouse: str, item: Item) -> None:
    rng = sim.rng
    available = on_hand(sim, warehouse, item)
    if available <= 0:
        return
    share = Decimal(rng.choice(["0.2", "0.3", "0.4", "0.5", "1"]))
    unit = Decimal(1) if item.decimals == 0 else Decimal("0.1")
    q = max(unit, (available * share).quantize(unit))
    q = min(q, available)
    ref = f"DA-{recipient}-{sim.next('distribution'):07d}"
    beneficiary = rng.choice(sim.beneficiaries[recipient])
    sim.rows["distributions"].append([ref, 1, day.isoformat(), recipient, warehouse, beneficiary,
                                      item.code, q, "", recipient.title()])  # fmt: skip
    sim.postings += 2 * issue(sim, warehouse, item, q)


def write_off(sim: Sim, day: dt.date, recipient: str, warehouse: str, item: Item) -> None:
    rng = sim.rng
    held = sim.stock[warehouse][item.code]
    lots = _fefo(sim, held)
    if not lots:
        return
    lot = sim.lots[lots[0]]
    unit = Decimal(1) if item.decimals == 0 else Decimal("0.1")
    q = max(unit, (held[lot.id] * Decimal("0.1")).quantize(unit))
    reason = "expired" if lot.expiry and lot.expiry <= day else rng.choice(["damaged", "stolen"])
    ref = f"WO-{recipient}-{sim.next('writeoff'):06d}"
    sim.rows["writeoffs"].append([ref, 1, day.isoformat(), recipient, warehouse, item.code, q,
                                  lot.batch or "", reason])  # fmt: skip
    if lot.batch:  # a named batch: only that lot
        held[lot.id] -= q
        if held[lot.id] == 0:
            del held[lot.id]
        sim.postings += 2
    else:
        sim.postings += 2 * issue(sim, warehouse, item, q)


def transfer(sim: Sim, day: dt.date, recipient: str, warehouse: str, item: Item) -> None:
    available = on_hand(sim, warehouse, item)
    if available <= 0:
        return
    unit = Decimal(1) if item.decimals == 0 else Decimal("0.1")
    q = max(unit, (available * Decimal("0.25")).quantize(unit))
    target = sim.rng.choice([w for w in sim.warehouses[recipient] if w != warehouse])
    ref = f"TR-{recipient}-{sim.next('transfer'):06d}"
    sim.rows["transfers"].append([ref, 1, day.isoformat(), warehouse, target, item.code, q, ""])
    held_before = dict(sim.stock[warehouse][item.code])
    touched = issue(sim, warehouse, item, q)
    sim.postings += 2 * touched
    dest = sim.stock[target][item.code]
    for lot_id, before in held_before.items():
        moved = before - sim.stock[warehouse][item.code].get(lot_id, Decimal(0))
        if moved:
            dest[lot_id] = dest.get(lot_id, Decimal(0)) + moved


def simulate(size: int, seed: int) -> Sim:
    sim = Sim(random.Random(seed), size)
    # ~16 postings per shipment line over its life; spread the data over up to three years
    days = max(90, min(3 * 365, size // 300))
    master(sim, days)
    lines_per_day = size / 13 / days
    shipments_per_day = lines_per_day / 6.5
    pledges_per_day = shipments_per_day * 0.5
    day = START
    while sim.postings < size:
        for _ in range(_poisson(sim.rng, pledges_per_day)):
            pledge(sim, day)
        for _ in range(_poisson(sim.rng, shipments_per_day)):
            ship(sim, day)
        todo = sim.agenda.pop(day, {})
        for shipment, event in todo.get("customs", []):  # type: ignore[misc]
            customs(sim, day, shipment, event)
        for ln, part in todo.get("receipts", []):  # type: ignore[misc]
            receive(sim, day, ln, part)
        for args in todo.get("distributions", []):
            distribute(sim, day, *args)  # type: ignore[misc]
        for args in todo.get("writeoffs", []):
            write_off(sim, day, *args)  # type: ignore[misc]
        for args in todo.get("transfers", []):
            transfer(sim, day, *args)  # type: ignore[misc]
        day += dt.timedelta(days=1)
        if day > START + dt.timedelta(days=10 * days + 365):  # a safety stop only
            break
    # the rates must cover every event day
    last_rate = dt.date.fromisoformat(str(sim.rows["fx_rates"][-1][0]))
    d = last_rate + dt.timedelta(days=1)
    while d <= day:
        for cur, rate in RATE_TO_UAH.items():
            sim.rows["fx_rates"].append([d.isoformat(), cur, str(rate), "UAH", "NBU"])
        d += dt.timedelta(days=1)
    return sim


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, normal approximation for large ones)."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def write(sim: Sim, out: Path) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for kind, header in HEADERS.items():
        rows = sim.rows.get(kind, [])
        with (out / f"{kind}.csv").open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
        counts[kind] = len(rows)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="10k", help="postings to generate: 10k, 100k, 1M ...")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="folder for the CSV files")
    args = parser.parse_args(argv)
    size = parse_size(args.size)
    sim = simulate(size, args.seed)
    counts = write(sim, args.out)
    rows = sum(counts[k] for k in EVENT_FILES)
    print(f"{args.out}: {sim.postings} postings expected from {rows} event rows "
          f"({', '.join(f'{k} {n}' for k, n in counts.items())})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
