"""A request put to the city, as a value: who asks, for what, about what, with which document.

The input format is the scenario-case format of ``../shared/legal/scenarios.yaml``::

    profile: chicago
    date: 2025-11-03
    principal: {agency: ICE-ERO}
    action: notify-release
    resource: {type: Person, in_custody: true}
    context: {purpose: civil-immigration-enforcement, document: {kind: none}}

``parse_request`` turns such a mapping into a :class:`Request`, naming the field of any error.
A fact may be ``unknown``; a document whose ``verified`` is not stated is ``unknown`` too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.errors import InputError

UNKNOWN: Literal["unknown"] = "unknown"

#: A fact is a known value or the word ``unknown``.
Fact = bool | str


@dataclass(frozen=True, slots=True)
class Principal:
    """Who asks or acts: an outside agency, or an employee of a city department.

    >>> Principal("agency", "ICE-ERO").label
    'ICE-ERO'
    """

    kind: Literal["agency", "employee"]
    id: str

    @property
    def label(self) -> str:
        return self.id if self.kind == "agency" else f"{self.id} employee"


@dataclass(frozen=True, slots=True)
class Document:
    """The document presented. ``verified`` is True, False or ``"unknown"``."""

    kind: str = "none"
    verified: bool | Literal["unknown"] = False
    form: str | None = None
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Resource:
    """What the request is about: a type and its stated facts, sorted by name."""

    type: str
    facts: tuple[tuple[str, Fact], ...] = ()

    def get(self, name: str) -> Fact | None:
        for key, value in self.facts:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class Context:
    """Circumstances of the request."""

    purpose: str = "unknown"
    document: Document = field(default_factory=Document)
    onward_recipients: tuple[str, ...] = ()
    channel: str | None = None
    use: str | None = None
    assistance: str | None = None
    truth_act_notice_given: bool | Literal["unknown"] | None = None


@dataclass(frozen=True, eq=True)
class Request:
    """One request, hashable so that decisions can be cached by it.

    >>> r = parse_request({"profile": "illinois", "date": "2024-02-01",
    ...     "principal": {"agency": "ICE-ERO"}, "action": "honor-detainer",
    ...     "resource": {"type": "Person", "in_custody": True},
    ...     "context": {"purpose": "civil-immigration-enforcement",
    ...                 "document": {"kind": "detainer", "verified": True}}})
    >>> r.principal.id, r.action, r.context.document.kind
    ('ICE-ERO', 'honor-detainer', 'detainer')
    """

    profile: str
    date: dt.date
    principal: Principal
    action: str
    resource: Resource
    context: Context
    extra_packs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        key = (self.profile, self.date, self.principal, self.action, self.resource,
               self.context, self.extra_packs)
        object.__setattr__(self, "_hash", hash(key))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined,no-any-return]

    @property
    def hypothetical(self) -> bool:
        """A what-if: packs added by the caller (a proposal, a draft) make the answer one the
        law in force does not give; it is shown as HYPOTHETICAL and never recorded."""
        return bool(self.extra_packs)

    def unknown_facts(self) -> tuple[str, ...]:
        """Names of the facts stated as ``unknown``, in a fixed order: boolean facts are decided
        both ways, a purpose not known as each purpose it could be."""
        names = [f"resource.{k}" for k, v in self.resource.facts if v == UNKNOWN]
        if self.context.purpose == UNKNOWN:
            names.append("purpose")
        if self.context.document.verified == UNKNOWN:
            names.append("document.verified")
        if self.context.truth_act_notice_given == UNKNOWN:
            names.append("truth_act_notice_given")
        return tuple(names)

    def to_dict(self) -> dict[str, Any]:
        """The request in the scenario-case format (the inverse of :func:`parse_request`)."""
        doc = self.context.document
        document: dict[str, Any] = {"kind": doc.kind, "verified": doc.verified}
        if doc.form:
            document["form"] = doc.form
        if doc.attachments:
            document["attachments"] = list(doc.attachments)
        context: dict[str, Any] = {"purpose": self.context.purpose, "document": document}
        if self.context.onward_recipients:
            context["onward_recipients"] = list(self.context.onward_recipients)
        for name in ("channel", "use", "assistance", "truth_act_notice_given"):
            value = getattr(self.context, name)
            if value is not None:
                context[name] = value
        out: dict[str, Any] = {
            "profile": self.profile,
            "date": self.date.isoformat(),
            "principal": {self.principal.kind: self.principal.id},
            "action": self.action,
            "resource": {"type": self.resource.type, **dict(self.resource.facts)},
            "context": context,
        }
        if self.extra_packs:
            out["extra_packs"] = list(self.extra_packs)
        return out


def parse_request(data: Mapping[str, Any]) -> Request:
    """Validate a mapping in the scenario-case format and build a :class:`Request`.

    Raises :class:`InputError` naming the field when anything is missing or not in the
    vocabulary. Agency ids are checked later, against the directory.

    >>> parse_request({"profile": "chicago"})
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: date: is required
    """
    if not isinstance(data, Mapping):
        raise InputError("a request must be a mapping of fields")
    allowed = {"profile", "date", "principal", "action", "resource", "context", "extra_packs",
               "id", "expect", "note"}
    extra = sorted(set(data) - allowed)
    if extra:
        raise InputError(f"unexpected field(s): {', '.join(map(str, extra))}")
    profile = _text(data.get("profile"), "profile")
    date = _date(data.get("date"), "date")
    principal = _principal(data.get("principal"))
    action = _word(data.get("action"), "action", voc.ACTIONS)
    resource = _resource(data.get("resource"))
    context = _context(data.get("context") or {})
    extra_packs = tuple(_text(p, "extra_packs") for p in _list(data.get("extra_packs"),
                                                                 "extra_packs"))
    return Request(profile, date, principal, action, resource, context, extra_packs)


def _text(value: Any, name: str) -> str:
    if value is None or value == "":
        raise InputError("is required", field=name)
    if not isinstance(value, str):
        raise InputError(f"must be text, got {value!r}", field=name)
    return value.strip()


def _word(value: Any, name: str, vocabulary: frozenset[str]) -> str:
    text = _text(value, name)
    if text not in vocabulary:
        raise InputError(f"{text!r} is not one of: {', '.join(sorted(vocabulary))}", field=name)
    return text


def _date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value, name)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text!r} is not a date (YYYY-MM-DD)", field=name) from None


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InputError(f"must be a list, got {value!r}", field=name)
    return list(value)


def _tristate(value: Any, name: str) -> bool | Literal["unknown"]:
    if isinstance(value, bool):
        return value
    if value == UNKNOWN:
        return UNKNOWN
    raise InputError(f"must be true, false or unknown, got {value!r}", field=name)


def _principal(value: Any) -> Principal:
    if not isinstance(value, Mapping) or len(value) != 1:
        raise InputError("must be {agency: ID} or {employee: DEPARTMENT-ID}", field="principal")
    ((kind, ident),) = value.items()
    if kind not in ("agency", "employee"):
        raise InputError(f"must say agency or employee, not {kind!r}", field="principal")
    return Principal(kind, _text(ident, f"principal.{kind}").upper())


def _resource(value: Any) -> Resource:
    if not isinstance(value, Mapping):
        raise InputError("must be a mapping with a type", field="resource")
    rtype = _word(value.get("type"), "resource.type", voc.RESOURCE_TYPES)
    known = voc.RESOURCE_FACTS[rtype]
    facts: list[tuple[str, Fact]] = []
    for key in sorted(value):
        if key == "type":
            continue
        name = f"resource.{key}"
        if key not in known:
            raise InputError(f"{rtype} has no fact {key!r} (known: {', '.join(sorted(known))})",
                             field=name)
        raw = value[key]
        fact: Fact = _tristate(raw, name) if known[key] is bool else _text(raw, name)
        facts.append((key, fact))
    res = Resource(rtype, tuple(facts))
    for key, vocab in (("kind", _resource_kinds(rtype)), ("owner", voc.PROPERTY_OWNERS)):
        stated = res.get(key)
        if vocab and isinstance(stated, str) and stated not in vocab:
            raise InputError(f"{stated!r} is not one of: {', '.join(sorted(vocab))}",
                             field=f"resource.{key}")
    return res


def _resource_kinds(rtype: str) -> frozenset[str]:
    kinds: dict[str, frozenset[str]] = {"Property": voc.PROPERTY_KINDS,
                                        "Agreement": voc.AGREEMENT_KINDS}
    return kinds.get(rtype, frozenset())


def _document(value: Any) -> Document:
    if value is None:
        return Document()
    if not isinstance(value, Mapping):
        raise InputError("must be a mapping with a kind", field="context.document")
    unknown = sorted(set(value) - {"kind", "verified", "form", "attachments"})
    if unknown:
        raise InputError(f"unexpected field(s): {', '.join(unknown)}", field="context.document")
    kind = _word(value.get("kind", "none"), "context.document.kind", voc.DOCUMENT_KINDS)
    if kind == "none":
        verified: bool | Literal["unknown"] = False
    elif "verified" in value:
        verified = _tristate(value["verified"], "context.document.verified")
    else:
        verified = UNKNOWN
    form = value.get("form")
    if form is not None:
        form = _text(form, "context.document.form").upper()
    attachments = tuple(
        sorted(_word(a, "context.document.attachments", voc.DOCUMENT_KINDS)
               for a in _list(value.get("attachments"), "context.document.attachments")))
    return Document(kind, verified, form, attachments)


def _context(value: Any) -> Context:
    if not isinstance(value, Mapping):
        raise InputError("must be a mapping", field="context")
    known = {"purpose", "document", "onward_recipients", "channel", "use", "assistance",
             "truth_act_notice_given"}
    unknown = sorted(set(value) - known)
    if unknown:
        raise InputError(f"unexpected field(s): {', '.join(unknown)}", field="context")
    purpose = _word(value.get("purpose", "unknown"), "context.purpose", voc.PURPOSES)
    onward = tuple(sorted({_text(a, "context.onward_recipients").upper()
                           for a in _list(value.get("onward_recipients"),
                                          "context.onward_recipients")}))
    optional: dict[str, str | None] = {}
    for name, vocab in (("channel", voc.CHANNELS), ("use", voc.PROPERTY_USES),
                        ("assistance", voc.ASSISTANCE_KINDS)):
        raw = value.get(name)
        optional[name] = None if raw is None else _word(raw, f"context.{name}", vocab)
    notice = value.get("truth_act_notice_given")
    return Context(
        purpose=purpose,
        document=_document(value.get("document")),
        onward_recipients=onward,
        channel=optional["channel"],
        use=optional["use"],
        assistance=optional["assistance"],
        truth_act_notice_given=None if notice is None else _tristate(
            notice, "context.truth_act_notice_given"),
    )
