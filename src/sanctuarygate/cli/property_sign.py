"""``sanctuarygate property sign``: print the sign a place's order prescribes for its property.

One property (``ID --out sign.pdf``) or a department's at once (``--department D --out-dir
DIR``), in English, Spanish, Polish or Chinese, on Letter or A4 paper. The library
(``report/sign.py``) decides whether a sign may be printed at all: the order must prescribe its
text and cover the property; the CLI reads the registry, calls it and writes the files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctuarygate.audit.default import default_log
from sanctuarygate.domain.property import Property
from sanctuarygate.errors import InputError
from sanctuarygate.policy.default import default_decider
from sanctuarygate.report.sign import LANGUAGES, PAPERS, Paper, SignRefused, make_sign, write_sign
from sanctuarygate.settings import get_settings
from sanctuarygate.store.property import get_property, list_properties
from sanctuarygate.web.i18n import catalog


def _print(prop: Property, out: Path, lang: str, paper: Paper) -> Path:
    settings = get_settings()
    sign = make_sign(default_decider(), prop, settings.today(), lang=lang,
                     public_url=settings.public_url, words=catalog(lang, "residents").gettext)
    return write_sign(sign, out, paper)


def sign_command(
    property_id: Annotated[str | None, typer.Argument(
        metavar="[ID]", help="The property's id (or --department for all of one department's).")]
    = None,
    out: Annotated[Path | None, typer.Option(
        metavar="PDF", help="Where to write the sign of ID.")] = None,
    department: Annotated[str | None, typer.Option(
        metavar="NAME", help="Every property of this managing department instead of one ID.")]
    = None,
    place: Annotated[str | None, typer.Option(
        metavar="PROFILE", help="With --department: only this place's property.")] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out-dir", metavar="DIR", help="With --department: the folder for ID-LANG.pdf files.")]
    = None,
    lang: Annotated[str, typer.Option(
        metavar="LANG", help=f"The sign's language: {', '.join(LANGUAGES)}.")] = "en",
    paper: Annotated[str, typer.Option(metavar="SIZE", help="letter or a4.")] = "letter",
) -> None:
    """Print a property's sign as PDF: the order's prescribed text, its citation, the
    property's id and QR codes to its public page and the place's rules.

    A sign is refused (exit 2, one line) when the place's order prescribes no text, when the
    rules do not clearly forbid staging on the property (a person decides first), or when the
    language has no translation of the text. With --department, each property's sign is
    written to DIR; the refused ones are listed, and the exit code is 2 if any was refused.
    """
    if lang not in LANGUAGES:
        raise InputError(f"--lang is one of {', '.join(LANGUAGES)}, not {lang[:10]!r}",
                         field="lang")
    if paper not in PAPERS:
        raise InputError(f"--paper is letter or a4, not {paper[:10]!r}", field="paper")
    size: Paper = "a4" if paper == "a4" else "letter"
    if (property_id is None) == (department is None):
        raise InputError("give a property ID or --department (one of them)", field="ID")
    with default_log().engine.connect() as conn:
        if property_id is not None:
            if out is None:
                raise InputError("--out PDF is required with an ID", field="out")
            prop = get_property(conn, property_id)
            if prop is None:
                raise InputError(f"{property_id!r} is not in the city's property registry",
                                 field="ID")
            typer.echo(f"{prop.id}: {_print(prop, out, lang, size)}")
            return
        if out_dir is None or not out_dir.is_dir():
            raise InputError("--out-dir DIR (an existing folder) is required with --department",
                             field="out_dir")
        found = list_properties(conn, place=place, department=department)
    if not found:
        raise InputError(f"no registered property of department {department!r}"
                         + (f" in {place}" if place else ""), field="department")
    refused = []
    for prop in found:
        try:
            typer.echo(f"{prop.id}: {_print(prop, out_dir / f'{prop.id}-{lang}.pdf', lang, size)}")
        except SignRefused as exc:
            refused.append(prop.id)
            typer.echo(f"refused {prop.id}: {exc}", err=True)
    if refused:
        raise InputError(f"{len(refused)} of {len(found)} signs not printed: {', '.join(refused)}")
