"""The pages in English and Spanish: gettext catalogs, the language of a request, and words.

The catalog sources live in ``sanctuarygate/locale`` (``messages.pot``, and
``es/LC_MESSAGES/messages.po``); the ``.po`` is read with Babel when first needed, so a fresh
clone needs no compile step. English is the source language and needs no catalog.

A page's language is, first, the one chosen with the switch (``?lang=es``, which
:class:`LanguageCookie` keeps in a cookie), then the cookie, then the browser's
``Accept-Language`` (q-values honoured), else English. The CLI and the JSON API stay English.

Domain words (``domain.advice.Text``) carry their message id and named parameters; :func:`say`
translates the id and then fills in the parameters, themselves translated. Citations, agency
names and rule summaries are not message ids and pass through unchanged.

>>> say(Text("Say: '{authority} does not allow this.'", authority=Text("City policy")),
...     catalog("en").gettext)
"Say: 'City policy does not allow this.'"
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sanctuarygate.domain.advice import Text

LOCALE_DIR: Final = Path(__file__).resolve().parents[1] / "locale"
DOMAIN: Final = "messages"

#: The languages the pages speak, with the name each goes by in itself (for the switch).
LANGUAGES: Final = {"en": "English", "es": "Español"}
#: The residents' page speaks more (the places ask for Polish and Chinese too).
RESIDENT_LANGUAGES: Final = {"en": "English", "es": "Español", "pl": "Polski", "zh": "中文"}
DEFAULT: Final = "en"
COOKIE: Final = "lang"
#: Paths where a language choice is never kept in a cookie: the JSON API, and the residents'
#: pages and the misuse report form (``/report``), which set no cookie at all (their links and
#: the form's action carry ``?lang=`` instead).
NO_COOKIE: Final = ("/api/", "/residents", "/report")


def po_path(lang: str, domain: str = DOMAIN) -> Path:
    """Where the catalog source of ``lang`` lives (only known language codes: never a path
    made from what a request sent)."""
    if lang not in LANGUAGES and lang not in RESIDENT_LANGUAGES:
        raise ValueError(f"no catalog for language {lang[:20]!r}")
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


@lru_cache(maxsize=16)
def catalog(lang: str, domain: str = DOMAIN) -> gettext.NullTranslations:
    """The translations for ``lang`` in ``domain`` (``messages``: the desk and the public pages;
    ``residents``: the residents' page, which speaks more languages): read from its ``.po`` once
    (compiled in memory); English and languages without a catalog say the message ids themselves.

    >>> catalog("es").gettext("No.")
    'No.'
    >>> catalog("es").gettext("Yes, with conditions.")
    'Sí, con condiciones.'
    """
    if lang == DEFAULT or not po_path(lang, domain).is_file():
        return gettext.NullTranslations()
    with po_path(lang, domain).open("rb") as source:
        messages = read_po(source, locale=lang, domain=domain)
    compiled = io.BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def accepted(header: str) -> list[str]:
    """The languages of an ``Accept-Language`` header, most wanted first (RFC 9110 12.5.4):
    q-values are honoured, ``q=0`` means "not this", a bad q-value counts as 0.

    >>> accepted("en;q=0.5, es-MX, fr;q=0.8")
    ['es-MX', 'fr', 'en']
    >>> accepted("es;q=0, en")
    ['en']
    """
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and 0 < quality <= 1:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(header: str, languages: Mapping[str, str] = LANGUAGES) -> str:
    """The language of ``languages`` (default: the pages') that the header wants most, else
    English.

    >>> negotiate("fr-CA, es-US;q=0.9, en;q=0.1"), negotiate("de"), negotiate("*")
    ('es', 'en', 'en')
    >>> negotiate("zh-Hans-CN, en;q=0.5"), negotiate("zh-CN", RESIDENT_LANGUAGES)
    ('en', 'zh')
    """
    for tag in accepted(header):
        primary = tag.split("-")[0].lower()
        if primary in languages:
            return primary
        if primary == "*":
            return DEFAULT
    return DEFAULT


def language_of(request: Request, languages: Mapping[str, str] = LANGUAGES) -> str:
    """The language for this request: ``?lang=``, then the cookie, then Accept-Language."""
    for chosen in (request.query_params.get(COOKIE), request.cookies.get(COOKIE)):
        if chosen is not None and chosen in languages:
            return chosen
    return negotiate(request.headers.get("accept-language", ""), languages)


def say(text: str, gettext_: Callable[[str], str]) -> str:
    """``text`` in the catalog's language: a :class:`Text` is translated by its message id,
    its parameters first; a plain string (a citation, a rule summary) is a message id when
    the catalog knows it, else kept as it is.

    >>> say(Text.joined([Text("No."), "5 ILCS 805/15(a)"]), catalog("es").gettext)
    'No. 5 ILCS 805/15(a)'
    """
    if not isinstance(text, Text):
        return gettext_(text) if text else text
    if text.msgid is None:
        return " ".join(say(part, gettext_) for part in text.parts)
    params = {name: say(value, gettext_) for name, value in text.params.items()}
    return gettext_(text.msgid).format(**params)


def say_parts(text: str, gettext_: Callable[[str], str]) -> list[tuple[str, bool]]:
    """``text`` part by part, each with whether it was translated: a page marks the parts it
    keeps in English (a rule's summary) with ``lang="en"``.

    >>> say_parts(Text.joined([Text("No."), "Police may not hold anyone."]),
    ...           catalog("es").gettext)
    [('No.', True), ('Police may not hold anyone.', False)]
    """
    parts = text.parts if isinstance(text, Text) and text.msgid is None else (text,)
    return [(say(part, gettext_), isinstance(part, Text)) for part in parts]


def template_context(request: Request) -> dict[str, Any]:
    """Template variables for a page: ``lang`` (which :func:`install` 's gettext reads), the
    switch's languages, ``say`` for domain words and ``tr`` for a vocabulary word's label."""
    lang = language_of(request)
    translations = catalog(lang)
    return {
        "lang": lang,
        "languages": LANGUAGES,
        "say": lambda text: say(text, translations.gettext),
        "say_parts": lambda text: say_parts(text, translations.gettext),
        "tr": lambda mapping, word: _label(mapping, word, translations.gettext),
    }


@pass_context
def _gettext(context: Context, message: str) -> str:
    return catalog(context.get("lang", DEFAULT)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return catalog(context.get("lang", DEFAULT)).ngettext(singular, plural, n)


def install(env: Environment) -> None:
    """Jinja2's i18n extension (``{% trans %}``, ``_()``) in the language of each page's
    ``lang``, new-style: variables are named and escaped."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]


def _label(mapping: Mapping[str, str], word: Any, gettext_: Callable[[str], str]) -> str:
    """A vocabulary word's label in the page's language (the word itself when unlabelled)."""
    text = mapping.get(str(word), str(word))
    return gettext_(text) if text in mapping.values() else text


class LanguageCookie:
    """Keeps the language chosen with the switch (``?lang=es``) in a cookie, so that the next
    pages (and the form's post) speak it too; works without JavaScript."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NO_COOKIE):
            await self.app(scope, receive, send)
            return
        chosen = Request(scope).query_params.get(COOKIE)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.add_vary_header("Accept-Language")
                headers.add_vary_header("Cookie")
                if chosen in LANGUAGES:
                    headers.append("set-cookie", f"{COOKIE}={chosen}; Path=/; Max-Age=31536000; "
                                                 "SameSite=Lax")
            await send(message)

        await self.app(scope, receive, send_with_cookie)
