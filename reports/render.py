"""HTML and PDF from a `Document`: Jinja2 (autoescaped) templates, WeasyPrint with a fetcher
that refuses the network and every file outside reports/templates/.

Nothing a user typed (item names, remarks, party names) can become markup: every value goes
through autoescaping; the only markup not escaped is the SVG that reports/charts.py draws from
numbers with escaped labels. Text in the PDF is real text (fonts embedded, subsetted).
"""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path
from typing import Any

from reports import i18n
from reports.model import Document

TEMPLATES = Path(__file__).resolve().parent / "templates"


class RefusedURL(Exception):
    pass


def css_string(value: Any) -> str:
    """Text safe inside a double-quoted CSS string."""
    out = []
    for ch in str(value):
        if ch in '"\\' or ord(ch) < 0x20 or ch in "<>":
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return "".join(out)


@cache
def environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    env.filters["css_string"] = css_string
    env.globals["L"] = i18n.label
    return env


def html(doc: Document) -> str:
    template = environment().get_template("document.html")
    return template.render(
        doc=doc,
        title=i18n.label(doc.title),
        code_label=i18n.both("doc.verification_code"),
        stamp_text=f"{i18n.en('doc.not_ready')} · {i18n.label('doc.not_ready')['uk']}",
    )


def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetchingError

    class TemplatesOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """Serve files under reports/templates/ only; refuse every other URL (logged)."""

        refused: list[str]

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("file",))
            self.refused = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            from urllib.parse import unquote, urlsplit

            parts = urlsplit(url)
            if parts.scheme == "file" and not parts.netloc:
                target = Path(unquote(parts.path)).resolve()
                if target.is_relative_to(TEMPLATES) and target.is_file():
                    return super().fetch(url, headers)
            self.refused.append(url)
            raise URLFetchingError(f"refused to fetch {url}: reports fetch nothing outside "
                                   "reports/templates/")  # fmt: skip

    return TemplatesOnlyFetcher


def url_fetcher() -> Any:
    return _fetcher_class()()


def pdf_bytes(markup: str, fetcher: Any = None) -> bytes:
    from weasyprint import HTML

    return HTML(string=markup, base_url=TEMPLATES.as_uri() + "/",
                url_fetcher=fetcher or url_fetcher()).write_pdf()  # fmt: skip


def write(doc: Document, path: Path, fmt: str | None = None) -> dict[str, float]:
    """Write the document as pdf, html, xlsx (or csv for tabular kinds); returns timings."""
    fmt = fmt or path.suffix.lstrip(".").lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    if fmt in ("pdf", "html"):
        markup = html(doc)
        timings["template"] = time.perf_counter() - started
        if fmt == "html":
            path.write_text(markup, encoding="utf-8")
        else:
            started = time.perf_counter()
            path.write_bytes(pdf_bytes(markup))
            timings["weasyprint"] = time.perf_counter() - started
    elif fmt == "xlsx":
        from reports.xlsx import write_xlsx

        write_xlsx(doc, path)
        timings["xlsx"] = time.perf_counter() - started
    elif fmt == "csv":
        from reports.tabular import to_csv

        section = doc.sections[0]
        columns = doc.csv_columns or [c.key for c in section.columns]
        path.write_text(to_csv(columns, section.rows), encoding="utf-8")
    else:
        raise ValueError(f"unknown format {fmt!r}: use pdf, html, xlsx or csv")
    return timings
