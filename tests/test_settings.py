from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sanctuarygate.errors import ConfigurationError
from sanctuarygate.settings import load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SANCTUARYGATE_DATA_DIR", str(tmp_path))
    s = load_settings()
    assert s.database_url_resolved == f"sqlite:///{tmp_path / 'sanctuarygate.db'}"
    assert s.pack_dates()["o2021_117_effective"] == dt.date(2021, 1, 27)


def test_unconfirmed_dates_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANCTUARYGATE_O2021_117_EFFECTIVE", "2021-02-23")
    assert load_settings().o2021_117_effective == dt.date(2021, 2, 23)


@pytest.mark.parametrize(("key", "value"), [
    ("SANCTUARYGATE_DATABASE_URL", "not-a-url"),
    ("SANCTUARYGATE_KIFTA_EFFECTIVE", "June"),
    ("SANCTUARYGATE_DECISION_CACHE_SIZE", "-1"),
    ("SANCTUARYGATE_TIMEZONE", "Chicago"),
])
def test_bad_value_names_the_key(monkeypatch: pytest.MonkeyPatch, key: str, value: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigurationError, match=key):
        load_settings()


def test_today_is_the_city_date_not_the_server_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # 02:30 UTC on December 3 is still December 2 in Chicago: an answer about December 2 is the
    # law in force there, and recorded; the server's UTC date would call it a what-if.
    instant = dt.datetime(2026, 12, 3, 2, 30, tzinfo=dt.UTC)
    assert load_settings().today(instant) == dt.date(2026, 12, 2)
    monkeypatch.setenv("SANCTUARYGATE_TIMEZONE", "Europe/Warsaw")
    assert load_settings().today(instant) == dt.date(2026, 12, 3)
    assert load_settings().today() == dt.datetime.now(ZoneInfo("Europe/Warsaw")).date()
