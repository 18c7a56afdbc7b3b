"""The chart of accounts: pipeline stages as account paths (DESIGN §4)."""

from __future__ import annotations

PHYSICAL_PREFIXES = ("pledged:", "transit:", "customs:", "stock:")
LOSS_REASONS = ("short", "damaged", "expired", "stolen", "other")


def donor(d: str) -> str:
    return f"donor:{d}"


def pledged(d: str, r: str) -> str:
    return f"pledged:{d}:{r}"


def transit(shipment: str) -> str:
    return f"transit:{shipment}"


def customs(shipment: str) -> str:
    return f"customs:{shipment}"


def stock(r: str, warehouse: str) -> str:
    return f"stock:{r}:{warehouse}"


def distributed(r: str, beneficiary: str) -> str:
    return f"distributed:{r}:{beneficiary}"


def loss(holder: str, reason: str) -> str:
    return f"loss:{holder}:{reason}"


def is_physical(account: str) -> bool:
    """Physical stages may never hold less than nothing (invariant 3)."""
    return account.startswith(PHYSICAL_PREFIXES)


def stage(account: str) -> str:
    return account.split(":", 1)[0]
