"""Property signs: the order's own words, only for property the order covers, in four languages,
printed to PDF — read back as text, rendered to an image (pdftoppm) and its QR codes decoded
(zbarimg), as a resident's phone would."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from sanctuarygate.domain.property import Property
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_decider
from sanctuarygate.report.sign import Sign, SignRefused, make_sign, sign_html, write_sign
from sanctuarygate.web.i18n import catalog

DAY = dt.date(2026, 1, 5)
URL = "https://city.example/sg"
GARAGE = Property("CHI-GAR-01", "chicago", "Garage 1", "garage", "city", address="1 Example St")
NC_LOT = Property("NC-LOT-14", "north-chicago", "Lot 14", "parking-lot", "city")


@pytest.fixture(scope="module")
def decider() -> Decider:
    return default_decider()


def _sign(decider: Decider, prop: Property, lang: str = "en", day: dt.date = DAY) -> Sign:
    return make_sign(decider, prop, day, lang=lang, public_url=URL,
                     words=catalog(lang, "residents").gettext)


def _qr_codes(pdf: Path, tmp_path: Path) -> list[str]:
    """The QR codes of the PDF's first page, decoded from a 150 dpi rendering."""
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    page = next(tmp_path.glob("page*.png"))
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(page)], capture_output=True,
                           text=True, timeout=60)
    return sorted(found.stdout.split())


@pytest.mark.parametrize(("prop", "words"), [
    (GARAGE, "owned and/or controlled by the City of Chicago"),
    (NC_LOT, "owned and controlled by the City of North Chicago"),
])
def test_the_sign_says_the_order_s_words_and_its_codes_lead_to_the_pages(
        decider: Decider, tmp_path: Path, prop: Property, words: str) -> None:
    sign = _sign(decider, prop)
    out = write_sign(sign, tmp_path / "sign.pdf")
    text = " ".join(PdfReader(out).pages[0].extract_text().split())
    assert words in text and prop.id in text and "NOTICE" in text.upper()
    assert sign.citation.split(" (")[0] in text  # the order's title
    assert _qr_codes(out, tmp_path) == sorted([f"{URL}/property/{prop.id}",
                                               f"{URL}/residents/{prop.place}?lang=en"])


@pytest.mark.parametrize(("lang", "words"), [
    ("es", "No puede usarse para la aplicación civil"),
    ("pl", "Nie może być używana do cywilnych działań imigracyjnych"),
    ("zh", "不得用于民事移民执法"),
])
def test_each_language_prints_its_own_words(decider: Decider, tmp_path: Path, lang: str,
                                            words: str) -> None:
    out = write_sign(_sign(decider, GARAGE, lang), tmp_path / f"{lang}.pdf", paper="a4")
    text = "".join(PdfReader(out).pages[0].extract_text().split())
    assert "".join(words.split()) in text
    assert f"{URL}/residents/chicago?lang={lang}" in _qr_codes(out, tmp_path)


def test_letter_and_a4_are_their_sizes(decider: Decider, tmp_path: Path) -> None:
    sign = _sign(decider, GARAGE)
    letter = PdfReader(write_sign(sign, tmp_path / "l.pdf", "letter")).pages[0].mediabox
    a4 = PdfReader(write_sign(sign, tmp_path / "a.pdf", "a4")).pages[0].mediabox
    assert (round(float(letter.width)), round(float(letter.height))) == (612, 792)
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)
    with pytest.raises(SignRefused, match="letter or a4"):
        sign_html(sign, "legal")  # type: ignore[arg-type]


@pytest.mark.parametrize(("prop", "why"), [
    # Waukegan's resolution text was never retrieved: no prescribed words, no sign.
    (Property("WK-1", "waukegan", "Lot", "parking-lot", "city"), "prescribes a sign"),
    # A sister agency's park: the rules send it to a person (CPS/Park District unconfirmed).
    (Property("CHI-PARK-03", "chicago", "Park", "park", "sister-agency"), "answer review"),
])
def test_no_sign_where_the_order_gives_no_words_or_does_not_clearly_cover(
        decider: Decider, prop: Property, why: str) -> None:
    with pytest.raises(SignRefused, match=why):
        _sign(decider, prop)


def test_no_sign_before_the_order(decider: Decider) -> None:
    with pytest.raises(SignRefused, match="prescribes a sign"):
        _sign(decider, GARAGE, day=dt.date(2025, 10, 5))  # EO 2025-8 took effect 2025-10-06


def test_a_language_without_the_text_is_refused_not_printed_in_english(decider: Decider) -> None:
    with pytest.raises(SignRefused, match="no es translation"):
        make_sign(decider, GARAGE, DAY, lang="es", public_url=URL)  # no catalog given
    with pytest.raises(SignRefused, match="not 'fr'"):
        make_sign(decider, GARAGE, DAY, lang="fr", public_url=URL)
