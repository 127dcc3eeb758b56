"""Typed constructors for requests: build a :class:`Request` in code, not a dict to parse.

``parse_request`` reads the scenario-case format that people write (a request file, a form, a
JSON body). Code that asks the rules itself (the gateway, custody, property, the policy tools)
builds the value directly, with keyword arguments that say what they are::

    ask(profile="chicago", date=day, agency="ICE-ERO", action="notify-release",
        about=person(in_custody=True), purpose="civil-immigration-enforcement")

The words are checked against the vocabulary as the parser checks them, naming the argument
of any error (an :class:`InputError`). Agency, dataset and field ids are checked by the decider,
against the directory and the catalog, as for a parsed request.

>>> from sanctuarygate.domain.request import parse_request
>>> asked = ask(profile="illinois", date=dt.date(2024, 2, 1), agency="ice-ero",
...             action="honor-detainer", about=person(in_custody=True),
...             purpose="civil-immigration-enforcement", document="detainer", verified=True)
>>> asked == parse_request(asked.to_dict())
True
>>> ask(profile="chicago", date=dt.date(2025, 1, 1), agency="FBI", action="fly",
...     about=person())
Traceback (most recent call last):
...
sanctuarygate.errors.InputError: action: 'fly' is not in the vocabulary
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal, TypeAlias

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.domain.request import UNKNOWN, Context, Document, Fact, Principal, Request, Resource
from sanctuarygate.errors import InputError

__all__ = ["ask", "dataset", "field", "person", "premises", "resource"]

#: A fact that is True, False or not known.
Tristate: TypeAlias = bool | Literal["unknown"]


def ask(*, profile: str, date: dt.date, action: str, about: Resource,
        agency: str | None = None, employee: str | None = None,
        purpose: str = UNKNOWN, document: str = "none", verified: Tristate | None = None,
        form: str | None = None, attachments: Iterable[str] = (),
        onward_recipients: Iterable[str] = (), channel: str | None = None,
        use: str | None = None, assistance: str | None = None,
        truth_act_notice_given: Tristate | None = None,
        extra_packs: Iterable[str] = ()) -> Request:
    """A request by an ``agency`` (or by an ``employee`` of a city department) to take
    ``action`` ``about`` a resource. A document whose ``verified`` is not given is ``unknown``
    (``none`` is never verified), as in the scenario format.

    >>> r = ask(profile="chicago", date=dt.date(2025, 11, 3), employee="cpd",
    ...         action="query-dataset", about=dataset("CPD-ARRESTS"), channel="data-platform")
    >>> r.principal.label, r.resource, r.context.document.verified
    ('CPD employee', Resource(type='Dataset', facts=(('id', 'CPD-ARRESTS'),)), False)
    """
    if (agency is None) == (employee is None):
        raise InputError("give an agency or an employee's department, not both",
                         field="principal")
    principal = (Principal("agency", _id(agency, "agency")) if agency is not None
                 else Principal("employee", _id(employee, "employee")))
    _word(action, "action", voc.ACTIONS)
    kind = _word(document, "document", voc.DOCUMENT_KINDS)
    checked: Tristate = False
    if kind != "none":
        checked = UNKNOWN if verified is None else _tristate(verified, "verified")
    doc = Document(kind, checked,
                   None if form is None else _id(form, "form"),
                   tuple(sorted(_word(a, "attachments", voc.DOCUMENT_KINDS) for a in attachments)))
    notice = (None if truth_act_notice_given is None
              else _tristate(truth_act_notice_given, "truth_act_notice_given"))
    context = Context(
        purpose=_word(purpose, "purpose", voc.PURPOSES), document=doc,
        onward_recipients=tuple(sorted({_id(a, "onward_recipients") for a in onward_recipients})),
        channel=_optional(channel, "channel", voc.CHANNELS),
        use=_optional(use, "use", voc.PROPERTY_USES),
        assistance=_optional(assistance, "assistance", voc.ASSISTANCE_KINDS),
        truth_act_notice_given=notice)
    return Request(profile, date, principal, action, about, context, tuple(extra_packs))


def resource(type: str, **facts: Fact) -> Resource:
    """What a request is about: a resource type and its stated facts (a boolean fact may be
    ``"unknown"``). :func:`person`, :func:`dataset`, :func:`field` and :func:`premises` are
    this for the common types.

    >>> resource("Agreement", kind="287g")
    Resource(type='Agreement', facts=(('kind', '287g'),))
    """
    _word(type, "about", voc.RESOURCE_TYPES)
    known = voc.RESOURCE_FACTS[type]
    out: list[tuple[str, Fact]] = []
    for name in sorted(facts):
        value = facts[name]
        if name not in known:
            raise InputError(f"{type} has no fact {name!r} (known: {', '.join(sorted(known))})",
                             field=name)
        if known[name] is bool:
            out.append((name, _tristate(value, name)))
        elif not isinstance(value, str) or not value.strip():
            raise InputError(f"must be text, got {value!r}", field=name)
        else:
            out.append((name, value.strip()))
    vocabularies = {("Property", "kind"): voc.PROPERTY_KINDS,
                    ("Property", "owner"): voc.PROPERTY_OWNERS,
                    ("Agreement", "kind"): voc.AGREEMENT_KINDS}
    for name, value in out:
        vocabulary = vocabularies.get((type, name))
        if vocabulary is not None:
            _word(value, name, vocabulary)
    return Resource(type, tuple(out))


def person(**facts: Tristate) -> Resource:
    """A person, with the facts known about them (each True, False or ``"unknown"``).

    >>> person(in_custody=True, has_detainer="unknown").facts
    (('has_detainer', 'unknown'), ('in_custody', True))
    >>> person(is_tall=True)
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: is_tall: Person has no fact 'is_tall' (known: ...)
    """
    return resource("Person", **facts)


def dataset(id: str) -> Resource:
    """A dataset of the catalog, by id (checked by the decider)."""
    return resource("Dataset", id=id)


def field(dataset: str, id: str) -> Resource:
    """One field (column) of a dataset of the catalog.

    >>> field("CPD-ARRESTS", "race").facts
    (('dataset', 'CPD-ARRESTS'), ('id', 'race'))
    """
    return resource("Field", dataset=dataset, id=id)


def premises(kind: str, *, owner: str | None = None, id: str | None = None,
             leased: Tristate | None = None) -> Resource:
    """City property (a garage, a lot, a building ...), who owns it and whether it is leased.

    >>> premises("garage", owner="city").facts
    (('kind', 'garage'), ('owner', 'city'))
    """
    facts: dict[str, Fact] = {"kind": kind}
    for name, value in (("owner", owner), ("id", id), ("leased", leased)):
        if value is not None:
            facts[name] = value
    return resource("Property", **facts)


def _word(value: object, name: str, vocabulary: frozenset[str]) -> str:
    if not isinstance(value, str) or value not in vocabulary:
        raise InputError(f"{value!r} is not in the vocabulary", field=name)
    return value


def _optional(value: str | None, name: str, vocabulary: frozenset[str]) -> str | None:
    return None if value is None else _word(value, name, vocabulary)


def _id(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"must be text, got {value!r}", field=name)
    return value.strip().upper()


def _tristate(value: object, name: str) -> Tristate:
    if isinstance(value, bool):
        return value
    if value == UNKNOWN:
        return UNKNOWN
    raise InputError(f"must be true, false or unknown, got {value!r}", field=name)
