"""Charts drawn on the server as SVG: no JavaScript, no CDN, nothing but markup.

Two shapes cover every dashboard: bars over time (one bar per month or week, its series
stacked) and horizontal bars (a ranking). Every value comes with a table of the same numbers
(`Chart.table`), which the page shows beside the chart, and the SVG carries a title and
description for screen readers. Colours are set as SVG presentation attributes, which the
portal's Content-Security-Policy allows (inline styles it does not). TLP series use FIRST's
colours; AMBER+STRICT is AMBER hatched, and CLEAR (white) has a dark outline, so no two
labels depend on colour alone.
"""

import html
import math
from dataclasses import dataclass, field

from django.utils.safestring import SafeData, SafeString, mark_safe

from sharing.tlp import TLP

# FIRST TLP 2.0 colours.
TLP_COLOURS = {
    TLP.CLEAR: "#FFFFFF",
    TLP.GREEN: "#33FF00",
    TLP.AMBER: "#FFC000",
    TLP.AMBER_STRICT: "#FFC000",
    TLP.RED: "#FF2B2B",
}
# For everything else: a palette distinguishable with the common colour-vision deficiencies
# (Okabe and Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
INK = "#1c2430"
GRID = "#dde3ea"
MUTED = "#5b6675"


@dataclass
class Series:
    name: str
    values: list[float]
    colour: str
    hatched: bool = False


@dataclass
class Chart:
    """A chart and the table of its numbers. `categories` are the bars (periods or ranked
    items); each series gives one value per category."""

    slug: str
    title: str
    x_label: str
    y_label: str
    categories: list[str]
    series: list[Series] = field(default_factory=list)
    horizontal: bool = False
    value_format: str = "{:,.0f}"

    def __post_init__(self) -> None:
        # A series with nothing counted in some periods is read as zeros there.
        size = len(self.categories)
        for s in self.series:
            s.values = (list(s.values) + [0.0] * size)[:size]

    @property
    def is_empty(self) -> bool:
        return not any(v for s in self.series for v in s.values)

    @property
    def totals(self) -> list[float]:
        return [sum(s.values[i] for s in self.series) for i in range(len(self.categories))]

    def table(self) -> list[tuple[str, list[str], str]]:
        """(category, one formatted value per series, formatted total) per category."""
        return [
            (
                category,
                [self.value_format.format(s.values[i]) for s in self.series],
                self.value_format.format(self.totals[i]),
            )
            for i, category in enumerate(self.categories)
        ]

    def svg(self) -> SafeString:
        return _horizontal(self) if self.horizontal else _columns(self)


def tlp_series(values_by_tlp: dict[str, list[float]]) -> list[Series]:
    """One series per TLP label below RED, in FIRST's order, with FIRST's colours."""
    return [
        Series(
            name=label.label,
            values=values_by_tlp.get(label.value, []),
            colour=TLP_COLOURS[label],
            hatched=label == TLP.AMBER_STRICT,
        )
        for label in TLP
        if label != TLP.RED
    ]


def palette_series(named: dict[str, list[float]]) -> list[Series]:
    return [
        Series(name=name, values=values, colour=PALETTE[i % len(PALETTE)])
        for i, (name, values) in enumerate(named.items())
    ]


def _escaped(value: object) -> object:
    if isinstance(value, (int, float, SafeData)):
        return value
    return html.escape(str(value))


def _h(template: str, *args: object, **kwargs: object) -> str:
    """Django's format_html for the markup made here, without its per-call overhead: text is
    escaped, numbers and already-safe markup are not (a chart makes hundreds of these)."""
    return template.format(
        *(_escaped(a) for a in args), **{k: _escaped(v) for k, v in kwargs.items()}
    )


def nice_ceiling(value: float) -> tuple[float, float]:
    """An axis maximum of 1, 2 or 5 times a power of ten at or above `value`, and its tick
    step (four or five ticks)."""
    if value <= 0:
        return 1.0, 1.0
    power = 10 ** math.floor(math.log10(value))
    for step_factor in (0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0):
        step = step_factor * power
        if step != int(step) and value >= 1:
            continue  # counts get whole-number ticks
        if step * 5 >= value:
            if step < 1:
                step = 1.0
            top = step * math.ceil(value / step)
            return top, step
    return 10 * power, 2 * power  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"


