"""The audit's charts: server-rendered SVG (leather), each with a text equivalent.

No JavaScript and nothing loaded from elsewhere: an SVG is a string the page inlines.
Every chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` summing it up, and comes
with the rows it was drawn from, which the page shows as a table for screen readers and
for print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_NUM = re.compile(r"(\d+\.\d{2})\d+")
_ROOT = re.compile(r'^<svg width="(\d+)" height="(\d+)"')
WIDTH, HEIGHT = 640, 300


@dataclass(frozen=True, slots=True)
class Chart:
    slug: str
    title: str
    summary: str  # the <desc>: one sentence a screen reader says
    columns: tuple[str, str]  # the text equivalent's column headings
    rows: tuple[tuple[str, str], ...]
    svg: str | None  # None when there is nothing to draw


def _svg(slug: str, title: str, summary: str, pairs: list[tuple[str, float]], every: int) -> str:
    # loaded when a chart is first drawn, not with the portal: leather brings unittest along,
    # 2.5 MB in every portal process that never draws one
    import leather

    chart = leather.Chart()  # the title is the <title> and the page's figcaption
    chart.add_columns(pairs, fill_color="#0b5d3b")
    ticks = [label for i, (label, _) in enumerate(pairs) if i % every == 0]
    chart.add_x_axis(ticks=ticks)
    svg = chart.to_svg(width=WIDTH, height=HEIGHT)
    assert isinstance(svg, str)
    svg = _NUM.sub(lambda m: m.group(1), svg).replace(
        'font-family="Monaco"', 'font-family="sans-serif"'
    )
    head = (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-labelledby="c-{slug}-t c-{slug}-d"'
    )
    svg = _ROOT.sub(head, svg, count=1)
    label = f'<title id="c-{slug}-t">{_esc(title)}</title>'
    label += f'<desc id="c-{slug}-d">{_esc(summary)}</desc>'
    return svg.replace(">", ">" + label, 1)


def _esc(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _chart(
    slug: str, title: str, summary: str, columns: tuple[str, str], pairs: list[tuple[str, float]]
) -> Chart:
    rows = tuple((label, f"{value:g}") for label, value in pairs)
    drawn = any(v for _, v in pairs)
    every = max(1, len(pairs) // 13)
    svg = _svg(slug, title, summary, pairs, every) if drawn else None
    return Chart(slug, title, summary, columns, rows, svg)


def charts(report: dict[str, Any]) -> list[Chart]:
    """The four charts of an audit report."""
    pa, inc, al, co = report["patrol"], report["incidents"], report["alerts"], report["corrections"]
    weeks = [(w["week"][5:], float(w["shifts"])) for w in pa["per_week"]]
    busiest = max(range(24), key=lambda h: inc["per_hour"][h])
    hours = [(f"{h:02d}", float(n)) for h, n in enumerate(inc["per_hour"])]
    acks = [(b["label"], float(b["alerts"])) for b in al["first_ack_buckets"]]
    corr = [(w["week"][5:], float(w["corrections"] + w["retractions"])) for w in co["per_week"]]
    return [
        _chart(
            "shifts",
            "Patrol shifts per week",
            f"{pa['shifts']} shifts over {len(weeks)} weeks, {pa['hours']} hours in all.",
            ("week starting (MM-DD)", "shifts"),
            weeks,
        ),
        _chart(
            "incidents",
            "Incidents by hour of day (UTC)",
            f"{inc['total']} incidents; the busiest hour is {busiest:02d}:00."
            if inc["total"]
            else "No incidents in this period.",
            ("hour (UTC)", "incidents"),
            hours,
        ),
        _chart(
            "acks",
            "Time to first acknowledgement of alerts",
            f"{al['total']} alerts, {al['acknowledged']} acknowledged.",
            ("first acknowledgement", "alerts"),
            acks,
        ),
        _chart(
            "corrections",
            "Corrections and retractions per week",
            f"{co['total']} corrections, of which {co['retractions']} retractions.",
            ("week starting (MM-DD)", "corrections"),
            corr,
        ),
    ]
