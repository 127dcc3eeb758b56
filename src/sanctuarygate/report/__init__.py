"""Reports computed from the decision log alone, so anyone holding its export can recompute them.

- ``transparency``: the public tables (decisions by month, agency family, action and outcome;
  reviews sent and how they ended; refusals by clause; gateway queries and rows released; key
  events) and the exceptions granted, listed (``exceptions``), from a verified export
  (:func:`report_from_export`) or the live log (:func:`report_from_log`).
- ``suppress``: small-cell suppression that the published totals cannot undo.
- ``family``: agency families (ICE, CBP, other DHS, DOJ, state, local, ...) from the directory.
- ``chart``: bar charts of the published counts (Altair, drawn to SVG by vl-convert).
- ``tally``: the raw counts (never published as is); ``source``: reading and verifying an
  export; ``render``: CSV files and plain text.
"""

from sanctuarygate.report.family import Families
from sanctuarygate.report.render import render_text, write_csv
from sanctuarygate.report.source import Source
from sanctuarygate.report.transparency import (
    Count,
    Row,
    Table,
    TransparencyReport,
    report_from_export,
    report_from_log,
    transparency_report,
)

__all__ = ["Count", "Families", "Row", "Source", "Table", "TransparencyReport", "render_text",
           "report_from_export", "report_from_log", "transparency_report", "write_csv"]
