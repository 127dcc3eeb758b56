"""Loading packs: a pack without citation, summary, dates or valid Cedar fails to load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sanctuarygate.errors import PolicyLoadError
from sanctuarygate.policy.default import default_library
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.policy.pack import parse_obligations

RULE = '''@id("il-kifta-287g/5b-287g")
@citation("P.A. 101-0019 §5(b)")
@summary("No 287(g).")
forbid (principal, action == Action::"enter-agreement", resource);
'''


def _write_rules(packs: Path, text: str) -> None:
    (packs / "il-kifta-287g" / "rules.cedar").write_text(text, encoding="utf-8")


def test_shipped_packs_load_with_citations(dates: dict[str, dt.date], packs_copy: Path) -> None:
    lib = PolicyLibrary.load(packs_copy, dates)
    assert len(lib.packs) >= 15
    for rule in lib.rules.values():
        assert rule.ref.citation and rule.ref.summary and rule.ref.confidence in "CPU"
        assert rule.ref.id.startswith(rule.ref.pack + "/")
    kinds = {p.kind for p in lib.packs.values()}
    assert kinds == {"statute", "ordinance", "resolution", "executive-order", "directive",
                     "proposal"}


@pytest.mark.parametrize("missing", ["@citation", "@summary", "@id"])
def test_rule_without_annotation_fails(missing: str, dates: dict[str, dt.date],
                                       packs_copy: Path) -> None:
    text = "\n".join(line for line in RULE.splitlines() if not line.startswith(missing))
    _write_rules(packs_copy, text)
    with pytest.raises(PolicyLoadError, match=missing.lstrip("@") if missing != "@id" else "@id"):
        PolicyLibrary.load(packs_copy, dates)


@pytest.mark.parametrize(("text", "match"), [
    (RULE.replace("@summary", "@mood"), "unknown annotation"),
    (RULE.replace('"il-kifta-287g/5b-287g"', '"other/5b"'), "must start with"),
    (RULE.replace("forbid (", '@outcome("review")\nforbid ('), "forbid rule"),
    (RULE.replace('resource);', 'resource) when { context.nonsense };'), "schema"),
    (RULE.replace('resource);', 'resource'), "parse"),
    ('@id("il-kifta-287g/x")\n@citation("c")\n@summary("s")\n@obligations("hug=1")\n'
     'permit (principal, action, resource);', "obligation kind"),
    ("", "no rules"),
    (RULE.replace('resource);', 'resource) when { context.resource has gang_database && '
                  'context.resource.gang_database };'), "a fact of the person's record"),
    (RULE.replace("@summary", '@public_id("il-kifta-287g/5")\n@summary'), "go together"),
    (RULE.replace("@summary", '@public_id("other/5")\n@public_citation("x")\n@summary'),
     "@public_id must start with"),
])
def test_bad_rules_fail_to_load(text: str, match: str, dates: dict[str, dt.date],
                                packs_copy: Path) -> None:
    _write_rules(packs_copy, text)
    with pytest.raises(PolicyLoadError, match=match):
        PolicyLibrary.load(packs_copy, dates)


@pytest.mark.parametrize(("old", "new", "match"), [
    ("kind: statute", "kind: rumour", "kind must be"),
    ("confidence: P", "confidence: X", "confidence"),
    # the 287(g) ban's effective day is a setting (unconfirmed), so the pack is at most P
    ("confidence: P", "confidence: C", "higher than P: its effective date is unconfirmed"),
    ("id: il-kifta-287g", "id: something-else", "folder name"),
    ("{setting: kifta_effective}", "{setting: no_such_date}", "unknown setting"),
    ("{setting: kifta_effective}", "null", "effective_from is required"),
    ("effective_until: null", "effective_until: 2001-01-01", "after effective_from"),
])
def test_bad_manifest_fails_to_load(old: str, new: str, match: str,
                                    dates: dict[str, dt.date], packs_copy: Path) -> None:
    manifest = packs_copy / "il-kifta-287g" / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert old in text
    manifest.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(PolicyLoadError, match=match):
        PolicyLibrary.load(packs_copy, dates)


def test_unconfirmed_dates_come_from_settings(dates: dict[str, dt.date], packs_copy: Path) -> None:
    moved = {**dates, "o2021_117_effective": dt.date(2021, 2, 23)}
    lib = PolicyLibrary.load(packs_copy, moved)
    assert lib.packs["chi-wco-2021"].effective_from == dt.date(2021, 2, 23)
    assert lib.packs["chi-wco-2012"].effective_until == dt.date(2021, 2, 23)
    assert lib.packs["chi-wco-2012"].in_force(dt.date(2021, 2, 22))
    assert not lib.packs["chi-wco-2012"].in_force(dt.date(2021, 2, 23))


def test_profile_naming_a_proposal_fails(dates: dict[str, dt.date], packs_copy: Path) -> None:
    profiles = packs_copy / "profiles.yaml"
    profiles.write_text(profiles.read_text().replace("packs: [nyc-9-131]",
                                                     "packs: [nyc-9-131, ocad-proposed-eo-2019]"))
    with pytest.raises(PolicyLoadError, match="proposal"):
        PolicyLibrary.load(packs_copy, dates)


@pytest.mark.parametrize(("old", "new", "match"), [
    ("keepers: [WAUKEGAN-PD]", "keepers: [WAUKEGAN-PD, CPD]", "keeper CPD is already served by chicago"),
    ("keepers: [WAUKEGAN-PD]", "keepers: [WAUKEGAN-PD, GOTHAM-PD]", "unknown keeper agency"),
])
def test_bad_keepers_fail(old: str, new: str, match: str, dates: dict[str, dt.date],
                          packs_copy: Path) -> None:
    """A keeper is served by one place only: a Waukegan gateway cannot answer for CPD data
    under Waukegan's rules."""
    profiles = packs_copy / "profiles.yaml"
    assert old in profiles.read_text()
    profiles.write_text(profiles.read_text().replace(old, new))
    with pytest.raises(PolicyLoadError, match=match):
        PolicyLibrary.load(packs_copy, dates)


