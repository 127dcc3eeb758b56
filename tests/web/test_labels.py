"""Every vocabulary word has a plain label on the desk page."""

from __future__ import annotations

import pytest

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.web import labels


@pytest.mark.parametrize(("words", "table"), [
    (voc.ACTIONS, labels.ACTION_LABELS),
    (voc.PURPOSES, labels.PURPOSE_LABELS),
    (voc.DOCUMENT_KINDS, labels.DOCUMENT_LABELS),
    (voc.RESOURCE_TYPES, labels.RESOURCE_LABELS),
    (voc.PROPERTY_KINDS, labels.PROPERTY_KIND_LABELS),
    (voc.PROPERTY_OWNERS, labels.PROPERTY_OWNER_LABELS),
    (voc.PROPERTY_USES, labels.PROPERTY_USE_LABELS),
    (voc.AGREEMENT_KINDS, labels.AGREEMENT_LABELS),
    (frozenset(voc.OUTCOMES), labels.OUTCOME_HEADLINES),
    (frozenset(voc.OUTCOMES), labels.OUTCOME_ICONS),
], ids=["actions", "purposes", "documents", "resources", "property-kinds", "owners", "uses",
        "agreements", "headlines", "icons"])
def test_every_word_has_a_label_and_no_label_is_stale(
        words: frozenset[str], table: dict[str, str]) -> None:
    assert set(table) == set(words)


def test_the_detainer_action_reads_as_a_desk_officer_would_say_it() -> None:
    assert labels.label(labels.ACTION_LABELS, "honor-detainer") == \
        "Hold someone on an immigration detainer"


def test_choices_keep_label_order_and_add_unlabelled_words_last() -> None:
    assert labels.choices({"b": "Bee", "a": "Ay"}, frozenset({"a", "b", "c"})) == \
        [("b", "Bee"), ("a", "Ay"), ("c", "c")]
