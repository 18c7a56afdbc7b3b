"""Medicine and food quality rules (QLT), pack `medicines-food`.

Shelf life is measured from the day the goods reach Ukraine when known (border, customs or
receipt). Goods not there yet cannot arrive before the day the check is made for (`--as-of`),
nor before their dispatch: their shelf life is measured from the later of the two.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ledger.rules.dataset import Dataset, Line, Shipment
from ledger.rules.model import ERROR, WARNING, Ctx, Finding, days, rule


def _arrival(s: Shipment, ctx: Ctx) -> dt.date:
    """The day the goods reached Ukraine, or the earliest day they still can."""
    return s.import_day(ctx.as_of)


def _left(s: Shipment, ln: Line, ctx: Ctx) -> int | None:
    return None if ln.expiry is None else (ln.expiry - _arrival(s, ctx)).days


def _exception_open(ctx: Ctx, s: Shipment) -> bool:
    until = ctx.other("QLT-002", "exception_until")
    return until in (None, "") or _arrival(s, ctx) <= until


def _on_arrival(s: Shipment, ctx: Ctx) -> str:
    day = _arrival(s, ctx)
    return f"on arrival ({day})" if s.crossed_on else f"on arrival (not arrived by {day})"


def _lines(ds: Dataset, ctx: Ctx, category: str) -> Iterator[tuple[Shipment, Line]]:
    for s in ctx.shipments:
        for ln in s.lines:
            item = ds.items.get(ln.item)
            if item is not None and item.category == category:
                yield s, ln


@rule(
    "QLT-001", "Medicines arrive with at least a year of shelf life",
    severity=ERROR, pack="medicines-food", sources=("WHO-DD",), grade="A",
    reads=("shipments", "items"), params={"min_remaining_shelf_life_days": 365},
    fix="Replace the batch with a longer-dated one, or (martial law) attach a justification that "
        "it will be used before expiry in `short_date_justification` (QLT-002).",
)  # fmt: skip
def qlt_001(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    minimum = ctx.p("min_remaining_shelf_life_days")
    for s, ln in _lines(ds, ctx, "medicine"):
        left = _left(s, ln, ctx)
        if left is None or left < 0 or left >= minimum:
            continue  # expired lines are QLT-003's (the expiry day itself is still usable)
        if ln.short_date_justification and ctx.enabled("QLT-002") and _exception_open(ctx, s):
            continue  # QLT-002 (when on): allowed with a justification, as a warning
        yield ctx.finding(ln.where, f"{ln.item} batch {ln.batch} (expiry {ln.expiry}) has "
                          f"{days(left)} of shelf life left {_on_arrival(s, ctx)}; at least {minimum} "
                          "required",
                          field="expiry", value=ln.expiry, shipment=s.ref,
                          line=ln.line_no)  # fmt: skip


@rule(
    "QLT-002", "Short-dated medicines allowed under martial law with a justification",
    severity=WARNING, pack="medicines-food", sources=("UA-MED",), grade="B",
    reads=("shipments", "items"), params={"exception_until": ""},
    fix="Check the justification and hand these out first (FEFO) well before expiry.",
)  # fmt: skip
def qlt_002(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """`exception_until` empty: martial law continues (set it to end of martial law + 6 months)."""
    minimum = ctx.other("QLT-001", "min_remaining_shelf_life_days")
    for s, ln in _lines(ds, ctx, "medicine"):
        left = _left(s, ln, ctx)
        if left is None or left < 0 or left >= minimum or not ln.short_date_justification:
            continue
        if _exception_open(ctx, s):
            yield ctx.finding(ln.where, f"short-dated {ln.item} batch {ln.batch} ("
                              f"{days(left)} left, expiry {ln.expiry}) admitted under the martial-law "
                              f"exception: {ln.short_date_justification}",
                              field="short_date_justification",
                              value=ln.short_date_justification, shipment=s.ref,
                              line=ln.line_no)  # fmt: skip


@rule(
    "QLT-003", "Never ship expired goods, returned medicines or free samples",
    severity=ERROR, pack="medicines-food", sources=("WHO-DD",), grade="A",
    reads=("shipments", "items"),
    fix="Take the line off the consignment (or write it off as expired and destroy it); never "
        "send returned medicines or samples.",
)  # fmt: skip
def qlt_003(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    for s in ctx.shipments:
        for ln in s.lines:
            item = ds.items.get(ln.item)
            if item is None:
                continue
            left = _left(s, ln, ctx)
            if left is not None and left < 0:  # usable through its expiry day
                if s.crossed_on:
                    when = f"before it reached Ukraine ({s.crossed_on})"
                elif ln.expiry < s.dispatch_date:  # type: ignore[operator]  # left is not None
                    when = f"before dispatch ({s.dispatch_date})"
                else:
                    when = f"before it reached Ukraine (not arrived by {ctx.as_of})"
                yield ctx.finding(ln.where, f"{ln.item} batch {ln.batch} expired on {ln.expiry}, "
                                  f"{when}", field="expiry",
                                  value=ln.expiry, shipment=s.ref, line=ln.line_no)  # fmt: skip
            if item.category == "medicine" and ln.is_returned:
                yield ctx.finding(ln.where, f"{ln.item} is a returned medicine", field="is_returned",
                                  value="true", shipment=s.ref, line=ln.line_no)  # fmt: skip
            if item.category == "medicine" and ln.is_sample:
                yield ctx.finding(ln.where, f"{ln.item} is a free sample", field="is_sample",
                                  value="true", shipment=s.ref, line=ln.line_no)  # fmt: skip


@rule(
    "QLT-004", "Medicines not registered in Ukraine: flagged, never sold",
    severity=WARNING, pack="medicines-food", sources=("UA-MED",), grade="B",
    reads=("shipments", "items"),
    fix="Keep them out of any sale or paid service; the importer answers for their quality.",
)  # fmt: skip
def qlt_004(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    for s, ln in _lines(ds, ctx, "medicine"):
        item = ds.items[ln.item]
        if item.ua_registered is False:
            yield ctx.finding(ln.where, f"{ln.item} is not registered in Ukraine: admitted under "
                              "martial law but may not be sold", field="ua_registered",
                              value="false", shipment=s.ref, line=ln.line_no)  # fmt: skip


@rule(
    "QLT-005", "Food keeps an organisational minimum shelf life",
    severity=WARNING, pack="medicines-food", sources=("UA-FOOD",), grade="B",
    reads=("shipments", "items"), params={"min_food_shelf_life_days": 90},
    fix="Distribute first, or refuse the batch; the threshold is policy, not law.",
)  # fmt: skip
def qlt_005(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    minimum = ctx.p("min_food_shelf_life_days")
    for s, ln in _lines(ds, ctx, "food"):
        left = _left(s, ln, ctx)
        if left is not None and 0 <= left < minimum:
            yield ctx.finding(ln.where, f"{ln.item} batch {ln.batch} (expiry {ln.expiry}): "
                              f"{days(left)} of shelf life left {_on_arrival(s, ctx)} (policy minimum "
                              f"{minimum})", field="expiry",
                              value=ln.expiry, shipment=s.ref, line=ln.line_no)  # fmt: skip


@rule(
    "QLT-006", "Food carries Ukrainian-language labelling",
    severity=WARNING, pack="medicines-food", sources=("UA-FOOD",), grade="B",
    reads=("shipments", "items"),
    params={"required_lang": "uk", "applies_from": dt.date(2022, 12, 2)},
    fix="Add Ukrainian stickers before distribution (items.csv `label_lang`, e.g. `uk;pl`).",
)  # fmt: skip
def qlt_006(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """Only where `label_lang` is stated; whether it binds free aid is unconfirmed (scope C)."""
    lang = ctx.p("required_lang")
    for s, ln in _lines(ds, ctx, "food"):
        item = ds.items[ln.item]
        # imported from that day: the border day, as the rest of the import rules
        if s.import_day(ctx.as_of) < ctx.p("applies_from") or not item.label_lang:
            continue
        langs = {x.strip().lower() for x in item.label_lang.replace(",", ";").split(";")}
        if lang not in langs:
            yield ctx.finding(ln.where, f"{ln.item} is labelled in {item.label_lang}, not {lang}",
                              field="label_lang", value=item.label_lang, shipment=s.ref,
                              line=ln.line_no, grade="C")  # fmt: skip
