"""policy diff: the semantic difference between two policy sets over a profile's space."""

from __future__ import annotations

import datetime as dt

import pytest

from sanctuarygate.errors import InputError
from sanctuarygate.policy.default import default_decider
from sanctuarygate.policy.diff import Side, diff


def test_a_day_against_itself_is_empty() -> None:
    day = dt.date(2021, 1, 26)
    report = diff(default_decider(), Side("chicago", day), Side("chicago", day))
    assert report.changes == []
    assert report.decided == 0  # every action has the same rules on both sides


def test_unknown_profile_or_pack_is_an_error() -> None:
    day = dt.date(2021, 1, 26)
    with pytest.raises(InputError):
        diff(default_decider(), Side("atlantis", day), Side("atlantis", day))
    with pytest.raises(InputError):
        diff(default_decider(), Side("chicago", day), Side("chicago", day, ("no-such-pack",)))
