"""A readable page for one entry of the public decision log (``/log/{index}``).

The desk card links here: what was asked and answered, in words, with the clauses that decided
and the exact published body and leaf hash beside it, for anyone who checks the log itself.
"""

from __future__ import annotations

import base64
import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from sanctuarygate.web.log_api import LogDep
from sanctuarygate.web.pages import templates

router = APIRouter(include_in_schema=False)


@router.get("/log/{index}", response_class=HTMLResponse)
def log_entry_page(request: Request, index: int, log: LogDep) -> Response:
    """Entry ``index`` in words; 404 (as a problem page) when the log is shorter."""
    size = log.size()
    if not 0 <= index < size:
        raise HTTPException(404, f"The public log has no entry {index} (it holds {size}).")
    (entry,) = log.entries(index, index + 1)
    return templates.TemplateResponse(request, "log_entry.html", {
        "index": entry.index, "entry": json.loads(entry.body), "body": entry.body,
        "leaf_hash": base64.b64encode(entry.leaf_hash).decode("ascii"), "size": size})
