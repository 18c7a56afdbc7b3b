"""What a rule is, what it returns, and the context it runs in (DESIGN §6).

A rule is a pure function `(Dataset, Ctx) -> Iterable[Finding]` registered with `@rule(...)`,
which declares its catalogue ID, title, severity, the sources it cites with their confidence
grade, its parameters with defaults, the records it reads, and the pack (and regimes) it
belongs to. Rules never raise for a data problem: a missing value is itself a finding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger.rules.dataset import Dataset, Shipment

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)
SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}
GRADE_C_NOTE = (
    "grade C in the catalogue (uncertain law): a warning by default; confirm with a Ukrainian "
    "lawyer/accountant, then set [engine] grade_c_as_error = true to make it block"
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found: which rule, how bad, which record and field, and what to do."""

    rule: str
    severity: str
    pack: str
    record: str  # e.g. "shipment PRG-2024-002 line 2", "receipt KV-PN-2024-0007", "party KYIV"
    field: str | None
    value: str | None
    message: str
    fix: str
    shipment: str | None = None
    line: int | None = None
    source: str = ""
    grade: str = ""
    regime: str | None = None


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: str
    title: str
    severity: str
    pack: str
    sources: tuple[str, ...]
    grade: str
    reads: tuple[str, ...]
    params: Mapping[str, Any]
    fn: Callable[[Dataset, Ctx], Iterable[Finding]]
    regimes: tuple[str, ...] = ()  # empty: every regime of the pack
    fix: str = ""
    doc: str = ""
    # True: the rule looks at every shipment, not only those of its pack's corridor (it still
    # runs only when its pack is selected)
    any_corridor: bool = False

    @property
    def default_severity(self) -> str:
        """Severity before configuration: grade-C rules never start as errors."""
        if self.grade == "C" and self.severity == ERROR:
            return WARNING
        return self.severity

    @property
    def source_text(self) -> str:
        return f"{', '.join(self.sources)} (grade {self.grade})"


REGISTRY: dict[str, RuleSpec] = {}


def rule(
    rule_id: str,
    title: str,
    *,
    severity: str,
    pack: str,
    sources: tuple[str, ...],
    grade: str,
    reads: tuple[str, ...],
    params: Mapping[str, Any] | None = None,
    regimes: tuple[str, ...] = (),
    fix: str = "",
    any_corridor: bool = False,
) -> Callable[[Callable[[Dataset, Ctx], Iterable[Finding]]], Callable[..., Any]]:
    """Register a rule function under its catalogue ID."""

    def register(fn: Callable[[Dataset, Ctx], Iterable[Finding]]) -> Callable[..., Any]:
        if rule_id in REGISTRY:
            raise ValueError(f"rule {rule_id} registered twice")
        REGISTRY[rule_id] = RuleSpec(
            rule_id, title, severity, pack, sources, grade, reads, dict(params or {}), fn,
            regimes, fix, (fn.__doc__ or "").strip(), any_corridor,
        )  # fmt: skip
        return fn

    return register


@dataclass(frozen=True)
class Ctx:
    """What a rule sees besides the data: its parameters, the day, the shipments in scope."""

    spec: RuleSpec
    as_of: dt.date
    params: Mapping[str, Any]
    shipments: tuple[Shipment, ...]
    regime: Mapping[str, str] = field(default_factory=dict)  # shipment ref -> regime name
    all_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    severity: str | None = None  # configured severity: every finding of the rule gets it
    grade_c_as_error: bool = False
    disabled: frozenset[str] = frozenset()  # rules switched off in the configuration

    def p(self, name: str) -> Any:
        return self.params[name]

    def enabled(self, rule_id: str) -> bool:
        """Whether another rule is switched on (a rule that defers to it must not when off)."""
        return rule_id not in self.disabled

    def other(self, rule_id: str, name: str) -> Any:
        return self.all_params[rule_id][name]

    def finding(
        self,
        record: str,
        message: str,
        *,
        field: str | None = None,
        value: Any = None,
        fix: str | None = None,
        shipment: str | None = None,
        line: int | None = None,
        severity: str | None = None,
        grade: str | None = None,
    ) -> Finding:
        spec = self.spec
        g = grade or spec.grade
        if self.severity:  # configured: it beats whatever the rule or the grade would pick
            sev = self.severity
        else:
            sev = severity or spec.severity
            if g == "C" and sev == ERROR and not self.grade_c_as_error:
                sev = WARNING
                message = f"{message} [{GRADE_C_NOTE}]"
        return Finding(
            rule=spec.id, severity=sev, pack=spec.pack, record=record, field=field,
            value=None if value is None else _text(value), message=message,
            fix=fix if fix is not None else spec.fix, shipment=shipment, line=line,
            source=f"{', '.join(spec.sources)} (grade {g})", grade=g,
            regime=self.regime.get(shipment) if shipment else None,
        )  # fmt: skip


def days(n: int) -> str:
    """ "1 day", "2 days" (and "0 days")."""
    return f"{n} day" if n == 1 else f"{n} days"


def _text(value: Any) -> str:
    if isinstance(value, bool):  # as a flag column is written: `signed` = false
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(_text(v) for v in sorted(value, key=str))
    return str(value)
