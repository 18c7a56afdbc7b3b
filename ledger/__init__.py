"""AidLedger core: a double-entry ledger of humanitarian aid between partner cities.

from ledger import Ledger
with Ledger("sqlite:///aidledger.db") as led:
    led.import_files([Path("sample_data")])
    rows = led.reconcile(donor="PRAGUE")
"""

from __future__ import annotations

import decimal
from typing import TYPE_CHECKING, Any

# Exact arithmetic for every number the format admits (15 digits before and 12 after the
# point): a value is quantity × unit value (54 digits), a UAH value that times a rate (81), and
# running totals add digits. Python's default of 28 significant digits would round them,
# silently, so that entries stop balancing and totals drift. The precision only bounds
# results; small numbers cost the same. Set for this thread and for threads started later.
EXACT_DIGITS = 120
decimal.DefaultContext.prec = EXACT_DIGITS
decimal.getcontext().prec = EXACT_DIGITS

if TYPE_CHECKING:
    from ledger.api import Ledger

__all__ = ["Ledger"]


def __getattr__(name: str) -> Any:  # lazy: `import ledger` stays cheap for the CLI
    if name == "Ledger":
        from ledger.api import Ledger

        return Ledger
    raise AttributeError(name)
