"""Exports of the journal to the plain-text accounting tools accountants already trust.

`hledger.write_hledger` writes an hledger journal (also read by ledger-cli) and
`beancount.write_beancount` a Beancount v3 file. Both name accounts and commodities through
`chart.Chart`, read the journal through `source` in one streaming pass, and end with closing
balance assertions taken from the ledger's stored running balances, so the receiving tool
re-checks every (account, commodity) against AidLedger's own figures.
"""

from __future__ import annotations

from reports.exports.source import ExportStats

__all__ = ["ExportStats"]
