from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sanctuarygate.gateway.watermark import key_id, load_or_create_key, recipient, row_tag

AGENCIES = ["FBI", "DEA", "ATF", "ISP", "USMS"]
VALUES = st.one_of(st.none(), st.integers(), st.text(max_size=20))


def test_key_is_created_once_outside_the_database(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path)
    assert load_or_create_key(tmp_path) == key and len(key) == 32
    path = tmp_path / "keys" / "watermark.key"
    assert oct(path.stat().st_mode)[-3:] == "600"
    assert key.hex() not in key_id(key)


@given(agencies=st.lists(st.sampled_from(AGENCIES), min_size=1, unique=True),
       row=st.dictionaries(st.sampled_from(["arrest_id", "name", "charge"]), VALUES, min_size=1))
def test_tag_names_exactly_its_recipient(agencies: list[str], row: dict[str, object]) -> None:
    key = b"\x01" * 32
    for agency in agencies:
        tag = row_tag(key, agency, "cpd-arrests", row)
        assert recipient(key, agencies, "cpd-arrests", row, tag) == agency
        assert recipient(key, agencies, "cpd-arrests", row, tag.upper()) == agency
        assert recipient(key, agencies, "cpd-incidents", row, tag) is None
        assert recipient(b"\x02" * 32, agencies, "cpd-arrests", row, tag) is None


@given(row=st.dictionaries(st.sampled_from(["arrest_id", "name", "charge"]), VALUES, min_size=1),
       other=st.dictionaries(st.sampled_from(["arrest_id", "name", "charge"]), VALUES,
                             min_size=1))
def test_a_tag_binds_the_values_and_their_columns(row: dict[str, object],
                                                  other: dict[str, object]) -> None:
    """A tag copied onto a row with other values (or other columns) does not verify; null and
    the empty string are the same value (CSV cannot tell them apart)."""
    key = b"\x01" * 32
    tag = row_tag(key, "FBI", "cpd-arrests", row)

    def seen(r: dict[str, object]) -> list[tuple[str, str]]:
        return [(k, "" if v is None else str(v)) for k, v in r.items()]

    same = seen(row) == seen(other)
    assert (recipient(key, AGENCIES, "cpd-arrests", other, tag) == "FBI") == same


def test_a_tag_does_not_need_the_key_column() -> None:
    key = b"\x01" * 32
    row = {"name": "JANE ROE", "charge": "THEFT"}
    tag = row_tag(key, "DEA", "cpd-arrests", row)
    assert recipient(key, AGENCIES, "cpd-arrests", row, tag) == "DEA"
    assert recipient(key, AGENCIES, "cpd-arrests", {**row, "arrest_id": 7}, tag) is None
    assert recipient(key, AGENCIES, "cpd-arrests", row, "é" * 32) is None
