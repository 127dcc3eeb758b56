"""The public misuse report form: ``GET /report`` and ``POST /report``.

Anyone may report, without signing in and without JavaScript, in English, Spanish, Polish or
Chinese (``?lang=``, else the browser's choice): which property (from the registry, grouped
by place) or a point on the map, when, what was seen, a description, up to
``report_max_photos`` photos and, only if the reporter wants, a way to reach them. The answer
is a receipt with the report's number and what happens next.

Nothing is stored unless the whole report is good, and the refusals say why, in the page's
language: every bad field at once (400, each named beside its field and in a summary at the
top), a file that is no photo (400), a photo or a request over the limits (413), a client
over ``report_limit`` reports in ``report_window`` seconds (429 with ``Retry-After``), a
filled-in hidden field only robots see (400), a form token that is missing, forged or older
than :data:`FORM_MINUTES` (403: the form writes, so it carries a signed, short-lived token,
as the staff forms carry their session's), a form sent again (409 naming the report it sent
already: a token sends one report, its number a keyed hash of the token). The reporter's
address and browser are never stored: the limit counts addresses in memory only
(``web/throttle.py``), like failed sign-ins.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Any, Final

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import Response

from sanctuarygate.domain.misuse import M_, WHAT_SEEN, parse_report
from sanctuarygate.errors import InputError
from sanctuarygate.secret import load_or_create_secret
from sanctuarygate.settings import Settings
from sanctuarygate.store.misuse import (
    Registered,
    add_report,
    registered_properties,
)
from sanctuarygate.web.auth import client_of
from sanctuarygate.web.log_api import get_log
from sanctuarygate.web.misuse_photo import (
    PHOTO_TOO_LARGE,
    TOO_MANY_PHOTOS,
    PhotoTooLargeError,
    remove_photos,
    save_photos,
    strip_photo,
)
from sanctuarygate.web.misuse_words import Words, field_names, page_context, templates, words_of
from sanctuarygate.web.throttle import Throttle

log = logging.getLogger("sanctuarygate.web")
router = APIRouter(include_in_schema=False)

KEY_FILE: Final = "report-form.key"
#: How long a form stays good after it was loaded (time to write a report on a phone).
FORM_MINUTES: Final = 120
#: The hidden field only robots fill in (labelled "leave empty", off-screen, no tab stop).
HONEYPOT: Final = "website"
#: The form's size beside its photos (text fields, boundaries).
FORM_BYTES: Final = 65_536

FORM_EXPIRED = M_("This form has expired or did not come from this site. Nothing was sent: "
                  "reload the page and try again.")
LOOKS_AUTOMATED = M_("This report looks automated, so nothing was sent. If you are a person, "
                     "reload the page and send it again.")
TOO_MANY_REPORTS = M_("Too many reports from this connection. Nothing was sent: try again in "
                      "{minutes} minutes.")
REQUEST_TOO_LARGE = M_("The report with its photos is larger than the limit. Nothing was sent: "
                       "send fewer or smaller photos.")
SENT_ALREADY = M_("This form was sent already: its report is number {number}. Nothing more was "
                  "sent. To report something else, open the form again.")
BAD_FORM = M_("The form could not be read (too many files, or a broken upload). Nothing was "
              "sent: reload the page and try again.")


def install(app: FastAPI) -> None:
    """The report form on ``app``: its routes and its per-client limit (in memory)."""
    settings: Settings = app.state.settings
    app.state.report_throttle = Throttle(limit=settings.report_limit,
                                         window=settings.report_window)
    app.include_router(router)


def request_limit(settings: Settings) -> int:
    """The largest ``POST /report`` body: every photo at its limit, and the form's text.

    >>> request_limit(Settings(report_photo_max_bytes=1_000_000, report_max_photos=3))
    3065536
    """
    return settings.report_max_photos * settings.report_photo_max_bytes + FORM_BYTES


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request) -> Response:
    """The empty form (``?property=ID`` picks a property)."""
    said = words_of(request)
    chosen = request.query_params.get("property", "")[:64]
    return _form(request, said, {"property_id": chosen}, {}, 200)


@router.post("/report", response_class=HTMLResponse)
async def send_report(request: Request) -> Response:
    """Check the report whole; keep it and answer a receipt, or refuse it (nothing kept)."""
    said = words_of(request)
    settings: Settings = request.app.state.settings
    throttle: Throttle = request.app.state.report_throttle
    client = client_of(request)
    wait = throttle.wait(client)
    if wait:
        minutes = max(1, (wait + 59) // 60)
        return _refused(request, said, 429, said.t(TOO_MANY_REPORTS, minutes=minutes),
                        {"Retry-After": str(wait)})
    throttle.failed(client)  # every attempt counts, kept or not
    try:
        form = await request.form(max_files=settings.report_max_photos + 5)
    except HTTPException as exc:
        if exc.status_code == 413:
            return _refused(request, said, 413, said.t(REQUEST_TOO_LARGE))
        return _refused(request, said, 400, said.t(BAD_FORM))
    try:
        return await _check_and_keep(request, said, settings, form)
    finally:
        await form.close()  # the uploads' temporary files


async def _check_and_keep(request: Request, said: Words, settings: Settings,
                          form: FormData) -> Response:
    values = _values(form)
    if not _token_ok(settings, str(form.get("form_token", ""))):
        return _refused(request, said, 403, said.t(FORM_EXPIRED))
    if str(form.get(HONEYPOT, "")).strip():
        log.info("POST /report: the hidden field was filled in; nothing kept")
        return _refused(request, said, 400, said.t(LOOKS_AUTOMATED))
    engine = get_log(request).engine
    try:
        properties = await run_in_threadpool(_properties, engine)
        places = sorted({p.place for p in properties} | {settings.profile})
        picked = {p.id: p.place for p in properties}.get(str(values.get("property_id", "")))
        if picked is not None:  # a property picked from the list says which city
            values["place"] = picked
        report = parse_report(values, today=settings.today(), places=places)
        photos = [await run_in_threadpool(strip_photo, data,  # ~1 s for 12 MP: off the loop
                                          max_bytes=settings.report_photo_max_bytes)
                  for data in await _files(form, settings)]
    except PhotoTooLargeError as exc:
        return await run_in_threadpool(_form, request, said, values, said.errors(exc), 413)
    except InputError as exc:
        return await run_in_threadpool(_form, request, said, values, said.errors(exc), 400)
    number = report_number(settings, str(form.get("form_token", "")))
    try:
        stored = await run_in_threadpool(_keep, engine, settings, report, photos, number)
    except SentAlready:
        return _refused(request, said, 409, said.t(SENT_ALREADY, number=number))
    except InputError as exc:
        return await run_in_threadpool(_form, request, said, values, said.errors(exc), 400)
    return templates.TemplateResponse(request, "misuse_receipt.html", page_context(
        request, said, report=stored), headers={"Cache-Control": "no-store"})


class SentAlready(Exception):
    """The form's token has a report already (a second click, or the form sent again)."""


