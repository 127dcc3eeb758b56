"""The misuse report pages' catalog: every marked message has a translation in Spanish,
Polish and Chinese, keeps its named placeholders, and the catalog template is current."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from sanctuarygate.web import i18n
from sanctuarygate.web.misuse_words import DOMAIN, LANGUAGES, words

SRC = Path(i18n.__file__).resolve().parents[1]
#: The same mapping as ``locale/misuse.cfg``.
MAPPING = [("**/domain/misuse.py", "python"), ("**/web/misuse.py", "python"),
           ("**/web/misuse_*.py", "python"), ("**/web/templates/misuse_*.html", "jinja2")]


def _marked() -> set[str]:
    found = extract_from_dir(str(SRC), MAPPING, keywords={"M_": None, "t": None},
                             options_map={"**/web/templates/misuse_*.html":
                                          {"extensions": "jinja2.ext.i18n"}})
    return {message for _, _, message, _, _ in found if isinstance(message, str) and message}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_template_lists_every_marked_message() -> None:
    with (SRC / "locale" / f"{DOMAIN}.pot").open("rb") as source:
        template = {m.id for m in read_po(source) if m.id}
    marked = _marked()
    assert len(marked) > 80, "the extractor found too few messages: is the mapping right?"
    assert marked == template, "locale/misuse.pot is stale: run the pybabel line of misuse.cfg"


@pytest.mark.parametrize("lang", sorted(set(LANGUAGES) - {"en"}))
def test_every_message_has_a_translation(lang: str) -> None:
    with i18n.po_path(lang, DOMAIN).open("rb") as source:
        catalog = read_po(source, locale=lang, domain=DOMAIN)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    marked = _marked()
    missing = sorted(marked - set(translated))
    assert not missing, f"{lang}: messages with no translation: {missing[:10]}"
    for msgid in marked:
        assert _fields(translated[msgid]) == _fields(msgid), (lang, msgid)
        assert translated[msgid] != msgid or re.fullmatch(r"[\W\d]*", msgid), (lang, msgid)
    said = words(lang)
    assert said.t("Send the report") == translated["Send the report"]
