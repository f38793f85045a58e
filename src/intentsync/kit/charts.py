"""Server-side SVG charts: pure functions from numbers to markup, so no chart needs a script.

Every chart is an `<svg role="img">` with a `<title>` and `<desc>` naming what it shows; pages
pair each with a table of the same numbers. Colours are presentation attributes, not `style`,
so the console's Content-Security-Policy (style-src 'self') leaves them alone.
"""

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ("#1d4ed8", "#047857", "#b45309", "#7c3aed", "#be185d", "#0e7490", "#4b5563")
MARGIN_LEFT = 44
MARGIN_RIGHT = 12
MARGIN_TOP = 12
MARGIN_BOTTOM = 28
MAX_X_LABELS = 7


@dataclass(frozen=True)
class Series:
    """One named line or bar layer; None marks a day without a value (the line breaks)."""

    name: str
    values: Sequence[float | None]


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_step(value: float) -> float:
    """The gridline step for an axis up to value: 1, 2 or 5 times a power of ten (25 and up
    may also be 2.5 times one), so four to six gridlines carry round numbers."""
    rough = value / 5
    if rough <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(rough))
    steps = (1, 2, 2.5, 5, 10) if power >= 10 else (1, 2, 5, 10)
    return float(next(step * power for step in steps if rough <= step * power))


def nice_ceiling(value: float) -> float:
    """The axis top: the first gridline at or above value (at least 1)."""
    step = nice_step(value)
    return step * max(1, math.ceil(value / step))


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _ids(title: str, kind: str) -> tuple[str, str]:
    digest = hashlib.sha1(f"{kind}:{title}".encode()).hexdigest()[:8]
    return f"chart-{digest}-title", f"chart-{digest}-desc"


def _open(kind: str, title: str, desc: str, width: int, height: int) -> list[str]:
    title_id, desc_id = _ids(title, kind)
    return [
        f'<svg class="chart chart-{kind}" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(desc)}</desc>',
    ]


def _y_axis(parts: list[str], *, top: float, width: int, height: int) -> None:
    """A gridline with its value at every step from 0 at the bottom to top."""
    plot_height = height - MARGIN_TOP - MARGIN_BOTTOM
    step = nice_step(top)
    lines = max(1, round(top / step))
    for index in range(lines + 1):
        value = step * index
        y = MARGIN_TOP + plot_height - plot_height * value / top
        parts.append(
            f'<line class="gridline" x1="{MARGIN_LEFT}" x2="{width - MARGIN_RIGHT}" '
            f'y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
        )
        parts.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#4b5563" '
            f'font-size="13">{_number(value)}</text>'
        )


