"""A request put to the city, as a value: who asks, for what, about what, with which document.

The input format is the scenario-case format of ``../shared/legal/scenarios.yaml``::

    profile: chicago
    date: 2025-11-03
    principal: {agency: ICE-ERO}
    action: notify-release
    resource: {type: Person, in_custody: true}
    context: {purpose: civil-immigration-enforcement, document: {kind: none}}

``parse_request`` turns such a mapping into a :class:`Request`. It reads every field before it
gives up, so that all problems are reported at once, each naming its field.
A fact may be ``unknown``; a document whose ``verified`` is not stated is ``unknown`` too.
A scenario file's own keys (``id``, ``expect``, ``note``) are not part of a request: the
scenario runner strips them (``policy.scenario.case_request``), and the parser refuses them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal, TypeVar

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.domain.advice import N_, Text
from sanctuarygate.errors import FieldErrors, InputError

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

    def __reduce__(self) -> tuple[type[Request], tuple[Any, ...]]:
        """Pickle the fields only: the cached hash is this process's (string hashes are salted
        per process), so an unpickled request computes its own.

        >>> import pickle
        >>> r = parse_request({"profile": "chicago", "date": "2025-01-01",
        ...     "principal": {"agency": "FBI"}, "action": "detain", "resource": {"type": "Person"}})
        >>> "_hash" in pickle.dumps(r).decode("latin-1"), pickle.loads(pickle.dumps(r)) == r
        (False, True)
        """
        return (Request, (self.profile, self.date, self.principal, self.action, self.resource,
                          self.context, self.extra_packs))

    def what_if(self, today: dt.date) -> tuple[str, ...]:
        """Why the answer is a what-if rather than the law in force today, as reasons:
        ``extra_packs`` (packs added by the caller: a proposal, a draft) and ``date`` (the law
        on another day than ``today``). Empty for a question about the law in force today. A
        what-if is shown as HYPOTHETICAL and never recorded. The caller says what today is
        (in the city's time zone): the domain never reads the clock.

        >>> r = parse_request({"profile": "chicago", "date": "2019-05-01",
        ...     "principal": {"agency": "ICE-ERO"}, "action": "honor-detainer",
        ...     "resource": {"type": "Person"}})
        >>> r.what_if(dt.date(2019, 5, 1)), r.what_if(dt.date(2026, 12, 2))
        ((), ('date',))
        """
        reasons = []
        if self.extra_packs:
            reasons.append("extra_packs")
        if self.date != today:
            reasons.append("date")
        return tuple(reasons)

    def is_hypothetical(self, today: dt.date) -> bool:
        """True for a what-if (see :meth:`what_if`): never recorded."""
        return bool(self.what_if(today))

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

    Every field is read: one problem raises :class:`InputError` naming its field, several raise
    :class:`FieldErrors` (an InputError) listing each. Nothing missing or outside the
    vocabulary is ever defaulted. Agency ids are checked later, against the directory.

    >>> parse_request({"profile": "chicago", "date": "2025-01-01", "principal": {"agency": "FBI"},
    ...                "action": "deport", "resource": {"type": "Person"}})
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: action: 'deport' is not one of: ...
    >>> try:
    ...     parse_request({"profile": "chicago", "date": "2025-13-01"})
    ... except FieldErrors as exc:
    ...     [field for field, _ in exc.field_errors]
    ['date', 'principal', 'action', 'resource']
    """
    if not isinstance(data, Mapping):
        raise InputError("a request must be a mapping of fields")
    allowed = {"profile", "date", "principal", "action", "resource", "context", "extra_packs"}
    found = _Found()
    extra = sorted(set(data) - allowed)
    if extra:
        found.errors.append(InputError(Text(N_("unexpected field(s): {names}"),
                                            names=", ".join(map(str, extra)))))
    profile = found.read(lambda: _text(data.get("profile"), "profile"), "")
    date = found.read(lambda: _date(data.get("date"), "date"), dt.date.min)
    principal = found.read(lambda: _principal(data.get("principal")), Principal("agency", ""))
    action = found.read(lambda: _word(data.get("action"), "action", voc.ACTIONS), "")
    resource = found.read(lambda: _resource(data.get("resource")), Resource(""))
    stated = data.get("context")  # absent or null: no context; false or [] is an error
    context = found.read(lambda: _context({} if stated is None else stated), Context())
    packs: list[Any] = found.read(lambda: _list(data.get("extra_packs"), "extra_packs"), [])
    extra_packs = tuple(found.read(partial(_text, p, "extra_packs"), "") for p in packs)
    found.raise_any()
    return Request(profile, date, principal, action, resource, context, extra_packs)


_T = TypeVar("_T")


class _Found:
    """The errors found so far while reading a request: each field is read even when an
    earlier one failed, and all are raised together at the end."""

    def __init__(self) -> None:
        self.errors: list[InputError] = []

    def read(self, parse: Callable[[], _T], placeholder: _T) -> _T:
        """``parse()``, or ``placeholder`` (never used in a Request) when it fails."""
        try:
            return parse()
        except FieldErrors as exc:
            self.errors.extend(exc.errors)
        except InputError as exc:
            self.errors.append(exc)
        return placeholder

    def raise_any(self) -> None:
        """Raise the one error found as itself, several as :class:`FieldErrors`."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise FieldErrors(self.errors)


def _text(value: Any, name: str) -> str:
    if value is None or value == "":
        raise InputError(Text(N_("is required")), field=name)
    if not isinstance(value, str):
        raise InputError(Text(N_("must be text, got {value}"), value=repr(value)), field=name)
    return value.strip()


def _word(value: Any, name: str, vocabulary: frozenset[str]) -> str:
    text = _text(value, name)
    if text not in vocabulary:
        raise InputError(Text(N_("{value} is not one of: {choices}"), value=repr(text),
                              choices=", ".join(sorted(vocabulary))), field=name)
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
        raise InputError(Text(N_("{value} is not a date (YYYY-MM-DD)"), value=repr(text)),
                         field=name) from None


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InputError(Text(N_("must be a list, got {value}"), value=repr(value)), field=name)
    return list(value)


def _tristate(value: Any, name: str) -> bool | Literal["unknown"]:
    if isinstance(value, bool):
        return value
    if value == UNKNOWN:
        return UNKNOWN
    raise InputError(Text(N_("must be true, false or unknown, got {value}"), value=repr(value)),
                     field=name)


def _principal(value: Any) -> Principal:
    if not isinstance(value, Mapping) or len(value) != 1:
        raise InputError(Text(N_("must be {{agency: ID}} or {{employee: DEPARTMENT-ID}}")),
                         field="principal")
    ((kind, ident),) = value.items()
    if kind not in ("agency", "employee"):
        raise InputError(Text(N_("must say agency or employee, not {value}"), value=repr(kind)),
                         field="principal")
    return Principal(kind, _text(ident, f"principal.{kind}").upper())


def _resource(value: Any) -> Resource:
    if not isinstance(value, Mapping):
        raise InputError(Text(N_("must be a mapping with a type")), field="resource")
    rtype = _word(value.get("type"), "resource.type", voc.RESOURCE_TYPES)
    known = voc.RESOURCE_FACTS[rtype]
    found = _Found()
    facts: list[tuple[str, Fact]] = []
    for key in sorted(value, key=str):
        if key == "type":
            continue
        name = f"resource.{key}"
        if key not in known:
            found.errors.append(InputError(Text(
                N_("{kind} has no fact {name} (known: {names})"), kind=rtype, name=repr(key),
                names=", ".join(sorted(known))), field=name))
            continue
        read: Callable[[Any, str], Fact] = _tristate if known[key] is bool else _text
        fact: Fact | None = found.read(partial(read, value[key], name), None)
        if fact is not None:
            facts.append((key, fact))
    res = Resource(rtype, tuple(facts))
    for key, vocab in (("kind", _resource_kinds(rtype)), ("owner", voc.PROPERTY_OWNERS)):
        stated = res.get(key)
        if vocab and isinstance(stated, str) and stated not in vocab:
            found.errors.append(InputError(
                Text(N_("{value} is not one of: {choices}"), value=repr(stated),
                     choices=", ".join(sorted(vocab))), field=f"resource.{key}"))
    found.raise_any()
    return res


def _resource_kinds(rtype: str) -> frozenset[str]:
    kinds: dict[str, frozenset[str]] = {"Property": voc.PROPERTY_KINDS,
                                        "Agreement": voc.AGREEMENT_KINDS}
    return kinds.get(rtype, frozenset())


def parse_document(value: Any) -> Document:
    """A request's document (``context.document`` of the scenario-case format), read as
    :func:`parse_request` reads it: errors name ``context.document.*``.

    >>> parse_document({"kind": "judicial-warrant", "verified": True}).verified
    True
    >>> parse_document({"kind": "none"}).verified, parse_document({"kind": "detainer"}).verified
    (False, 'unknown')
    """
    return _document(value)


def _document(value: Any) -> Document:
    if value is None:
        return Document()
    if not isinstance(value, Mapping):
        raise InputError(Text(N_("must be a mapping with a kind")), field="context.document")
    found = _Found()
    unknown = sorted(set(value) - {"kind", "verified", "form", "attachments"}, key=str)
    if unknown:
        found.errors.append(InputError(Text(N_("unexpected field(s): {names}"),
                                            names=", ".join(map(str, unknown))), field="context.document"))
    kind = found.read(lambda: _word(value.get("kind", "none"), "context.document.kind",
                                    voc.DOCUMENT_KINDS), "none")
    stated: bool | Literal["unknown"] = UNKNOWN
    if "verified" in value:  # read even for kind none, where it is then False
        stated = found.read(lambda: _tristate(value["verified"], "context.document.verified"),
                            stated)
    verified: bool | Literal["unknown"] = False if kind == "none" else stated
    form = value.get("form")
    if form is not None:
        form = found.read(lambda: _text(form, "context.document.form").upper(), None)
    listed: list[Any] = found.read(
        lambda: _list(value.get("attachments"), "context.document.attachments"), [])
    attachments = [found.read(partial(_word, a, "context.document.attachments",
                                      voc.DOCUMENT_KINDS), "") for a in listed]
    found.raise_any()
    return Document(kind, verified, form, tuple(sorted(attachments)))


def _context(value: Any) -> Context:
    if not isinstance(value, Mapping):
        raise InputError(Text(N_("must be a mapping")), field="context")
    known = {"purpose", "document", "onward_recipients", "channel", "use", "assistance",
             "truth_act_notice_given"}
    found = _Found()
    unknown = sorted(set(value) - known, key=str)
    if unknown:
        found.errors.append(InputError(Text(N_("unexpected field(s): {names}"),
                                            names=", ".join(map(str, unknown))), field="context"))
    purpose = found.read(lambda: _word(value.get("purpose", UNKNOWN), "context.purpose",
                                       voc.PURPOSES), str(UNKNOWN))
    listed: list[Any] = found.read(lambda: _list(value.get("onward_recipients"),
                                                 "context.onward_recipients"), [])
    onward = tuple(sorted({found.read(partial(_text, a, "context.onward_recipients"), "").upper()
                           for a in listed}))
    optional: dict[str, str | None] = {}
    for name, vocab in (("channel", voc.CHANNELS), ("use", voc.PROPERTY_USES),
                        ("assistance", voc.ASSISTANCE_KINDS)):
        raw = value.get(name)
        optional[name] = None if raw is None else found.read(
            partial(_word, raw, f"context.{name}", vocab), None)
    notice = value.get("truth_act_notice_given")
    document = found.read(lambda: _document(value.get("document")), Document())
    notice_given = None if notice is None else found.read(
        lambda: _tristate(notice, "context.truth_act_notice_given"), None)
    found.raise_any()
    return Context(
        purpose=purpose,
        document=document,
        onward_recipients=onward,
        channel=optional["channel"],
        use=optional["use"],
        assistance=optional["assistance"],
        truth_act_notice_given=notice_given,
    )
