"""How documents round money so that they foot (DESIGN §4, invariant 6).

The ledger keeps exact decimals; a document rounds money only where it shows it, at the
currency's minor unit (JPY 0 decimals, UAH/EUR/CZK/PLN 2). Rounding each shown line on its own
and each total from the exact sum gives documents that do not add up (three lines of 10.01 CZK
under a total of 30.02), so the pack builders round every shown line and add up the rounded
lines. Journal postings are rounded per entry and currency with `allocate`, so every entry shown
still balances and everything summed from postings (the trial balance) agrees with the journal.

Unit values, prices and rates are not amounts: they are shown as recorded (`exact`), never
rounded, with at least the currency's minor digits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

ZERO = Decimal(0)


@cache
def minor_digits(currency: str) -> int:
    """Decimals of the currency's minor unit (Babel's table; 2 when Babel does not know it)."""
    from babel.numbers import get_currency_precision

    try:
        return int(get_currency_precision(currency))
    except Exception:  # unknown to Babel: the usual two
        return 2


def minor_unit(currency: str) -> Decimal:
    """0.01 for CZK, 1 for JPY."""
    return Decimal(1).scaleb(-minor_digits(currency))


def unsigned_zero(value: Decimal) -> Decimal:
    """-0.00 -> 0.00: a document never prints a negative zero."""
    return value.copy_abs() if value.is_zero() else value


def round_money(amount: Decimal, currency: str) -> Decimal:
    """One amount at the currency's minor unit, half up, never a negative zero."""
    return unsigned_zero(amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP))


def allocate(amounts: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Round `amounts` to the currency's minor unit so that the rounded amounts add up to the
    rounded sum of the exact ones (largest-remainder allocation).

    Why: rounding every amount on its own does not keep sums. The postings of an entry sum to
    exactly zero, but 3 × 10.005 CZK against −30.015 CZK prints 10.01 + 10.01 + 10.01 − 30.02,
    an entry that does not balance on paper, and a trial balance summed from such lines has
    debits ≠ credits. Here every amount is first rounded half up on its magnitude, as a document
    shows one amount (so a and −a print alike, and an account that goods pass through, +a in
    one entry and −a in another, prints zero when it holds nothing); the units the rounded sum
    is still off go, one each, to the amounts that rounding moved furthest the other way (ties:
    the earlier amount). Each rounded amount stays within one minor unit of its exact value,
    amounts already at the minor unit are kept, and amounts that sum to zero (an entry, per
    currency) round to amounts that sum to zero.
    """
    unit = minor_unit(currency)
    out = [a.quantize(unit, rounding=ROUND_HALF_UP) for a in amounts]
    target = sum(amounts, ZERO).quantize(unit, rounding=ROUND_HALF_UP)
    steps = int((target - sum(out, ZERO)) / unit)
    if steps:
        sign = 1 if steps > 0 else -1
        order = sorted(range(len(amounts)), key=lambda i: (-sign * (amounts[i] - out[i]), i))
        for i in order[: abs(steps)]:
            out[i] += sign * unit
    return [unsigned_zero(a) for a in out]


def round_postings(postings: Iterable[tuple[str | None, Decimal | None]]) -> list[Decimal | None]:
    """The values of one entry's postings (currency, value) as a document shows them: rounded
    per currency with `allocate`, so the shown entry balances in every currency. A posting
    without a value stays None (and one without a currency, which no entry has, as it is)."""
    postings = list(postings)
    by_currency: dict[str, list[int]] = defaultdict(list)
    for i, (currency, value) in enumerate(postings):
        if currency and value is not None:
            by_currency[currency].append(i)
    out: list[Decimal | None] = [value for _, value in postings]
    for currency, at in by_currency.items():
        exact_values = [value for i in at if (value := postings[i][1]) is not None]
        for i, rounded in zip(at, allocate(exact_values, currency), strict=True):
            out[i] = rounded
    return out


def exact(value: Decimal) -> Decimal:
    """A price or unit value as recorded, without trailing zeros beyond what it has and never
    in exponent form (10.0050 -> 10.005, 1E+3 -> 1000)."""
    value = value.normalize()
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        value = value.quantize(Decimal(1))
    return unsigned_zero(value)


def decimals(value: Decimal) -> int:
    """How many decimals `exact(value)` has (0 for whole numbers)."""
    exponent = exact(value).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
