"""Running a check: choose packs, resolve parameters (defaults ← TOML), run rules, collect findings.

    settings = load_settings(Path("rules.toml"))      # or Settings.defaults()
    result = run(dataset, packs=["ua-import"], as_of=date(2024, 10, 31), settings=settings)
    result.findings, result.counts, result.has_errors, result.parameters()

TOML layout (every section optional; unknown names are refused, types must match the default):

    [engine]
    grade_c_as_error = false
    [packs.ua-import]
    registration_regime_from = 2023-12-01
    [rules.QLT-001]
    min_remaining_shelf_life_days = 180
    severity = "warning"     # override the rule's severity
    enabled = false          # switch the rule off
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger.rules.catalogue import RULES
from ledger.rules.dataset import Dataset
from ledger.rules.model import ERROR, SEVERITIES, SEVERITY_RANK, Ctx, Finding
from ledger.rules.packs import PACKS

ENGINE_DEFAULTS: dict[str, Any] = {"grade_c_as_error": False}


class ConfigError(ValueError):
    """A rules configuration that cannot be used (unknown name, wrong type, bad file)."""


@dataclass(frozen=True)
class Settings:
    engine: Mapping[str, Any]
    packs: Mapping[str, Mapping[str, Any]]
    rules: Mapping[str, Mapping[str, Any]]
    severity: Mapping[str, str] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()
    origin: str | None = None  # the TOML file, if any

    @classmethod
    def defaults(cls) -> Settings:
        return settings_from({})


def _coerce(default: Any, value: Any, where: str) -> Any:
    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{where}: expected {expected}, got {value!r}")

    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("a whole number")
        return _not_negative(value, where)
    if isinstance(default, Decimal):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad("a number")
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            raise bad("a number") from None
        if not number.is_finite():
            raise bad("a number")
        return _not_negative(number, where)
    if isinstance(default, dt.date) or default is None or default == "":
        if value == "" and not isinstance(default, dt.date):
            return ""
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise bad("a date (YYYY-MM-DD)") from None
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
        return tuple(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise bad("a string")
        return value
    raise bad(type(default).__name__)


def _not_negative(value: Any, where: str) -> Any:
    """Every numeric parameter is a number of days, a count, a percentage or a tolerance."""
    if value < 0:
        raise ConfigError(f"{where}: must not be negative (days, counts, percentages and "
                          f"tolerances are 0 or more), got {value}")  # fmt: skip
    return value


def _merge(defaults: Mapping[str, Any], given: Mapping[str, Any], where: str,
           extra_ok: Iterable[str] = ()) -> dict[str, Any]:  # fmt: skip
    out = dict(defaults)
    for key, value in given.items():
        if key in extra_ok:
            continue
        if key not in defaults:
            known = ", ".join(sorted(defaults)) or "none"
            raise ConfigError(f"{where}: unknown parameter {key!r} (known: {known})")
        out[key] = _coerce(defaults[key], value, f"{where}.{key}")
    return out


def settings_from(config: Mapping[str, Any], origin: str | None = None) -> Settings:
    """Validate a parsed TOML document against the rules' and packs' declared parameters."""
    for section in config:
        if section not in ("engine", "packs", "rules"):
            raise ConfigError(f"unknown section [{section}]: use [engine], [packs.*], [rules.*]")
    engine = _merge(ENGINE_DEFAULTS, config.get("engine", {}), "engine")
    packs_cfg = config.get("packs", {})
    for name in packs_cfg:
        if name not in PACKS:
            raise ConfigError(f"unknown pack [packs.{name}] (known: {', '.join(PACKS)})")
    packs = {n: _merge(p.params, packs_cfg.get(n, {}), f"packs.{n}") for n, p in PACKS.items()}
    rules_cfg = config.get("rules", {})
    severity: dict[str, str] = {}
    disabled: set[str] = set()
    for rid, cfg in rules_cfg.items():
        if rid not in RULES:
            raise ConfigError(f"unknown rule [rules.{rid}]")
        if not isinstance(cfg, dict):
            raise ConfigError(f"[rules.{rid}] must be a table")
        if "severity" in cfg:
            if cfg["severity"] not in SEVERITIES:
                raise ConfigError(f"rules.{rid}.severity: one of {', '.join(SEVERITIES)}")
            severity[rid] = cfg["severity"]
        if "enabled" in cfg:
            if not isinstance(cfg["enabled"], bool):
                raise ConfigError(f"rules.{rid}.enabled: expected true or false")
            if not cfg["enabled"]:
                disabled.add(rid)
    rules = {
        rid: _merge(spec.params, rules_cfg.get(rid, {}), f"rules.{rid}", ("severity", "enabled"))
        for rid, spec in RULES.items()
    }
    return Settings(engine, packs, rules, severity, frozenset(disabled), origin)


def load_settings(path: Path | None) -> Settings:
    if path is None:
        return Settings.defaults()
    try:
        with open(path, "rb") as f:
            config = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    return settings_from(config, str(path))


# ---------------------------------------------------------------- running


@dataclass(frozen=True)
class CheckResult:
    as_of: dt.date
    packs: tuple[str, ...]
    settings: Settings
    findings: tuple[Finding, ...]
    shipment: str | None = None
    rules_run: tuple[str, ...] = ()
    last_event: dt.date | None = None  # the ledger's newest event: may come after `as_of`

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(SEVERITIES, 0)
        for f in self.findings:
            out[f.severity] += 1
        return out

    @property
    def has_errors(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    def parameters(self) -> dict[str, Any]:
        """The effective parameters, JSON-safe: engine, packs run, rules run."""
        return {
            "engine": jsonable(self.settings.engine),
            "config": self.settings.origin,
            "packs": {n: jsonable(self.settings.packs[n]) for n in self.packs},
            "rules": {
                rid: {**jsonable(self.settings.rules[rid]),
                      "severity": self.settings.severity.get(rid, RULES[rid].default_severity)}
                for rid in self.rules_run
            },
        }  # fmt: skip


def jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    def one(v: Any) -> Any:
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, tuple):
            return list(v)
        return v

    return {k: one(v) for k, v in params.items()}


def run(
    ds: Dataset,
    *,
    packs: Iterable[str] | None = None,
    as_of: dt.date | None = None,
    settings: Settings | None = None,
    shipment: str | None = None,
    rules: Iterable[str] | None = None,
) -> CheckResult:
    """Run the selected packs (default all) over a dataset; never raises for a data problem.

    The cyclic garbage collector is paused while the rules run: they allocate many small
    objects and free them all at the end, and collection passes over a large dataset would
    otherwise cost more than the rules themselves.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(ds, packs, as_of, settings, shipment, rules)
    finally:
        if was_enabled:
            gc.enable()


