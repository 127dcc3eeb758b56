"""The public log API under ``/api/v1/log``: checkpoint, entries, inclusion and consistency
proofs (hashes in base64, as in the checkpoint), and the trust policy to pin. Anyone may read
it; nothing here changes it. ``/checkpoint?witnessed=true`` is the newest checkpoint the
witnesses cosigned, with their cosignature lines (the app publishes to them in the background,
``web/publisher.py``).

>>> router.prefix
'/api/v1/log'
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from sanctuarygate.audit.witnessing import WitnessEndpoint, city_policy, witnessed_checkpoint
from sanctuarygate.web.openapi import problems
from sanctuarygate.web.schemas import ConsistencyProof, InclusionProof, LogEntries
from sanctuarygate.web.state import LogDep as LogDep  # the routes' and the pages' dependency
from sanctuarygate.web.state import SettingsDep
from sanctuarygate.web.state import get_log as get_log

router = APIRouter(prefix="/api/v1/log", tags=["log"])
MAX_ENTRIES = 1000


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _witnesses(request: Request) -> tuple[WitnessEndpoint, ...]:
    found: tuple[WitnessEndpoint, ...] = request.app.state.witnesses
    return found


@router.get("/checkpoint", response_class=PlainTextResponse, summary="Latest signed checkpoint",
            responses=problems(404, 422))
def checkpoint(log: LogDep, witnessed: Annotated[bool, Query(
        description="The newest checkpoint the witnesses cosigned, with their lines")] = False,
               ) -> PlainTextResponse:
    """The signed checkpoint (C2SP tlog-checkpoint in a signed note) for the current tree; with
    ``witnessed=true``, the newest one witnesses cosigned, their cosignature lines appended
    (404 until one has been)."""
    note = witnessed_checkpoint(log) if witnessed else log.checkpoint()
    if note is None:
        raise HTTPException(404, "No checkpoint has been cosigned by a witness yet.")
    return PlainTextResponse(note, media_type="text/plain; charset=utf-8")


@router.get("/policy", response_class=PlainTextResponse, summary="Trust policy to pin")
def policy(request: Request, log: LogDep, settings: SettingsDep) -> PlainTextResponse:
    """The log's trust policy: its origin, every key that signs its checkpoints, its witnesses
    and how many of them must cosign. Save it once and pass it to ``sanctuarygate log verify
    --policy``; a later copy that names other keys is a warning sign, not an update to accept
    silently."""
    text = city_policy(log, _witnesses(request), settings.witness_quorum).text()
    return PlainTextResponse(text, media_type="text/plain; charset=utf-8")


@router.get("/entries", summary="Entries as published", response_model=LogEntries,
            responses=problems(422))
def entries(log: LogDep, start: Annotated[int, Query(ge=0)] = 0,
            end: Annotated[int | None, Query(ge=0)] = None) -> dict[str, Any]:
    """Entries ``start <= index < end`` (at most 1000): each with its exact published body."""
    stop = min(end if end is not None else start + MAX_ENTRIES, start + MAX_ENTRIES)
    found = log.entries(start, stop)
    return {"size": log.size(), "start": start,
            "entries": [{"index": e.index, "body": e.body, "entry": json.loads(e.body),
                         "leaf_hash": _b64(e.leaf_hash)} for e in found]}


@router.get("/proof/inclusion", summary="Inclusion proof", response_model=InclusionProof,
            responses=problems(422))
def inclusion(log: LogDep, index: Annotated[int, Query(ge=0)],
              size: Annotated[int, Query(ge=1)]) -> dict[str, Any]:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries."""
    proof = log.inclusion_proof(index, size)
    with log.engine.connect() as conn:
        root = log.reader.root(conn, size)[1]
    leaf = log.entries(index, index + 1)[0].leaf_hash
    return {"index": index, "size": size, "leaf_hash": _b64(leaf), "root_hash": _b64(root),
            "proof": [_b64(p) for p in proof]}


@router.get("/proof/consistency", summary="Consistency proof", response_model=ConsistencyProof,
            responses=problems(422))
def consistency(log: LogDep, first: Annotated[int, Query(alias="from", ge=0)],
                second: Annotated[int, Query(alias="to", ge=0)]) -> dict[str, Any]:
    """RFC 9162 consistency proof between the trees of ``from`` and ``to`` entries."""
    proof = log.consistency_proof(first, second)
    with log.engine.connect() as conn:
        old_root, new_root = log.reader.root(conn, first)[1], log.reader.root(conn, second)[1]
    return {"from": first, "to": second, "old_root_hash": _b64(old_root),
            "new_root_hash": _b64(new_root), "proof": [_b64(p) for p in proof]}
