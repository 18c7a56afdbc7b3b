"""The canonical text of an exact decimal: what SQLite stores, hashes cover and exports write.

Kept apart from the database types so that the row schemas and the hash chain can use it
without importing SQLAlchemy (a one-event command's `--help` builds its options from the
schemas, and paid ~0.3 s for an engine it never opens).
"""

from __future__ import annotations

from decimal import Decimal


def dstr(value: Decimal) -> str:
    """Canonical text of a decimal: no exponent, no trailing zeros, '-0' folded to '0'.

    `str()` first: it is C and exact, and only very large or very small numbers come out with
    an exponent. A bulk write formats about ten decimals per posting and most of them are
    distinct (money), so a cache costs more in hashing and eviction than it saves.
    """
    text = str(value)
    if "E" in text:
        text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text
