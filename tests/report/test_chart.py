"""Charts of the published tables: only published counts, a suppressed one never as a number."""

from __future__ import annotations

import base64
import html
import re

from sanctuarygate.report import Count, Row, Table
from sanctuarygate.report.chart import bar_chart, table_chart

SMALL, WITHHELD = Count(None, "small"), Count(None, "withheld")


def _texts(svg: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def _marks(svg: str) -> list[str]:
    """The texts drawn by the chart's own text marks (not its axes)."""
    found = re.search(r'class="mark-text role-mark[^"]*"[^>]*>(.*?)</g>', svg, re.S)
    assert found is not None, "the chart draws no labels"
    return _texts(found.group(1))


def test_a_small_count_has_no_bar_and_no_number() -> None:
    chart = bar_chart("Answers", [("deny", Count(7)), ("review", SMALL), ("allow", Count(0)),
                                  ("other", WITHHELD)],
                      axis="Requests", small="fewer than 5", withheld="withheld")
    data = chart.spec["data"]["values"]
    assert [d.get("value") for d in data] == [7, None, 0, None]
    assert _marks(chart.svg) == ["7", "fewer than 5", "0", "withheld"]
    assert chart.svg.count('class="mark-rect role-mark') == 1  # one layer of bars
    assert len(re.findall(r'<path [^>]*fill="#2b4c7e"', chart.svg)) == 2  # 7 and 0, nothing else
    assert chart.alt == "Answers: deny 7; review fewer than 5; allow 0; other withheld."
    assert chart.svg.startswith("<svg") and chart.width > 400 and chart.height > 50
    assert base64.b64decode(chart.data_uri.split(",", 1)[1]).decode() == chart.svg


def test_a_table_is_drawn_by_its_published_totals_only() -> None:
    """The row totals as published (a withheld one stays withheld), never a sum of cells."""
    table = Table("reviews", "Reviews", ("month",), ("ICE", "CBP"), (
        Row(("2025-03",), (Count(6), SMALL), WITHHELD),
        Row(("2025-04",), (Count(9), Count(0)), Count(9))), (WITHHELD, SMALL), Count(20))
    chart = table_chart(table, "Reviews by month", by="rows", axis="Requests", word=str.upper,
                        small="<5", withheld="withheld")
    assert chart is not None
    assert _marks(chart.svg) == ["withheld", "9"]
    assert [d["label"] for d in chart.spec["data"]["values"]] == ["2025-03", "2025-04"]
    by_column = table_chart(table, "Reviews by family", by="columns", axis="Requests",
                            word=str.lower, small="<5", withheld="withheld")
    assert by_column is not None and _marks(by_column.svg) == ["withheld", "<5"]
    assert by_column.alt == "Reviews by family: ice withheld; cbp <5."
    empty = Table("reviews", "Reviews", ("month",), ("ICE",), (), (Count(0),), Count(0))
    assert table_chart(empty, "x", by="rows", axis="y", word=str, small="<5",
                       withheld="w") is None


def test_the_axis_counts_in_whole_numbers_even_when_all_are_zero() -> None:
    chart = bar_chart("Reviews", [("2025-03", Count(0))], axis="Requests", small="<5",
                      withheld="withheld")
    ticks = [t for t in _texts(chart.svg) if t.isdigit()]
    assert ticks == ["0", "1", "2", "3", "4", "5", "0"]  # the axis, then the bar's label