def _open(chart: Chart, width: float, height: float) -> str:
    description = "; ".join(
        f"{category}: {total}" for category, _, total in chart.table() if total not in ("0",)
    )
    return str(
        _h(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" '
            'role="img" aria-labelledby="{slug}-t {slug}-d" class="chart" font-family="system-ui,'
            ' sans-serif" font-size="12"><title id="{slug}-t">{title}</title>'
            '<desc id="{slug}-d">{desc}</desc>'
            '<defs><pattern id="{slug}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#FFC000"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#1c2430" stroke-width="2"/>'
            "</pattern></defs>",
            w=width,
            h=height,
            slug=chart.slug,
            title=chart.title,
            desc=description or "No figures yet.",
        )
    )


def _fill(chart: Chart, series: Series) -> str:
    return f"url(#{chart.slug}-hatch)" if series.hatched else series.colour


def _legend(chart: Chart, x: float, y: float, width: float) -> tuple[str, float]:
    """The legend in rows starting at (x, y); returns the markup and the height used."""
    parts = []
    cx, cy = x, y
    for s in chart.series:
        text_width = 7 * len(s.name) + 26
        if cx + text_width > x + width and cx > x:
            cx, cy = x, cy + 18
        parts.append(
            _h(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}" stroke="{}"/>'
                '<text x="{}" y="{}" fill="{}">{}</text>',
                cx,
                cy,
                _fill(chart, s),
                INK,
                cx + 17,
                cy + 10,
                INK,
                s.name,
            )
        )
        cx += text_width
    return "".join(parts), (cy - y) + 22 if chart.series else 0


def _tick_label(category: str, x: float, bottom: float, room: float) -> str:
    """A period's label under its bar; on two lines ("Jan" over "2026") when one line would
    run into the next label."""
    first, _, second = category.partition(" ")
    fits = len(category) * 6.5 <= room * 0.95
    lines = [category] if fits or not second else [first, second]
    spans = "".join(
        _h('<tspan x="{}" dy="{}">{}</tspan>', round(x, 1), 14 if n else 0, line)
        for n, line in enumerate(lines)
    )
    return str(
        _h(
            '<text y="{}" text-anchor="middle" fill="{}" font-size="11">{}</text>',
            bottom + 16,
            MUTED,
            mark_safe(spans),  # noqa: S308 (built with _h above, which escapes)
        )
    )


def _columns(chart: Chart) -> SafeString:
    width, left, right = 680, 60, 12
    plot_width = width - left - right
    legend, legend_height = ("", 0.0)
    if len(chart.series) > 1:
        legend, legend_height = _legend(chart, left, 8, plot_width)
    top = 12 + legend_height
    plot_height = 200
    height = top + plot_height + 60
    bottom = top + plot_height
    peak, step = nice_ceiling(max(chart.totals, default=0))
    parts = [_open(chart, width, height), legend]
    # Grid and y ticks.
    ticks = round(peak / step)
    for i in range(ticks + 1):
        value = step * i
        y = bottom - plot_height * value / peak
        parts.append(
            _h(
                '<line x1="{}" x2="{}" y1="{y}" y2="{y}" stroke="{}"/>'
                '<text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>',
                left,
                width - right,
                GRID,
                left - 6,
                y + 4,
                MUTED,
                _number(value),
                y=round(y, 1),
            )
        )
    count = max(len(chart.categories), 1)
    slot = plot_width / count
    bar = max(slot * 0.7, 1)
    label_every = max(1, math.ceil(count / 13))
    for i, category in enumerate(chart.categories):
        x = left + slot * i + (slot - bar) / 2
        base = bottom
        for s in chart.series:
            value = s.values[i] if i < len(s.values) else 0
            if value <= 0:
                continue
            h = plot_height * value / peak
            parts.append(
                _h(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}" '
                    'stroke-width="0.75"><title>{}: {} {}</title></rect>',
                    round(x, 1),
                    round(base - h, 1),
                    round(bar, 1),
                    round(h, 1),
                    _fill(chart, s),
                    INK,
                    category,
                    s.name,
                    _number(value),
                )
            )
            base -= h
        if i % label_every == 0:
            parts.append(_tick_label(category, left + slot * i + slot / 2, bottom, slot))
    parts.append(
        _h(
            '<line x1="{l}" x2="{l}" y1="{t}" y2="{b}" stroke="{ink}"/>'
            '<line x1="{l}" x2="{r}" y1="{b}" y2="{b}" stroke="{ink}"/>'
            '<text x="{cx}" y="{xl}" text-anchor="middle" fill="{ink}" font-weight="600">{x}</text>'
            '<text transform="translate(14 {cy}) rotate(-90)" text-anchor="middle" fill="{ink}" '
            'font-weight="600">{y}</text></svg>',
            l=left,
            r=width - right,
            t=top,
            b=bottom,
            ink=INK,
            cx=left + plot_width / 2,
            xl=bottom + 50,
            cy=top + plot_height / 2,
            x=chart.x_label,
            y=chart.y_label,
        )
    )
    return mark_safe("".join(parts))  # noqa: S308 (every part built with _h, which escapes)


