"""Line and bar charts as SVG, by hand: the benches' pictures without a plotting library.

`panels(...)` draws line charts side by side; each is a title, axis labels and
named series of (x, y) points. `bar_panels(...)` draws bar charts side by
side: groups of bars, one colour a series, each bar a median with a min–max
whisker. Axes start at zero and end at a round number.
"""
from __future__ import annotations

import math
from html import escape

WIDTH, HEIGHT = 420, 300  # one panel
LEFT, RIGHT, TOP, BOTTOM = 62, 16, 34, 74
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def nice_top(value: float) -> tuple[float, float]:
    """A round axis end at or above `value`, and a tick step dividing it in 4 or 5."""
    if value <= 0:
        return 1.0, 0.25
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10):
        if value <= step * magnitude * 5:
            return step * magnitude * math.ceil(value / (step * magnitude)), step * magnitude
    return 10 * magnitude, 2 * magnitude


def label(value: float) -> str:
    return f"{value:g}" if value >= 1 or value == 0 else f"{value:.2g}"


def panel(x0: float, title: str, x_label: str, y_label: str, series: dict) -> list[str]:
    points = [p for values in series.values() for p in values]
    x_top, x_step = nice_top(max(x for x, _ in points))
    y_top, y_step = nice_top(max(y for _, y in points))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    sx = lambda x: x0 + LEFT + x / x_top * inner_w  # noqa: E731
    sy = lambda y: TOP + inner_h - y / y_top * inner_h  # noqa: E731
    out = [f'<text x="{x0 + WIDTH / 2}" y="20" text-anchor="middle" font-weight="bold">'
           f'{escape(title)}</text>']
    for i in range(round(y_top / y_step) + 1):
        y = i * y_step
        out += [f'<line x1="{sx(0)}" x2="{sx(x_top)}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#ddd"/>',
                f'<text x="{sx(0) - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{label(y)}</text>']
    for i in range(round(x_top / x_step) + 1):
        x = i * x_step
        out.append(f'<text x="{sx(x):.1f}" y="{sy(0) + 16}" text-anchor="middle">{label(x)}</text>')
    out += [f'<line x1="{sx(0)}" x2="{sx(x_top)}" y1="{sy(0)}" y2="{sy(0)}" stroke="#333"/>',
            f'<line x1="{sx(0)}" x2="{sx(0)}" y1="{sy(0)}" y2="{sy(y_top)}" stroke="#333"/>',
            f'<text x="{sx(x_top / 2)}" y="{sy(0) + 34}" text-anchor="middle">{escape(x_label)}</text>',
            f'<text transform="translate({x0 + 16},{sy(y_top / 2)}) rotate(-90)" '
            f'text-anchor="middle">{escape(y_label)}</text>']
    for n, (name, values) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in sorted(values))
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{colour}"/>' for x, y in values]
        ly, lx = HEIGHT - 12, x0 + LEFT + n * 150
        out += [f'<rect x="{lx}" y="{ly - 9}" width="12" height="3" fill="{colour}"/>',
                f'<text x="{lx + 16}" y="{ly - 4}">{escape(name)}</text>']
    return out


def panels(charts: list[dict], caption: str = "") -> str:
    """An SVG document of `charts` side by side: each a dict of panel()'s arguments."""
    return document([line for i, chart in enumerate(charts) for line in panel(i * WIDTH, **chart)],
                    len(charts), caption)


def document(body: list[str], count: int, caption: str) -> str:
    width, height = WIDTH * count, HEIGHT + (18 if caption else 0)
    if caption:
        body.append(f'<text x="{width / 2}" y="{height - 4}" text-anchor="middle" fill="#555">'
                    f'{escape(caption)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(body) + "\n</svg>\n")


def bar_panel(x0: float, title: str, y_label: str, groups: dict) -> list[str]:
    """`groups`: {group label: {series: (median, min, max)}}, the same series in each."""
    series = list(next(iter(groups.values())))
    y_top, y_step = nice_top(max(top for bars in groups.values() for _, _, top in bars.values()))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    sy = lambda y: TOP + inner_h - y / y_top * inner_h  # noqa: E731
    slot = inner_w / len(groups)
    bar = slot * 0.8 / len(series)
    out = [f'<text x="{x0 + WIDTH / 2}" y="20" text-anchor="middle" font-weight="bold">'
           f'{escape(title)}</text>']
    for i in range(round(y_top / y_step) + 1):
        y = i * y_step
        out += [f'<line x1="{x0 + LEFT}" x2="{x0 + LEFT + inner_w}" y1="{sy(y):.1f}" '
                f'y2="{sy(y):.1f}" stroke="#ddd"/>',
                f'<text x="{x0 + LEFT - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{label(y)}</text>']
    for g, (group, bars) in enumerate(groups.items()):
        left = x0 + LEFT + g * slot + slot * 0.1
        out.append(f'<text x="{left + slot * 0.4:.1f}" y="{sy(0) + 16}" text-anchor="middle">'
                   f'{escape(group)}</text>')
        for n, name in enumerate(series):
            mid, low, high = bars[name]
            x = left + n * bar
            out.append(f'<rect x="{x:.1f}" y="{sy(mid):.1f}" width="{bar * 0.9:.1f}" '
                       f'height="{sy(0) - sy(mid):.1f}" fill="{COLOURS[n % len(COLOURS)]}"/>')
            if high > low:
                cx = x + bar * 0.45
                out.append(f'<path d="M{cx:.1f},{sy(low):.1f}V{sy(high):.1f}M{cx - 4:.1f},'
                           f'{sy(low):.1f}h8M{cx - 4:.1f},{sy(high):.1f}h8" stroke="#333"/>')
    out += [f'<line x1="{x0 + LEFT}" x2="{x0 + LEFT + inner_w}" y1="{sy(0)}" y2="{sy(0)}" '
            f'stroke="#333"/>',
            f'<text transform="translate({x0 + 16},{sy(y_top / 2)}) rotate(-90)" '
            f'text-anchor="middle">{escape(y_label)}</text>']
    for n, name in enumerate(series):
        ly = HEIGHT - 44 + (n % 2) * 16
        lx = x0 + LEFT + (n // 2) * 150
        out += [f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" '
                f'fill="{COLOURS[n % len(COLOURS)]}"/>',
                f'<text x="{lx + 14}" y="{ly}">{escape(name)}</text>']
    return out


def bar_panels(charts: list[dict], caption: str = "") -> str:
    """An SVG document of bar `charts` side by side: each a dict of bar_panel()'s arguments."""
    return document([line for i, chart in enumerate(charts)
                     for line in bar_panel(i * WIDTH, **chart)], len(charts), caption)
