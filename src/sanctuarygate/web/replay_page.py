"""The what-if replay for signed-in staff (reviewers, auditors): a form, the report, a PDF.

- ``GET /replay``: the form (place, request dates, packs to add or remove, another day's law).
- ``POST /replay`` (CSRF): the replay (:func:`~sanctuarygate.report.replay_document.run_replay`,
  the CLI's own library call: the log verified first, nothing written) and its report on the
  page: answers moved between outcomes, by agency and action, the rules responsible, example
  requests (the log's request classes: no personal data).
- ``POST /replay/pdf`` (CSRF): the same replay as the council-ready PDF (``report/pdf.py``).

A bad value (a date that is no day, an unknown pack, no change, a range too long) is the form
again with the error and no report (422), never an earlier report. Each request is bounded by
the settings ``replay_max_days`` and ``replay_max_decisions``: a longer range is refused before
any decision is made, and a worker runs one replay at a time (another asked meanwhile is
answered 429 with ``Retry-After``, never queued). Works without JavaScript: plain forms, two
submit buttons.
"""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from sanctuarygate.domain.advice import N_
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.errors import SanctuaryGateError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.report.replay_document import (
    ReplayDocument,
    ReplayQuestion,
    document_of,
    example_words,
    replay_pdf,
    run_replay,
)
from sanctuarygate.settings import Settings
from sanctuarygate.web.case_guard import StaffPage
from sanctuarygate.web.pages import templates
from sanctuarygate.web.problem import Problem, cut, problem_for
from sanctuarygate.web.signin_roles import RUN_REPLAY
from sanctuarygate.web.state import DeciderDep, LogDep, SettingsDep

log = logging.getLogger("sanctuarygate.web")
router = APIRouter(include_in_schema=False)

SIGN_IN_FOR_REPLAY = N_("Sign in to replay the log's decisions under other rules.")
ROLE_MAY_NOT_REPLAY = N_("Your role may not replay the log's decisions: that needs the reviewer "
                         "or auditor role.")
#: The form's fields, as errors name them (the CLI's options -> the page's inputs).
FIELDS = {"profile": "profile", "start": "date_from", "end": "date_to", "as_of": "as_of"}
#: One replay at a time per worker: another asked meanwhile is answered 429, never queued.
BUSY = N_("Another replay is running on this server. Nothing was replayed: try again in a "
          "minute.")
RETRY_AFTER = 30
_SLOT_MADE = threading.Lock()
#: The form's inputs by the names errors give them (the page's or the CLI's), with their labels.
INPUTS = {"profile": ("profile", N_("Place")), "--profile": ("profile", N_("Place")),
          "date_from": ("date_from", N_("Requests dated from")),
          "--from": ("date_from", N_("Requests dated from")),
          "date_to": ("date_to", N_("Requests dated to")),
          "--to": ("date_to", N_("Requests dated to")),
          "as_of": ("as_of", N_("Decide under the rules in force on this day instead "
                                "(optional)")),
          "--as-of": ("as_of", N_("Decide under the rules in force on this day instead "
                                  "(optional)")),
          "--add-pack": ("add-packs", N_("Packs to add (a proposal, a draft)")),
          "--remove-pack": ("remove-packs", N_("Packs to take out, as if repealed"))}
#: Answers in plain words (the transparency page's words, already in the catalog).
OUTCOME_WORDS = {"allow": N_("allowed"), "allow-with-conditions": N_("allowed with conditions"),
                 "deny": N_("refused"), "review": N_("sent to a person")}
CHANGE_WORDS = {"added": N_("newly decides"), "dropped": N_("no longer decides")}

Replayer = Annotated[StaffMember, Depends(StaffPage(RUN_REPLAY, sign_in=SIGN_IN_FOR_REPLAY,
                                                    refused=ROLE_MAY_NOT_REPLAY))]


