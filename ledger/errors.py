"""Errors the ledger raises. Each carries one clear sentence meant for the user."""

from __future__ import annotations

from dataclasses import dataclass


class LedgerError(Exception):
    """Base: a refusal the user can act on (exit code 1 at the CLI)."""


class UnbalancedEntry(LedgerError):
    pass


class BookingError(LedgerError):
    """The event cannot be booked as given (unknown code, more than is in stock, ...)."""

    def __init__(self, message: str, column: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.column = column
        self.value = value


class UnknownCode(BookingError):
    """A code the row refers to is not in the ledger's master data."""


class BookingErrors(BookingError):
    """Several problems of one row, each to show at once (one line per cell): fixing one only
    to meet the next on the following import wastes the coordinator's time."""

    def __init__(self, problems: list[BookingError]) -> None:
        super().__init__("; ".join(str(p) for p in problems), problems[0].column,
                         problems[0].value)  # fmt: skip
        self.problems = problems


class UnknownCodes(BookingErrors):
    """Several codes of one row are not in the ledger."""


class ClosedPeriodError(BookingError):
    pass


class InsufficientStock(BookingError):
    """An account stage would go below zero. Raised before the entry is applied; for a
    distribution, write-off or transfer nothing at all has changed, so an import may try the
    row again once the day's other rows have moved goods in (a same-day transfer)."""


class NotFound(LedgerError):
    pass


@dataclass(frozen=True)
class RowError:
    """One bad cell or row of an input file, as the user will see it."""

    file: str
    row: int | None
    column: str | None
    value: object
    reason: str

    def __str__(self) -> str:
        where = self.file + (f", row {self.row}" if self.row is not None else "")
        col = f", column {self.column}" if self.column else ""
        # The value as text, quoted: a number or date reads as the user wrote it, not as a repr;
        # a long one (a whole paragraph pasted into a code cell) shortened to what finds it.
        text = "" if self.value in (None, "") else str(self.value)
        if len(text) > SHOWN_CHARACTERS:
            text = f"{text[:SHOWN_CHARACTERS]}… ({len(text)} characters)"
        val = f", value {text!r}" if text else ""
        return f"{where}{col}{val}: {self.reason}"


SHOWN_CHARACTERS = 60  # of a bad value, in an error line


class ImportRejected(LedgerError):
    """The whole import was refused; nothing was written. Carries every bad row."""

    def __init__(self, errors: list[RowError], notes: list[str] | None = None) -> None:
        self.errors = errors
        self.notes = notes or []  # worth a look while the file is being fixed anyway
        super().__init__(f"import refused: {len(errors)} problem(s); nothing was written")
