"""AidLedger core: a double-entry ledger of humanitarian aid between partner cities.

from ledger import Ledger
with Ledger("sqlite:///aidledger.db") as led:
    led.import_files([Path("sample_data")])
    rows = led.reconcile(donor="PRAGUE")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger.api import Ledger

__all__ = ["Ledger"]


def __getattr__(name: str) -> Any:  # lazy: `import ledger` stays cheap for the CLI
    if name == "Ledger":
        from ledger.api import Ledger

        return Ledger
    raise AttributeError(name)
