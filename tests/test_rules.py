"""The rules engine on small in-memory datasets: every rule fires, stays quiet, and (where it has
parameters) changes its outcome when a parameter is overridden."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from ledger.rules.catalogue import PENDING, RULES
from ledger.rules.dataset import (
    CustomsEvent,
    Dataset,
    Distribution,
    Document,
    FxRate,
    Item,
    Line,
    LotFlow,
    Partnership,
    Party,
    Pledge,
    Receipt,
    Transfer,
    Warehouse,
    Writeoff,
)
from ledger.rules.engine import ConfigError, load_settings, run, settings_from
from ledger.rules.model import GRADE_C_NOTE

D = Decimal
DAY = dt.date(2024, 3, 1)  # dispatch, under the registration regime
ARRIVED = dt.date(2024, 3, 3)
RECEIVED = dt.date(2024, 3, 5)
AS_OF = dt.date(2024, 6, 30)
W = dict[str, Any]


def _doc(kind: str, number: str, subject: str = "S1", day: dt.date = DAY, **kw: Any) -> Document:
    return Document(kind, number, subject, day, **kw)


def clean() -> W:
    """A small world in which every rule is quiet."""
    header = dict(vehicle_reg="5AK 2291", waybill_no="CMR-1", carrier="CARR", route="CZ>PL>UA",
                  aid_code="UA-HA-1", aid_code_date=DAY - dt.timedelta(days=3),
                  declared_via="electronic", export_mrn="24CZ0000000000001E",
                  exit_confirmed_at=ARRIVED, seal_nos="CZ-1")  # fmt: skip
    lines = [
        Line("S1", 1, DAY, "PRAGUE", "KYIV", "GEN", D(10), D(1000), "EUR", 1, "P1", 1,
             gross_kg=D(500), packages=10, **header),
        Line("S1", 2, DAY, "PRAGUE", "KYIV", "MED", D(100), D(5), "EUR", 2, batch="B1",
             expiry=dt.date(2026, 1, 1), gross_kg=D(50), packages=5, **header),
        Line("S1", 3, DAY, "PRAGUE", "KYIV", "BLANKET", D(50), D(10), "EUR", 3,
             gross_kg=D(100), packages=5, **header),
    ]  # fmt: skip
    receipts = [
        Receipt("R1", "S1", n, RECEIVED, "WH", ln.quantity, fx_rate=D(40), fx_rate_date=RECEIVED,
                fx_source="NBU", value_uah=ln.quantity * ln.unit_value * 40,
                asset_no="KV-OS-1..10" if ln.item == "GEN" else None)
        for n, ln in enumerate(lines, 1)
    ]  # fmt: skip
    counts = [_doc("stock_count", f"INV-{m}", "WH", dt.date(2024, m, 28), signed=True)
              for m in range(3, 7)]  # fmt: skip
    return dict(
        parties=[Party("PRAGUE", kind="city", country="CZ"),
                 Party("KYIV", kind="city", country="UA", aid_register_no="UR-1",
                       register_status="active"),
                 Party("HOSP", kind="hospital", country="UA"),
                 Party("UTIL", kind="communal_enterprise", country="UA"),
                 Party("CARR", kind="carrier", country="PL")],
        items=[Item("GEN", category="energy", hs_code="850220"),
               Item("MED", category="medicine", tracks_expiry=True, hs_code="300490"),
               Item("FOOD", category="food", tracks_expiry=True, hs_code="160250"),
               Item("BLANKET", category="shelter", hs_code="630140"),
               Item("VAN", category="vehicle", hs_code="870332"),
               Item("WINE", category="other", hs_code="220421"),
               Item("RIFLE", category="other", hs_code="930200", flags=frozenset({"lethal"})),
               Item("HELMET", category="other", hs_code="650610", flags=frozenset({"military"})),
               Item("DRONE", category="equipment", hs_code="880622",
                    flags=frozenset({"dual_use"}))],
        warehouses=[Warehouse("WH", "KYIV")],
        fx_rates=[FxRate(dt.date(2024, 1, 1) + dt.timedelta(days=i), c, D(40))
                  for i in range(366) for c in ("EUR", "CZK")],
        partnerships=[Partnership("KYIV", "PRAGUE", "cooperation", dt.date(2001, 6, 14))],
        pledges=[Pledge("PRAGUE", "P1", 1, dt.date(2024, 2, 1), "KYIV", "GEN", D(10), D(1000),
                        "EUR", "commitment")],
        lines=lines,
        customs=[CustomsEvent("S1", "arrived", ARRIVED, "UA205050/1"),
                 CustomsEvent("S1", "released", ARRIVED, "UA205050/1")],
        receipts=receipts,
        distributions=[],
        writeoffs=[],
        transfers=[],
        documents=[
            _doc("donation_letter", "DL-1", signed=True, signatory="Mayor"),
            _doc("recipient_consent", "RC-1", signed=True, signatory="KMDA"),
            _doc("acquirer_need_letter", "NL-1", signed=True),
            _doc("distribution_plan", "DP-1", signed=True),
            _doc("packing_list", "PL-1"),
            _doc("proforma", "PF-1", value=D(15500), currency="EUR"),
            _doc("gift_certificate", "GC-1", signed=True),
            _doc("ahars_registration", "UA-HA-1", packages=20, pieces=D(160), gross_kg=D(650)),
            _doc("acceptance_act", "AKT-1", day=RECEIVED, signed=True, signatory="commission"),
            _doc("agreement", "AGR-1", "P1", signed=True),
            *counts,
        ],
    )  # fmt: skip


def build(w: W) -> Dataset:
    """Dataset from a world; the journal's lot flows follow the receipts and hand-overs."""
    if "lot_flows" not in w:
        flows: dict[tuple[str, int], list[Decimal]] = {}
        for r in w["receipts"]:
            flows.setdefault((r.shipment_ref, r.line_no), [D(0), D(0), D(0)])[0] += r.received
        w = {**w, "lot_flows": {k: LotFlow(*v) for k, v in flows.items()}}
    return Dataset.build(**w)


def check(w: W, rule: str, as_of: dt.date = AS_OF, **config: Any) -> list[Any]:
    settings = settings_from(config) if config else None
    return list(run(build(w), as_of=as_of, rules=[rule], settings=settings).findings)


def lines(w: W, n: int | None = None, **kw: Any) -> W:
    w["lines"] = [dataclasses.replace(ln, **kw) if n in (None, ln.line_no) else ln
                  for ln in w["lines"]]  # fmt: skip
    return w


def receipt(w: W, n: int, **kw: Any) -> W:
    w["receipts"] = [dataclasses.replace(r, **kw) if r.line_no == n else r for r in w["receipts"]]
    return w


def doc(w: W, kind: str, drop: bool = False, **kw: Any) -> W:
    w["documents"] = [
        d if d.kind != kind else dataclasses.replace(d, **kw)
        for d in w["documents"]
        if not (drop and d.kind == kind)
    ]
    return w


def party(w: W, code: str, **kw: Any) -> W:
    w["parties"] = [dataclasses.replace(p, **kw) if p.code == code else p for p in w["parties"]]
    return w


def item(w: W, code: str, **kw: Any) -> W:
    w["items"] = [dataclasses.replace(i, **kw) if i.code == code else i for i in w["items"]]
    return w


def add_line(w: W, item_code: str, **kw: Any) -> W:
    base = w["lines"][0]
    fields = dict(line_no=9, item=item_code, pledge_ref=None, pledge_line=None, id=9)
    w["lines"] = [*w["lines"], dataclasses.replace(base, **{**fields, **kw})]
    return w


def second_shipment(w: W, day: dt.date, **kw: Any) -> W:
    base = w["lines"][2]
    w["lines"] = [*w["lines"], dataclasses.replace(base, shipment_ref="S2", id=20,
                                                   dispatch_date=day, **kw)]  # fmt: skip
    return w


# ---------------------------------------------------------------- the whole clean world


def test_clean_world_is_quiet_for_every_rule():
    result = run(build(clean()), as_of=AS_OF)
    assert result.findings == (), [f"{f.rule}: {f.message}" for f in result.findings]
    assert set(result.rules_run) == set(RULES) and not result.has_errors


