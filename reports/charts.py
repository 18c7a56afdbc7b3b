"""Inline SVG charts drawn from the numbers themselves: no files, no scripts, escaped labels."""

from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

from reports import i18n

COLOURS = {
    "pledged": "#9db4d0", "dispatched": "#4a78b0", "received": "#2f8f5b", "distributed": "#1f6b3f",
    "in_stock": "#7cc49a", "in_transit": "#e0a030", "lost": "#c0392b",
}  # fmt: skip


def pipeline(
    title: str, currency: str, stages: list[tuple[str, Decimal]], locale: str = "en"
) -> str:
    """Horizontal bars, one per stage, scaled to the largest stage; value printed at each bar."""
    bar_h, gap, left, width, value_w = 14, 5, 210, 470, 120
    top = 24
    height = top + len(stages) * (bar_h + gap) + 6
    biggest = max((v for _, v in stages), default=Decimal(0)) or Decimal(1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{left + width + value_w}" '
        f'height="{height}" viewBox="0 0 {left + width + value_w} {height}" role="img">',
        f'<text x="0" y="14" font-size="12" font-weight="bold">{escape(title)} '
        f"({escape(currency)})</text>",
    ]
    for i, (stage, value) in enumerate(stages):
        y = top + i * (bar_h + gap)
        w = float(value / biggest) * width if value > 0 else 0.0
        words = i18n.label(f"col.{stage}") if stage != "lost" else {"en": "lost", "uk": "втрачено"}
        parts.append(f'<text x="0" y="{y + 11}" font-size="10">{escape(words["en"])} / '
                     f'{escape(words["uk"])}</text>')  # fmt: skip
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                     f'fill="{COLOURS.get(stage, "#888")}"/>')  # fmt: skip
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 11}" font-size="10">'
                     f"{escape(i18n.money(value, currency, locale))}</text>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)
