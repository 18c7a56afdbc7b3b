"""ORDER BY terms that sort text alike on every engine.

SQLite compares text byte by byte; PostgreSQL by the database's collation, which a city's
database may well have as en-US or uk-UA (`a-don-rec-S` before `a-don-REC2-S` there, after it
on SQLite). A document written again must be the same bytes on either engine, so text is
ordered by code point everywhere (`COLLATE "C"` on PostgreSQL), as `balance` sorts in Python.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String


def bytewise(dialect: str, *terms: Any) -> list[Any]:
    """The terms, each text one collated by code point on PostgreSQL."""
    if dialect != "postgresql":
        return list(terms)
    return [t.collate("C") if isinstance(getattr(t, "type", None), String) else t for t in terms]
