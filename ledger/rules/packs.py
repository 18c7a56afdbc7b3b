"""Rule packs and how they are chosen per corridor and date.

A pack is a group of rules with its own parameters and a test that says which shipments it
applies to (the corridor), and, for `ua-import`, which legal regime applies to each shipment by
its date: the 2022 simplified regime (CMU Res. 174, ceased 2023-12-01) or the registration
regime (CMU Res. 953 / AHARS). Packs without a corridor test (`bookkeeping`, `reporting`) look
at records rather than shipments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.rules.dataset import Dataset, Shipment

EU_COUNTRIES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip


@dataclass(frozen=True)
class Pack:
    name: str
    title: str
    params: Mapping[str, Any] = field(default_factory=dict)
    # which shipments the pack looks at; None: the pack is about records, not corridors
    applies: Callable[[Shipment, Dataset, Mapping[str, Any]], bool] | None = None
    # the regime of one shipment under this pack, on the day the check is made for (None: one
    # regime only)
    regime: Callable[[Shipment, Mapping[str, Any], dt.date], str] | None = None
    regimes: tuple[tuple[str, str], ...] = ()  # (name, description)


def _to_ukraine(s: Shipment, ds: Dataset, p: Mapping[str, Any]) -> bool:
    route = s.route
    if route:
        return route[-1] == p["import_country"]
    party = ds.parties.get(s.recipient)
    return party is not None and party.country == p["import_country"]


def _ua_regime(s: Shipment, p: Mapping[str, Any], as_of: dt.date) -> str:
    """The regime at the border: the day it crossed if known; not crossed yet, it can cross
    no earlier than the day of the check (nor than its dispatch)."""
    day = s.import_day(as_of)
    return "ua-953" if day >= p["registration_regime_from"] else "ua-174"


def _through_eu(s: Shipment, ds: Dataset, p: Mapping[str, Any]) -> bool:
    eu = set(p["eu_countries"])
    if any(c in eu for c in s.route[:-1]):
        return True
    donor = ds.parties.get(s.donor)
    return donor is not None and donor.country in eu


def _any(s: Shipment, ds: Dataset, p: Mapping[str, Any]) -> bool:
    return True


PACKS: dict[str, Pack] = {
    p.name: p
    for p in (
        Pack(
            "ua-import",
            "Import into Ukraine as humanitarian aid (customs and border documents)",
            {"import_country": "UA", "registration_regime_from": dt.date(2023, 12, 1)},
            _to_ukraine,
            _ua_regime,
            (
                ("ua-174", "2022 simplified passage, CMU Res. 174 (until 2023-11-30)"),
                ("ua-953", "registration regime, CMU Res. 953 / AHARS (from 2023-12-01)"),
            ),
        ),
        Pack(
            "eu-export",
            "Leaving the EU: export procedure, proof of exit, sanctions and licences",
            {"eu_countries": EU_COUNTRIES},
            _through_eu,
        ),
        Pack(
            "medicines-food",
            "Medicines and food: shelf life, expiry, registration, labels",
            {},
            _any,
        ),
        Pack("bookkeeping", "Recipient's books: waybills, GRNs, acts, valuation, stock", {}),
        Pack("reporting", "Donor and funding reports: pledges, reconciliation, partnerships", {}),
    )
}
