"""The desk page: a form for the officer facing an agent, and a cited answer card.

Server-rendered (Jinja2) and usable without JavaScript: the form posts to ``/decide`` and the
whole page comes back with the card. With htmx loaded, the same form posts in the background
and only the card is swapped in (``HX-Request`` asks for the fragment). The agency box suggests
agencies from ``/desk/agencies`` as the officer types; without JS a full ``<datalist>`` serves.

Bad input is a card that says nothing was decided (422); it is never an allow.

>>> DeskForm(agency="ice-ero", action="honor-detainer", in_custody="true").to_mapping()["resource"]
{'type': 'Person', 'in_custody': True}
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.domain.advice import FACT_QUESTIONS, obligation_text
from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import InputError, SanctuaryGateError, UnknownAgencyError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.web import labels
from sanctuarygate.web.api import DeciderDep
from sanctuarygate.web.log_api import LogDep
from sanctuarygate.web.problem import Problem, cut, problem_for

router = APIRouter(include_in_schema=False)

TEMPLATE_DIR = Path(__file__).parent / "templates"
DEFAULT_PROFILE = "chicago"

templates = Jinja2Templates(directory=TEMPLATE_DIR)
templates.env.globals.update(
    label=labels.label, labels=labels,
    fact_questions=FACT_QUESTIONS,
)

_TRISTATE: dict[str, bool | str] = {"true": True, "false": False, "unknown": "unknown"}

#: Request fields (as errors name them) -> the form input that sets them, and its label.
FIELD_INPUTS: dict[str, tuple[str, str]] = {
    "profile": ("profile", "Place"),
    "date": ("date", "Date"),
    "principal": ("agency", "Who is asking"),
    "principal.agency": ("agency", "Agency"),
    "principal.employee": ("agency", "Department"),
    "action": ("action", "What they ask"),
    "context.purpose": ("purpose", "Why (purpose)"),
    "resource": ("resource_type", "About what"),
    "resource.type": ("resource_type", "About what"),
    "resource.in_custody": ("in_custody", "In our custody?"),
    "resource.id": ("dataset", "Database"),
    "resource.dataset": ("dataset", "Database"),
    "resource.kind": ("property_kind", "Kind of property or agreement"),
    "resource.owner": ("property_owner", "Owner of the property"),
    "context.use": ("use", "What the property is for"),
    "context.document.kind": ("document_kind", "Document shown"),
    "context.document.verified": ("verified", "Has the document been checked?"),
}


class DeskForm(BaseModel):
    """The desk form as the browser sends it: all text, a blank meaning "not stated"."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    profile: str = DEFAULT_PROFILE
    date: str = ""
    principal_kind: str = "agency"
    agency: str = ""
    #: A suggestion the officer clicked on the problem card (it wins over the agency box).
    agency_pick: str = ""
    action: str = ""
    purpose: str = "unknown"
    resource_type: str = ""
    in_custody: str = ""
    dataset: str = ""
    field_name: str = ""
    property_kind: str = ""
    property_owner: str = ""
    use: str = ""
    agreement_kind: str = ""
    document_kind: str = "none"
    verified: str = "unknown"
    attachment: str = ""
    assistance: str = ""
    onward_recipients: str = ""
    truth_act_notice_given: str = ""
    # The facts about a person or property (labels.FACT_QUESTION_LABELS); blank: not known.
    has_detainer: str = ""
    outstanding_criminal_warrant: str = ""
    felony_conviction: str = ""
    pending_felony_charge: str = ""
    gang_database: str = ""
    violent_conviction_within_5_years: str = ""
    watch_list_match: str = ""
    posted_bond: str = ""
    minor: str = ""
    leased: str = ""

    def to_mapping(self) -> dict[str, Any]:
        """The scenario-case mapping for ``parse_request``.

        Blanks are left out, so ``parse_request`` names what is missing. When the action can
        be about one kind of thing only, "about what" follows from it.
        """
        rtype = self.resource_type or self._inferred_resource()
        resource: dict[str, Any] = {"type": rtype} if rtype else {}
        by_type: dict[str, dict[str, Any]] = {
            "Person": {name: self._tristate(name) for name, kind
                       in voc.RESOURCE_FACTS["Person"].items() if kind is bool},
            "Dataset": {"id": self.dataset},
            "Field": {"dataset": self.dataset, "id": self.field_name},
            "Property": {"kind": self.property_kind, "owner": self.property_owner,
                         "leased": self._tristate("leased")},
            "Agreement": {"kind": self.agreement_kind},
        }
        facts = by_type.get(rtype, {})
        resource.update({k: v for k, v in facts.items() if v != ""})
        document: dict[str, Any] = {"kind": self.document_kind or "none"}
        if document["kind"] != "none":
            document["verified"] = _TRISTATE.get(self.verified, self.verified)
            if self.attachment:
                document["attachments"] = [self.attachment]
        context: dict[str, Any] = {"purpose": self.purpose or "unknown", "document": document}
        for name in ("use", "assistance"):
            if getattr(self, name):
                context[name] = getattr(self, name)
        if self.truth_act_notice_given:
            context["truth_act_notice_given"] = self._tristate("truth_act_notice_given")
        onward = [a.strip() for a in self.onward_recipients.split(",") if a.strip()]
        if onward:
            context["onward_recipients"] = onward
        return {"profile": self.profile, "date": self.date,
                "principal": {self.principal_kind: self.agency_pick or self.agency},
                "action": self.action,
                "resource": resource, "context": context}


    def _inferred_resource(self) -> str:
        """What the request is about when the officer did not say: the only kind the action
        can be about, else the kind whose fields were filled (property fields for a lot or
        garage, person facts for a person); blank when that does not settle it."""
        kinds = voc.ACTION_RESOURCES.get(self.action, frozenset())
        if len(kinds) == 1:
            return next(iter(kinds))
        filled = {
            "Property": any((self.property_kind, self.property_owner, self.use, self.leased)),
            "Person": any(getattr(self, n) for n, t in voc.RESOURCE_FACTS["Person"].items()
                          if t is bool),
        }
        found = [k for k in sorted(kinds) if filled.get(k)]
        return found[0] if len(found) == 1 else ""

    def _tristate(self, name: str) -> bool | str:
        value: str = getattr(self, name)
        return _TRISTATE.get(value, value)


