"""Small inline SVG charts for the HTML report: no library, no script, readable in light and dark.

Each function takes plain numbers and labels and returns one `<svg>` element as text. Colours are
CSS expressions (`var(--crash)`), so the report's stylesheet decides them per colour scheme.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

#: Chart width in CSS pixels; the SVG scales down to its card (viewBox) on narrow screens.
WIDTH = 520
#: Room for the longest category labels on the left of horizontal bar charts.
LABEL_W = 150


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _axis(value: float, *, integer: bool = False) -> tuple[float, float]:
    """(axis maximum, tick step): four or five ticks at 1/2/2.5/5 x 10^k, whole numbers for counts."""
    if value <= 0:
        return 1.0, 0.25 if not integer else 1.0
    raw = value / 4
    exp = 10 ** math.floor(math.log10(raw))
    step = next(m * exp for m in (1, 2, 2.5, 5, 10) if raw <= m * exp)
    if integer:
        step = max(1.0, math.ceil(step))
    return step * math.ceil(value / step), step


def _tick(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:g}M"
    if value >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:g}"


def _legend(items: Sequence[tuple[str, str]], y: float) -> str:
    out, x = [], 0.0
    for label, colour in items:
        w = 22 + 7 * len(label)
        if x + w > WIDTH:
            x, y = 0.0, y + 18
        out.append(f'<rect x="{x:.0f}" y="{y - 9:.0f}" width="10" height="10" rx="2" style="fill:{colour}"/>'
                   f'<text x="{x + 14:.0f}" y="{y:.0f}" class="ch-legend">{_e(label)}</text>')
        x += w
    return "".join(out)


def _legend_height(items: Sequence[tuple[str, str]]) -> int:
    rows, x = 1, 0.0
    for label, _ in items:
        w = 22 + 7 * len(label)
        if x + w > WIDTH:
            rows, x = rows + 1, 0.0
        x += w
    return 18 * rows


def stacked_columns(title: str, categories: Sequence[str], series: Sequence[tuple[str, str, Sequence[float]]],
                    *, unit: str = "") -> str:
    """Vertical columns per category, stacked by series: (label, colour, value per category)."""
    plot_h, top, left = 150, 20, 40
    totals = [sum(s[2][i] for s in series) for i in range(len(categories))]
    vmax, step = _axis(max(totals, default=0), integer=all(float(t).is_integer() for t in totals))
    legend_items = [(label, colour) for label, colour, values in series if any(values)]
    height = top + plot_h + 40 + _legend_height(legend_items)
    slot = (WIDTH - left) / max(1, len(categories))
    bar_w = min(56.0, slot * 0.6)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">'
             f'<title>{_e(title)}</title>']
    for i in range(round(vmax / step) + 1):
        v = step * i
        y = top + plot_h - plot_h * v / vmax
        parts.append(f'<line x1="{left}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" class="ch-grid"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" class="ch-axis" text-anchor="end">{_tick(v)}</text>')
    for i, cat in enumerate(categories):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        for label, colour, values in series:
            v = values[i]
            if not v:
                continue
            h = plot_h * v / vmax
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" style="fill:{colour}">'
                         f'<title>{_e(cat)}: {_e(label)} {v:g}{_e(unit)}</title></rect>')
        if totals[i]:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" class="ch-value" text-anchor="middle">'
                         f'{totals[i]:g}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" class="ch-axis" text-anchor="middle">'
                     f'{_e(_short(cat, int(slot / 7)))}</text>')
    parts.append(_legend(legend_items, top + plot_h + 40))
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(title: str, rows: Sequence[tuple[str, float, str, str]]) -> str:
    """One bar per row: (label, value, colour, value text)."""
    bar_h, gap, top = 16, 6, 4
    height = top + len(rows) * (bar_h + gap) + 4
    vmax = max((r[1] for r in rows), default=0) or 1.0
    room = WIDTH - LABEL_W - 70
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">'
             f'<title>{_e(title)}</title>']
    for i, (label, value, colour, text) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = max(1.0, room * value / vmax) if value else 0.0
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + bar_h - 4}" class="ch-axis" text-anchor="end">'
                     f'{_e(_short(label, 22))}<title>{_e(label)}</title></text>'
                     f'<rect x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" style="fill:{colour}"/>'
                     f'<text x="{LABEL_W + w + 6:.1f}" y="{y + bar_h - 4}" class="ch-value">{_e(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def lines(title: str, series: Sequence[tuple], *, x_label: str, y_label: str, dashed: Sequence[str] = ()) -> str:
    """A line per series (label, colour, (x, y) points), on linear axes from zero; series whose label is
    in ``dashed`` are drawn dashed (a second shape of the same lane, in the lane's colour)."""
    plot_h, top, left, right = 170, 12, 52, 16
    legend_items = [(label, colour) for label, colour, _ in series]
    height = top + plot_h + 44 + _legend_height(legend_items)
    xs = [x for _, _, pts in series for x, _ in pts]
    ys = [y for _, _, pts in series for _, y in pts]
    xmax = _axis(max(xs, default=1), integer=True)[0]
    ymax, ystep = _axis(max(ys, default=1))
    plot_w = WIDTH - left - right

    def px(x: float) -> float:
        return left + plot_w * x / xmax

    def py(y: float) -> float:
        return top + plot_h - plot_h * y / ymax

    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">'
             f'<title>{_e(title)}</title>']
    for i in range(round(ymax / ystep) + 1):
        v = ystep * i
        parts.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{py(v):.1f}" y2="{py(v):.1f}" class="ch-grid"/>'
                     f'<text x="{left - 6}" y="{py(v) + 4:.1f}" class="ch-axis" text-anchor="end">{_tick(v)}</text>')
    for x in sorted(set(xs)):
        parts.append(f'<text x="{px(x):.1f}" y="{top + plot_h + 15}" class="ch-axis" text-anchor="middle">{x:g}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.0f}" y="{top + plot_h + 30}" class="ch-axis" text-anchor="middle">'
                 f'{_e(x_label)}</text>'
                 f'<text x="12" y="{top + plot_h / 2:.0f}" class="ch-axis" text-anchor="middle" '
                 f'transform="rotate(-90 12 {top + plot_h / 2:.0f})">{_e(y_label)}</text>')
    for label, colour, pts in series:
        pts = sorted(pts)
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        dash = ";stroke-dasharray:6 4" if label in dashed else ""
        parts.append(f'<polyline points="{path}" style="fill:none;stroke:{colour};stroke-width:2{dash}"/>')
        for x, y in pts:
            parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" style="fill:{colour}">'
                         f'<title>{_e(label)}: {x:g} threads, {y:,.0f}</title></circle>')
    parts.append(_legend(legend_items, top + plot_h + 48))
    parts.append("</svg>")
    return "".join(parts)


def rate_bar(k: int, n: int, colour: str) -> str:
    """A tiny k-of-n bar for a stress finding's observed rate."""
    frac = 0.0 if not n else min(1.0, k / n)
    return (f'<svg class="rate-bar" viewBox="0 0 80 8" width="80" height="8" aria-hidden="true">'
            f'<rect width="80" height="8" rx="4" class="ch-track"/>'
            f'<rect width="{max(3.0, 80 * frac) if k else 0:.1f}" height="8" rx="4" style="fill:{colour}"/></svg>')


def _short(text: str, limit: int) -> str:
    limit = max(4, limit)
    return text if len(text) <= limit else text[: limit - 1] + "…"
