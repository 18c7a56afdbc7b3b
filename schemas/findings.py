"""The output row of `aidledger check`: one finding (CSV/JSON columns in this order)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict


class FindingRow(BaseModel):
    """A rule finding: which rule, how bad, which record and field, and what to do."""

    model_config = ConfigDict(frozen=True)

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "severity", "rule", "pack", "regime", "record", "shipment", "line", "field", "value",
        "message", "fix", "source", "grade",
    )  # fmt: skip

    severity: Literal["error", "warning", "info"]
    rule: str
    pack: str
    regime: str | None = None
    record: str
    shipment: str | None = None
    line: int | None = None
    field: str | None = None
    value: str | None = None
    message: str
    fix: str
    source: str
    grade: str
