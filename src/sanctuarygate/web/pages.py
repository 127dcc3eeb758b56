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
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.domain.advice import FACT_QUESTIONS, N_, Text, obligation_text, what_if_banner
from sanctuarygate.domain.intake import FIELDS as INTAKE_FIELDS
from sanctuarygate.domain.intake import Intake, parse_intake
from sanctuarygate.domain.property import property_id_of, with_registry
from sanctuarygate.domain.request import parse_request
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.errors import InputError, SanctuaryGateError, UnknownAgencyError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.review.queue import record_and_queue
from sanctuarygate.store.property import get_property
from sanctuarygate.web import i18n, labels, session, staff_nav
from sanctuarygate.web.api import DeciderDep
from sanctuarygate.web.log_api import LogDep
from sanctuarygate.web.problem import Problem, cut, problem_for
from sanctuarygate.web.property_pick import property_choices
from sanctuarygate.web.signin import current_member
from sanctuarygate.web.signin_guard import Caller, DeskGuard
from sanctuarygate.web.signin_roles import RECORD_DECISION, may
from sanctuarygate.web.state import SettingsDep

router = APIRouter(include_in_schema=False)

TEMPLATE_DIR = Path(__file__).parent / "templates"
DEFAULT_PROFILE = "chicago"

templates = Jinja2Templates(directory=TEMPLATE_DIR,
                            context_processors=[i18n.template_context, session.session_context,
                                                staff_nav.staff_context])
i18n.install(templates.env)
templates.env.globals.update(
    label=labels.label, labels=labels,
    fact_questions=FACT_QUESTIONS, fact_questions_asked=labels.FACT_QUESTION_LABELS,
)

_TRISTATE: dict[str, bool | str] = {"true": True, "false": False, "unknown": "unknown"}

#: Request fields (as errors name them) -> the form input that sets them, and its label.
FIELD_INPUTS: dict[str, tuple[str, str]] = {
    "profile": ("profile", N_("Place")),
    "date": ("date", N_("Date")),
    "principal": ("agency", N_("Who is asking")),
    "principal.agency": ("agency", N_("Agency")),
    "principal.employee": ("agency", N_("Department")),
    "action": ("action", N_("What they ask")),
    "context.purpose": ("purpose", N_("Why (purpose)")),
    "resource": ("resource_type", N_("About what")),
    "resource.type": ("resource_type", N_("About what")),
    "resource.in_custody": ("in_custody", N_("In our custody?")),
    "resource.id": ("dataset", N_("Database")),
    "resource.dataset": ("dataset", N_("Database")),
    "resource.kind": ("property_kind", N_("Kind of property or agreement")),
    "resource.owner": ("property_owner", N_("Owner of the property")),
    "resource.leased": ("leased", N_("Leased to someone else?")),
    "resource.property_id": ("property_id", N_("Which property (city registry)")),
    "context.use": ("use", N_("What the property is for")),
    "context.assistance": ("assistance", N_("What help")),
    "context.onward_recipients": ("onward_recipients", N_("Goes on to another agency")),
    "context.truth_act_notice_given": ("truth_act_notice_given", N_("TRUTH Act notice")),
    "context.document.kind": ("document_kind", N_("Document shown")),
    "context.document.verified": ("verified", N_("Has the document been checked?")),
    "context.document.attachments": ("attachment", N_("Anything attached")),
    "case.asked_by": ("case_asked_by", N_("Agent's name or badge, as told")),
    "case.contact": ("case_contact", N_("Their phone or e-mail")),
    "case.person_ref": ("case_person_ref", N_("Our reference for the person")),
    "case.document_verified_by": ("case_document_verified_by", N_("Document verified by")),
    "case.document_checked_at": ("case_document_checked_at", N_("Verified when")),
    **{f"resource.{name}": (name, N_("About the person"))
       for name in ("has_detainer", "outstanding_criminal_warrant", "felony_conviction",
                    "pending_felony_charge", "gang_database", "violent_conviction_within_5_years",
                    "watch_list_match", "posted_bond", "minor")},
}

#: Problem titles a page may show (``errors.py``, ``web/problem.py``), for the catalog.
PROBLEM_TITLES = (N_("Invalid request"), N_("Unknown agency"), N_("Unknown profile"),
                  N_("Unknown dataset"), N_("Dataset not served here"), N_("Not Found"),
                  N_("Internal error"), N_("Request Entity Too Large"), N_("Content Too Large"),
                  N_("The policy engine could not decide"), N_("Not authenticated"),
                  N_("Forbidden"))


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
    #: A property of the city's registry (its facts come from there).
    property_id: str = ""
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
    # For the case (domain/intake.py): kept in the city's case when the answer is a review,
    # never in the public log.
    case_asked_by: str = ""
    case_contact: str = ""
    case_person_ref: str = ""
    case_document_verified_by: str = ""
    case_document_checked_at: str = ""

    def intake(self, zone: dt.tzinfo) -> Intake:
        """The form's "for the case" fields, read by ``parse_intake`` (errors name
        ``case.*``, which :data:`FIELD_INPUTS` links to the inputs)."""
        return parse_intake({name: getattr(self, f"case_{name}") for name in INTAKE_FIELDS},
                            zone=zone)

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
                         "leased": self._tristate("leased"), "property_id": self.property_id},
            "Facility": {"property_id": self.property_id},
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
        if self.property_id:  # a registered property: a Property where it can be one
            return next((k for k in ("Property", "Facility") if k in kinds), "")
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
def desk(request: Request, decider: DeciderDep, settings: SettingsDep, log: LogDep) -> Response:
    """The empty desk form: place Chicago, date today (the city's)."""
    form = DeskForm(date=settings.today().isoformat())
    return templates.TemplateResponse(
        request, "desk.html", _desk_context(decider, form, current_member(request), log))