def test_catalogue_covers_the_issue():
    required = {f"CUS-{n:03d}" for n in (*range(1, 9), 10, 12, 13, 14, 18)}
    required |= {f"DOC-{n:03d}" for n in range(1, 12)} | {f"QLT-{n:03d}" for n in range(1, 6)}
    required |= {f"ACC-{n:03d}" for n in (1, 2, 4, 5, 9, 10, 11)} | {"REP-005", "REP-008"}
    assert required <= set(RULES) and len(RULES) >= 40
    assert len(RULES) + len(PENDING) == 60
    for spec in RULES.values():
        assert spec.title and spec.sources and spec.grade and spec.reads and spec.fix, spec.id
        assert spec.severity in ("error", "warning", "info")


# ---------------------------------------------------------------- fire / quiet / parameter

Mutate = Callable[[W], W]

# rule -> (what makes it fire, expected field of the finding)
FIRES: dict[str, tuple[Mutate, str | None]] = {
    "CUS-001": (lambda w: party(w, "KYIV", aid_register_no=None), "aid_register_no"),
    "CUS-002": (lambda w: lines(w, aid_code=None), "aid_code"),
    "CUS-003": (lambda w: lines(w, aid_code_date=dt.date(2024, 1, 1)), "aid_code_date"),
    "CUS-004": (lambda w: doc(w, "ahars_registration", packages=99), "packages"),
    "CUS-005": (lambda w: {**w, "customs": [*w["customs"], CustomsEvent("S1", "held", ARRIVED,
                                                                        "UA205050/2")]},
                "declaration_no"),
    "CUS-006": (lambda w: add_line(w, "WINE"), "item"),
    "CUS-007": (lambda w: add_line(w, "VAN", make="Mercedes"), "vin"),
    "CUS-008": (lambda w: lines(w, 1, purchased_by_recipient=True), "purchased_by_recipient"),
    "CUS-009": (lambda w: {**w, "customs": [dataclasses.replace(w["customs"][0],
                                                                duty_amount=D(100))]},
                "duty_amount"),
    "CUS-010": (lambda w: lines(w, export_mrn=None), "export_mrn"),
    "CUS-012": (lambda w: add_line(lines(w, route="CZ>BY>UA"), "DRONE", licence_no="L1"), "route"),
    "CUS-013": (lambda w: add_line(w, "DRONE"), "licence_no"),
    "CUS-014": (lambda w: add_line(w, "RIFLE"), "item"),
    "CUS-015": (lambda w: item(party(w, "PRAGUE", country="HU"), "MED", rx=True), "documents"),
    "CUS-018": (lambda w: {**w, "customs": [dataclasses.replace(
        w["customs"][0], provisional=True, docs_due_by=dt.date(2024, 4, 1))]}, "docs_due_by"),
    "CUS-019": (lambda w: lines(w, seal_nos=None), "seal_nos"),
    "DOC-001": (lambda w: doc(w, "donation_letter", drop=True), "documents"),
    "DOC-002": (lambda w: doc(w, "recipient_consent", signed=False), "signed"),
    "DOC-003": (lambda w: lines(w, 1, gross_kg=None), "gross_kg"),
    "DOC-004": (lambda w: doc(w, "packing_list", drop=True), "documents"),
    "DOC-005": (lambda w: doc(w, "proforma", value=None), "value"),
    "DOC-006": (lambda w: lines(w, waybill_no=None), "waybill_no"),
    "DOC-007": (lambda w: receipt(w, 3, received=D(45), short=D(5)), "remarks"),
    "DOC-008": (lambda w: receipt(w, 1, asset_no=None), "asset_no"),
    "DOC-009": (lambda w: {**w, "distributions": [Distribution(
        "A1", 1, RECEIVED, "KYIV", "WH", "HOSP", "MED", D(1000))]}, "quantity"),
    "DOC-010": (lambda w: receipt(w, 3, received=D(45), damaged=D(5), remarks="torn"), "documents"),
    "DOC-011": (lambda w: doc(w, "acceptance_act", drop=True), "documents"),
    "DOC-016": (lambda w: {**w, "partnerships": []}, "partnerships"),
    "QLT-001": (lambda w: lines(w, 2, expiry=ARRIVED + dt.timedelta(days=100)), "expiry"),
    "QLT-002": (lambda w: lines(w, 2, expiry=ARRIVED + dt.timedelta(days=100),
                                short_date_justification="used by May"),
                "short_date_justification"),
    "QLT-003": (lambda w: lines(w, 2, expiry=DAY - dt.timedelta(days=1)), "expiry"),
    "QLT-004": (lambda w: item(w, "MED", ua_registered=False), "ua_registered"),
    "QLT-005": (lambda w: add_line(w, "FOOD", batch="F1",
                                   expiry=ARRIVED + dt.timedelta(days=30)), "expiry"),
    "QLT-006": (lambda w: item(add_line(w, "FOOD", batch="F1", expiry=dt.date(2026, 1, 1)),
                               "FOOD", label_lang="pl"), "label_lang"),
    "ACC-001": (lambda w: receipt(w, 3, value_uah=None), "value_uah"),
    "ACC-002": (lambda w: {**w, "fx_rates": [r for r in w["fx_rates"]
                                             if r.date != RECEIVED]}, "fx_rate"),
    "ACC-004": (lambda w: doc(w, "acceptance_act", date=RECEIVED + dt.timedelta(days=40)), "date"),
    "ACC-005": (lambda w: {**w, "distributions": [Distribution(
        "A1", 1, RECEIVED, "KYIV", "WH", "UTIL", "GEN", D(1), consideration=D(500))]},
                "consideration"),
    "ACC-006": (lambda w: {**w, "writeoffs": [Writeoff("WO1", 1, RECEIVED, "KYIV", "WH", "BLANKET",
                                                        D(1), reason="expired")]}, "documents"),
    "ACC-009": (lambda w: doc(w, "stock_count", drop=True), "documents"),
    "ACC-010": (lambda w: {**w, "pledges": [dataclasses.replace(w["pledges"][0],
                                                                currency="CZK")]}, "currency"),
    "ACC-011": (lambda w: receipt(w, 3, received=D(40)), "quantity"),
    "REP-005": (lambda w: doc(w, "agreement", drop=True), "status"),
    "REP-008": (lambda w: {**w, "pledges": [dataclasses.replace(w["pledges"][0],
                                                                quantity=D(5))]},
                "variance_reason"),
}  # fmt: skip

# rule -> (world, TOML-style parameters, does it fire with them?)
PARAMS: dict[str, tuple[Mutate, dict[str, Any], bool]] = {
    "CUS-001": (lambda w: w, {"allowed_entity_types": ["charity"]}, True),
    "CUS-002": (lambda w: lines(w, declared_via="paper"),
                {"paper_allowed_until": dt.date(2024, 1, 1)}, True),
    "CUS-003": (FIRES["CUS-003"][0], {"max_days_code_to_border": 90}, False),
    "CUS-004": (lambda w: doc(w, "ahars_registration", gross_kg=D(660)),
                {"weight_tolerance_pct": 2}, False),
    "CUS-005": (FIRES["CUS-005"][0], {"one_declaration_per_vehicle": False}, False),
    "CUS-006": (FIRES["CUS-006"][0], {"excise_hs_prefixes": ["2401"]}, False),
    "CUS-007": (lambda w: add_line(w, "VAN", vin="WDB1", make="Mercedes"),
                {"vehicle_allowed_recipient_types": ["military_unit"]}, True),
    "CUS-008": (FIRES["CUS-008"][0],
                {"max_days_border_to_distribution": 200, "warn_at": 150}, False),
    "CUS-010": (lambda w: second_shipment(w, dt.date(2024, 6, 20), exit_confirmed_at=None),
                {"max_days_to_exit": 5}, True),
    "CUS-012": (FIRES["CUS-012"][0], {"blocked_transit": ["RU"]}, False),
    "CUS-015": (FIRES["CUS-015"][0], {"per_country_required": ["AT"]}, False),
    "CUS-019": (FIRES["CUS-019"][0], {"min_route_countries": 4}, False),
    "DOC-003": (lambda w: lines(w, 3, condition="used", depreciation_pct=D(60)),
                {"max_depreciation_pct": 70}, False),
    "DOC-006": (lambda w: lines(w, 3, waybill_no="CMR-2"), {"one_waybill_per_vehicle": False},
                False),
    "DOC-008": (FIRES["DOC-008"][0], {"durable_hs_prefixes": []}, False),
    "DOC-016": (FIRES["DOC-016"][0], {"city_kinds": ["municipal_body"]}, False),
    "QLT-001": (FIRES["QLT-001"][0], {"min_remaining_shelf_life_days": 90}, False),
    "QLT-002": (FIRES["QLT-002"][0], {"exception_until": dt.date(2024, 1, 1)}, False),
    "QLT-005": (FIRES["QLT-005"][0], {"min_food_shelf_life_days": 20}, False),
    "QLT-006": (FIRES["QLT-006"][0], {"required_lang": "pl"}, False),
    "ACC-001": (lambda w: receipt(w, 3, valuation_method="market_price"),
                {"valuation_methods": ["donor_doc"]}, True),
    "ACC-002": (lambda w: w, {"rate_source": "ECB"}, True),
    "ACC-004": (FIRES["ACC-004"][0], {"max_days_act_late": 60}, False),
    "ACC-005": (lambda w: {**w, "distributions": [Distribution(
        "A1", 1, RECEIVED, "KYIV", "WH", "UTIL", "GEN", D(1), consideration=D(500),
        legal_basis="regulated tariff (bill 12250)")]}, {"exception_enabled": True}, True),
    "ACC-009": (FIRES["ACC-009"][0], {"max_days_between_counts": 400}, False),
    "ACC-011": (FIRES["ACC-011"][0], {"tolerance": 20}, False),
    "REP-005": (lambda w: {**w, "pledges": [*w["pledges"], Pledge(
        "PRAGUE", "P2", 1, DAY, "KYIV", "GEN", D(5), D(1), "EUR")]},
                {"report_unfunded_pledges": False}, False),
    "REP-008": (lambda w: {**w, "pledges": [dataclasses.replace(w["pledges"][0],
                                                                quantity=D(20))]},
                {"settle_days": 100}, True),
}  # fmt: skip


