"""The misuse report pages' words: their own gettext domain (``misuse``), in English, Spanish,
Polish and Chinese, and the templates that speak it.

The catalog sources are ``locale/misuse.pot`` and ``locale/<lang>/LC_MESSAGES/misuse.po``
(read with Babel when first needed, like the pages' ``messages``). Templates mark words with
``t("...")`` (named parameters filled in after translation) and Python code with
:func:`~sanctuarygate.domain.misuse.M_`; the domain is kept apart from the desk's catalog so
the report form can speak four languages while the desk speaks two. To refresh the catalog::

    pybabel extract -F src/sanctuarygate/locale/misuse.cfg -k M_ -k t --no-location \\
        -o src/sanctuarygate/locale/misuse.pot src/sanctuarygate

>>> words("es").t("This is required.")
'Esto es obligatorio.'
>>> words("pl").t("Report {number}", number="r-0a1b2c3d4e")
'Zgłoszenie r-0a1b2c3d4e'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from sanctuarygate.errors import InputError
from sanctuarygate.web import i18n

DOMAIN: Final = "misuse"
LANGUAGES: Final = i18n.RESIDENT_LANGUAGES
TEMPLATE_DIR: Final = Path(__file__).parent / "templates"

#: The report pages' templates: no context processors (each page is given its words).
templates = Jinja2Templates(directory=TEMPLATE_DIR)


@dataclass(frozen=True, slots=True)
class Words:
    """The report pages' words in one language."""

    lang: str

    def t(self, message: str, **params: Any) -> str:
        """``message`` translated, then its ``{named}`` parameters filled in."""
        said = i18n.catalog(self.lang, DOMAIN).gettext(message)
        return said.format(**params) if params else said

    def errors(self, error: InputError) -> dict[str, list[str]]:
        """Each field's problems, translated (a field may have several)."""
        out: dict[str, list[str]] = {}
        for name, message in error.field_errors:
            out.setdefault(name or "form", []).append(self.t(message))
        return out


def words(lang: str) -> Words:
    """The words of ``lang`` (one of :data:`LANGUAGES`; English otherwise)."""
    return Words(lang if lang in LANGUAGES else i18n.DEFAULT)


def words_of(request: Request) -> Words:
    """The words for this request: ``?lang=``, the cookie, the browser's choice, else English."""
    return words(i18n.language_of(request, LANGUAGES))


def page_context(request: Request, said: Words, **context: Any) -> dict[str, Any]:
    """A report page's template variables: ``t``, ``lang``, the language switch's links."""
    return {"request": request, "t": said.t, "lang": said.lang, "languages": LANGUAGES,
            **context}


def field_names(errors: Iterable[str]) -> list[str]:
    """The form's fields in error, in the form's order (for the summary's links)."""
    order = ["place", "property_id", "lat", "seen_on", "seen_time", "what_seen", "details",
             "photos", "contact", "form"]
    named = set(errors)
    return [n for n in order if n in named] + sorted(named - set(order))
