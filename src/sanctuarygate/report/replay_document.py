"""A replay as a document: the question asked, the report, and the council-ready PDF.

:class:`ReplayQuestion` is what the CLI and the staff page both ask (parsed from text, each
bad value an :class:`InputError` naming its field), :func:`run_replay` runs it through
:func:`~sanctuarygate.report.replay.replay`, and :class:`ReplayDocument` holds what a reader
needs beside the counts: the place, the packs added and removed with their sources, rules and
confidence tags, the rules responsible with their citations, and the log checkpoint read.
:func:`render_html` fills ``templates/replay_council.html``, which ``report/pdf.py`` prints
(:func:`replay_pdf`, :func:`write_replay_pdf`).

>>> q = ReplayQuestion.parse(profile="chicago", start="2025-01-01", end="2025-12-31",
...                          add=["ocad-proposed-eo-2019"])
>>> q.days, q.as_of
(365, None)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain.decision import RuleRef
from sanctuarygate.errors import InputError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.policy.pack import Pack
from sanctuarygate.report.pdf import TEMPLATES, html_to_pdf, render_document, write_pdf
from sanctuarygate.report.replay import Replay, replay

__all__ = ["ReplayDocument", "ReplayQuestion", "ResponsibleRule", "document_of",
           "example_words", "render_html", "replay_pdf", "run_replay", "write_replay_pdf"]

TEMPLATE = "replay_council.html"

#: The confidence tags of packs and rules, in words (``packs/`` manifests: C, P or U).
CONFIDENCE = {"C": "confirmed in the source text", "P": "partly confirmed",
              "U": "unconfirmed: check the official text"}
#: Outcomes in a council's words.
OUTCOME_WORDS = {"allow": "allowed", "allow-with-conditions": "allowed with conditions",
                 "deny": "refused", "review": "sent to a person"}



@dataclass(frozen=True, slots=True)
class ReplayQuestion:
    """What to replay: a place, a range of request dates, and the change (packs added,
    packs removed, another day's law)."""

    profile: str
    start: dt.date
    end: dt.date
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    as_of: dt.date | None = None

    @classmethod
    def parse(cls, *, profile: str, start: str, end: str, add: Iterable[str] = (),
              remove: Iterable[str] = (), as_of: str | None = None,
              names: dict[str, str] | None = None) -> ReplayQuestion:
        """The question from text (a form's or the command line's). ``names`` maps the fields
        (``profile``, ``start``, ``end``, ``as_of``) to what the caller calls them, for the
        error (default: the CLI's options). Blank pack names are ignored."""
        called = {"profile": "--profile", "start": "--from", "end": "--to",
                  "as_of": "--as-of", **(names or {})}
        if not profile.strip():
            raise InputError("give a place (e.g. chicago)", field=called["profile"])
        return cls(profile.strip(), _day(start, called["start"]), _day(end, called["end"]),
                   _packs(add), _packs(remove),
                   _day(as_of, called["as_of"]) if as_of and as_of.strip() else None)

    @property
    def days(self) -> int:
        """How many days the range holds (both ends included)."""
        return (self.end - self.start).days + 1


def run_replay(log: DecisionLog, decider: Decider, question: ReplayQuestion, *,
               max_days: int | None = None, max_decisions: int | None = None) -> Replay:
    """:func:`~sanctuarygate.report.replay.replay` for ``question`` (the log verified first;
    nothing written), bounded by ``max_days`` and ``max_decisions`` when given."""
    return replay(log, decider, profile=question.profile, start=question.start,
                  end=question.end, add=question.add, remove=question.remove,
                  as_of=question.as_of, max_days=max_days, max_decisions=max_decisions)


@dataclass(frozen=True, slots=True)
class ResponsibleRule:
    """A rule that newly decides (``added``) or no longer decides (``dropped``) moved requests."""

    id: str
    change: str
    count: int
    citation: str
    summary: str
    confidence: str
    pack: str


@dataclass(frozen=True, slots=True)
class ReplayDocument:
    """Everything the page and the PDF show for one replay."""

    question: ReplayQuestion
    result: Replay
    place: str
    added: tuple[Pack, ...]
    removed: tuple[Pack, ...]
    rules: tuple[ResponsibleRule, ...]
    built_on: dt.date

    @property
    def changed(self) -> int:
        return sum(self.result.moved.values())

    @property
    def unchanged(self) -> int:
        return sum(self.result.unchanged.values())

    @property
    def moves(self) -> list[tuple[str, str, int]]:
        """(before, after, count), the largest first."""
        return sorted(((a, b, n) for (a, b), n in self.result.moved.items()),
                      key=lambda m: (-m[2], m[0], m[1]))

    @property
    def by_agency_action(self) -> list[tuple[str, str, str, str, int]]:
        """(agency, action, before, after, count), by agency and action."""
        return [(*key, n) for key, n in sorted(self.result.by_agency_action.items())]

    @property
    def examples(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(before, after, example) for every example kept, by move."""
        return [(a, b, ex) for (a, b), kept in sorted(self.result.examples.items())
                for ex in kept]

    def summary(self) -> list[str]:
        """The report in plain sentences (English; the staff page has its own translations)."""
        r = self.result
        lines = [f"Of {r.replayed} logged decisions replayed, {self.changed} would have been "
                 f"answered differently and {self.unchanged} the same."]
        lines += [f"{n} {'request' if n == 1 else 'requests'} {OUTCOME_WORDS.get(a, a)} would "
                  f"have been {OUTCOME_WORDS.get(b, b)}." for a, b, n in self.moves]
        if r.skipped_what_if:
            lines.append(f"{r.skipped_what_if} logged what-if answers were not replayed.")
        if r.differs_from_logged:
            lines.append(f"{r.differs_from_logged} requests get a different answer today than "
                         "the one logged even before any change (facts the log does not hold, "
                         "or rules edited since).")
        return lines


def document_of(question: ReplayQuestion, result: Replay, library: PolicyLibrary, *,
                built_on: dt.date | None = None) -> ReplayDocument:
    """The document of a replay already run (``library``: for pack and rule citations)."""
    profile = library.profile(question.profile)
    rules = []
    for key, count in sorted(result.rules.items(), key=lambda kv: (-kv[1], kv[0])):
        rid = key[2:]
        ref = _rule(library, rid, profile.default)
        rules.append(ResponsibleRule(rid, "added" if key[0] == "+" else "dropped", count,
                                     ref.citation if ref else "", ref.summary if ref else "",
                                     ref.confidence if ref else "", ref.pack if ref else ""))
    return ReplayDocument(question, result, profile.title,
                          tuple(library.packs[p] for p in question.add),
                          tuple(library.packs[p] for p in question.remove), tuple(rules),
                          built_on or dt.date.today())


def _rule(library: PolicyLibrary, rid: str, default: RuleRef | None) -> RuleRef | None:
    found = library.rules.get(rid)
    if found is not None:
        return found.ref
    return default if default is not None and default.id == rid else None


def render_html(document: ReplayDocument) -> str:
    """The council report as one HTML page (what the PDF prints)."""
    return render_document(TEMPLATE, d=document, q=document.question, r=document.result,
                           confidence=CONFIDENCE, words=OUTCOME_WORDS,
                           example_words=example_words)


def replay_pdf(document: ReplayDocument) -> bytes:
    """The council report as PDF bytes."""
    return html_to_pdf(render_html(document), base_url=str(TEMPLATES))


def write_replay_pdf(document: ReplayDocument, out: Path) -> Path:
    """Print the council report to ``out`` (written whole or not at all)."""
    return write_pdf(render_html(document), out, base_url=str(TEMPLATES))


def _day(text: str | None, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        raise InputError(f"{text!r} is not a date (YYYY-MM-DD)", field=field) from None


def _packs(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.strip() for n in names if n and n.strip()))


def example_words(example: dict[str, Any]) -> Sequence[str]:
    """An example request class as short phrases: who, what, about what, purpose, document,
    date.

    >>> example_words({"log_index": 0, "request": {"principal": {"agency": "FBI"},
    ...     "action": "query-dataset", "resource_type": "Dataset", "resource_id": "cpd-arrests",
    ...     "purpose": "criminal-investigation", "document_kind": "none", "date": "2025-03-10"}})
    ['FBI', 'query-dataset', 'Dataset cpd-arrests', 'criminal-investigation', 'none', '2025-03-10']
    """
    asked = example["request"]
    principal = asked.get("principal") or {}
    who = next(iter(principal.values()), "?") if isinstance(principal, dict) else str(principal)
    about = asked.get("resource_type", "")
    detail = asked.get("resource_id") or asked.get("resource_kind") or ""
    return [str(who), str(asked.get("action", "")), f"{about} {detail}".strip(),
            str(asked.get("purpose", "")), str(asked.get("document_kind", "")),
            str(asked.get("date", ""))]