def _x_labels(parts: list[str], labels: Sequence[str], xs: Sequence[float], height: int) -> None:
    if not labels:
        return
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    for index in range(0, len(labels), every):
        parts.append(
            f'<text x="{xs[index]:.1f}" y="{height - 8}" text-anchor="middle" fill="#4b5563" '
            f'font-size="13">{escape(labels[index])}</text>'
        )


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    y_max: float | None = None,
    width: int = 720,
    height: int = 240,
) -> Markup:
    """One line per series over shared x labels; y starts at 0."""
    for item in series:
        if len(item.values) != len(labels):
            raise ValueError(
                f"series {item.name!r} has {len(item.values)} values for {len(labels)} labels"
            )
    present = [v for item in series for v in item.values if v is not None]
    top = nice_ceiling(y_max if y_max is not None else max(present, default=0))
    plot_width = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = height - MARGIN_TOP - MARGIN_BOTTOM
    count = len(labels)
    xs = [
        MARGIN_LEFT + (plot_width * i / (count - 1) if count > 1 else plot_width / 2)
        for i in range(count)
    ]
    names = ", ".join(item.name for item in series)
    desc = f"{names} over {count} points, from {labels[0]} to {labels[-1]}" if count else "empty"
    parts = _open("line", title, desc, width, height)
    _y_axis(parts, top=top, width=width, height=height)
    for index, item in enumerate(series):
        commands: list[str] = []
        pen_down = False
        for x, value in zip(xs, item.values, strict=True):
            if value is None:
                pen_down = False
                continue
            y = MARGIN_TOP + plot_height - plot_height * min(value, top) / top
            commands.append(f"{'L' if pen_down else 'M'}{x:.1f} {y:.1f}")
            pen_down = True
        points = sum(v is not None for v in item.values)
        parts.append(
            f'<path class="series series-{index}" d="{" ".join(commands)}" fill="none" '
            f'stroke="{colour(index)}" stroke-width="2" stroke-linejoin="round" '
            f'data-series="{escape(item.name)}" data-points="{points}">'
            f"<title>{escape(item.name)}</title></path>"
        )
    _x_labels(parts, labels, xs, height)
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    width: int = 720,
    height: int = 240,
    horizontal: bool = False,
) -> Markup:
    """One bar per label, its value written at its end; horizontal suits a funnel."""
    if len(values) != len(labels):
        raise ValueError(f"{len(values)} values for {len(labels)} labels")
    top = nice_ceiling(max(values, default=0))
    desc = "; ".join(f"{label}: {_number(v)}" for label, v in zip(labels, values, strict=True))
    parts = _open("barh" if horizontal else "bar", title, desc or "empty", width, height)
    count = max(1, len(labels))
    if horizontal:
        left, right = 130, 60
        slot = (height - MARGIN_TOP - 8) / count
        for index, (label, value) in enumerate(zip(labels, values, strict=True)):
            y = MARGIN_TOP + slot * index
            length = (width - left - right) * value / top
            parts.append(
                f'<text x="{left - 8}" y="{y + slot / 2 + 4:.1f}" text-anchor="end" '
                f'fill="#111827" font-size="13">{escape(label)}</text>'
                f'<rect class="bar" x="{left}" y="{y + slot * 0.15:.1f}" width="{length:.1f}" '
                f'height="{slot * 0.7:.1f}" fill="{colour(0)}" data-label="{escape(label)}" '
                f'data-value="{_number(value)}"><title>{escape(label)}: {_number(value)}</title>'
                f"</rect>"
                f'<text x="{left + length + 6:.1f}" y="{y + slot / 2 + 4:.1f}" fill="#111827" '
                f'font-size="13">{_number(value)}</text>'
            )
    else:
        _y_axis(parts, top=top, width=width, height=height)
        plot_width = width - MARGIN_LEFT - MARGIN_RIGHT
        plot_height = height - MARGIN_TOP - MARGIN_BOTTOM
        slot = plot_width / count
        xs = [MARGIN_LEFT + slot * (i + 0.5) for i in range(len(labels))]
        for x, label, value in zip(xs, labels, values, strict=True):
            bar = plot_height * value / top
            parts.append(
                f'<rect class="bar" x="{x - slot * 0.35:.1f}" '
                f'y="{MARGIN_TOP + plot_height - bar:.1f}" width="{slot * 0.7:.1f}" '
                f'height="{bar:.1f}" fill="{colour(0)}" data-label="{escape(label)}" '
                f'data-value="{_number(value)}"><title>{escape(label)}: {_number(value)}</title>'
                f"</rect>"
            )
        _x_labels(parts, labels, xs, height)
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    width: int = 720,
    height: int = 240,
) -> Markup:
    """Bars of several series stacked per label (missing values count as 0)."""
    for item in series:
        if len(item.values) != len(labels):
            raise ValueError(
                f"series {item.name!r} has {len(item.values)} values for {len(labels)} labels"
            )
    totals = [sum(item.values[i] or 0 for item in series) for i in range(len(labels))]
    top = nice_ceiling(max(totals, default=0))
    names = ", ".join(item.name for item in series)
    largest = _number(max(totals, default=0))
    desc = f"{names} stacked over {len(labels)} points; largest total {largest}"
    parts = _open("stacked", title, desc, width, height)
    _y_axis(parts, top=top, width=width, height=height)
    plot_width = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = height - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_width / max(1, len(labels))
    xs = [MARGIN_LEFT + slot * (i + 0.5) for i in range(len(labels))]
    for index, item in enumerate(series):
        parts.append(
            f'<g class="series series-{index}" fill="{colour(index)}" '
            f'data-series="{escape(item.name)}">'
        )
        for i, x in enumerate(xs):
            value = item.values[i] or 0
            if value <= 0:
                continue
            below = sum(series[j].values[i] or 0 for j in range(index))
            y = MARGIN_TOP + plot_height - plot_height * (below + value) / top
            parts.append(
                f'<rect x="{x - slot * 0.4:.1f}" y="{y:.1f}" width="{max(slot * 0.8, 1):.1f}" '
                f'height="{plot_height * value / top:.1f}"><title>{escape(labels[i])} '
                f"{escape(item.name)}: {_number(value)}</title></rect>"
            )
        parts.append("</g>")
    _x_labels(parts, labels, xs, height)
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(names: Sequence[str]) -> Markup:
    """The colour key of a chart's series, as a list the page can show beside it."""
    items = "".join(
        f'<li><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" '
        f'fill="{colour(i)}"/></svg> {escape(name)}</li>'
        for i, name in enumerate(names)
    )
    return Markup(f'<ul class="legend">{items}</ul>')