class ReplayForm(BaseModel):
    """The form as the browser sends it (every field text; parsed by ``ReplayQuestion``)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    profile: str = ""
    date_from: str = ""
    date_to: str = ""
    add: list[str] = []
    remove: list[str] = []
    as_of: str = ""

    def question(self) -> ReplayQuestion:
        return ReplayQuestion.parse(profile=self.profile, start=self.date_from,
                                    end=self.date_to, add=self.add, remove=self.remove,
                                    as_of=self.as_of or None, names=FIELDS)


@router.get("/replay", response_class=HTMLResponse)
def replay_form(request: Request, decider: DeciderDep, settings: SettingsDep,
                member: Replayer) -> Response:
    """The form, filled in with last year and the first proposal."""
    year = settings.today().year - 1
    proposals = [p.id for p in decider.library.packs.values() if p.kind == "proposal"]
    form = ReplayForm(profile="chicago", date_from=f"{year}-01-01", date_to=f"{year}-12-31",
                      add=proposals[:1])
    return _page(request, decider, settings, member, form)


@router.post("/replay", response_class=HTMLResponse)
def replay_report(request: Request, log_: LogDep, decider: DeciderDep, settings: SettingsDep,
                  member: Replayer, form: Annotated[ReplayForm, Form()]) -> Response:
    """Run the replay; the page with its report, or with the error and no report."""
    done = _replayed(request, log_, decider, settings, member, form)
    if isinstance(done, Response):
        return done
    return _page(request, decider, settings, member, form, document=done)


@router.post("/replay/pdf", response_class=HTMLResponse)
def replay_report_pdf(request: Request, log_: LogDep, decider: DeciderDep,
                      settings: SettingsDep, member: Replayer,
                      form: Annotated[ReplayForm, Form()]) -> Response:
    """Run the replay; the council-ready PDF, or the page with the error."""
    slot = _slot(request)
    if not slot.acquire(blocking=False):
        return _page(request, decider, settings, member, form, busy=True)
    try:
        document = _run(log_, decider, settings, form)
        data = replay_pdf(document)
    except SanctuaryGateError as exc:
        return _page(request, decider, settings, member, form, error=exc)
    finally:
        slot.release()
    q = document.question
    name = f"replay-{q.profile}-{q.start}-{q.end}.pdf"
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def _slot(request: Request) -> threading.BoundedSemaphore:
    """The worker's one replay slot (kept on the app, made on first use)."""
    state = request.app.state
    with _SLOT_MADE:
        slot: threading.BoundedSemaphore | None = getattr(state, "replay_slot", None)
        if slot is None:
            slot = state.replay_slot = threading.BoundedSemaphore(1)
    return slot


def _replayed(request: Request, log_: Any, decider: Decider, settings: Settings,
              member: StaffMember, form: ReplayForm) -> ReplayDocument | Response:
    """The replay's document, or the page answering why there is none (an error, or the
    worker busy with another replay)."""
    slot = _slot(request)
    if not slot.acquire(blocking=False):
        return _page(request, decider, settings, member, form, busy=True)
    try:
        return _run(log_, decider, settings, form)
    except SanctuaryGateError as exc:
        return _page(request, decider, settings, member, form, error=exc)
    finally:
        slot.release()


def _run(log_: Any, decider: Decider, settings: Settings, form: ReplayForm) -> ReplayDocument:
    question = form.question()
    result = run_replay(log_, decider, question, max_days=settings.replay_max_days,
                        max_decisions=settings.replay_max_decisions)
    log.info("replay of %s %s..%s: %d decisions", question.profile, question.start,
             question.end, result.replayed)
    return document_of(question, result, decider.library, built_on=settings.today())


def _page(request: Request, decider: Decider, settings: Settings, member: StaffMember,
          form: ReplayForm, *, document: ReplayDocument | None = None,
          error: SanctuaryGateError | None = None, busy: bool = False) -> Response:
    library = decider.library
    problem: Problem | None = problem_for(error) if error is not None else None
    if error is not None:
        log.info("replay refused: %s", error)
    if busy:
        log.info("replay refused: another replay is running in this worker")
        problem = Problem(429, "Busy", BUSY)
    return templates.TemplateResponse(request, "replay.html", {
        "member": member, "form": form, "document": document, "problem": problem,
        "error_detail": cut(getattr(error, "message", None) or str(error)) if error else "",
        "busy": busy,
        "error_input": INPUTS.get(getattr(error, "field", None) or ""),
        "profiles": sorted(library.profiles.values(), key=lambda p: p.title),
        "packs": sorted(library.packs.values(), key=lambda p: (p.kind != "proposal", p.title)),
        "max_days": settings.replay_max_days, "max_decisions": settings.replay_max_decisions,
        "outcome_words": OUTCOME_WORDS, "change_words": CHANGE_WORDS,
        "example_words": example_words,
    }, status_code=problem.status if problem is not None else 200,
        headers={"Retry-After": str(RETRY_AFTER)} if busy else None)
