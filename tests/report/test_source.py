"""Counting the live log on from a kept tally: the same numbers as counting from zero, and a
log that does not extend the kept checkpoint is refused."""

from __future__ import annotations

import pytest

from sanctuarygate.audit.bundle import BundleError
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.report import Families
from sanctuarygate.report.source import Kept, log_entries, tally_log
from sanctuarygate.report.tally import tally

from .conftest import Built, fill


def _root(log: DecisionLog, size: int) -> bytes:
    with log.engine.connect() as conn:
        return log.reader.root(conn, size)[1]


@pytest.mark.parametrize("early", [11, 23])
def test_counting_on_equals_counting_from_zero(built: Built, families: Families,
                                               early: int) -> None:
    """Kept at 11 (among the decisions) or at 23: after the FBI's released query (entry 22),
    before the completion that adds its rows (entry 24), which must still find it."""
    log = built.log
    assert b'"status":"released"' in next(log_entries(log, start=22, size=23))
    kept = tally_log(log, families, size=early, root=_root(log, early))
    before = (kept.tally.entries, dict(kept.tally.decisions))
    fill(log)  # the same history again: its query completions name queries after ``early``
    size = log.size()
    grown = tally_log(log, families, size=size, root=_root(log, size), kept=kept)
    whole = tally(log_entries(log, size=size), families)
    assert grown.tally == whole and grown.size == size and whole.entries == size
    assert dict(whole.rows) == {("DOJ", "cpd-arrests"): 24}
    assert (kept.tally.entries, dict(kept.tally.decisions)) == before  # kept is not changed


def test_entries_are_read_from_where_the_kept_tally_ends(built: Built,
                                                         families: Families) -> None:
    log = built.log
    assert list(log_entries(log, start=25, size=27)) == \
        [e.body.encode() for e in log.entries(25, 27)]
    assert len(list(log_entries(log, start=3, step=2))) == log.size() - 3


def test_a_log_that_does_not_extend_the_kept_checkpoint_is_refused(built: Built,
                                                                   families: Families) -> None:
    log = built.log
    kept = tally_log(log, families, size=10, root=_root(log, 10))
    forged = Kept(kept.size, bytes(32), kept.tally)  # another history of the first 10
    with pytest.raises(BundleError, match="does not extend its earlier checkpoint of 10"):
        tally_log(log, families, size=log.size(), root=_root(log, log.size()), kept=forged)
