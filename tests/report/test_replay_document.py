"""``report.replay_document``: the question parsed from text, and the council report's HTML
for each kind of change (packs added, packs removed, another day's law), on the hand-made log
of ``test_replay.py``."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.errors import InputError
from sanctuarygate.policy.default import default_decider
from sanctuarygate.report.replay_document import (
    ReplayQuestion,
    document_of,
    render_html,
    run_replay,
)

from .test_replay import OCAD, log  # noqa: F401 (fixture)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize(("given", "field", "says"), [
    ({"start": "2025-13-01"}, "--from", "is not a date"),
    ({"end": ""}, "--to", "is not a date"),
    ({"as_of": "tomorrow"}, "--as-of", "is not a date"),
    ({"profile": " "}, "--profile", "give a place"),
])
def test_a_bad_question_names_its_field(given: dict[str, str], field: str, says: str) -> None:
    asked = {"profile": "chicago", "start": "2025-01-01", "end": "2025-12-31", **given}
    with pytest.raises(InputError, match=says) as raised:
        ReplayQuestion.parse(**asked, add=[OCAD])  # type: ignore[arg-type]
    assert raised.value.field == field


def test_blank_and_repeated_pack_names_are_dropped() -> None:
    q = ReplayQuestion.parse(profile="chicago", start="2025-01-01", end="2025-01-31",
                             add=["", OCAD, f" {OCAD} "], remove=[" "], as_of="  ")
    assert (q.add, q.remove, q.as_of, q.days) == ((OCAD,), (), None, 31)


def test_the_report_of_an_added_proposal(log: DecisionLog) -> None:  # noqa: F811
    decider = default_decider()
    q = ReplayQuestion(profile="chicago", start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31),
                       add=(OCAD,))
    doc = document_of(q, run_replay(log, decider, q), decider.library,
                      built_on=dt.date(2026, 1, 5))
    text = text_of(render_html(doc))
    assert (f"Of {doc.result.replayed} logged decisions replayed, {doc.changed} would have "
            f"been answered differently and {doc.unchanged} the same.") in text
    assert doc.changed == 2 and f"Decisions replayed {doc.result.replayed}" in text
    pack = decider.library.packs[OCAD]
    assert f"Packs added {pack.title} ( {OCAD} )" in text
    assert f"Confidence: {pack.confidence} " in text
    assert all(rule.ref.citation in text for rule in pack.rules)  # every rule's citation
    assert [r.id for r in doc.rules if r.change == "added"] == [f"{OCAD}/dhs-databases"]
    assert f"checkpoint of {log.size()} entries" in text and "Built on 2026-01-05" in text


def test_the_report_of_a_repeal_as_of_another_day(log: DecisionLog) -> None:  # noqa: F811
    decider = default_decider()
    q = ReplayQuestion(profile="chicago", start=dt.date(2021, 1, 1), end=dt.date(2021, 1, 31),
                       remove=("il-trust-2017",), as_of=dt.date(2021, 6, 1))
    doc = document_of(q, run_replay(log, decider, q), decider.library)
    text = text_of(render_html(doc))
    title = decider.library.packs["il-trust-2017"].title
    assert "after: the rules in force on 2021-06-01" in text
    assert f"without {title} ( il-trust-2017 )" in text and "Packs removed" in text
    assert "--remove-pack il-trust-2017 --as-of 2021-06-01 --json" in text
