"""Rule findings for the packs, from the rules engine when it is installed.

The packs take `findings: list[dict] | None`; None prints "rule findings: not available". The
rules engine (`ledger.rules`) is optional at run time: `collect()` looks for it with
importlib.util.find_spec and adapts whatever it returns to plain dicts with the keys
rule, severity, record, message, action. Nothing here fails a report: a rules engine that
raises is reported as "not available" with the reason.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import re
from collections.abc import Iterable
from typing import Any

ENTRY_POINTS = ("findings_for_reports", "check", "run", "run_checks", "evaluate")
_KEYS = {
    "rule": ("rule", "rule_id", "id", "code"),
    "severity": ("severity", "level"),
    "record": ("record", "ref", "subject", "where", "target", "key"),
    "message": ("message", "text", "what", "title", "detail"),
    "action": ("action", "fix", "what_to_do", "remedy", "hint"),
}


def _as_dict(finding: Any) -> dict[str, Any]:
    if isinstance(finding, dict):
        raw = dict(finding)
    elif hasattr(finding, "model_dump"):
        raw = finding.model_dump()
    elif dataclasses.is_dataclass(finding) and not isinstance(finding, type):
        raw = dataclasses.asdict(finding)
    else:
        raw = {k: v for k, v in vars(finding).items() if not k.startswith("_")}
    out: dict[str, Any] = {}
    for key, names in _KEYS.items():
        for name in names:
            value = raw.get(name)
            if value not in (None, ""):
                out[key] = value if isinstance(value, str) else str(getattr(value, "value", value))
                break
        else:
            out[key] = ""
    out["severity"] = out["severity"].lower()
    out["shipment"] = str(raw.get("shipment") or "")
    out["_raw"] = " ".join(str(v) for v in raw.values())
    return out


def normalise(findings: Iterable[Any]) -> list[dict[str, Any]]:
    return [_as_dict(f) for f in findings]


def collect(led: Any) -> tuple[list[dict[str, Any]] | None, str | None]:
    """(findings, None) from ledger.rules when importable, else (None, why not)."""
    if importlib.util.find_spec("ledger.rules") is None:
        return None, "the rules engine (ledger.rules) is not installed"
    try:
        rules = importlib.import_module("ledger.rules")
        for name in ENTRY_POINTS:
            fn = getattr(rules, name, None)
            if callable(fn):
                result = fn(led)
                if hasattr(result, "findings"):
                    result = result.findings
                return normalise(result), None
    except Exception as exc:  # the rules engine is someone else's module: never break a report
        return None, f"the rules engine failed: {exc}"
    return None, "ledger.rules has no entry point (" + ", ".join(ENTRY_POINTS) + ")"


def _tokens(text: str) -> set[str]:
    return set(re.split(r"[\s/,:;()]+", text))


def about(findings: list[dict[str, Any]] | None, *needles: str) -> list[dict[str, Any]] | None:
    """The findings whose record (or shipment) names one of the needles as a whole word:
    a shipment ref, an act number, a party code ("KYIV" does not match "KYIV-HOSP-1")."""
    if findings is None:
        return None
    wanted = {n for n in needles if n}
    if not wanted:
        return list(findings)
    return [f for f in findings
            if f.get("shipment") in wanted or _tokens(f.get("record", "")) & wanted]  # fmt: skip


def has_errors(findings: list[dict[str, Any]] | None) -> bool:
    return any(f.get("severity") in ("error", "critical", "blocker") for f in findings or [])
