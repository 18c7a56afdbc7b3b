"""Command-line values read as the exchange format reads them.

A date typed after `--as-of` or `--date` is the same kind of value as a date in a file, so it
takes the same forms (YYYY-MM-DD or DD.MM.YYYY) and gets the same plain reasons when it is
wrong ("not a real date (day is out of range for month)"), not strptime's format string.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click


class DateParam(click.ParamType):
    name = "date"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.date:  # fmt: skip
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        from schemas.fields import parse_date  # pydantic: not for `--help`

        if str(value).strip().isdigit():  # a file's serial day number, not something typed
            self.fail(f"{value!r}: not a date: use YYYY-MM-DD or DD.MM.YYYY", param, ctx)
        try:
            day = parse_date(str(value))
        except ValueError as exc:
            self.fail(f"{value!r}: {exc}", param, ctx)
        if not isinstance(day, dt.date):
            self.fail(f"{value!r}: not a date: use YYYY-MM-DD or DD.MM.YYYY", param, ctx)
        return day


DATE = DateParam()