def test_profile_cycle_fails(dates: dict[str, dt.date], packs_copy: Path) -> None:
    profiles = packs_copy / "profiles.yaml"
    profiles.write_text(profiles.read_text().replace("packs: [il-trust-2017,",
                                                     "includes: [chicago]\n    packs: [il-trust-2017,"))
    with pytest.raises(PolicyLoadError, match="cycle"):
        PolicyLibrary.load(packs_copy, dates)


def test_parse_obligations() -> None:
    obs = parse_obligations("mask-fields=immigration, citizenship; no-notice-to-immigration", "r")
    assert [(o.kind, o.values) for o in obs] == [
        ("mask-fields", ("immigration", "citizenship")), ("no-notice-to-immigration", ())]


def test_rules_know_their_action_scope_and_context_reads() -> None:
    """verify.py reduces the request space with these; read from Cedar's JSON policy form."""
    rules = default_library().rules
    cut_off = rules["chi-cpd-db-2019/ice-cut-off"]
    assert cut_off.read.actions == {"query-dataset", "grant-database-access", "read-field"}
    assert cut_off.read.context_reads == {"channel", "purpose", "document"}
    release = rules["il-trust-2021/15h7-onward"]
    assert "notify-release" in (release.read.actions or ()) and release.read.context_reads >= {
        "onward_civil_immigration", "document"}


def test_manifest_no_more_certain_than_its_least_certain_rule(
        dates: dict[str, dt.date], packs_copy: Path) -> None:
    manifest = packs_copy / "cook-46-37" / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "confidence: P", "confidence: C"), encoding="utf-8")
    with pytest.raises(PolicyLoadError, match="higher than P: a rule is less certain"):
        PolicyLibrary.load(packs_copy, dates)
