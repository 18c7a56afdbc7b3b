"""Hostile text stays inert: markup in item names and remarks is escaped in HTML and PDF, formula
text is neutralised in CSV and XLSX, and the renderer fetches nothing outside its templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from ledger.api import Ledger
from reports import render
from reports.produce import build, write
from schemas.rows import ItemRow
from tests import factories as f

IMG = '<img src="file:///etc/passwd">'
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("hostile")
    led = Ledger(f"sqlite:///{base / 'ledger.db'}")
    f.world(led)
    led.post(ItemRow(code="EVIL", name=f"Blanket {IMG}{SCRIPT}", unit="pcs", hs_code="630140",
                     category="shelter", tracks_expiry=False, name_uk=FORMULA))  # fmt: skip
    led.post(f.ship("S1", 1, "100", item="EVIL"))
    led.post(f.receive("R1", "S1", 1, received="90", short="10", remarks=FORMULA))
    led.post(f.ship("S2", 1, "5", item="GEN"))
    led.post(f.receive("R2", "S2", 1, received="4", short="1"))  # no remark: unexplained
    led.post(f.ship("S3", 1, "5", item="GEN"))
    led.post(f.receive("R3", "S3", 1, received="3", damaged="2", remarks=f"{SCRIPT}{IMG}"))
    recon = build(led, "reconciliation")
    customs = build(led, "customs-pack", shipment="S1")
    files = write(recon, [base / "r.html", base / "r.pdf", base / "r.csv", base / "r.xlsx"])
    files += write(customs, [base / "c.pdf", base / "c.xlsx", base / "c.html"])
    yield {"base": base, "recon": recon, "customs": customs}
    led.close()


def test_html_is_escaped(hostile: dict[str, Any]) -> None:
    for name in ("r.html", "c.html"):
        html = (hostile["base"] / name).read_text()
        assert "<img" not in html and "<script" not in html
        assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_pdf_shows_the_text_and_no_image(hostile: dict[str, Any]) -> None:
    for name in ("r.pdf", "c.pdf"):
        reader = PdfReader(hostile["base"] / name)
        text = "".join("".join(p.extract_text().split()) for p in reader.pages)  # unwrap cells
        assert "file:///etc/passwd" in text and "alert(1)" in text  # shown as text
        assert all(not p.images for p in reader.pages)
        assert b"root:x:0:0" not in (hostile["base"] / name).read_bytes()
    recon_text = " ".join(p.extract_text() for p in PdfReader(hostile["base"] / "r.pdf").pages)
    assert "unexplained" in recon_text


def test_csv_and_xlsx_neutralise_formulas(hostile: dict[str, Any]) -> None:
    variances = (hostile["base"] / "r-variances.csv").read_text()
    assert f"'{FORMULA}".replace('"', '""') in variances
    assert ",=HYPERLINK" not in variances and ',"=HYPERLINK' not in variances
    for name in ("r.xlsx", "c.xlsx"):
        wb = load_workbook(hostile["base"] / name)
        seen = 0
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (name, cell.coordinate)
                    if isinstance(cell.value, str) and "HYPERLINK" in cell.value:
                        assert cell.data_type == "s" and not cell.value.startswith("=")
                        seen += cell.value.startswith("'=")
        assert seen or name == "c.xlsx", name  # in c.xlsx the formula is mid-text: inert


def test_fetcher_refuses_network_and_files_outside_templates(tmp_path: Path) -> None:
    fetcher = render.url_fetcher()
    for url in (
        "file:///etc/passwd",
        "http://example.com/x.png",
        "https://example.com/a.css",
        "data:text/plain,hi",
        (render.TEMPLATES / ".." / "render.py").resolve().as_uri(),
    ):
        with pytest.raises(Exception, match="refused"):
            fetcher.fetch(url)
    assert fetcher.fetch((render.TEMPLATES / "style.css").as_uri()) is not None
    # even raw markup (never produced by our templates) cannot pull a file in
    fetcher = render.url_fetcher()
    pdf = render.pdf_bytes(f'<p>x</p>{IMG}<img src="http://127.0.0.1:9/x.png">', fetcher)
    assert "file:///etc/passwd" in fetcher.refused and "http://127.0.0.1:9/x.png" in fetcher.refused
    assert b"/Subtype /Image" not in pdf and b"/Subtype/Image" not in pdf
