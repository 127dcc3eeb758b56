"""A public entry does not say which fact of the person's record decided (REFERENCE: no
status, no record facts in the log): rules that read such a fact are logged by their section."""

from __future__ import annotations

import datetime as dt

from sanctuarygate.audit.entries import DecisionEntry, encode
from sanctuarygate.domain.request import parse_request
from sanctuarygate.policy.default import default_decider, default_library
from sanctuarygate.policy.pack import PERSON_RECORD_FACTS


def _entry(resource: dict[str, object]) -> bytes:
    request = parse_request({
        "profile": "chicago", "date": "2019-05-01", "principal": {"agency": "ICE-ERO"},
        "action": "notify-release", "resource": {"type": "Person", "in_custody": True, **resource},
        "context": {"purpose": "civil-immigration-enforcement", "document": {"kind": "none"}}})
    decision = default_decider().decide(request)
    return encode(DecisionEntry.of(request, decision, actor="staff:s-00000001",
                                   at=dt.datetime(2019, 5, 1, tzinfo=dt.UTC)))


def test_which_carve_out_applied_is_not_published() -> None:
    gang = _entry({"gang_database": True})
    felony = _entry({"felony_conviction": True})
    for body in (gang, felony):
        assert b'"outcome":"allow"' in body
        assert b"gang" not in body and b"felony" not in body and b"042c" not in body
        assert b'"id":"chi-wco-2012/2-173-042"' in body
    # Both carve-outs are published alike: the entry cannot tell them apart.
    assert gang == felony


def test_every_rule_reading_a_record_fact_has_a_public_reference() -> None:
    reading = [rule for pack in default_library().packs.values() for rule in pack.rules
               if rule.read.context_paths & PERSON_RECORD_FACTS]
    assert len(reading) >= 10  # the carve-outs, detainers, convictions of the shipped packs
    assert all(r.ref.public_id and r.ref.public_citation for r in reading)