def _with_agency_resolved(form: DeskForm, decider: Decider) -> DeskForm:
    """The agency box accepts common names and abbreviations ("Border Patrol", "HSI"): one that
    names exactly one agency is read as its id; anything else is left for decide to refuse."""
    typed = form.agency_pick or form.agency
    found = decider.library.directory.resolve(typed) if typed else None
    if found is None or found.id == typed:
        return form
    return form.model_copy(update={"agency": found.id, "agency_pick": ""})


def ask_every_fact(mapping: dict[str, Any], decider: Decider) -> dict[str, Any]:
    """Send each fact a rule in force reads for the action, and the officer left blank, as
    ``unknown``: a fact not asked is never dropped, so the engine decides it both ways. When the
    place, date or action is not valid yet, the mapping is left as it is (decide names the
    error)."""
    resource, context = mapping["resource"], mapping["context"]
    try:
        day = dt.date.fromisoformat(mapping["date"])
        packs = decider.library.packs_for(mapping["profile"], day)
    except (ValueError, TypeError, SanctuaryGateError):
        return mapping
    facts = voc.RESOURCE_FACTS.get(resource.get("type", ""), {})
    read = decider.library.facts_read(packs, mapping["action"])
    for path in read:
        name = path.removeprefix("resource.")
        if path.startswith("resource.") and facts.get(name) is bool and name not in resource:
            resource[name] = "unknown"
    if "truth_act_notice_given" in read:
        context.setdefault("truth_act_notice_given", "unknown")
    return mapping


#: Marks a response as one of our answer cards: the desk's script swaps these in whatever their
#: status, and shows NOT DECIDED for anything else (a proxy's 413 or 502, no connection).
CARD_HEADERS = {"X-Sanctuarygate-Card": "1"}


@router.get("/", response_class=HTMLResponse)
def desk(request: Request, decider: DeciderDep) -> Response:
    """The empty desk form: place Chicago, date today."""
    form = DeskForm(date=dt.date.today().isoformat())
    return templates.TemplateResponse(request, "desk.html", _desk_context(decider, form))