@router.post("/decide", response_class=HTMLResponse)
def decide(request: Request, decider: DeciderDep, log: LogDep, settings: SettingsDep,
           caller: Annotated[Caller, Depends(DeskGuard(RECORD_DECISION))],
           form: Annotated[DeskForm, Form()]) -> Response:
    """Decide the form's request; record the answer in the public log when a signed-in desk
    officer (or reviewer) asks to (``mode=record``), its actor their account. A try
    (``mode=try``, or nobody signed in) is answered and marked NOT RECORDED. The whole page
    without JS, the card alone for htmx."""
    answer: dict[str, Any]
    try:
        form = _with_agency_resolved(form, decider)
        asked = parse_request(ask_every_fact(form.to_mapping(), decider))
        found = None
        picked = property_id_of(asked)
        if picked is not None:  # the registry's facts, or a clear error (never decided)
            with log.engine.connect() as conn:
                found = get_property(conn, picked)
            asked = with_registry(asked, found)
        told = form.intake(ZoneInfo(settings.timezone))  # for the case only, never the log
        decision = decider.decide(asked)
        place = decider.library.profiles[asked.profile].title  # decide checked the profile
        # A what-if (another day than today) is answered under a banner and never recorded.
        reasons = asked.what_if(settings.today())
        index = case_id = None
        if caller.record and caller.member is not None and not reasons:
            # A review opens a case in the review queue, with its log entry.
            recorded = record_and_queue(log, asked, decision, actor=caller.member.actor,
                                        source="desk", intake=told)
            index, case_id = recorded.log_index, recorded.case_id
        words = condition_words(decider, i18n.catalog(i18n.language_of(request)).gettext)
        answer = {"asked": asked, "decision": decision, "place": place, "log_index": index,
                  "property": found,
                  "case_id": case_id,
                  "tried": not caller.record,
                  "banner": what_if_banner(reasons, asked.date.isoformat()) if reasons else None,
                  "condition_text": partial(obligation_text, words=words)}
        status = 200
    except InputError as exc:
        answer = _input_problem(exc, decider, form)
        status = answer["problem"].status
    if "HX-Request" in request.headers:
        return templates.TemplateResponse(request, "_answer.html", answer, status_code=status,
                                          headers=CARD_HEADERS)
    context = {**_desk_context(decider, form, caller.member, log), **answer}
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


def _input_problem(exc: InputError, decider: Decider, form: DeskForm | None = None
                   ) -> dict[str, Any]:
    """The card's context for bad input: every problem at once, each naming the form's field
    in the form's words (``field_errors``, linked to its input, which is marked invalid), and
    likely agencies when the agency is not known."""
    problem = problem_for(exc)
    pairs = list(exc.field_errors)
    suggestions = []
    if isinstance(exc, UnknownAgencyError):
        suggestions = decider.library.directory.search(exc.agency_id, limit=5)
    elif form is not None and not any((f or "").startswith("principal") for f, _ in pairs):
        # Reading the request stopped before the agency was looked up: look it up now, so
        # that an unknown agency is listed with the other problems.
        typed = (form.agency_pick or form.agency).strip().upper()
        if typed and form.principal_kind == "agency" and typed not in decider.library.directory:
            pairs.insert(1 if pairs and pairs[0][0] in ("profile", "date") else 0,
                         ("principal.agency", _unknown_agency(typed)))
            suggestions = decider.library.directory.search(typed, limit=5)
    if isinstance(exc, UnknownAgencyError):
        pairs = [(f, _unknown_agency(exc.agency_id)) if f == exc.field else (f, m)
                 for f, m in pairs]
    errors = []
    for number, (field, message) in enumerate(pairs, start=1):
        input_name, field_label = FIELD_INPUTS.get(field or "", ("", field or ""))
        errors.append({"id": f"error-{number}", "input": input_name, "label": field_label,
                       "message": cut(message)})
    invalid: dict[str, list[str]] = {}
    for error in errors:
        if error["input"]:
            invalid.setdefault(error["input"], []).append(error["id"])
    return {"problem": problem, "field_errors": errors, "suggestions": suggestions,
            "invalid": {name: " ".join(ids) for name, ids in invalid.items()}}


def _unknown_agency(agency_id: str) -> Text:
    return Text(N_("unknown agency id {agency}"), agency=repr(cut(agency_id, 100)))


def condition_words(decider: Decider, gettext: Callable[[str], str] = str) -> dict[str, str]:
    """The words a condition's values are shown in: purposes as the desk says them (in the
    page's language, through ``gettext``), agency ids as their names (the ids go in brackets,
    for the record)."""
    agencies = {a.id: f"{a.name} ({a.id})" for a in decider.library.directory}
    return {**agencies, **{k: gettext(v) for k, v in labels.PURPOSE_LABELS.items()}}


def _desk_context(decider: Decider, form: DeskForm, member: StaffMember | None = None,
                  log: DecisionLog | None = None) -> dict[str, Any]:
    library = decider.library
    return {
        "registry": property_choices(log.engine, library) if log is not None else [],
        "form": form,
        "member": member,
        "may_record": may(member, RECORD_DECISION),
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
        # in_custody is asked beside "it is about"; the other boolean facts of a person here
        "person_facts": [n for n, t in voc.RESOURCE_FACTS["Person"].items()
                         if t is bool and n != "in_custody"],
        "assistance_kinds": labels.choices(labels.ASSISTANCE_LABELS, voc.ASSISTANCE_KINDS),
        "action_types": {a: sorted(t) for a, t in sorted(voc.ACTION_RESOURCES.items())},
    }
