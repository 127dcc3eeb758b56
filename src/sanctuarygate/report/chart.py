"""Charts of the published tables: Altair specs, drawn to SVG on the server by vl-convert.

A chart draws only counts a table already publishes (a table's row totals, or its column
totals), never a new sum: a sum of cells that the table does not show would give back a
suppressed count. A suppressed count is never a number in the chart: it has no bar and no
value in the chart's data, only its words (*fewer than 5*, *withheld*) where its bar would
start. Each chart has a plain-text description (:attr:`Chart.alt`) listing what it shows, for
readers who cannot see it; the page shows the table beside it anyway.

Words come in already translated (``word`` and the two marks), so this module speaks no
language of its own and imports nothing of the web.

>>> from sanctuarygate.report.transparency import Count
>>> c = bar_chart("Answers", [("deny", Count(18)), ("review", Count(None, "small"))],
...               axis="Requests", small="fewer than 5", withheld="withheld")
>>> c.alt
'Answers: deny 18; review fewer than 5.'
>>> [d.get("value") for d in c.spec["data"]["values"]]  # the small count has none
[18, None]
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import altair as alt
import vl_convert

from sanctuarygate.report.transparency import Count, Table

__all__ = ["Chart", "bar_chart", "table_chart"]

INK, BAR, MUTED = "#111111", "#2b4c7e", "#444444"
#: Pixels: the plot's width, and each bar's band.
WIDTH, STEP = 420, 26


@dataclass(frozen=True, slots=True)
class Chart:
    """A drawn chart: its Vega-Lite spec, its SVG, its size and a text description."""

    title: str
    spec: dict[str, Any]
    alt: str
    svg: str = field(repr=False)

    @property
    def data_uri(self) -> str:
        """The SVG as a ``data:`` URI, for an ``<img>`` that needs no other request."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()

    @property
    def width(self) -> int:
        return int(float(self._attr("width")))

    @property
    def height(self) -> int:
        return int(float(self._attr("height")))

    def _attr(self, name: str) -> str:
        head = self.svg[:self.svg.index(">")]
        return head.split(f' {name}="', 1)[1].split('"', 1)[0]


def _text(count: Count, small: str, withheld: str) -> str:
    if count.mark == "small":
        return small
    if count.mark == "withheld":
        return withheld
    return str(count.value)


def bar_chart(title: str, bars: Sequence[tuple[str, Count]], *, axis: str, small: str,
              withheld: str) -> Chart:
    """A horizontal bar per published count, labelled with its number or its mark."""
    data: list[dict[str, Any]] = []
    for label, count in bars:
        point: dict[str, Any] = {"label": label, "text": _text(count, small, withheld),
                                 "at": count.value if count.mark == "shown" else 0}
        if count.mark == "shown":
            point["value"] = count.value
        data.append(point)
    base = alt.Chart(alt.Data(values=data))  # type: ignore[no-untyped-call]
    y = alt.Y("label:N", sort=[p["label"] for p in data], title=None,
              axis=alt.Axis(labelLimit=300, labelFontSize=12, labelColor=INK))
    top = max([c.value or 0 for _, c in bars if c.mark == "shown"] + [0])
    x_scale = alt.Scale(domain=[0, max(5, math.ceil(top * 1.2))], nice=False)  # whole numbers
    bars_layer = base.mark_bar(color=BAR).encode(
        y=y, x=alt.X("value:Q", title=axis, scale=x_scale,
                     axis=alt.Axis(format="d", tickMinStep=1, labelColor=INK, titleColor=INK)))
    labels = base.mark_text(align="left", dx=4, fontSize=12, color=INK).encode(
        y=y, x=alt.X("at:Q", scale=x_scale), text="text:N")
    chart = alt.layer(bars_layer, labels).properties(
        width=WIDTH, height=alt.Step(STEP),
        title=alt.Title(title, anchor="start", fontSize=14, color=INK),
    ).configure(aria=False).configure_view(stroke=None)
    spec = chart.to_dict()
    svg = vl_convert.vegalite_to_svg(spec)
    alt_text = f"{title}: " + "; ".join(f"{label} {text}" for label, text in
                                         ((p["label"], p["text"]) for p in data)) + "."
    return Chart(title, spec, alt_text, svg)


def table_chart(table: Table, title: str, *, by: Literal["rows", "columns"], axis: str,
                word: Callable[[str], str], small: str, withheld: str) -> Chart | None:
    """A chart of a table's row totals (``by="rows"``; a row's label joins its key) or its
    column totals; ``None`` when the table has no rows."""
    if not table.rows:
        return None
    if by == "rows":
        bars = [(" · ".join(word(k) for k in row.key), row.total) for row in table.rows]
    else:
        bars = [(word(c), total) for c, total in zip(table.columns, table.column_totals,
                                                     strict=True)]
    return bar_chart(title, bars, axis=axis, small=small, withheld=withheld)
