"""The worker's memory of checked staff tokens: by the whole token, for a time, bounded."""

from __future__ import annotations

import pytest

from sanctuarygate.domain.staff import Role, StaffMember
from sanctuarygate.web.token_grants import GrantCache

MEMBER = StaffMember("s-0a1b2c3d", "jdoe", frozenset({Role.DESK}))


def token(k: int, secret: str = "x") -> str:
    return f"sgs_{k:08x}_" + secret * 43


def test_only_the_whole_token_it_was_checked_with_is_remembered() -> None:
    cache = GrantCache()
    grant = cache.put(token(1), MEMBER, now=0)
    assert cache.get(token(1), now=1) == (MEMBER, grant)
    assert cache.get(token(1, "y"), now=1) is None  # the same id, another secret
    assert cache.get(f" {token(1)} ", now=1) == (MEMBER, grant)  # as the check strips it


def test_a_dropped_or_expired_token_is_checked_again() -> None:
    cache = GrantCache(ttl=10)
    cache.put(token(1), MEMBER, now=0)
    cache.put(token(2), MEMBER, now=0)
    cache.drop(token(1))
    cache.drop(token(3))  # never held: nothing to do
    assert cache.get(token(1), now=1) is None and cache.get(token(2), now=9.9) is not None
    assert cache.get(token(2), now=10) is None


def test_the_oldest_tokens_are_forgotten_beyond_its_size() -> None:
    cache = GrantCache(size=3)
    for k in range(5):
        cache.put(token(k), MEMBER, now=k)
    assert [cache.get(token(k), now=5) is not None for k in range(5)] == [
        False, False, True, True, True]
    cache.put(token(2), MEMBER, now=6)  # checked again: the newest now
    cache.put(token(5), MEMBER, now=7)
    assert [cache.get(token(k), now=8) is not None for k in (2, 3, 4, 5)] == [
        True, False, True, True]


@pytest.mark.parametrize(("ttl", "size"), [(-1, 10), (10, 0)])
def test_a_bad_setting_is_refused(ttl: float, size: int) -> None:
    with pytest.raises(ValueError, match="bad token cache"):
        GrantCache(ttl=ttl, size=size)
