"""The AG 805/25 report as documents: HTML (``templates/ag_805_25.html``), PDF and CSV.

The PDF is the HTML printed by ``report/pdf.py`` (letter, landscape); the CSV has one line per
row of the PDF's tables, with the same values (``section`` says which table), so a spreadsheet
and the printed report never disagree.

>>> import datetime as dt
>>> from sanctuarygate.report.source import Source
>>> r = AgReport("CPD", "Chicago Police Department", "chicago", 2025, "America/Chicago",
...              dt.date(2026, 3, 1), False, Source(3, "x.example/log", "AAAA"), (),
...              dt.date(2026, 1, 5))
>>> "Zero certification" in render_html(r)
True
>>> csv_text(r).splitlines()[0][:40]
'section,log_indexes,received,agency,requ'
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sanctuarygate.report.ag80525 import CITATION, COLUMNS, CONFIDENCE, AgReport
from sanctuarygate.report.pdf import TEMPLATES, render_document, write_pdf

__all__ = ["csv_text", "render_html", "write_ag_csv", "write_ag_pdf"]

TEMPLATE = "ag_805_25.html"


def render_html(report: AgReport) -> str:
    """The report as one HTML page (what the PDF prints)."""
    return render_document(TEMPLATE, r=report, citation=CITATION, confidence=CONFIDENCE)


def write_ag_pdf(report: AgReport, out: Path) -> Path:
    """Print the report to ``out`` (written whole or not at all)."""
    return write_pdf(render_html(report), out, base_url=str(TEMPLATES))


def csv_text(report: AgReport) -> str:
    """The rows as CSV (a header line, then one line per row; no row: the header only)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in report.rows:
        writer.writerow([row.log_indexes if c == "log_indexes" else getattr(row, c)
                         for c in COLUMNS])
    return buffer.getvalue()


def write_ag_csv(report: AgReport, out: Path) -> Path:
    """Write :func:`csv_text` to ``out`` (whole or not at all)."""
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(csv_text(report), encoding="utf-8", newline="")
    tmp.replace(out)
    return out