def _run(
    ds: Dataset,
    packs: Iterable[str] | None,
    as_of: dt.date | None,
    settings: Settings | None,
    shipment: str | None,
    rules: Iterable[str] | None,
) -> CheckResult:
    settings = settings or Settings.defaults()
    as_of = as_of or dt.date.today()
    selected = tuple(packs) if packs else tuple(PACKS)
    for name in selected:
        if name not in PACKS:
            raise ConfigError(f"unknown pack {name!r} (known: {', '.join(PACKS)})")
    only = set(rules) if rules else None
    ships = [s for s in ds.shipments.values() if shipment is None or s.ref == shipment]
    scope: dict[str, list[Any]] = {}
    regimes: dict[str, dict[str, str]] = {}
    for name in selected:
        pack, pp = PACKS[name], settings.packs[name]
        scope[name] = [s for s in ships if pack.applies is None or pack.applies(s, ds, pp)]
        regimes[name] = (
            {s.ref: pack.regime(s, pp, as_of) for s in scope[name]} if pack.regime else {}
        )
    findings: list[Finding] = []
    ran: list[str] = []
    grade_c = bool(settings.engine["grade_c_as_error"])
    for rid, spec in RULES.items():
        if spec.pack not in selected or rid in settings.disabled or (only and rid not in only):
            continue
        ran.append(rid)
        in_scope = ships if spec.any_corridor else scope[spec.pack]
        if spec.regimes:
            in_scope = [s for s in in_scope if regimes[spec.pack].get(s.ref) in spec.regimes]
        ctx = Ctx(spec, as_of, settings.rules[rid], tuple(in_scope), regimes[spec.pack],
                  settings.rules, settings.severity.get(rid), grade_c,
                  settings.disabled)  # fmt: skip
        try:
            found = list(spec.fn(ds, ctx))
        except Exception as exc:  # a rule bug must not hide every other finding
            crash = ctx.finding("rules engine", f"rule {rid} failed: {exc!r}",
                                fix="Report this as a bug in the rules engine.")  # fmt: skip
            found = [dataclasses.replace(crash, severity=ERROR)]  # whatever is configured
        if shipment is not None:
            found = [f for f in found if f.shipment == shipment]
        findings += found
    findings.sort(key=lambda f: (SEVERITY_RANK[f.severity], f.rule, f.shipment or "", f.line or 0,
                                 f.record))  # fmt: skip
    return CheckResult(as_of, selected, settings, tuple(findings), shipment, tuple(ran),
                       ds.last_event_date)  # fmt: skip


def check_ledger(
    led: Any,
    *,
    packs: Iterable[str] | None = None,
    as_of: dt.date | None = None,
    settings: Settings | None = None,
    shipment: str | None = None,
) -> CheckResult:
    """Load the dataset once from a `Ledger` and run the check."""
    from ledger.db.engine import reader
    from ledger.errors import NotFound
    from ledger.rules.dataset import load

    with reader(led.engine) as conn:
        ds = load(conn)
    if shipment is not None and not any(ln.shipment_ref == shipment for ln in ds.lines):
        # "no findings" would read as "that shipment is clean"
        raise NotFound(f"no shipment {shipment!r} in the ledger")
    return run(ds, packs=packs, as_of=as_of, settings=settings, shipment=shipment)
