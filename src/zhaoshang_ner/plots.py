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
