"""Names that the plain-text tools accept, for AidLedger's accounts and commodities.

Accounts: the pipeline stages (DESIGN §4) go under the five root types so balance-sheet and
income-statement reports make sense in hledger, Fava and ledger-cli alike:

| AidLedger                 | exported as                        |
|---------------------------|------------------------------------|
| `donor:D`                 | `Income:Donor:D`                   |
| `pledged:D:R`             | `Assets:Pledged:D:R`               |
| `transit:S`               | `Assets:Transit:S`                 |
| `customs:S`               | `Assets:Customs:S`                 |
| `stock:R:W`               | `Assets:Stock:R:W`                 |
| `distributed:R:B`         | `Expenses:Distributed:R:B`         |
| `loss:H:reason`           | `Expenses:Loss:H:Reason`           |

Each component is made valid for Beancount (`[A-Z0-9][A-Za-z0-9-]*`): characters other than
letters, digits and `-` become `-`, and a leading lowercase letter is capitalised. Commodities
become tickers valid for Beancount's currency syntax (`[A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]`, at
most 24 characters). Both mappings are injective, accounts at every level: one code becomes
one component wherever it appears, and when two codes would collide (`wh.1` and `WH-1`), the
later one in sorted order gets a short hash suffix. The original code is always kept
as metadata beside the name (`open` / `account` and `commodity` directives).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

ROOTS = {
    "donor": ("Income", "Donor"),
    "pledged": ("Assets", "Pledged"),
    "transit": ("Assets", "Transit"),
    "customs": ("Assets", "Customs"),
    "stock": ("Assets", "Stock"),
    "distributed": ("Expenses", "Distributed"),
    "loss": ("Expenses", "Loss"),
}

TICKER_MAX = 24
TICKER_RE = re.compile(r"^(?:[A-Z]|[A-Z][A-Z0-9'._-]{0,22}[A-Z0-9])$")
COMPONENT_RE = re.compile(r"^[A-Z0-9][A-Za-z0-9-]*$")
_BAD_COMPONENT_CHARS = re.compile(r"[^A-Za-z0-9-]")
_BAD_TICKER_CHARS = re.compile(r"[^A-Z0-9'._-]")


def _digest(text: str, n: int = 4) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:n].upper()


def component(text: str) -> str:
    """One account component made valid for Beancount (and hledger, ledger-cli)."""
    out = _BAD_COMPONENT_CHARS.sub("-", text)
    if not out:
        return "X"
    if out[0].islower():
        out = out[0].upper() + out[1:]
    if not COMPONENT_RE.match(out):
        out = "X" + out
    return out


def account_name(account: str) -> str:
    """The exported name of an AidLedger account path (before collision handling)."""
    parts = account.split(":")
    head = ROOTS.get(parts[0])
    if head is None:  # an account outside the known stages: keep it visible under Equity
        head = ("Equity", component(parts[0]))
    return ":".join([*head, *(component(p) for p in parts[1:])])


def ticker(code: str) -> str:
    """A Beancount-valid ticker for an item code (before collision handling)."""
    out = _BAD_TICKER_CHARS.sub("-", code.upper())
    if not out or not out[0].isalpha():
        out = "X" + out
    out = out.rstrip("'._-") or "X"
    if len(out) == 1:  # one capital letter is also a Beancount flag; avoid the ambiguity
        out += "X"
    if len(out) > TICKER_MAX:
        out = out[: TICKER_MAX - 5].rstrip("'._-") + "-" + _digest(code)
    return out


def _unique(name: str, taken: set[str], key: str, limit: int | None = None) -> str:
    if name not in taken:
        return name
    for i in range(100):
        suffix = "-" + _digest(f"{key}#{i}" if i else key)
        base = name if limit is None else name[: limit - len(suffix)].rstrip("'._-")
        candidate = base + suffix
        if candidate not in taken:
            return candidate
    raise ValueError(f"cannot find a unique name for {key!r}")  # pragma: no cover


@dataclass
class Chart:
    """The mapping of one export: AidLedger account → account name, commodity → ticker."""

    accounts: dict[str, str] = field(default_factory=dict)
    tickers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, accounts: Iterable[str], commodities: Iterable[str],
              currencies: Iterable[str] = ()) -> Chart:  # fmt: skip
        """Name every account and commodity; `currencies` (value currencies) stay as they are
        and no item ticker may take one of their names."""
        chart = cls()
        paths = {acc: acc.split(":") for acc in set(accounts)}
        # One exported component per AidLedger code, unique across the chart: names stay
        # one-to-one at every level, so `ngo.a` and `ngo_a` never share a parent account.
        codes = sorted({c for parts in paths.values()
                        for c in (parts[1:] if parts[0] in ROOTS else parts)})  # fmt: skip
        taken: set[str] = set()
        mapped: dict[str, str] = {}
        for code in codes:
            mapped[code] = _unique(component(code), taken, code)
            taken.add(mapped[code])
        for acc, parts in sorted(paths.items()):
            head = list(ROOTS[parts[0]]) if parts[0] in ROOTS else ["Equity"]
            rest = parts[1:] if parts[0] in ROOTS else parts
            chart.accounts[acc] = ":".join([*head, *(mapped[c] for c in rest)])
        used: set[str] = set(currencies)
        for code in sorted(set(commodities)):
            name = _unique(ticker(code), used, code, TICKER_MAX)
            used.add(name)
            chart.tickers[code] = name
        return chart
