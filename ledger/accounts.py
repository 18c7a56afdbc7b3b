"""The chart of accounts: pipeline stages as account paths (DESIGN §4).

Account names are interned: a large import builds the same name once per posting, and the
running balances would otherwise keep each copy (tens of MB at a million postings).
"""

from __future__ import annotations

from sys import intern

PHYSICAL_PREFIXES = ("pledged:", "transit:", "customs:", "stock:")
LOSS_REASONS = ("short", "damaged", "expired", "stolen", "other")


def donor(d: str) -> str:
    return intern(f"donor:{d}")


def pledged(d: str, r: str) -> str:
    return intern(f"pledged:{d}:{r}")


def transit(shipment: str) -> str:
    return intern(f"transit:{shipment}")


def customs(shipment: str) -> str:
    return intern(f"customs:{shipment}")


def stock(r: str, warehouse: str) -> str:
    return intern(f"stock:{r}:{warehouse}")


def distributed(r: str, beneficiary: str) -> str:
    return intern(f"distributed:{r}:{beneficiary}")


def loss(holder: str, reason: str) -> str:
    return intern(f"loss:{holder}:{reason}")


def is_physical(account: str) -> bool:
    """Physical stages may never hold less than nothing (invariant 3)."""
    return account.startswith(PHYSICAL_PREFIXES)


def stage(account: str) -> str:
    return account.split(":", 1)[0]
