"""A dependency-free SVG bar chart, so benchmark plots need no plotting library."""

from __future__ import annotations

from html import escape
from typing import Mapping, Sequence

COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1")


def grouped_bars_svg(groups: Mapping[str, Mapping[str, float | None]], series: Sequence[str], title: str,
                     maximum: float = 100.0) -> str:
    """Horizontal bars: one block per group (an encoder), one bar per series (a benchmark).

    A missing value (None or absent) is drawn as "not measured" instead of a bar, so a gap in the
    data cannot be mistaken for a score of zero.
    """
    label_w, plot_w, bar_h, gap, top = 190, 420, 14, 12, 48
    rows = sum(len(series) for _ in groups)
    height = top + rows * bar_h + len(groups) * gap + 40
    width = label_w + plot_w + 60
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14">{escape(title)}</text>']
    for i, name in enumerate(series):  # legend
        x = label_w + i * 140
        out.append(f'<rect x="{x}" y="28" width="10" height="10" fill="{COLOURS[i % len(COLOURS)]}"/>')
        out.append(f'<text x="{x + 14}" y="37">{escape(name)}</text>')
    y = top
    for group, values in groups.items():
        out.append(f'<text x="{label_w - 8}" y="{y + len(series) * bar_h / 2 + 4}" text-anchor="end">'
                   f'{escape(group)}</text>')
        for i, name in enumerate(series):
            value = values.get(name)
            if value is None:
                out.append(f'<text x="{label_w + 4}" y="{y + bar_h - 3}" fill="#888">not measured</text>')
            else:
                w = plot_w * max(0.0, min(value, maximum)) / maximum
                out.append(f'<rect class="bar" x="{label_w}" y="{y + 1}" width="{w:.1f}" height="{bar_h - 2}" '
                           f'fill="{COLOURS[i % len(COLOURS)]}"><title>{escape(group)}, {escape(name)}: '
                           f'{value:.1f}</title></rect>')
                out.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 3}">{value:.1f}</text>')
            y += bar_h
        y += gap
    axis = y + 4
    out.append(f'<line x1="{label_w}" y1="{top - 2}" x2="{label_w}" y2="{axis}" stroke="black"/>')
    for tick in range(0, int(maximum) + 1, 20):
        x = label_w + plot_w * tick / maximum
        out.append(f'<text x="{x:.1f}" y="{axis + 14}" text-anchor="middle" fill="#555">{tick}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def line_chart_svg(series: Mapping[str, Sequence[tuple[float, float]]], title: str, x_label: str, y_label: str,
                   maximum: float = 100.0) -> str:
    """Lines with dots, one per series (x ascending, e.g. the share of training documents → F1)."""
    left, top, plot_w, plot_h = 60, 40, 440, 260
    width, height = left + plot_w + 170, top + plot_h + 50
    xs = [x for points in series.values() for x, _ in points]
    x_min, x_max = min(xs), max(xs)
    scale_x = lambda x: left + plot_w * (x - x_min) / ((x_max - x_min) or 1)
    scale_y = lambda y: top + plot_h * (1 - max(0.0, min(y, maximum)) / maximum)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left + plot_w / 2}" y="18" text-anchor="middle" font-size="14">{escape(title)}</text>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="black"/>',
           f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="black"/>',
           f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle">{escape(x_label)}</text>',
           f'<text x="14" y="{top + plot_h / 2}" text-anchor="middle" transform="rotate(-90 14 {top + plot_h / 2})">'
           f'{escape(y_label)}</text>']
    for tick in range(0, int(maximum) + 1, 20):
        y = scale_y(tick)
        out.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{tick}</text>')
    for x in sorted(set(xs)):
        out.append(f'<text x="{scale_x(x):.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#555">{x:g}</text>')
    for i, (name, points) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        points = sorted(points)
        path = " ".join(f"{scale_x(x):.1f},{scale_y(y):.1f}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in points:
            out.append(f'<circle cx="{scale_x(x):.1f}" cy="{scale_y(y):.1f}" r="3" fill="{colour}">'
                       f'<title>{escape(name)}: {y:.1f} at {x:g}</title></circle>')
        out.append(f'<rect x="{left + plot_w + 16}" y="{top + i * 16}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{left + plot_w + 30}" y="{top + i * 16 + 9}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
