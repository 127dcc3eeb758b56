"""PDF from HTML: the one place that calls WeasyPrint, so every printed document (the AG 805/25
report, a council replay report, a property sign) is the same HTML a browser shows, printed.

``base_url`` resolves relative links (stylesheets, images) in the HTML; no network is used for
documents we render ourselves: the fetcher allows only ``file:`` and ``data:`` URLs (a remote one is
skipped, as a missing image is), so a value inside a document can never make the server fetch a
remote address.

>>> data = html_to_pdf("<h1>Hello</h1>")
>>> data[:5]
b'%PDF-'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

__all__ = ["TEMPLATES", "PdfError", "html_to_pdf", "render_document", "write_pdf"]

#: The printed documents' HTML templates.
TEMPLATES: Final = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_document(template: str, **context: Any) -> str:
    """A printed document's HTML: ``templates/<template>`` rendered with ``context``
    (autoescaped; an undefined name is an error, never a blank)."""
    return _env.get_template(template).render(**context)


class PdfError(Exception):
    """The document could not be printed (a bad stylesheet, an unreadable resource)."""


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF bytes of an HTML document (A4 or Letter as its CSS ``@page`` says)."""
    import weasyprint  # imported here: loading Pango costs ~0.3 s, and only printing needs it
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=("file", "data"), timeout=5)  # never the network
    try:
        data = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()
    except PdfError:
        raise
    except Exception as exc:  # WeasyPrint raises many kinds; the caller needs one
        raise PdfError(f"could not print the document: {exc}") from exc
    if not isinstance(data, bytes):
        raise PdfError("could not print the document: no output")
    return data


def write_pdf(html: str, out: Path, *, base_url: str | None = None) -> Path:
    """Print ``html`` to ``out`` (written whole or not at all: a temporary file, then renamed)."""
    data = html_to_pdf(html, base_url=base_url)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)
    return out
