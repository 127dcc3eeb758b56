from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sanctuarygate.gateway.watermark import key_id, load_or_create_key, recipient, row_tag


def test_key_is_created_once_outside_the_database(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path)
    assert load_or_create_key(tmp_path) == key and len(key) == 32
    path = tmp_path / "keys" / "watermark.key"
    assert oct(path.stat().st_mode)[-3:] == "600"
    assert key.hex() not in key_id(key)


@given(agencies=st.lists(st.sampled_from(["FBI", "DEA", "ATF", "ISP", "USMS"]), min_size=1,
                         unique=True),
       row=st.text(min_size=1, max_size=20))
def test_tag_names_exactly_its_recipient(agencies: list[str], row: str) -> None:
    key = b"\x01" * 32
    for agency in agencies:
        tag = row_tag(key, agency, "cpd-arrests", row)
        assert recipient(key, agencies, "cpd-arrests", row, tag) == agency
        assert recipient(key, agencies, "cpd-incidents", row, tag) is None
        assert recipient(b"\x02" * 32, agencies, "cpd-arrests", row, tag) is None
