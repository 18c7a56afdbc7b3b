"""One pydantic model per kind of row in the exchange format (FORMATS.md).

The same models are the input of the Python API (`ledger.Ledger.receive(ReceiptRow(...))`) and of
`aidledger import`, so a row means the same thing whichever door it comes through. Columns not
named here are kept as metadata in `extra`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cached_property
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.fields import (
    Code,
    ColumnError,
    Country,
    Currency,
    Date,
    Flag,
    HsCode,
    LineNo,
    NonNegative,
    Quantity,
    Subject,
)

PartyKind = Literal[
    "city",
    "municipal_body",
    "communal_enterprise",
    "budget_institution",
    "ngo",
    "hospital",
    "school",
    "carrier",
    "other",
]
Category = Literal[
    "medical",
    "medicine",
    "food",
    "shelter",
    "energy",
    "hygiene",
    "clothing",
    "vehicle",
    "equipment",
    "other",
]
ItemFlag = Literal["excisable", "dual_use", "military", "used", "lethal"]


class Row(BaseModel):
    """Base of every input row: blank cells count as absent; unknown columns go to `extra`."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True, extra="forbid")

    kind: ClassVar[str]
    key_fields: ClassVar[tuple[str, ...]]
    date_field: ClassVar[str | None] = None

    extra: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _drop_blanks(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = {
                k: v
                for k, v in data.items()
                if not (v is None or (isinstance(v, str) and not v.strip()))
            }
            for k, v in data.items():  # PostgreSQL cannot store it; no spreadsheet means it
                cells = v.items() if isinstance(v, dict) else ((k, v),)  # `extra` columns too
                for column, cell in cells:
                    if isinstance(cell, str) and "\x00" in cell:
                        raise ColumnError(column, "contains a NUL character (\\x00), which "
                                          "text cannot hold")  # fmt: skip
        return data

    @cached_property
    def key(self) -> tuple[Any, ...]:
        """The natural key: the same key in a later import means the same record.

        Cached (the model is frozen): an import asks for it several times per row."""
        return tuple(getattr(self, f) for f in self.key_fields)

    @property
    def key_text(self) -> str:
        return "/".join(str(k) for k in self.key)

    def canonical(self) -> str:
        """What is stored as `src` and compared on re-import: the row as JSON text, exact
        decimals as text.

        Decimals are written canonically ("1.50" and "1.5" are the same quantity), so a file
        re-saved by a spreadsheet with other number formatting is still "unchanged". Text, made
        by pydantic in one step: every imported row is stored, few are ever compared.
        """
        return self.model_dump_json(exclude_none=True, by_alias=True)

    @classmethod
    def columns(cls) -> list[str]:
        return [n for n in cls.model_fields if n != "extra"]

    @classmethod
    def required_columns(cls) -> list[str]:
        return [n for n, f in cls.model_fields.items() if n != "extra" and f.is_required()]


# ---------------------------------------------------------------- master data


class PartyRow(Row):
    kind: ClassVar[str] = "parties"
    key_fields: ClassVar[tuple[str, ...]] = ("code",)
    code: Code
    name: str = Field(min_length=1)
    party_kind: PartyKind = Field(alias="kind")
    country: Country
    name_local: str | None = None
    registry_id: str | None = None
    aid_register_no: str | None = None
    # optional, read by the rules engine (docs/formats-extensions.md)
    entity_type: str | None = None
    register_status: Literal["active", "suspended", "excluded"] | None = None
    verified_hum_org: Flag | None = None

    model_config = ConfigDict(populate_by_name=True)

    @classmethod
    def columns(cls) -> list[str]:
        return ["code", "name", "kind", "country", "name_local", "registry_id", "aid_register_no",
                "entity_type", "register_status", "verified_hum_org"]  # fmt: skip

    @classmethod
    def required_columns(cls) -> list[str]:
        return ["code", "name", "kind", "country"]


class PartnershipRow(Row):
    kind: ClassVar[str] = "partnerships"
    key_fields: ClassVar[tuple[str, ...]] = ("party_a", "party_b", "partnership_kind")
    party_a: Code
    party_b: Code
    partnership_kind: Literal[
        "twinning", "cooperation", "memorandum", "friendly_relations", "joint_declaration"
    ] = Field(alias="kind")
    signed_on: Date
    areas: str | None = None

    model_config = ConfigDict(populate_by_name=True)

    @classmethod
    def columns(cls) -> list[str]:
        return ["party_a", "party_b", "kind", "signed_on", "areas"]

    @classmethod
    def required_columns(cls) -> list[str]:
        return ["party_a", "party_b", "kind", "signed_on"]


class ItemRow(Row):
    kind: ClassVar[str] = "items"
    key_fields: ClassVar[tuple[str, ...]] = ("code",)
    code: Code
    name: str = Field(min_length=1)
    unit: str = Field(min_length=1, max_length=16)
    hs_code: HsCode
    category: Category
    tracks_expiry: Flag
    name_uk: str | None = None
    flags: str | None = None
    # optional, read by the rules engine (docs/formats-extensions.md)
    dual_use_code: str | None = None
    ua_registered: Flag | None = None
    rx: Flag | None = None
    inn: str | None = None
    label_lang: str | None = None
    carveout_reason: str | None = None

    @model_validator(mode="after")
    def _flags_known(self) -> ItemRow:
        for flag in self.flag_set:
            if flag not in ("excisable", "dual_use", "military", "used", "lethal"):
                raise ColumnError("flags", f"unknown item flag {flag!r}")
        return self

    @property
    def flag_set(self) -> frozenset[str]:
        return frozenset(f.strip() for f in (self.flags or "").split(";") if f.strip())


class WarehouseRow(Row):
    kind: ClassVar[str] = "warehouses"
    key_fields: ClassVar[tuple[str, ...]] = ("code",)
    code: Code
    party: Code
    name: str = Field(min_length=1)
    settlement: str | None = None


class FxRateRow(Row):
    kind: ClassVar[str] = "fx_rates"
    key_fields: ClassVar[tuple[str, ...]] = ("date", "currency", "base")
    date: Date
    currency: Currency
    rate: Quantity
    base: Currency
    source: str | None = None


# ---------------------------------------------------------------- events


def _not_to_itself(donor: str, recipient: str) -> None:
    """Aid goes from one party to another: a donor that is its own recipient is a typo."""
    if donor == recipient:
        raise ColumnError("recipient", f"the recipient is the donor ({donor}) itself")


class PledgeRow(Row):
    kind: ClassVar[str] = "pledges"
    key_fields: ClassVar[tuple[str, ...]] = ("donor", "pledge_ref", "line_no")
    date_field: ClassVar[str | None] = "date"
    pledge_ref: Code
    line_no: LineNo = Field(gt=0)
    date: Date
    donor: Code
    recipient: Code
    item: Code
    quantity: Quantity
    unit_value: NonNegative
    currency: Currency
    status: Literal["pledge", "commitment"] = "pledge"
    variance_reason: str | None = None  # optional: why dispatched differs from pledged

    @model_validator(mode="after")
    def _to_another(self) -> PledgeRow:
        _not_to_itself(self.donor, self.recipient)
        return self


class ShipmentRow(Row):
    kind: ClassVar[str] = "shipments"
    key_fields: ClassVar[tuple[str, ...]] = ("shipment_ref", "line_no")
    date_field: ClassVar[str | None] = "dispatch_date"
    shipment_ref: Code
    line_no: LineNo = Field(gt=0)
    dispatch_date: Date
    donor: Code
    recipient: Code
    item: Code
    quantity: Quantity
    unit_value: NonNegative
    currency: Currency
    pledge_ref: Code | None = None
    pledge_line: LineNo | None = Field(default=None, gt=0)
    batch: Code | None = None
    expiry: Date | None = None
    gross_kg: NonNegative | None = None
    packages: LineNo | None = Field(default=None, ge=0)
    vehicle_reg: str | None = None
    waybill_no: str | None = None
    carrier: Code | None = None
    route: str | None = Field(default=None, pattern=r"^[A-Z]{2}(>[A-Z]{2})*$")
    aid_code: str | None = None
    aid_code_date: Date | None = None
    # optional, read by the rules engine (docs/formats-extensions.md)
    declared_via: Literal["electronic", "paper"] | None = None
    border_date: Date | None = None
    trailer_reg: str | None = None
    seal_nos: str | None = None
    export_mrn: str | None = None
    export_office: str | None = None
    exit_confirmed_at: Date | None = None
    vat_exempt: Flag | None = None
    licence_no: str | None = None
    licence_type: str | None = None
    vin: str | None = None
    make: str | None = None
    condition: Literal["new", "used"] | None = None
    depreciation_pct: NonNegative | None = None
    short_date_justification: str | None = None
    purchased_by_recipient: Flag | None = None
    is_returned: Flag | None = None
    is_sample: Flag | None = None
    carveout_reason: str | None = None

    @model_validator(mode="after")
    def _pledge_pair(self) -> ShipmentRow:
        _not_to_itself(self.donor, self.recipient)
        if (self.pledge_ref is None) != (self.pledge_line is None):
            missing = "pledge_line" if self.pledge_line is None else "pledge_ref"
            raise ColumnError(missing, "pledge_ref and pledge_line go together: fill both or "
                                       "neither")  # fmt: skip
        return self


class CustomsRow(Row):
    kind: ClassVar[str] = "customs"
    key_fields: ClassVar[tuple[str, ...]] = ("shipment_ref", "event", "date")
    date_field: ClassVar[str | None] = "date"
    shipment_ref: Code
    event: Literal["arrived", "released", "held", "rejected"]
    date: Date
    declaration_no: str | None = None
    office: str | None = None
    note: str | None = None
    # optional, read by the rules engine (docs/formats-extensions.md)
    provisional: Flag | None = None
    docs_due_by: Date | None = None
    docs_completed_at: Date | None = None
    duty_amount: NonNegative | None = None
    import_vat_amount: NonNegative | None = None


class ReceiptRow(Row):
    kind: ClassVar[str] = "receipts"
    key_fields: ClassVar[tuple[str, ...]] = ("receipt_ref", "shipment_ref", "line_no")
    date_field: ClassVar[str | None] = "date"
    receipt_ref: Code
    shipment_ref: Code
    line_no: LineNo = Field(gt=0)
    date: Date
    warehouse: Code
    received: NonNegative
    short: NonNegative = Decimal(0)
    damaged: NonNegative = Decimal(0)
    excess: NonNegative = Decimal(0)
    remarks: str | None = None
    asset_no: str | None = None  # optional: asset number(s) of durable goods on the GRN
    valuation_method: Literal["donor_doc", "market_price", "commission_estimate"] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ReceiptRow:
        if self.excess > self.received:
            raise ColumnError("excess", "excess is part of received and cannot be larger than it")
        if self.received + self.short + self.damaged <= 0:
            raise ColumnError(
                "received", "a receipt must account for some quantity (received, short or damaged)"
            )
        return self

    @property
    def out_of_transit(self) -> Decimal:
        """What this receipt takes out of transit: all but the excess, plus losses."""
        return self.received - self.excess + self.short + self.damaged


class DistributionRow(Row):
    kind: ClassVar[str] = "distributions"
    key_fields: ClassVar[tuple[str, ...]] = ("distribution_ref", "line_no")
    date_field: ClassVar[str | None] = "date"
    distribution_ref: Code
    line_no: LineNo = Field(gt=0)
    date: Date
    recipient: Code
    warehouse: Code
    beneficiary: Code
    item: Code
    quantity: Quantity
    batch: Code | None = None
    settlement: str | None = None
    consideration: NonNegative | None = None  # optional: anything paid for it (should be 0)
    legal_basis: str | None = None


class WriteoffRow(Row):
    kind: ClassVar[str] = "writeoffs"
    key_fields: ClassVar[tuple[str, ...]] = ("writeoff_ref", "line_no")
    date_field: ClassVar[str | None] = "date"
    writeoff_ref: Code
    line_no: LineNo = Field(gt=0)
    date: Date
    recipient: Code
    warehouse: Code
    item: Code
    quantity: Quantity
    batch: Code | None = None
    reason: Literal["expired", "damaged", "stolen", "other"]


class TransferRow(Row):
    kind: ClassVar[str] = "transfers"
    key_fields: ClassVar[tuple[str, ...]] = ("transfer_ref", "line_no")
    date_field: ClassVar[str | None] = "date"
    transfer_ref: Code
    line_no: LineNo = Field(gt=0)
    date: Date
    from_warehouse: Code
    to_warehouse: Code
    item: Code
    quantity: Quantity
    batch: Code | None = None

    @model_validator(mode="after")
    def _two_places(self) -> TransferRow:
        if self.from_warehouse == self.to_warehouse:
            raise ColumnError("to_warehouse", "a transfer needs two different warehouses")
        return self


DocKind = Literal[
    "donation_letter",
    "recipient_consent",
    "acquirer_need_letter",
    "distribution_plan",
    "ahars_registration",
    "packing_list",
    "proforma",
    "gift_certificate",
    "waybill",
    "grn",
    "acceptance_act",
    "loss_report",
    "writeoff_act",
    "valuation_act",
    "export_declaration",
    "licence",
    "certified_contents_list",
    "pharma_export_notice",
    "agreement",
    "stock_count",
    "other",
]


class DocumentRow(Row):
    """A document on file for a record (extension `documents.csv`, read by the rules engine).

    `subject` is the reference of what the document belongs to: a shipment, receipt, write-off
    act or pledge reference, a warehouse code (stock counts) or a party code; a receipt or
    pledge reference may be qualified by whose it is, `receipt_ref/shipment_ref` or
    `donor/pledge_ref` (receipt and pledge references are unique only with them).
    """

    kind: ClassVar[str] = "documents"
    key_fields: ClassVar[tuple[str, ...]] = ("doc_kind", "number", "subject")
    doc_kind: DocKind = Field(alias="kind")
    number: str = Field(min_length=1, max_length=100)
    subject: Subject
    date: Date
    signed: Flag | None = None
    signatory: str | None = None
    value: NonNegative | None = None
    currency: Currency | None = None
    packages: LineNo | None = Field(default=None, ge=0)
    pieces: NonNegative | None = None
    gross_kg: NonNegative | None = None
    item: Code | None = None
    quantity: NonNegative | None = None
    valid_until: Date | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    note: str | None = None

    model_config = ConfigDict(populate_by_name=True)

    @classmethod
    def columns(cls) -> list[str]:
        return ["kind", "number", "subject", "date", "signed", "signatory", "value", "currency",
                "packages", "pieces", "gross_kg", "item", "quantity", "valid_until", "sha256",
                "note"]  # fmt: skip

    @classmethod
    def required_columns(cls) -> list[str]:
        return ["kind", "number", "subject", "date"]


MASTER_KINDS: tuple[type[Row], ...] = (
    PartyRow,
    PartnershipRow,
    ItemRow,
    WarehouseRow,
    FxRateRow,
    DocumentRow,
)
EVENT_KINDS: tuple[type[Row], ...] = (
    PledgeRow,
    ShipmentRow,
    CustomsRow,
    ReceiptRow,
    DistributionRow,
    WriteoffRow,
    TransferRow,
)
ROW_TYPES: dict[str, type[Row]] = {t.kind: t for t in (*MASTER_KINDS, *EVENT_KINDS)}

EventDate = dt.date  # re-exported for type hints in callers