def report_number(settings: Settings, token: str) -> str:
    """The number of the report a form token sends: ``r-`` and 10 hex digits of a keyed hash
    of the token, so that a form is kept once (the number is the report's primary key) and the
    number, like :func:`~sanctuarygate.store.misuse.new_report_id`'s, says nothing about how
    many others reported."""
    key = load_or_create_secret(settings.data_dir, KEY_FILE)
    return "r-" + hmac.new(key, b"report-number:" + token.encode(), hashlib.sha256
                           ).hexdigest()[:10]


def _keep(engine: Any, settings: Settings, report: Any, photos: list[bytes],
          number: str) -> Any:
    names = save_photos(photos, settings.data_dir)
    try:
        with engine.begin() as conn:
            return add_report(conn, report, photos=names, report_id=number)
    except IntegrityError:  # the number is the primary key: this form was sent already
        remove_photos(names, settings.data_dir)
        raise SentAlready(number) from None
    except BaseException:
        remove_photos(names, settings.data_dir)
        raise


async def _files(form: FormData, settings: Settings) -> list[bytes]:
    """The photos' bytes (an empty file input sends a part with no name and no bytes)."""
    parts = [p for p in form.getlist("photos") if isinstance(p, UploadFile) and p.filename]
    if len(parts) > settings.report_max_photos:
        raise InputError(TOO_MANY_PHOTOS, field="photos")
    out = []
    for part in parts:
        data = await part.read(settings.report_photo_max_bytes + 1)
        if len(data) > settings.report_photo_max_bytes:
            raise PhotoTooLargeError(PHOTO_TOO_LARGE, field="photos")
        out.append(data)
    return out


def _values(form: FormData) -> dict[str, Any]:
    """The form's text fields (``what_seen`` a list), for parsing and for filling it again."""
    out: dict[str, Any] = {k: v for k, v in form.multi_items()
                           if isinstance(v, str) and k != "what_seen"}
    out["what_seen"] = [v for v in form.getlist("what_seen") if isinstance(v, str)]
    return out


def _properties(engine: Any) -> list[Registered]:
    with engine.connect() as conn:
        return registered_properties(conn)


def _signer(settings: Settings) -> TimestampSigner:
    key = load_or_create_secret(settings.data_dir, KEY_FILE)
    return TimestampSigner(key, salt="sanctuarygate.report-form")


def form_token(settings: Settings) -> str:
    """A new form token: a random nonce, signed with the time it was made. It sends one report
    (:func:`report_number`)."""
    return _signer(settings).sign(secrets.token_urlsafe(12)).decode()


def _token_ok(settings: Settings, token: str) -> bool:
    try:
        _signer(settings).unsign(token, max_age=FORM_MINUTES * 60)
    except BadSignature:  # also SignatureExpired
        return False
    return True


def _form(request: Request, said: Words, values: dict[str, Any],
          errors: dict[str, list[str]], status: int) -> Response:
    settings: Settings = request.app.state.settings
    with get_log(request).engine.connect() as conn:
        properties = registered_properties(conn)
    places = sorted({p.place for p in properties} | {settings.profile})
    by_place = {place: [p for p in properties if p.place == place] for place in places}
    chosen = values.get("property_id", "")
    place = values.get("place") or next((p.place for p in properties if p.id == chosen),
                                        settings.profile)
    context = page_context(
        request, said, values={**values, "place": place}, errors=errors,
        error_fields=field_names(errors), places=places, by_place=by_place,
        what_seen=WHAT_SEEN, token=form_token(settings), honeypot=HONEYPOT,
        max_photos=settings.report_max_photos,
        photo_mb=round(settings.report_photo_max_bytes / 1_048_576, 1),
        today=settings.today().isoformat())
    return templates.TemplateResponse(request, "misuse_form.html", context, status_code=status,
                                      headers={"Cache-Control": "no-store"})


def _refused(request: Request, said: Words, status: int, message: str,
             headers: dict[str, str] | None = None) -> Response:
    return templates.TemplateResponse(
        request, "misuse_refused.html", page_context(request, said, message=message),
        status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})
