"""The log's entry kinds: the bytes of every kind as written before they were typed (so logs
already written stay verifiable), and one owner of the storage append."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanctuarygate.audit import entries as E
from sanctuarygate.audit.entry import decision_entry, person_hash
from sanctuarygate.audit.merkle import leaf_hash
from sanctuarygate.domain.decision import Decision, Obligation, PackRef, RuleRef
from sanctuarygate.domain.request import parse_request

SRC = Path(__file__).resolve().parents[2] / "src" / "sanctuarygate"
AT = dt.datetime(2025, 11, 3, 9, 30, 0, 123456, tzinfo=dt.UTC)
RULES = (RuleRef("il-trust-2021.15a-detainer", "5 ILCS 805/15(a)", "No holds.", "forbid",
                 "il-trust-2021", "C"),)
OBLIGATIONS = (Obligation("mask-fields", ("citizenship", "birthplace"), "r1"),
               Obligation("no-onward-sharing", ("DHS",), "r2"))
PACKS = (PackRef("il-trust-2021", "2021-06-09", "sha256:ab12"),)

PERSON = parse_request({
    "profile": "illinois", "date": "2024-02-01", "principal": {"agency": "ICE-ERO"},
    "action": "honor-detainer", "resource": {"type": "Person", "in_custody": True},
    "context": {"purpose": "civil-immigration-enforcement",
                "document": {"kind": "detainer", "verified": "unknown"},
                "onward_recipients": ["CBP"]}})
DATASET = parse_request({
    "profile": "chicago", "date": "2025-11-03", "principal": {"agency": "FBI"},
    "action": "query-dataset", "resource": {"type": "Dataset", "id": "cpd-arrests"},
    "extra_packs": ["ocad-proposed-eo-2019"],
    "context": {"purpose": "criminal-investigation", "document": {"kind": "none"}}})
PLACE = parse_request({
    "profile": "chicago", "date": "2025-11-03", "principal": {"agency": "ICE-ERO"},
    "action": "use-property",
    "resource": {"type": "Property", "kind": "garage", "owner": "city", "id": "lot-7"},
    "context": {"purpose": "civil-immigration-enforcement",
                "document": {"kind": "judicial-warrant", "verified": True}}})


def _query(**changes: object) -> E.QueryEntry:
    values: dict[str, object] = dict(
        status="released", at=AT, agency="FBI", key_id="0a1b2c3d", dataset="cpd-arrests",
        purpose="criminal-investigation", document_kind="none", onward_recipients=["DEA"],
        released=["charge", "arrest_date"], withheld=["citizenship"],
        filters=[{"field": "charge", "op": "prefix", "value": "BURG"}],
        row_rules=[{"field": "status", "op": "in", "value": ["served", "recalled"], "rule": "r3"},
                   {"field": "closed_on", "op": "is-null", "value": None, "rule": "r4"}],
        decision=Decision("allow-with-conditions", rules=RULES, packs=PACKS),
        terms=OBLIGATIONS, watermark_key="abcdef012345")
    values.update(changes)
    return E.QueryEntry.of(**values)  # type: ignore[arg-type]


KEY = {"time": AT, "key_id": "0a1b2c3d", "agency": "FBI"}

#: Each kind's bytes exactly as the code before the typed kinds wrote them (captured from it).
WRITTEN: list[tuple[str, E.LogEntry, bytes]] = [
    ("decision about a person", E.DecisionEntry.of(
        PERSON, Decision("review", rules=RULES, obligations=OBLIGATIONS, packs=PACKS,
                         unresolved_facts=("document.verified",)),
        actor="desk", at=AT, subject="hmac-sha256:" + "0" * 64),
     b'{"actor":"desk","kind":"decision","obligations":[{"kind":"mask-fields","values":["citizenship","birthplace"]},{"kind":"no-onward-sharing","values":["DHS"]}],"outcome":"review","packs":[{"digest":"sha256:ab12","id":"il-trust-2021","version":"2021-06-09"}],"request":{"action":"honor-detainer","date":"2024-02-01","document_kind":"detainer","document_verified":"unknown","onward_recipients":["CBP"],"principal":{"agency":"ICE-ERO"},"profile":"illinois","purpose":"civil-immigration-enforcement","resource_type":"Person"},"rules":[{"citation":"5 ILCS 805/15(a)","id":"il-trust-2021.15a-detainer"}],"subject":"hmac-sha256:0000000000000000000000000000000000000000000000000000000000000000","time":"2025-11-03T09:30:00.123456Z","unresolved_facts":["document.verified"],"v":1}'),  # noqa: E501
    ("decision on a dataset, what-if", E.DecisionEntry.of(
        DATASET, Decision("deny"), actor="api", at=AT.replace(microsecond=0)),
     b'{"actor":"api","kind":"decision","obligations":[],"outcome":"deny","packs":[],"request":{"action":"query-dataset","date":"2025-11-03","document_kind":"none","document_verified":false,"extra_packs":["ocad-proposed-eo-2019"],"onward_recipients":[],"principal":{"agency":"FBI"},"profile":"chicago","purpose":"criminal-investigation","resource_id":"cpd-arrests","resource_type":"Dataset"},"rules":[],"time":"2025-11-03T09:30:00Z","unresolved_facts":[],"v":1}'),
    ("decision on a place", E.DecisionEntry.of(PLACE, Decision("deny"), actor="desk", at=AT),
     b'{"actor":"desk","kind":"decision","obligations":[],"outcome":"deny","packs":[],"request":{"action":"use-property","date":"2025-11-03","document_kind":"judicial-warrant","document_verified":true,"onward_recipients":[],"principal":{"agency":"ICE-ERO"},"profile":"chicago","purpose":"civil-immigration-enforcement","resource_id":"lot-7","resource_kind":"garage","resource_owner":"city","resource_type":"Property"},"rules":[],"time":"2025-11-03T09:30:00.123456Z","unresolved_facts":[],"v":1}'),
    ("query released", _query(),
     b'{"agency":"FBI","dataset":"cpd-arrests","document_kind":"none","filters":[{"field":"charge","op":"prefix"}],"key_id":"0a1b2c3d","kind":"query","onward_recipients":["DEA"],"outcome":"allow-with-conditions","packs":[{"digest":"sha256:ab12","id":"il-trust-2021","version":"2021-06-09"}],"purpose":"criminal-investigation","released":["charge","arrest_date"],"row_rules":[{"field":"status","op":"in","rule":"r3","value":["served","recalled"]},{"field":"closed_on","op":"is-null","rule":"r4","value":null}],"rules":[{"citation":"5 ILCS 805/15(a)","id":"il-trust-2021.15a-detainer"}],"status":"released","terms":[{"kind":"mask-fields","rule":"r1","values":["citizenship","birthplace"]},{"kind":"no-onward-sharing","rule":"r2","values":["DHS"]}],"time":"2025-11-03T09:30:00.123456Z","v":1,"watermark_key":"abcdef012345","withheld":["citizenship"]}'),  # noqa: E501
    ("query refused", _query(
        status="refused", agency="ICE-ERO", key_id="0a1b2c3e", purpose="unknown",
        onward_recipients=[], released=[], withheld=[], filters=[], row_rules=[], terms=[],
        decision=Decision("deny", rules=RULES, packs=PACKS), watermark_key=None),
     b'{"agency":"ICE-ERO","dataset":"cpd-arrests","document_kind":"none","filters":[],"key_id":"0a1b2c3e","kind":"query","onward_recipients":[],"outcome":"deny","packs":[{"digest":"sha256:ab12","id":"il-trust-2021","version":"2021-06-09"}],"purpose":"unknown","released":[],"row_rules":[],"rules":[{"citation":"5 ILCS 805/15(a)","id":"il-trust-2021.15a-detainer"}],"status":"refused","terms":[],"time":"2025-11-03T09:30:00.123456Z","v":1,"watermark_key":null,"withheld":[]}'),  # noqa: E501
    ("query complete", E.QueryCompleteEntry(query=7, rows=100),
     b'{"kind":"query-complete","query":7,"rows":100,"v":1}'),
    ("query error", E.QueryErrorEntry(query=7, rows=10, error="OperationalError"),
     b'{"error":"OperationalError","kind":"query-error","query":7,"rows":10,"v":1}'),
    ("auth failed", E.AuthFailedEntry(time=AT, reason="revoked", what="POST /api/v1/query",
                                      key_id="0a1b2c3d"),
     b'{"key_id":"0a1b2c3d","kind":"auth-failed","reason":"revoked",'
     b'"time":"2025-11-03T09:30:00.123456Z","v":1,"what":"POST /api/v1/query"}'),
    ("query aborted", E.QueryAbortedEntry(query=7, rows=1000),
     b'{"kind":"query-aborted","query":7,"rows":1000,"v":1}'),
    ("query rejected", E.QueryEntry.rejected(at=AT, agency="ICE-ERO", key_id="0a1b2c3e",
                                             error="UnknownDatasetError", error_field="dataset"),
     b'{"agency":"ICE-ERO","dataset":"(unknown)","document_kind":"(unknown)","error":"UnknownDatasetError","error_field":"dataset","filters":[],"key_id":"0a1b2c3e","kind":"query","onward_recipients":[],"outcome":"rejected","packs":[],"purpose":"(unknown)","released":[],"row_rules":[],"rules":[],"status":"rejected","terms":[],"time":"2025-11-03T09:30:00.123456Z","v":1,"watermark_key":null,"withheld":[]}'),
    ("key issue", E.KeyIssueEntry(**KEY),  # type: ignore[arg-type]
     b'{"agency":"FBI","key_id":"0a1b2c3d","kind":"key-issue","time":"2025-11-03T09:30:00.123456Z","v":1}'),
    ("key revoke", E.KeyRevokeEntry(**KEY),  # type: ignore[arg-type]
     b'{"agency":"FBI","key_id":"0a1b2c3d","kind":"key-revoke","time":"2025-11-03T09:30:00.123456Z","v":1}'),
    ("key use", E.KeyUseEntry(**KEY, what="POST /api/v1/query"),  # type: ignore[arg-type]
     b'{"agency":"FBI","key_id":"0a1b2c3d","kind":"key-use","time":"2025-11-03T09:30:00.123456Z","v":1,"what":"POST /api/v1/query"}'),  # noqa: E501
    ("log key", E.LogKeyEntry(time=KEY["time"], old_key="a+00000001+AQ", new_key="a+00000002+AQ"),  # type: ignore[arg-type]
     b'{"kind":"log-key","new_key":"a+00000002+AQ","old_key":"a+00000001+AQ","time":"2025-11-03T09:30:00.123456Z","v":1}'),
    ("exception", E.ExceptionEntry(time=AT, actor="staff:s-0a1b2c3d", case=3, decision=41,
                                   rules_outcome="deny", outcome="allow", conditions=(),
                                   clause="Emergency order 3", expires=AT, needs_second=True),
     b'{"actor":"staff:s-0a1b2c3d","case":3,"clause":"Emergency order 3","conditions":[],"decision":41,"expires":"2025-11-03T09:30:00.123456Z","kind":"exception","needs_second":true,"outcome":"allow","rules_outcome":"deny","time":"2025-11-03T09:30:00.123456Z","v":1}'),  # noqa: E501
    ("exception approval", E.ExceptionApprovalEntry(time=AT, actor="staff:s-0a1b2c3e", case=3,
                                                    exception=42),
     b'{"actor":"staff:s-0a1b2c3e","case":3,"exception":42,"kind":"exception-approval","time":"2025-11-03T09:30:00.123456Z","v":1}'),
    ("review", E.ReviewEntry(time=AT, actor="staff:s-0a1b2c3d", case=3, decision=41,
                             outcome="allow-with-conditions", conditions=("no-onward-sharing",),
                             clause="5 ILCS 805/15(a)"),
     b'{"actor":"staff:s-0a1b2c3d","case":3,"clause":"5 ILCS 805/15(a)","conditions":["no-onward-sharing"],"decision":41,"kind":"review","outcome":"allow-with-conditions","time":"2025-11-03T09:30:00.123456Z","v":1}'),  # noqa: E501
]


@pytest.mark.parametrize(("name", "entry", "written"), WRITTEN, ids=[w[0] for w in WRITTEN])
def test_every_kind_writes_the_bytes_it_always_wrote(name: str, entry: E.LogEntry,
                                                     written: bytes) -> None:
    assert E.encode(entry) == written
    assert leaf_hash(written) == hashlib.sha256(b"\x00" + written).digest()


def test_every_registered_kind_has_written_bytes_above() -> None:
    assert {type(entry).KIND for _, entry, _ in WRITTEN} == set(E.KINDS)


def test_the_old_decision_entry_name_gives_the_same_object() -> None:
    _, entry, written = WRITTEN[0]
    assert isinstance(entry, E.DecisionEntry)
    old = decision_entry(PERSON, Decision("review", rules=RULES, obligations=OBLIGATIONS,
                                          packs=PACKS, unresolved_facts=("document.verified",)),
                         actor="desk", at=AT, subject="hmac-sha256:" + "0" * 64)
    assert old == json.loads(written)


def test_a_subject_must_be_a_keyed_hash() -> None:
    with pytest.raises(ValueError, match="keyed hash"):
        E.DecisionEntry.of(PERSON, Decision("deny"), actor="desk", at=AT, subject="booking 123")
    hashed = person_hash(b"k" * 32, "booking 123")
    body = E.encode(E.DecisionEntry.of(PERSON, Decision("deny"), actor="desk", at=AT,
                                       subject=hashed))
    assert b"booking" not in body and hashed.encode() in body


def test_a_person_resource_never_leaves_its_facts_or_ids() -> None:
    asked = parse_request({"profile": "illinois", "date": "2024-02-01",
                           "principal": {"agency": "ICE-ERO"}, "action": "honor-detainer",
                           "resource": {"type": "Person", "gang_database": True, "minor": False}})
    body = E.encode(E.DecisionEntry.of(asked, Decision("deny"), actor="desk", at=AT))
    assert b"gang_database" not in body and b"minor" not in body


@given(st.text(max_size=40))
def test_a_filter_value_never_enters_a_query_entry(value: str) -> None:
    entry = _query(filters=[{"field": "charge", "op": "eq", "value": "\x1f" + value + "\x1e"}])
    assert "\x1f" not in E.encode(entry).decode()
    assert entry.filters == (E.FilterShape("charge", "eq"),)


def test_an_unregistered_class_is_not_written() -> None:
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Stray(E.LogEntry):
        KIND = "stray"
        VERSION = 1

    with pytest.raises(TypeError, match="not a registered entry kind"):
        E.encode(Stray())


def test_a_kind_is_registered_once() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        E.kind(E.KeyUseEntry)


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError, match="floats"):
        E.canonical_json({"a": [1.5]})
    with pytest.raises(TypeError, match="cannot hold a float"):
        E.encode(E.QueryCompleteEntry(query=1, rows=1.5))  # type: ignore[arg-type]


#: The append: the tree's (``audit.tree``) and the storage steps it calls (``store.log``).
_APPENDS = {"sanctuarygate.audit.tree": ("append", "append_many", "append_held"),
            "sanctuarygate.store.log": ("lock_head", "insert_entries", "write_held")}


def _calls_to_append(path: Path) -> list[int]:
    """Lines where ``path`` imports or calls the append (``audit.tree.append*``) or its storage
    steps (``store.log.lock_head``, ``insert_entries``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {n for found in _APPENDS.values() for n in found}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in _APPENDS:
            if any(a.name in _APPENDS[node.module] for a in node.names):
                lines.append(node.lineno)
        elif (isinstance(node, ast.Attribute) and node.attr in names
              and isinstance(node.value, ast.Name)
              and node.value.id in ("store", "stored", "log_store", "tree")):
            lines.append(node.lineno)
    return lines


def test_only_the_audit_package_calls_the_storage_append() -> None:
    callers = {str(p.relative_to(SRC)): lines for p in sorted(SRC.rglob("*.py"))
               if (lines := _calls_to_append(p)) and p.parent.name != "audit"}
    assert callers == {}
    assert _calls_to_append(SRC / "audit" / "record.py")  # the check sees the ones that do
    assert _calls_to_append(SRC / "audit" / "tree.py")
