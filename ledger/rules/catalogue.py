"""The catalogue (../shared/rules-catalogue.md) as code: implemented rules, and those still open.

Importing this module registers every rule. `RULES` is ordered by ID; `PENDING` lists the
catalogue rules not implemented yet, with their source and grade, so `aidledger rules list`
shows the whole catalogue.
"""

from __future__ import annotations

from ledger.rules import accounting, customs, documents, quality, reporting  # noqa: F401
from ledger.rules.model import REGISTRY, RuleSpec


def _order(rid: str) -> tuple[int, str]:
    return (["CUS", "DOC", "QLT", "ACC", "REP"].index(rid[:3]), rid)


RULES: dict[str, RuleSpec] = {rid: REGISTRY[rid] for rid in sorted(REGISTRY, key=_order)}

# id, title, severity, sources, grade — catalogue rules not implemented (data not in the format)
PENDING: tuple[tuple[str, str, str, str, str], ...] = (
    ("CUS-011", "Zero-VAT supply to a donor body only for approved bodies with proven exit",
     "warning", "EU-VAT146", "A"),
    ("CUS-016", "EU import relief for third-country goods: eligible importer, goods, time window",
     "error", "EU-RELIEF", "A/B"),
    ("CUS-017", "Relief consignments: flag for priority/simplified clearance", "info",
     "RKC-J5, OCHA-MCA", "C"),
    ("DOC-012", "Onward distribution chain: request letter, order, act, payment order", "error",
     "UA-ACC", "B"),
    ("DOC-013", "Medicine labels (INN, batch, strength, language), packages ≤ 50 kg", "warning",
     "WHO-DD", "A/B"),
    ("DOC-014", "Redistribution between recipients and return to donor: requests and deadlines",
     "warning", "UA-REDIST", "B"),
    ("DOC-015", "Asset register for durable items, linked to GRN and donor", "error", "BRC", "A"),
    ("ACC-003", "Own use vs onward distribution, per accounting regime", "warning", "UA-HROMADA",
     "C"),
    ("ACC-007", "Cash aid: designated purpose and approval per receipt", "warning", "UA-ACC", "B"),
    ("ACC-008", "EU import relief: supervised accounts, no lending or hiring out", "error",
     "EU-RELIEF", "A"),
    ("REP-001", "AHARS targeted-use report after distribution (deadline unverified)", "error",
     "UA-B911, UA-CMU-DIG", "B/C"),
    ("REP-002", "Monthly distribution report per site", "error", "CARE", "A"),
    ("REP-003", "IATI transactions: type, dates, value-date, orgs, humanitarian flag", "error",
     "IATI-TT, IATI-TX", "A"),
    ("REP-004", "In-kind aid described as in-kind in IATI", "warning", "IATI-INKIND", "B"),
    ("REP-006", "Republish humanitarian data at least weekly", "warning", "IATI-TX", "A"),
    ("REP-007", "HXL hashtags on tabular exports", "info", "HXL", "A"),
)  # fmt: skip

# Why a pending rule is not a check over the ledger. Most lack data in the exchange format; the
# IATI and HXL rules are about what an export writes, so the exports honour them by design.
BY_EXPORT = {
    "REP-003": "honoured by `aidledger export iati`: every transaction carries its type, date, "
               "value with currency and value-date, provider and receiver and the humanitarian "
               "flag (docs/exports.md)",
    "REP-004": "honoured by `aidledger export iati`: shipment lines are disbursements described "
               "as in kind (docs/exports.md)",
    "REP-007": "honoured by `aidledger export hxl`: the reconciliation with HXL hashtags under "
               "the header (docs/exports.md)",
}  # fmt: skip
NO_DATA = "not implemented yet: the exchange format does not carry its data"
REP_006_WHY = "not implemented: the ledger keeps no record of publications to check their dates"


def why_pending(rule_id: str) -> str:
    """What a user is told about a catalogue rule that `check` does not run."""
    if rule_id in BY_EXPORT:
        return BY_EXPORT[rule_id]
    return REP_006_WHY if rule_id == "REP-006" else NO_DATA