def test_every_rule_has_fire_and_param_cases():
    assert set(FIRES) == set(RULES)
    assert {rid for rid, spec in RULES.items() if spec.params} <= set(PARAMS)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_stays_quiet_on_clean_data(rule_id):
    assert check(clean(), rule_id) == []


@pytest.mark.parametrize("rule_id", sorted(FIRES))
def test_rule_fires(rule_id):
    mutate, field = FIRES[rule_id]
    found = check(mutate(clean()), rule_id)
    assert found, f"{rule_id} did not fire"
    f = found[0]
    assert f.rule == rule_id and f.field == field and f.message and f.fix and f.record
    assert RULES[rule_id].sources[0] in f.source and f.grade


@pytest.mark.parametrize("rule_id", sorted(PARAMS))
def test_parameter_override_changes_outcome(rule_id):
    mutate, params, fires_with = PARAMS[rule_id]
    default = check(mutate(clean()), rule_id)
    overridden = check(mutate(clean()), rule_id, rules={rule_id: params})
    if rule_id == "ACC-005":  # the exception turns the error into a graded-C warning
        assert [f.severity for f in default] == ["error"]
        assert [f.severity for f in overridden] == ["warning"]
        assert GRADE_C_NOTE not in overridden[0].message
        return
    assert bool(default) != fires_with and bool(overridden) == fires_with, (default, overridden)


# ---------------------------------------------------------------- packs, regimes, grades


def test_regime_is_chosen_by_the_shipments_date():
    w = lines(clean(), dispatch_date=dt.date(2022, 5, 1), aid_code=None, aid_code_date=None)
    w["customs"] = [dataclasses.replace(c, date=dt.date(2022, 5, 3)) for c in w["customs"]]
    assert check(w, "CUS-002") == []  # 2022: Res. 174, no code needed
    moved = check(w, "CUS-002", packs={"ua-import": {"registration_regime_from": "2022-01-01"}})
    assert moved and moved[0].regime == "ua-953"


def test_grade_c_is_a_warning_by_default_and_says_so():
    mutate = FIRES["CUS-005"][0]
    (f,) = check(mutate(clean()), "CUS-005")  # under Res. 953 the rule is graded C
    assert f.severity == "warning" and f.grade == "C" and "grade C" in f.message
    (g,) = check(mutate(clean()), "CUS-005", engine={"grade_c_as_error": True})
    assert g.severity == "error"
    w = lines(mutate(clean()), dispatch_date=dt.date(2022, 5, 1))
    w["customs"] = [dataclasses.replace(c, date=dt.date(2022, 5, 3)) for c in w["customs"]]
    assert [f.severity for f in check(w, "CUS-005")] == ["error"]  # grade B under Res. 174


def test_eu_export_pack_only_for_routes_through_the_eu():
    w = lines(party(clean(), "PRAGUE", country="JP"), export_mrn=None, route="JP>UA")
    assert check(w, "CUS-010") == []
    assert check(lines(w, route="JP>PL>UA"), "CUS-010")


def test_pack_selection_shipment_filter_and_severity_override():
    w = FIRES["QLT-003"][0](doc(clean(), "donation_letter", drop=True))
    ds = build(w)
    only_qlt = run(ds, as_of=AS_OF, packs=["medicines-food"])
    assert {f.rule for f in only_qlt.findings} == {"QLT-003"} and only_qlt.has_errors
    assert run(ds, as_of=AS_OF, shipment="OTHER").findings == ()
    assert {f.rule for f in run(ds, as_of=AS_OF, shipment="S1").findings} == {"QLT-003", "DOC-001"}
    relaxed = settings_from({"rules": {"QLT-003": {"severity": "warning"},
                                       "DOC-001": {"enabled": False}}})  # fmt: skip
    result = run(ds, as_of=AS_OF, settings=relaxed)
    assert [f.severity for f in result.findings] == ["warning"] and not result.has_errors
    assert result.parameters()["rules"]["QLT-003"]["severity"] == "warning"


def test_rules_never_raise_on_broken_data():
    w = add_line(clean(), "UNKNOWN-ITEM", expiry=None)
    w["receipts"] = [*w["receipts"], Receipt("R9", "NOWHERE", 1, RECEIVED, "NOWH", D(1))]
    w["parties"] = [p for p in w["parties"] if p.code != "KYIV"]
    result = run(build(w), as_of=AS_OF)
    assert not any("failed" in f.message for f in result.findings)
    assert any(f.rule == "CUS-001" for f in result.findings)


# ---------------------------------------------------------------- configuration


