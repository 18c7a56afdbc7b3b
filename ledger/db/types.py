"""Column types that keep quantities and money exact on every engine.

SQLite's NUMERIC affinity silently turns decimals into binary floats, which would break
invariant 6 (exact decimals). So on SQLite an exact decimal is stored as its canonical text;
on PostgreSQL it is a native unbounded NUMERIC. Python always sees `Decimal`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from ledger.decimals import dstr

__all__ = ["ExactDecimal", "canonical", "dstr"]


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal column: NUMERIC on PostgreSQL, canonical TEXT on SQLite."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"exact decimal column given {type(value).__name__}, not Decimal")
        if dialect.name == "sqlite":
            return dstr(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, float):  # never expected; refuse rather than guess
            raise TypeError("float read from an exact decimal column")
        return canonical(value)


def canonical(value: str | Decimal) -> Decimal:
    """A stored exact decimal as Python sees it. SQLite's text is canonical already;
    PostgreSQL keeps the scale a number was written with (3200.0, 90.00), read back canonically
    as SQLite's text is, so both engines word findings, reports and the Python API alike."""
    return Decimal(dstr(value)) if isinstance(value, Decimal) else Decimal(value)