@router.post("/decide", response_class=HTMLResponse)
def decide(request: Request, decider: DeciderDep, log: LogDep,
           form: Annotated[DeskForm, Form()]) -> Response:
    """Decide the form's request and record the answer in the public log; the whole page
    without JS, the card alone for htmx."""
    answer: dict[str, Any]
    try:
        form = _with_agency_resolved(form, decider)
        asked = parse_request(ask_every_fact(form.to_mapping(), decider))
        decision = decider.decide(asked)
        place = decider.library.profiles[asked.profile].title  # decide checked the profile
        index = log.record(asked, decision, actor="desk")
        answer = {"asked": asked, "decision": decision, "place": place, "log_index": index,
                  "condition_text": partial(obligation_text, words=condition_words(decider))}
        status = 200
    except InputError as exc:
        answer = _input_problem(exc, decider)
        status = answer["problem"].status
    if "HX-Request" in request.headers:
        return templates.TemplateResponse(request, "_answer.html", answer, status_code=status,
                                          headers=CARD_HEADERS)
    context = {**_desk_context(decider, form), **answer}
    return templates.TemplateResponse(request, "desk.html", context, status_code=status)


@router.get("/decide", include_in_schema=False)
def decide_page() -> Response:
    """After a form post without JavaScript the address bar says /decide: going there again
    (a reload, a bookmark) goes back to the desk, never to an error."""
    return RedirectResponse("/", status_code=303)


@router.get("/desk/agencies", response_class=HTMLResponse)
def agency_options(request: Request, decider: DeciderDep, agency: str = "") -> Response:
    """The agency ``<datalist>``, narrowed to what the officer has typed (for htmx)."""
    found = decider.library.directory.search(agency[:100], limit=len(decider.library.directory))
    return templates.TemplateResponse(request, "_agencies.html", {"agencies": found})


def problem_page(request: Request, problem: Problem) -> Response:
    """Any problem on a page request: the card alone for htmx, else a page with the card."""
    fragment = "HX-Request" in request.headers
    return templates.TemplateResponse(request, "_answer.html" if fragment else "error.html",
                                      {"problem": problem}, status_code=problem.status,
                                      headers=CARD_HEADERS if fragment else None)


def _input_problem(exc: InputError, decider: Decider) -> dict[str, Any]:
    """The card's context for bad input: the field in plain words, and likely agencies."""
    problem = problem_for(exc)
    input_name, field_label = FIELD_INPUTS.get(exc.field or "", ("", ""))
    message = cut(str(exc).removeprefix(f"{exc.field}: ") if exc.field else str(exc))
    suggestions = []
    if isinstance(exc, UnknownAgencyError):
        suggestions = decider.library.directory.search(exc.agency_id, limit=5)
    return {"problem": problem, "input_name": input_name, "field_label": field_label,
            "message": message, "suggestions": suggestions}


def condition_words(decider: Decider) -> dict[str, str]:
    """The words a condition's values are shown in: purposes as the desk says them, agency ids
    as their names (the ids go in brackets, for the record)."""
    agencies = {a.id: f"{a.name} ({a.id})" for a in decider.library.directory}
    return {**agencies, **labels.PURPOSE_LABELS}


def _desk_context(decider: Decider, form: DeskForm) -> dict[str, Any]:
    library = decider.library
    return {
        "form": form,
        "profiles": list(library.profiles.values()),
        "agencies": list(library.directory),
        "datasets": list(library.catalog),
        "actions": labels.choices(labels.ACTION_LABELS, voc.ACTIONS),
        "purposes": labels.choices(labels.PURPOSE_LABELS, voc.PURPOSES),
        "documents": labels.choices(labels.DOCUMENT_LABELS, voc.DOCUMENT_KINDS),
        "resources": labels.choices(labels.RESOURCE_LABELS, voc.RESOURCE_TYPES),
        "property_kinds": labels.choices(labels.PROPERTY_KIND_LABELS, voc.PROPERTY_KINDS),
        "property_owners": labels.choices(labels.PROPERTY_OWNER_LABELS, voc.PROPERTY_OWNERS),
        "uses": labels.choices(labels.PROPERTY_USE_LABELS, voc.PROPERTY_USES),
        "agreement_kinds": labels.choices(labels.AGREEMENT_LABELS, voc.AGREEMENT_KINDS),
        "verified_choices": labels.choices(labels.VERIFIED_LABELS),
        "fact_choices": labels.choices(labels.FACT_LABELS),
        "fact_questions_asked": labels.FACT_QUESTION_LABELS,
        # in_custody is asked beside "it is about"; the other boolean facts of a person here
        "person_facts": [n for n, t in voc.RESOURCE_FACTS["Person"].items()
                         if t is bool and n != "in_custody"],
        "assistance_kinds": labels.choices(labels.ASSISTANCE_LABELS, voc.ASSISTANCE_KINDS),
        "action_types": {a: sorted(t) for a, t in sorted(voc.ACTION_RESOURCES.items())},
    }