def _horizontal(chart: Chart) -> SafeString:
    width, left, right = 680, 250, 50
    row = 24
    top = 10
    count = max(len(chart.categories), 1)
    plot_width = width - left - right
    bottom = top + row * count
    height = bottom + 46
    peak, step = nice_ceiling(max(chart.totals, default=0))
    parts = [_open(chart, width, height)]
    ticks = round(peak / step)
    for i in range(ticks + 1):
        value = step * i
        x = left + plot_width * value / peak
        parts.append(
            _h(
                '<line x1="{x}" x2="{x}" y1="{}" y2="{}" stroke="{}"/>'
                '<text x="{x}" y="{}" text-anchor="middle" fill="{}">{}</text>',
                top,
                bottom,
                GRID,
                bottom + 14,
                MUTED,
                _number(value),
                x=round(x, 1),
            )
        )
    for i, category in enumerate(chart.categories):
        y = top + row * i
        label = category if len(category) <= 38 else category[:37] + "…"
        parts.append(
            _h(
                '<text x="{}" y="{}" text-anchor="end" fill="{}"><title>{}</title>{}</text>',
                left - 6,
                y + row / 2 + 4,
                INK,
                category,
                label,
            )
        )
        x = left
        for s in chart.series:
            value = s.values[i] if i < len(s.values) else 0
            if value <= 0:
                continue
            w = plot_width * value / peak
            parts.append(
                _h(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}" '
                    'stroke-width="0.75"><title>{}: {}</title></rect>',
                    round(x, 1),
                    y + 4,
                    round(w, 1),
                    row - 8,
                    _fill(chart, s),
                    INK,
                    category,
                    _number(value),
                )
            )
            x += w
        parts.append(
            _h(
                '<text x="{}" y="{}" fill="{}">{}</text>',
                round(x + 4, 1),
                y + row / 2 + 4,
                INK,
                _number(chart.totals[i]),
            )
        )
    parts.append(
        _h(
            '<line x1="{l}" x2="{l}" y1="{t}" y2="{b}" stroke="{ink}"/>'
            '<text x="{cx}" y="{xl}" text-anchor="middle" fill="{ink}" font-weight="600">{x}</text>'
            '<text x="{yx}" y="{yl}" text-anchor="end" fill="{ink}" font-weight="600">{y}</text>'
            "</svg>",
            l=left,
            t=top,
            b=bottom,
            ink=INK,
            cx=left + plot_width / 2,
            xl=bottom + 36,
            yx=left - 6,
            yl=bottom + 36,
            x=chart.x_label,
            y=chart.y_label,
        )
    )
    return mark_safe("".join(parts))  # noqa: S308 (every part built with _h, which escapes)
