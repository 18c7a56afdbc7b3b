"""Reporting rules (REP, and the partnership record DOC-016), pack `reporting`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from ledger.rules.dataset import ZERO, Dataset, Pledge
from ledger.rules.model import ERROR, WARNING, Ctx, Finding, rule


@rule(
    "REP-005", "Pledges are never counted as funded; commitments need a signed agreement",
    severity=ERROR, pack="reporting", sources=("FTS",), grade="A",
    reads=("pledges", "shipments", "documents"), params={"report_unfunded_pledges": True},
    fix="Obtain the signed agreement (documents.csv kind `agreement`, subject = pledge ref, or "
        "donor/pledge ref when another donor uses the same ref) before "
        "counting a commitment (an agreement already on file unsigned: import its corrected "
        "row with `aidledger import --correct-documents`); keep bare pledges out of funded "
        "totals until committed or delivered.",
)  # fmt: skip
def rep_005(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    by_ref: dict[tuple[str, str], list[Pledge]] = defaultdict(list)
    for p in ds.pledges:
        by_ref[(p.donor, p.pledge_ref)].append(p)
    for (donor, ref), lines in sorted(by_ref.items()):
        where = f"pledge {donor}/{ref}"
        if any(p.status == "commitment" for p in lines):
            agreements = ds.pledge_docs("agreement", donor, ref)  # this donor's, not another's
            if not any(a.signed for a in agreements):
                note = ds.shared_ref_note("agreement", ref, f"{donor}/{ref}",
                                          ds.pledge_ref_donors.get(ref))  # fmt: skip
                yield ctx.finding(where, f"{ref} is recorded as a commitment without a signed "
                                  f"agreement{note}: it may only count as a pledge",
                                  field="status", value="commitment")  # fmt: skip
            continue
        shipped = sum((ds.dispatched_by_pledge.get(p.key, ZERO) for p in lines), ZERO)
        if shipped == 0 and ctx.p("report_unfunded_pledges"):
            value = sum((p.quantity * p.unit_value for p in lines), ZERO)
            yield ctx.finding(where, f"{ref} ({donor}, {lines[0].date}, {value} "
                              f"{lines[0].currency}) is a pledge only: nothing committed or "
                              "dispatched, so it is counted nowhere as funded", field="status",
                              value="pledge", severity=WARNING,
                              fix="Follow up with the donor: a signed agreement makes it a "
                                  "commitment, a dispatch makes it paid; until then report it as "
                                  "a pledge only.")  # fmt: skip


@rule(
    "REP-008", "Lifecycle reconciliation per donor: every variance explained",
    severity=ERROR, pack="reporting", sources=("FTS", "IATI-TX"), grade="B",
    reads=("pledges", "shipments"),
    params={"variance_tolerance_pct": Decimal(0), "settle_days": 180},
    fix="Explain the difference in pledges.csv `variance_reason` (e.g. substituted, cancelled by "
        "the donor, surplus confirmed), or ship the rest.",
)  # fmt: skip
def rep_008(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    """Over-delivery counts at once; an outstanding balance once the line is `settle_days` old."""
    tol = Decimal(ctx.p("variance_tolerance_pct"))
    settle = ctx.p("settle_days")
    for p in ds.pledges:
        shipped = ds.dispatched_by_pledge.get(p.key, ZERO)
        if p.status != "commitment" and shipped == 0:
            continue  # a bare pledge: REP-005's business
        variance = shipped - p.quantity
        if variance == 0 or p.variance_reason or p.quantity == 0:
            continue
        pct = abs(variance) / p.quantity * 100
        if pct <= tol:
            continue
        if variance < 0 and (ctx.as_of - p.date).days <= settle:
            continue
        what = "over-delivered" if variance > 0 else "outstanding"
        yield ctx.finding(f"pledge {p.donor}/{p.pledge_ref} line {p.line_no}", f"{p.item}: "
                          f"pledged {p.quantity}, dispatched {shipped} ({abs(variance)} {what}, "
                          f"{pct:.1f} %) with no variance reason", field="variance_reason",
                          value=variance)  # fmt: skip


@rule(
    "DOC-016", "Partnership on record before the first shipment between two cities",
    severity=WARNING, pack="reporting", sources=("TWIN-STEPS", "COE-IMP"), grade="B",
    reads=("partnerships", "shipments", "parties"),
    params={"city_kinds": ("city", "municipal_body")},
    fix="File the council decision, letter of intent and signed agreement (partnerships.csv), or "
        "route the aid through the partner city that has one.",
)  # fmt: skip
def doc_016(ds: Dataset, ctx: Ctx) -> Iterator[Finding]:
    kinds = set(ctx.p("city_kinds"))
    signed: dict[frozenset[str], dt.date] = {}
    for p in ds.partnerships:
        pair = frozenset((p.party_a, p.party_b))
        signed[pair] = min(signed.get(pair, p.signed_on), p.signed_on)
    first: dict[tuple[str, str], tuple[dt.date, str]] = {}
    for s in ds.shipments.values():
        key = (s.donor, s.recipient)
        if key not in first or s.dispatch_date < first[key][0]:
            first[key] = (s.dispatch_date, s.ref)
    for (donor, recipient), (day, ref) in sorted(first.items()):
        d, r = ds.parties.get(donor), ds.parties.get(recipient)
        if d is None or r is None or d.kind not in kinds or r.kind not in kinds:
            continue
        since = signed.get(frozenset((donor, recipient)))
        if since is None:
            yield ctx.finding(f"partnership {donor}–{recipient}", f"{donor} ships to {recipient} "
                              f"(first {ref}, {day}) with no partnership agreement on record",
                              field="partnerships", shipment=ref)  # fmt: skip
        elif since > day:
            yield ctx.finding(f"partnership {donor}–{recipient}", f"first shipment {ref} ({day}) "
                              f"predates the agreement signed {since}", field="signed_on",
                              value=since, shipment=ref)  # fmt: skip
