"""Small inline SVG charts (no JavaScript, no CDN): lines, bars with intervals, distributions."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape

WIDTH, HEIGHT = 460, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 28, 40
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _frame(title: str, body: list[str], y_label: str, x_label: str = "") -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">'
    )
    labels = [
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="13">{escape(title)}</text>',
        f'<text x="12" y="{HEIGHT / 2}" transform="rotate(-90 12 {HEIGHT / 2})" '
        f'text-anchor="middle">{escape(y_label)}</text>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 4}" text-anchor="middle">{escape(x_label)}</text>',
    ]
    return "\n".join([head, *labels, *body, "</svg>"])


def _scale(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    if high == low:
        return (out_low + out_high) / 2
    return out_low + (value - low) * (out_high - out_low) / (high - low)


def _y_axis(
    low: float,
    high: float,
    ticks: Sequence[float],
    label_of: Callable[[float], str] = lambda tick: f"{tick:g}",
) -> list[str]:
    plot_bottom, plot_top = HEIGHT - BOTTOM, TOP
    parts = [f'<line x1="{LEFT}" y1="{plot_top}" x2="{LEFT}" y2="{plot_bottom}" stroke="#333"/>']
    for tick in ticks:
        y = _scale(tick, low, high, plot_bottom, plot_top)
        parts.append(
            f'<line x1="{LEFT - 3}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label_of(tick)}</text>'
        )
    return parts


def line_chart(
    title: str, x_values: Sequence[float], series: Mapping[str, Sequence[float]], y_label: str
) -> str:
    """One polyline per series over shared x values (e.g. %Opt against k)."""
    all_y = [y for ys in series.values() for y in ys] or [0.0]
    high = max(100.0, max(all_y)) if y_label.startswith("%") else max(all_y) * 1.1 or 1.0
    ticks = [high * i / 4 for i in range(5)]
    body = _y_axis(0.0, high, ticks)
    x_low, x_high = min(x_values, default=0), max(x_values, default=1)
    xs = [_scale(x, x_low, x_high, LEFT + 20, WIDTH - RIGHT - 20) for x in x_values]
    for x, value in zip(xs, x_values, strict=True):
        body.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">{value:g}</text>'
        )
    for index, (name, ys) in enumerate(series.items()):
        colour = PALETTE[index % len(PALETTE)]
        points = [
            (x, _scale(y, 0.0, high, HEIGHT - BOTTOM, TOP)) for x, y in zip(xs, ys, strict=True)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points]
        body.append(
            f'<text x="{LEFT + 8}" y="{TOP + 12 + 13 * index}" fill="{colour}">{escape(name)}</text>'
        )
    return _frame(title, body, y_label, "k")


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    intervals: Sequence[tuple[float, float] | None],
    y_label: str,
) -> str:
    """Bars with optional confidence-interval whiskers (e.g. %Opt per run)."""
    high = max([100.0] + [hi for iv in intervals if iv for hi in iv] + list(values))
    body = _y_axis(0.0, high, [high * i / 4 for i in range(5)])
    slot = (WIDTH - LEFT - RIGHT) / max(len(values), 1)
    for index, (label, value, interval) in enumerate(zip(labels, values, intervals, strict=True)):
        x = LEFT + slot * index + slot * 0.2
        top = _scale(value, 0.0, high, HEIGHT - BOTTOM, TOP)
        colour = PALETTE[index % len(PALETTE)]
        body.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{slot * 0.6:.1f}" '
            f'height="{HEIGHT - BOTTOM - top:.1f}" fill="{colour}"/>'
        )
        middle = x + slot * 0.3
        if interval is not None:
            y_low = _scale(interval[0], 0.0, high, HEIGHT - BOTTOM, TOP)
            y_high = _scale(interval[1], 0.0, high, HEIGHT - BOTTOM, TOP)
            body.append(
                f'<line x1="{middle:.1f}" y1="{y_low:.1f}" x2="{middle:.1f}" y2="{y_high:.1f}" '
                'stroke="#000"/>'
            )
        body.append(
            f'<text x="{middle:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">'
            f"{escape(label[:18])}</text>"
        )
    return _frame(title, body, y_label)


def distribution_chart(title: str, ratios: Sequence[float], threshold: float) -> str:
    """Per-problem ratios sorted, one bar each, on a log2 scale around 1 (ties = no change)."""
    if not ratios:
        return _frame(title, [f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}">no data</text>'], "ratio")
    logs = sorted(math.log2(r) for r in ratios if r > 0)
    bound = max(1.0, math.ceil(max(abs(v) for v in logs)))
    ticks = [float(t) for t in range(-int(bound), int(bound) + 1)]
    body = _y_axis(-bound, bound, ticks, lambda tick: f"{2**tick:g}x")
    zero = _scale(0.0, -bound, bound, HEIGHT - BOTTOM, TOP)
    slot = (WIDTH - LEFT - RIGHT) / len(logs)
    for index, value in enumerate(logs):
        y = _scale(value, -bound, bound, HEIGHT - BOTTOM, TOP)
        colour = PALETTE[0] if value > math.log2(threshold) else "#999"
        body.append(
            f'<rect x="{LEFT + slot * index:.1f}" y="{min(y, zero):.1f}" '
            f'width="{max(slot * 0.9, 0.5):.1f}" height="{abs(zero - y):.1f}" fill="{colour}"/>'
        )
    return _frame(title, body, "reference time / program time", "problems, sorted")
