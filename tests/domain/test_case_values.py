"""Free text kept in a case never states an immigration status (property-based), and the
review answer's rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanctuarygate.domain.case import (
    REVIEW_CONDITIONS,
    STATUS_WORDS,
    check_text,
    mentions_status,
    parse_review,
)
from sanctuarygate.errors import InputError

#: Text around a status word: anything that does not glue a letter or digit onto it.
AROUND = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40).map(
    lambda s: s + " ")


@given(before=AROUND, word=st.sampled_from(STATUS_WORDS), after=AROUND,
       upper=st.booleans())
def test_any_text_with_a_status_word_is_refused(before: str, word: str, after: str,
                                                upper: bool) -> None:
    text = f"{before}{word.upper() if upper else word} {after}"
    with pytest.raises(InputError, match="immigration status"):
        check_text(text, "reason")
    assert mentions_status(text) is not None


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 .,", max_size=200))
def test_text_that_is_kept_holds_no_status_word(text: str) -> None:
    try:
        kept = check_text(text, "reason")
    except InputError:
        return
    assert kept is None or mentions_status(kept) is None


def test_words_inside_other_words_are_not_status_words() -> None:
    assert check_text("Valiens street; visayan interpreter", "note") is not None


@given(outcome=st.sampled_from(["allow", "deny"]),
       conditions=st.lists(st.sampled_from(REVIEW_CONDITIONS), min_size=1))
def test_conditions_go_with_an_allow_with_conditions_only(outcome: str,
                                                          conditions: list[str]) -> None:
    with pytest.raises(InputError, match="conditions"):
        parse_review(outcome, conditions, "reason", "X 1")
    chosen = parse_review("allow-with-conditions", conditions, "reason", "X 1").conditions
    assert chosen == tuple(sorted(set(conditions)))