def test_config_is_validated(tmp_path):
    with pytest.raises(ConfigError, match="unknown rule"):
        settings_from({"rules": {"XYZ-001": {}}})
    with pytest.raises(ConfigError, match="unknown parameter"):
        settings_from({"rules": {"QLT-001": {"min_days": 3}}})
    with pytest.raises(ConfigError, match="whole number"):
        settings_from({"rules": {"QLT-001": {"min_remaining_shelf_life_days": "a year"}}})
    with pytest.raises(ConfigError, match="unknown pack"):
        settings_from({"packs": {"mars": {}}})
    path = tmp_path / "rules.toml"
    path.write_text('[packs.ua-import]\nregistration_regime_from = 2024-01-01\n'
                    '[rules.QLT-001]\nmin_remaining_shelf_life_days = 180\n', encoding="utf-8")  # fmt: skip
    s = load_settings(path)
    assert s.rules["QLT-001"]["min_remaining_shelf_life_days"] == 180
    assert s.packs["ua-import"]["registration_regime_from"] == dt.date(2024, 1, 1)
    path.write_text("[rules\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)


# ---------------------------------------------------------------- edge cases found by review


def _in_transit(w: W) -> W:
    """S1 dispatched and on its way: no customs event, no receipt, no border date."""
    return {**w, "customs": [], "receipts": [], "distributions": []}


def test_cus_006_a_carveout_reason_never_covers_drinks_or_tobacco():
    wine = add_line(clean(), "WINE", carveout_reason="medical")
    (f,) = check(wine, "CUS-006")
    assert "cannot cover drinks or tobacco" in f.message
    ethanol = item(add_line(clean(), "WINE", carveout_reason="ethyl alcohol for medical use"),
                   "WINE", hs_code="220710")  # fmt: skip
    assert check(ethanol, "CUS-006") == []  # the Res. 953 carve-out, stated
    assert check(lines(ethanol, 9, carveout_reason=None), "CUS-006")  # not stated


def test_acc_011_a_released_consignment_with_no_receipt_is_unaccounted_for():
    w = {**clean(), "receipts": [], "distributions": []}  # released on ARRIVED, never received
    found = check(w, "ACC-011")
    assert {f.line for f in found} == {1, 2, 3} and "accounted for 0" in found[0].message
    assert check(w, "ACC-011", as_of=ARRIVED + dt.timedelta(days=7)) == []  # within the grace
    held = {**w, "customs": [c for c in w["customs"] if c.event != "released"]}
    assert check(held, "ACC-011") == []  # not released: customs' business, not the close


def test_shelf_life_of_goods_not_arrived_counts_from_the_day_of_the_check():
    # 400 days after dispatch, but the goods are still on their way on AS_OF (121 days later)
    w = lines(_in_transit(clean()), 2, expiry=DAY + dt.timedelta(days=400))
    (f,) = check(w, "QLT-001")
    assert f"not arrived by {AS_OF}" in f.message and "279 days" in f.message
    assert check(w, "QLT-001", as_of=DAY) == []  # checked on the day of dispatch: 400 days
    gone = lines(_in_transit(clean()), 2, expiry=AS_OF - dt.timedelta(days=1))
    (g,) = check(gone, "QLT-003")
    assert f"before it reached Ukraine (not arrived by {AS_OF})" in g.message
    assert [x.rule for x in check(gone, "QLT-001")] == []  # expired lines are QLT-003's


def test_cus_012_a_blocked_route_on_any_line_counts():
    w = add_line(clean(), "DRONE", licence_no="L1", route="CZ>RU>UA")  # lines 1-3: CZ>PL>UA
    (f,) = check(w, "CUS-012")
    assert f.line == 9 and f.value == "CZ>RU>UA"
    assert check(add_line(clean(), "DRONE", licence_no="L1"), "CUS-012") == []


def test_one_vehicle_carrying_two_consignments_on_one_day():
    w = second_shipment(clean(), DAY, waybill_no="CMR-2", aid_code="UA-HA-2")
    w["customs"] += [CustomsEvent("S2", "arrived", ARRIVED, "UA205050/9")]
    assert {f.shipment for f in check(w, "CUS-005")} == {"S1", "S2"}
    assert any("carries S2 too" in f.message for f in check(w, "DOC-006"))
    later = second_shipment(clean(), DAY + dt.timedelta(days=10), waybill_no="CMR-2",
                            vehicle_reg="5ak2291")  # fmt: skip  # the same truck, another trip
    later["customs"] += [CustomsEvent("S2", "arrived", ARRIVED, "UA205050/9")]
    assert check(later, "CUS-005") == [] and check(later, "DOC-006") == []


def test_cus_003_without_aid_code_date_reads_the_registration_extract():
    w = lines(clean(), aid_code_date=None)
    assert check(w, "CUS-003") == []  # the extract is dated DAY: crossed 2 days later
    late = doc(w, "ahars_registration", date=ARRIVED - dt.timedelta(days=45))
    (f,) = check(late, "CUS-003")
    assert "45 days after the code was created" in f.message
    (g,) = check(doc(w, "ahars_registration", drop=True), "CUS-003")
    assert g.severity == "warning" and "no creation date" in g.message


def test_cus_008_warns_from_the_60th_day():
    w = lines(clean(), 1, purchased_by_recipient=True)
    assert check(w, "CUS-008", as_of=ARRIVED + dt.timedelta(days=59)) == []
    (f,) = check(w, "CUS-008", as_of=ARRIVED + dt.timedelta(days=60))
    assert f.severity == "warning"


def test_acc_001_and_002_word_what_is_missing():
    w = receipt(clean(), 3, value_uah=None)  # the rate of the day is on file
    (f,) = check(w, "ACC-001")
    assert "rate of 2024-03-05 is on file now: reverse the receipt" in f.message
    gone = {**w, "fx_rates": [r for r in w["fx_rates"] if r.date != RECEIVED]}
    assert "no rate for EUR on 2024-03-05" in check(gone, "ACC-001")[0].message
    blank = {**clean(), "fx_rates": [dataclasses.replace(r, source=None) for r in w["fx_rates"]]}
    found = check(blank, "ACC-002")
    assert found and all("names no source, not NBU" in f.message for f in found)


def test_trips_compare_plates_and_one_shared_declaration_is_reported_once():
    w = second_shipment(clean(), DAY, waybill_no="CMR-2", vehicle_reg="5ak-2291")
    w["customs"] += [CustomsEvent("S2", "arrived", ARRIVED, "UA205050/1")]  # S1's declaration
    found = check(w, "CUS-005")
    assert found and all("also covers" in f.message for f in found)  # not twice per shipment
    assert any("carries S2 too" in f.message for f in check(w, "DOC-006"))


def test_cus_012_routes_written_in_other_cases_are_one_route():
    w = add_line(lines(clean(), route="cz>by>ua"), "DRONE", licence_no="L1", route="CZ>BY>UA")
    assert [f.line for f in check(w, "CUS-012")] == [9]


def test_one_vehicle_written_two_ways_on_one_consignment_is_one_vehicle():
    w = lines(clean(), 2, vehicle_reg="5ak-2291")  # line 1 and 3: "5AK 2291"
    assert check(w, "CUS-005") == [] and check(w, "DOC-006") == []
    two = lines(clean(), 2, vehicle_reg="9XY 1111")
    assert check(two, "CUS-005") and check(two, "DOC-006")  # two vehicles indeed


# ---------------------------------------------------------------- boundaries (tester, round 2)


def test_qlt_003_a_batch_is_usable_through_its_expiry_day():
    """A batch expiring on the day it crossed the border was reported as expired on arrival."""
    on_the_day = lines(clean(), 2, expiry=ARRIVED)
    day_before = lines(clean(), 2, expiry=ARRIVED - dt.timedelta(days=1))
    assert check(on_the_day, "QLT-003") == []
    assert [f.rule for f in check(day_before, "QLT-003")] == ["QLT-003"]
    # the expiry day itself is short-dated, not expired: QLT-001 speaks for it
    assert [f.rule for f in check(on_the_day, "QLT-001")] == ["QLT-001"]


def test_qlt_006_counts_from_the_day_of_import_not_of_dispatch():
    """Food dispatched before 2 Dec 2022 and imported after it was not checked."""
    w = item(add_line(clean(), "FOOD", batch="F1", expiry=dt.date(2026, 1, 1)), "FOOD",
             label_lang="pl")  # fmt: skip
    w = lines(w, dispatch_date=dt.date(2022, 11, 20))
    params = {"applies_from": ARRIVED}  # crossed on ARRIVED, dispatched long before
    assert [f.rule for f in check(w, "QLT-006", rules={"QLT-006": params})] == ["QLT-006"]
    after = {"applies_from": ARRIVED + dt.timedelta(days=1)}
    assert check(w, "QLT-006", rules={"QLT-006": after}) == []


def test_cus_007_verified_route_opens_by_the_day_of_import():
    """A vehicle dispatched before the route's first day and imported on it was refused."""
    w = party(add_line(clean(), "VAN", vin="WDB1", make="Mercedes"), "KYIV",
              kind="charity", entity_type="charity", verified_hum_org=True)  # fmt: skip
    opened_on_arrival = {"verified_route_from": ARRIVED}  # dispatched DAY, two days before
    assert DAY < ARRIVED and check(w, "CUS-007", rules={"CUS-007": opened_on_arrival}) == []
    later = {"verified_route_from": ARRIVED + dt.timedelta(days=1)}
    assert [f.rule for f in check(w, "CUS-007", rules={"CUS-007": later})] == ["CUS-007"]


@pytest.mark.parametrize("kind", ["acquirer_need_letter", "distribution_plan"])
def test_doc_002_asks_for_the_acquirers_letters_and_plan_under_ahars(kind):
    """Only the recipient's consent was looked at; AHARS also expects both."""
    w = doc(clean(), kind, drop=True)
    found = check(w, "DOC-002")
    assert [(f.rule, f.value) for f in found] == [("DOC-002", kind)]
    # a shipment of the 2022 regime (no registration) is not asked for them
    old = lines(doc(clean(), kind, drop=True), dispatch_date=dt.date(2022, 6, 1))
    old["customs"] = [dataclasses.replace(c, date=dt.date(2022, 6, 3)) for c in old["customs"]]
    assert check(old, "DOC-002") == []


def test_acc_001_a_zero_price_is_not_valued_by_the_donors_documents():
    """unit_value 0 with `valuation_method=donor_doc` passed and was booked at 0 UAH."""
    zero = lines(clean(), 3, unit_value=D(0))
    found = check(receipt(zero, 3, valuation_method="donor_doc"), "ACC-001")
    assert [(f.rule, f.field, f.value) for f in found] == [
        ("ACC-001", "valuation_method", "donor_doc")]  # fmt: skip
    assert "no price to value it by" in found[0].message


def test_acc_001_goods_received_at_a_value_of_0_have_no_value():
    """unit_value 0 with `valuation_method=market_price` (or a commission's estimate with a
    signed valuation act) gave no finding, and the books valued the goods at 0 UAH."""

    def zero() -> W:
        return lines(clean(), 3, unit_value=D(0))

    act = _doc("valuation_act", "VA-1", "R1/S1", day=RECEIVED, signed=True, signatory="commission")
    with_act = zero()
    with_act["documents"] = [*with_act["documents"], act]
    worlds = {
        "market_price": receipt(zero(), 3, valuation_method="market_price"),
        "commission_estimate": receipt(with_act, 3, valuation_method="commission_estimate"),
    }
    for method, w in worlds.items():
        (f,) = check(w, "ACC-001")
        assert (f.severity, f.field, f.value, f.line) == ("error", "unit_value", "0", 3), method
        assert "BLANKET was received at a unit value of 0 EUR" in f.message
        assert "the goods have no value in the books" in f.message
        assert "record the fair value as the line's unit_value" in f.message
        assert "reverse the receipt" in f.fix and "then the dispatch line's entry" in f.fix
        assert "import the corrected shipments.csv line" in f.fix
    # no method, or a commission's estimate without its act: what is missing is named too
    (g,) = check(zero(), "ACC-001")
    assert (g.field, g.value) == ("valuation_method", None)
    assert (
        "no method is recorded: determine its fair value (commission estimate, market "
        "price)" in g.message
    )
    (h,) = check(receipt(zero(), 3, valuation_method="commission_estimate"), "ACC-001")
    assert (h.field, h.value) == ("documents", "valuation_act") and "R1/S1" in h.message
    # a line with a positive unit value is valued: quiet whichever method was recorded
    for method in (None, "donor_doc", "market_price", "commission_estimate"):
        assert check(receipt(clean(), 3, valuation_method=method), "ACC-001") == []


def test_cus_008_goods_written_off_are_not_left_to_hand_out():
    """6 of 10 handed out and 4 written off as damaged: the 4 were reported as not handed out
    within 90 days, though they can never be."""
    w = lines(clean(), 1, purchased_by_recipient=True)
    w["lot_distributions"] = (("S1", 1, RECEIVED, D(6)),)
    late = ARRIVED + dt.timedelta(days=120)
    (f,) = check(w, "CUS-008", as_of=late)
    assert f.value == "4"
    w["lot_writeoffs"] = (("S1", 1, RECEIVED + dt.timedelta(days=10), D(4)),)
    assert check(w, "CUS-008", as_of=late) == []
    # written off after the deadline: they were kept too long first
    w["lot_writeoffs"] = (("S1", 1, ARRIVED + dt.timedelta(days=100), D(4)),)
    (g,) = check(w, "CUS-008", as_of=late)
    assert g.value == "4"


def test_cus_013_general_authorisation_and_the_licences_dates():
    """A general authorisation without a licence number was an error; a licence that expired
    before dispatch, or was issued after it, passed."""
    assert check(add_line(clean(), "DRONE", licence_type="EU006"), "CUS-013") == []
    # EU001 covers exports to AU, CA, IS, JP, NZ, NO, CH/LI, UK and US only
    assert len(check(add_line(clean(), "DRONE", licence_type="EU001"), "CUS-013")) == 1
    w = add_line(clean(), "DRONE", licence_no="L-1")
    assert check(w, "CUS-013") == []  # no licence on file: its number is all there is to check
    for day, until, why in [(DAY - dt.timedelta(days=30), DAY - dt.timedelta(days=1), "expired"),
                            (DAY + dt.timedelta(days=1), None, "was issued on")]:  # fmt: skip
        filed = {**w, "documents": [*w["documents"], _doc("licence", "L-1", day=day,
                                                           valid_until=until)]}  # fmt: skip
        (f,) = check(filed, "CUS-013")
        assert why in f.message and f.value == "L-1"
    on_time = {**w, "documents": [*w["documents"], _doc("licence", "L-1", day=DAY,
                                                         valid_until=DAY)]}  # fmt: skip
    assert check(on_time, "CUS-013") == []


def test_cus_003_customs_clears_the_goods_while_the_code_recognises_them():
    """`code_recognition_days` was listed and shown, and read by nothing."""
    w = clean()  # code created DAY - 3, released on ARRIVED
    recognition = (ARRIVED - (DAY - dt.timedelta(days=3))).days
    assert check(w, "CUS-003", rules={"CUS-003": {"code_recognition_days": recognition}}) == []
    short = {"code_recognition_days": recognition - 1}
    (f,) = check(w, "CUS-003", rules={"CUS-003": short})
    assert "recognised the goods as aid until" in f.message and f"cleared on {ARRIVED}" in f.message
    held = {**clean(), "customs": [c for c in clean()["customs"] if c.event != "released"],
            "receipts": []}  # fmt: skip
    (g,) = check(held, "CUS-003", rules={"CUS-003": short})
    assert f"not cleared by {AS_OF}" in g.message


def test_cus_003_a_rejected_consignment_is_not_waiting_for_clearance():
    """Customs refused it: the code's recognition window says nothing more about it."""
    w = clean()
    w["customs"] = [dataclasses.replace(w["customs"][0]),
                    dataclasses.replace(w["customs"][1], event="rejected")]  # fmt: skip
    w["receipts"] = []
    assert check(w, "CUS-003", rules={"CUS-003": {"code_recognition_days": 5}}) == []
    # released after all, later than the code recognised the goods: reported
    late = dataclasses.replace(
        w["customs"][1], event="released", date=ARRIVED + dt.timedelta(days=9)
    )
    w["customs"] = [*w["customs"], late]
    (f,) = check(w, "CUS-003", rules={"CUS-003": {"code_recognition_days": 5}})
    assert f"cleared on {late.date}" in f.message


# ---------------------------------------------------------------- tester, round 3


# rule -> (world in which the rule picks a severity of its own, the severity it picks)
OWN_SEVERITY: dict[str, tuple[Mutate, str]] = {
    "CUS-003": (lambda w: doc(lines(w, aid_code_date=None), "ahars_registration", drop=True),
                "warning"),
    "CUS-004": (lambda w: doc(w, "ahars_registration", drop=True), "warning"),
    "CUS-008": (lambda w: lines(w, 1, purchased_by_recipient=True), "warning"),
    "CUS-010": (lambda w: lines(w, export_mrn=None), "warning"),
    "DOC-003": (lambda w: lines(w, 3, condition="used", depreciation_pct=D(60)), "warning"),
    "DOC-004": (lambda w: doc(w, "packing_list", drop=True), "error"),
    "ACC-005": (PARAMS["ACC-005"][0], "warning"),
    "REP-005": (PARAMS["REP-005"][0], "warning"),
}  # fmt: skip


@pytest.mark.parametrize("rule_id", sorted(OWN_SEVERITY))
def test_a_configured_severity_beats_the_one_the_rule_picks(rule_id):
    """`[rules.X] severity` was ignored whenever the rule chose the severity of a finding."""
    mutate, own = OWN_SEVERITY[rule_id]
    as_of = ARRIVED + dt.timedelta(days=60) if rule_id == "CUS-008" else AS_OF
    extra = dict(PARAMS["ACC-005"][1]) if rule_id == "ACC-005" else {}
    found = check(mutate(clean()), rule_id, as_of=as_of, rules={rule_id: extra})
    assert found and {f.severity for f in found} == {own}  # not configured: the rule's choice
    for configured in ("error", "warning", "info"):
        given = check(mutate(clean()), rule_id, as_of=as_of,
                      rules={rule_id: {**extra, "severity": configured}})  # fmt: skip
        assert len(given) == len(found) and {f.severity for f in given} == {configured}


def test_qlt_001_comes_back_when_the_qlt_002_exception_is_switched_off():
    """`[rules.QLT-002] enabled = false` made justified short-dated medicines pass silently."""
    w = FIRES["QLT-002"][0](clean())  # short-dated, with a justification
    assert check(w, "QLT-001") == []  # the exception (QLT-002) speaks for it
    off = check(w, "QLT-001", rules={"QLT-002": {"enabled": False}})
    assert [(f.rule, f.severity) for f in off] == [("QLT-001", "error")]
    # switched off, its settings are not read either: an open window changes nothing
    closed = {"enabled": False, "exception_until": dt.date(2030, 1, 1)}
    assert [f.rule for f in check(w, "QLT-001", rules={"QLT-002": closed})] == ["QLT-001"]
    full = run(
        build(w), as_of=AS_OF, settings=settings_from({"rules": {"QLT-002": {"enabled": False}}})
    )
    assert {f.rule for f in full.findings} == {"QLT-001"}


def test_cus_012_blocks_routes_through_ru_or_by_whatever_the_corridor():
    """CUS-012 ran only on shipments leaving the EU: a Japanese donor's dual-use drone routed
    JP>RU>UA was clean."""
    w = add_line(lines(party(clean(), "PRAGUE", country="JP"), route="JP>RU>UA"), "DRONE",
                 licence_no="L1")  # fmt: skip
    found = check(w, "CUS-012")
    assert [(f.line, f.value) for f in found] == [(9, "JP>RU>UA")]
    ds = build(w)
    assert [f.rule for f in run(ds, as_of=AS_OF, packs=["eu-export"]).findings] == ["CUS-012"]
    assert check(lines(w, route="JP>UA"), "CUS-012") == []  # not through RU/BY
    assert check(lines(w, route="JP>RU>UA"), "CUS-010") == []  # still no EU export for it


def _two_parties_number_a_receipt_alike(w: W) -> W:
    """Lviv's own receipt R1 of S2 (2 short, remarked); Kyiv's act and loss report filed
    under the plain R1."""
    w = second_shipment(w, DAY, recipient="LVIV", vehicle_reg="BC 1", waybill_no="CMR-2",
                        aid_code="UA-HA-2")  # fmt: skip
    w["parties"] = [*w["parties"], Party("LVIV", kind="city", country="UA",
                                         aid_register_no="UR-2")]  # fmt: skip
    w["warehouses"] = [*w["warehouses"], Warehouse("LWH", "LVIV")]
    w["receipts"] = [*w["receipts"], Receipt("R1", "S2", 3, RECEIVED, "LWH", D(48), short=D(2),
                                             remarks="2 missing", value_uah=D(1))]  # fmt: skip
    w = doc(w, "acceptance_act", subject="R1")
    w["documents"] = [*w["documents"], _doc("loss_report", "LR-KYIV", "R1", signed=True)]
    return w


@pytest.mark.parametrize("rule_id", ["DOC-010", "DOC-011", "ACC-004"])
def test_one_partys_receipt_papers_do_not_stand_for_anothers(rule_id):
    """Documents were matched on the subject alone: Kyiv's act and loss report for its receipt
    R1 satisfied Lviv's own receipt R1 of another shipment."""
    assert check(doc(clean(), "acceptance_act", subject="R1"), rule_id) == []  # R1: Kyiv's only
    w = _two_parties_number_a_receipt_alike(clean())
    found = check(w, rule_id)
    assert "S2" in {f.shipment for f in found}, found
    assert any("not counted: R1 is used by KYIV, LVIV; file it under R1/S" in f.message
               for f in found)  # fmt: skip
    # each filed under its own receipt and shipment: quiet again
    w["documents"] = [dataclasses.replace(d, subject="R1/S1") if d.subject == "R1" else d
                      for d in w["documents"]]  # fmt: skip
    w["documents"] += [_doc("acceptance_act", "AKT-LV", "R1/S2", day=RECEIVED, signed=True,
                            signatory="Lviv commission"),
                       _doc("loss_report", "LR-LV", "R1/S2", signed=True)]  # fmt: skip
    assert check(w, rule_id) == []


def test_rep_005_one_donors_agreement_does_not_commit_anothers_pledge():
    """Warsaw's signed agreement for its pledge P1 silenced REP-005 for Krakow's pledge P1."""
    w = clean()
    w["pledges"] = [*w["pledges"], Pledge("BRNO", "P1", 1, DAY, "KYIV", "GEN", D(1), D(1), "EUR",
                                          "commitment")]  # fmt: skip
    found = check(w, "REP-005")
    assert {f.record for f in found} == {"pledge BRNO/P1", "pledge PRAGUE/P1"}
    assert "AGR-1 filed under P1 not counted" in found[0].message
    w = doc(w, "agreement", subject="PRAGUE/P1")
    assert [f.record for f in check(w, "REP-005")] == ["pledge BRNO/P1"]
    w["documents"] += [_doc("agreement", "AGR-B", "BRNO/P1", signed=True)]
    assert check(w, "REP-005") == []


def test_a_document_subject_may_say_whose_reference_it_is():
    from schemas.rows import DocumentRow

    row = {"kind": "acceptance_act", "number": "A-1", "date": "2024-03-03"}
    assert DocumentRow.model_validate({**row, "subject": "GRN1/S2"}).subject == "GRN1/S2"
    for bad in ("GRN1/S2/3", "GRN 1", "/S2"):
        with pytest.raises(ValueError, match="two joined by one '/'"):
            DocumentRow.model_validate({**row, "subject": bad})


def test_cus_003_a_receipt_alone_stands_for_the_crossing():
    """Received 60 days after the code, with no customs event and no border date: the window
    was neither checked nor said to be uncheckable."""
    created = DAY - dt.timedelta(days=3)
    w = {**clean(), "customs": []}  # no border_date either
    ok = {**w, "receipts": [dataclasses.replace(r, date=created + dt.timedelta(days=30))
                            for r in w["receipts"]]}  # fmt: skip
    assert check(ok, "CUS-003") == []
    late = {**w, "receipts": [dataclasses.replace(r, date=created + dt.timedelta(days=31))
                              for r in w["receipts"]]}  # fmt: skip
    (f,) = check(late, "CUS-003")
    assert "crossed 31 days after the code was created" in f.message
    assert "the first receipt stands for the crossing" in f.message and f.severity == "error"
    # a border date before the receipt is the crossing, and the window holds
    inside = lines(late, border_date=created + dt.timedelta(days=10))
    assert check(inside, "CUS-003") == []


def _registered_by_item(w: W) -> W:
    """The registration lists its product groups too, one row each (S1: GEN, MED, BLANKET)."""
    groups = [_doc("ahars_registration", f"UA-HA-1/{n}", item=code, quantity=D(q), packages=p,
                   gross_kg=D(kg))
              for n, (code, q, p, kg) in enumerate([("GEN", 10, 10, 500), ("MED", 100, 5, 50),
                                                   ("BLANKET", 50, 5, 100)], 1)]  # fmt: skip
    return {**w, "documents": [*w["documents"], *groups]}


def test_cus_004_compares_the_goods_by_product_group():
    """Only the consignment's totals were compared: goods swapped for others of the same
    totals passed."""
    w = _registered_by_item(clean())
    assert check(w, "CUS-004") == []
    swap = lines(lines(w, 2, quantity=D(90)), 3, quantity=D(60))  # 160 pieces all the same
    found = check(swap, "CUS-004")
    assert {(f.field, f.message.split(":")[0]) for f in found} == {
        ("quantity", "MED"), ("quantity", "BLANKET")}  # fmt: skip
    # loaded but not registered, registered but not loaded
    w = _registered_by_item(clean())
    other = lines(w, 3, item="FOOD", batch="F1", expiry=dt.date(2026, 1, 1))
    assert {(f.field, f.value) for f in check(other, "CUS-004")} == {
        ("item", "FOOD"), ("item", "BLANKET")}  # fmt: skip
    # a product group may be a category: the medicine lines together
    w = _registered_by_item(clean())
    by_cat = {**w, "documents": [dataclasses.replace(d, item="medicine") if d.item == "MED"
                                 else d for d in w["documents"]]}  # fmt: skip
    assert check(by_cat, "CUS-004") == []
    assert check(lines(by_cat, 2, gross_kg=D(60)), "CUS-004")[0].field == "gross_kg"


def test_a_consignment_not_across_yet_is_judged_by_the_earliest_day_it_can_cross():
    """Regime and paper cut-off were chosen by the dispatch day for a consignment still on its
    way, which can only cross on or after the day of the check."""
    eve = dt.date(2023, 11, 30)  # Res. 174's last day
    w = lines(_in_transit(clean()), dispatch_date=eve, aid_code=None, aid_code_date=None)
    assert check(w, "CUS-002", as_of=eve) == []  # it may still cross under Res. 174 today
    (f,) = check(w, "CUS-002", as_of=dt.date(2023, 12, 10))
    assert f.regime == "ua-953" and "not crossed yet" in f.message
    crossed = {**w, "customs": [CustomsEvent("S1", "arrived", eve, "D1")]}
    assert check(crossed, "CUS-002", as_of=dt.date(2023, 12, 10)) == []  # crossed under 174
    # the paper route: dispatched before 1 Apr 2024, not across by 5 Apr
    paper = lines(_in_transit(clean()), declared_via="paper", dispatch_date=dt.date(2024, 3, 28))
    assert check(paper, "CUS-002", as_of=dt.date(2024, 3, 31)) == []
    (g,) = check(paper, "CUS-002", as_of=dt.date(2024, 4, 5))
    assert g.field == "declared_via" and "from 2024-04-05 (not crossed yet)" in g.message


def test_cus_008_holds_goods_to_the_90_days_from_law_3448_ix_only():
    """CUS-008 applied from 1 Dec 2023 (the ua-953 regime), but Law 3448-IX came in force on
    23 Jan 2024: goods that crossed before it were reported."""
    before = dt.date(2024, 1, 22)
    w = lines(clean(), 1, purchased_by_recipient=True, dispatch_date=before)
    w["customs"] = [dataclasses.replace(c, date=before) for c in w["customs"]]
    w["receipts"] = [dataclasses.replace(r, date=before) for r in w["receipts"]]
    assert check(w, "CUS-008") == []
    on_the_day = {"applies_from": before}
    assert [f.severity for f in check(w, "CUS-008", rules={"CUS-008": on_the_day})] == ["error"]
    assert [f.rule for f in check(FIRES["CUS-008"][0](clean()), "CUS-008")] == ["CUS-008"]


def test_negative_days_counts_and_tolerances_are_refused():
    """`grace_days = -5` was accepted silently."""
    for rid, name, value in [("ACC-011", "grace_days", -5), ("QLT-001",
                             "min_remaining_shelf_life_days", -1), ("CUS-004",
                             "weight_tolerance_pct", "-2"), ("REP-008", "variance_tolerance_pct",
                             -0.5)]:  # fmt: skip
        with pytest.raises(ConfigError, match=f"rules.{rid}.{name}: must not be negative"):
            settings_from({"rules": {rid: {name: value}}})
    with pytest.raises(ConfigError, match="expected a number"):
        settings_from({"rules": {"CUS-004": {"weight_tolerance_pct": "nan"}}})
    ok = settings_from({"rules": {"ACC-011": {"grace_days": 0}, "CUS-004": {"qty_tolerance": 0}}})
    assert ok.rules["ACC-011"]["grace_days"] == 0


def test_one_day_is_a_day():
    """ "1 days overdue"."""
    w = {**clean(), "customs": [dataclasses.replace(
        clean()["customs"][0], provisional=True, docs_due_by=AS_OF - dt.timedelta(days=1))]}  # fmt: skip
    (f,) = check(w, "CUS-018")
    assert "(1 day overdue)" in f.message
    (g,) = check(w, "CUS-018", as_of=AS_OF + dt.timedelta(days=1))
    assert "(2 days overdue)" in g.message
    short = lines(clean(), 2, expiry=ARRIVED + dt.timedelta(days=1))
    assert "has 1 day of shelf life left" in check(short, "QLT-001")[0].message


def test_cus_004_an_extract_filed_again_replaces_the_earlier_groups():
    """An amended extract (a later date) lists the groups again: they were added to the first
    extract's, doubling every group into a false mismatch."""
    w = _registered_by_item(clean())
    first = [d for d in w["documents"] if d.item]
    again = [dataclasses.replace(d, number=d.number.replace("UA-HA-1", "UA-HA-2"),
                                 date=d.date + dt.timedelta(days=1)) for d in first]  # fmt: skip
    amended = {**w, "documents": [*w["documents"], *again]}
    assert check(amended, "CUS-004") == []


# ---------------------------------------------------------------- tester, round 4


def _two_trucks(w: W) -> W:
    """S1 arrives on two trucks: lines 1-2 under receipt R1, line 3 a day later under R2; the
    acceptance act AKT-1 is filed for R1 only."""
    w = doc(w, "acceptance_act", subject="R1")
    w["receipts"] = [
        dataclasses.replace(r, receipt_ref="R2", date=RECEIVED + dt.timedelta(days=1))
        if r.line_no == 3
        else r
        for r in w["receipts"]
    ]
    return w


def test_doc_011_each_receipt_of_a_shipment_needs_its_own_act():
    """An act filed for GRN1 kept DOC-011 quiet for GRN2 of the same shipment too, while
    ACC-004 warned that GRN2 had no act."""
    (f,) = check(_two_trucks(clean()), "DOC-011")
    assert (f.record, f.field, f.value, f.shipment) == ("receipt R2", "documents",
                                                        "acceptance_act", "S1")  # fmt: skip
    assert "received under R2 on 2024-03-06 have no acceptance-transfer act" in f.message
    (g,) = check(_two_trucks(clean()), "ACC-004")  # the two rules name the same receipt
    assert (g.record, g.value) == (f.record, "acceptance_act")
    w = _two_trucks(clean())
    w["documents"] += [_doc("acceptance_act", "AKT-2", "R2", day=RECEIVED + dt.timedelta(days=1),
                            signed=True, signatory="commission")]  # fmt: skip
    assert check(w, "DOC-011") == [] and check(w, "ACC-004") == []
    # an act filed under the shipment covers each of its receipts, for both rules
    on_shipment = doc(_two_trucks(clean()), "acceptance_act", subject="S1")
    assert check(on_shipment, "DOC-011") == [] and check(on_shipment, "ACC-004") == []
    # an unsigned draft under the shipment: one warning, not one per truck (review)
    draft = doc(_two_trucks(clean()), "acceptance_act", subject="S1", signed=False)
    (d,) = check(draft, "DOC-011")
    assert (d.field, d.value) == ("signed", "false")
    # ... and beside it a signed act for R2: R2 is evidenced, as ACC-004 reads it
    both = _two_trucks(doc(clean(), "acceptance_act", subject="S1", signed=False))
    both["documents"] += [_doc("acceptance_act", "AKT-2", "R2", day=RECEIVED + dt.timedelta(days=1),
                               signed=True, signatory="commission")]  # fmt: skip
    assert [f.record for f in check(both, "DOC-011")] == ["receipt R1"]
    assert [f.record for f in check(both, "ACC-004")] == ["receipt R1"]  # the rules agree


def _write_off_with_act(w: W, **act: Any) -> W:
    w["writeoffs"] = [Writeoff("WO1", 1, RECEIVED, "KYIV", "WH", "BLANKET", D(1), reason="expired")]
    w["documents"] = [*w["documents"], _doc("writeoff_act", "WA-1", "WO1", day=RECEIVED, **act)]
    return w


# rule -> (world, the (field, value) of its finding)
FIELD_VALUE: dict[str, tuple[Mutate, tuple[str, str | None]]] = {
    "QLT-002": (FIRES["QLT-002"][0], ("short_date_justification", "used by May")),
    "DOC-001 unsigned": (lambda w: doc(w, "donation_letter", signed=False), ("signed", "false")),
    "DOC-001 not stated": (lambda w: doc(w, "donation_letter", signed=None), ("signed", None)),
    "DOC-011 unsigned": (lambda w: doc(w, "acceptance_act", signed=False), ("signed", "false")),
    "DOC-011 no signatory": (lambda w: doc(w, "acceptance_act", signatory=None),
                             ("signatory", None)),
    "ACC-006 unsigned": (lambda w: _write_off_with_act(w, signed=False, signatory="Mayor"),
                         ("signed", "false")),
    "ACC-006 no signatory": (lambda w: _write_off_with_act(w, signed=True), ("signatory", None)),
    "ACC-004 unsigned": (lambda w: doc(w, "acceptance_act", signed=False), ("signed", "false")),
    "DOC-006 unsigned": (lambda w: {**w, "documents": [*w["documents"],
                                                       _doc("waybill", "CMR-1", signed=False)]},
                         ("signed", "false")),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(FIELD_VALUE))
def test_a_finding_shows_the_value_of_the_field_it_names(case):
    """QLT-002 named `short_date_justification` and showed the expiry date; DOC-001, DOC-011
    and ACC-006 named `signed` and showed the document's number."""
    mutate, expected = FIELD_VALUE[case]
    found = check(mutate(clean()), case.split()[0])
    assert [(f.field, f.value) for f in found] == [expected]


def _counted(w: W, *rows: tuple[str, str, int]) -> W:
    """Count sheet lines of WH on 28 March (number, item, quantity); books: BLANKET 50."""
    w["documents"] = [*w["documents"], *(
        _doc("stock_count", number, "WH", dt.date(2024, 3, 28), signed=True, item=code,
             quantity=D(q)) for number, code, q in rows)]  # fmt: skip
    return w


def test_acc_009_the_lines_of_one_count_add_up():
    """Count rows SC1/1 BLANKET 30 and SC1/2 BLANKET 20 (one count, two bins; 50 on the
    books) were each compared with the whole book stock: two warnings."""
    assert check(_counted(clean(), ("SC1/1", "BLANKET", 30), ("SC1/2", "BLANKET", 20)),
                 "ACC-009") == []  # fmt: skip
    (f,) = check(_counted(clean(), ("SC1/1", "BLANKET", 30), ("SC1/2", "BLANKET", 15)), "ACC-009")
    assert (f.record, f.field, f.value) == ("stock count SC1/1, SC1/2 (WH)", "quantity", "-5")
    assert "counted 45 BLANKET on 2 lines on 2024-03-28, the books show 50" in f.message
    (g,) = check(_counted(clean(), ("SC1", "BLANKET", 49)), "ACC-009")  # one line
    assert "counted 49 BLANKET on 2024-03-28, the books show 50" in g.message
    # the fix says how several lines of one count are given: each row its own number
    assert "each row its own `number`" in f.fix and "`INV-7/1`, `INV-7/2`" in f.fix
    # a recount of the same day on another sheet is compared on its own, not added (review)
    assert check(_counted(clean(), ("SC1/1", "BLANKET", 30), ("SC1/2", "BLANKET", 20),
                          ("SC2/1", "BLANKET", 50)), "ACC-009") == []  # fmt: skip
    (r,) = check(_counted(clean(), ("SC1/1", "BLANKET", 30), ("SC1/2", "BLANKET", 20),
                          ("SC2/1", "BLANKET", 48)), "ACC-009")  # fmt: skip
    assert r.record == "stock count SC2/1 (WH)" and "counted 48 BLANKET on" in r.message


def test_acc_009_a_count_is_due_by_the_day_checked_not_now():
    """`check --as-of 2024-07-31` said "no stock count … until now"."""
    (f,) = check(doc(clean(), "stock_count", drop=True), "ACC-009", as_of=dt.date(2024, 7, 31))
    assert f"no stock count from {RECEIVED} until 2024-07-31, the day checked" in f.message
    assert "now" not in f.message


def _emptied_on(w: W, day: dt.date) -> W:
    """Everything in WH handed out on `day`; no count after March."""
    w["distributions"] = [Distribution("A1", n, day, "KYIV", "WH", "HOSP", r_item, q)
                          for n, (r_item, q) in enumerate([("GEN", D(10)), ("MED", D(100)),
                                                           ("BLANKET", D(50))], 1)]  # fmt: skip
    w["documents"] = [d for d in w["documents"]
                      if d.kind != "stock_count" or d.date.month == 3]  # fmt: skip
    return w


def test_acc_009_no_count_is_asked_of_a_warehouse_that_holds_nothing():
    """WH emptied on 10 April, counted last on 28 March: ACC-009 kept asking for a count until
    the day checked (30 June), though there was nothing to count since."""
    assert check(_emptied_on(clean(), dt.date(2024, 4, 10)), "ACC-009") == []
    # held past the month after its last count: a count was due while it held goods
    (f,) = check(_emptied_on(clean(), dt.date(2024, 5, 15)), "ACC-009")
    assert ("no stock count from 2024-03-28 until 2024-05-15, when it held nothing any more "
            "(48 days; at most 31)") in f.message  # fmt: skip
    # goods again from 20 June: the month runs from then, not from the last count
    w = _emptied_on(clean(), dt.date(2024, 4, 10))
    w["transfers"] = [Transfer("T1", 1, dt.date(2024, 6, 20), "WH2", "WH", "BLANKET", D(5))]
    assert check(w, "ACC-009") == []
    (g,) = check(w, "ACC-009", as_of=dt.date(2024, 7, 31))
    assert "no stock count from 2024-06-20 until 2024-07-31, the day checked" in g.message


def test_cus_007_names_the_missing_column_as_the_user_knows_it():
    """ "vehicle VAN has no MAKE": the column is `make`."""
    (f,) = check(add_line(clean(), "VAN", vin="WDB1"), "CUS-007")
    assert f.field == "make" and "vehicle VAN has no make (`make`)" in f.message
    (g,) = check(add_line(clean(), "VAN", make="Mercedes"), "CUS-007")
    assert g.field == "vin" and "vehicle VAN has no VIN (`vin`)" in g.message
    assert check(add_line(clean(), "VAN", vin="WDB1", make="Mercedes"), "CUS-007") == []


def test_cus_004_counts_goods_in_their_items_unit():
    """ "RICE: 50 pieces loaded" for rice counted in kg."""

    def by_group(w: W) -> list[str]:  # the product groups' findings (not the totals')
        return [f.message for f in check(w, "CUS-004") if ":" in f.message.split(" ")[0]]

    w = item(_registered_by_item(clean()), "BLANKET", unit="kg")
    assert by_group(lines(w, 3, quantity=D(60))) == ["BLANKET: 60 kg loaded, 50 registered "
                                                     "under UA-HA-1/3"]  # fmt: skip
    pcs = by_group(lines(_registered_by_item(clean()), 3, quantity=D(60)))
    assert pcs == ["BLANKET: 60 pieces loaded, 50 registered under UA-HA-1/3"]
    # the consignment's totals over items of different units say so
    totals = check(lines(item(clean(), "BLANKET", unit="kg"), 3, quantity=D(60)), "CUS-004")
    assert [f.message.split(",")[0] for f in totals] == ["170 units (kg + pcs) loaded"]


def test_cus_004_two_extracts_of_one_date_that_disagree_are_reported():
    """Two totals extracts of the same date (101 kg and 100 kg): one was picked silently."""
    w = clean()  # UA-HA-1 of DAY: 20 packages, 160 pieces, 650 kg
    w["documents"] += [_doc("ahars_registration", "UA-HA-1B", packages=20, pieces=D(160),
                            gross_kg=D(651))]  # fmt: skip
    (f,) = check(w, "CUS-004")
    assert (f.field, f.value, f.severity) == ("gross_kg", "650, 651", "error")
    assert (f"the AHARS registration extracts of S1 dated {DAY} register different totals "
            "(UA-HA-1: 20 packages, 160 pieces, 650 kg gross; UA-HA-1B: 20 packages, 160 "
            "pieces, 651 kg gross)") in f.message  # fmt: skip
    assert (
        "correct the wrong one to what AHARS holds (import its corrected row with "
        "`aidledger import --correct-documents`)" in f.message
    )
    # the same figures twice (filed under the shipment and under its code): no conflict
    same = clean()
    same["documents"] += [_doc("ahars_registration", "UA-HA-1", "UA-HA-1", packages=20,
                               pieces=D(160), gross_kg=D(650))]  # fmt: skip
    assert check(same, "CUS-004") == []
    # of different dates, the later extract replaces the earlier, as before
    later = clean()
    later["documents"] += [_doc("ahars_registration", "UA-HA-1B", day=DAY + dt.timedelta(days=1),
                                packages=20, pieces=D(160), gross_kg=D(651))]  # fmt: skip
    (g,) = check(later, "CUS-004")
    assert g.field == "gross_kg" and "651 kg registered under UA-HA-1B" in g.message
    earlier = clean()
    earlier["documents"] += [_doc("ahars_registration", "UA-HA-0", day=DAY - dt.timedelta(days=1),
                                  packages=20, pieces=D(160), gross_kg=D(651))]  # fmt: skip
    assert check(earlier, "CUS-004") == []
    # a bare registration (number and date, no figures) beside the extract: no conflict, and
    # the goods are still compared with the figures stated (review: None counted as a figure)
    bare = clean()
    bare["documents"] += [_doc("ahars_registration", "UA-HA-1C")]
    assert check(bare, "CUS-004") == []
    partial = clean()
    partial["documents"] += [_doc("ahars_registration", "UA-HA-1C", gross_kg=D(700))]
    (h,) = check(partial, "CUS-004")
    assert (h.field, h.value) == ("gross_kg", "650, 700") and "different totals" in h.message


def test_cus_018_documents_filed_after_the_deadline_are_a_warning():
    """Filed late, the documents were reported as `info`; the catalogue says "warning when
    overdue"."""
    w = {**clean(), "customs": [dataclasses.replace(
        clean()["customs"][0], provisional=True, docs_due_by=ARRIVED,
        docs_completed_at=ARRIVED + dt.timedelta(days=1))]}  # fmt: skip
    (f,) = check(w, "CUS-018")
    assert (f.severity, f.field) == ("warning", "docs_completed_at")
    assert "filed 2024-03-04, after the deadline 2024-03-03" in f.message
    on_time = {**w, "customs": [dataclasses.replace(w["customs"][0], docs_completed_at=ARRIVED)]}
    assert check(on_time, "CUS-018") == []
