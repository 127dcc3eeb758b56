"""A query body read strictly from its bytes: one meaning per body.

``json.loads`` keeps the last of two equal keys, so ``{"purpose": "civil-immigration-enforcement",
"purpose": "criminal-investigation"}`` would be decided as criminal work while a reader of the
body (a proxy, a reviewer) sees the first. :func:`load_query_body` refuses such a body, naming
the key, and refuses what is not JSON at all (``NaN``, ``Infinity``, bytes that are not UTF-8).
The result goes to :func:`~sanctuarygate.gateway.plan.parse_spec`.

>>> load_query_body(b'{"dataset": "cpd-arrests", "limit": 3}')
{'dataset': 'cpd-arrests', 'limit': 3}
>>> load_query_body(b'{"purpose": "a", "purpose": "b"}')
Traceback (most recent call last):
sanctuarygate.errors.InputError: purpose: appears twice in one JSON object; send it once
"""

from __future__ import annotations

import json
from typing import Any

from sanctuarygate.errors import InputError

__all__ = ["load_query_body"]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InputError("appears twice in one JSON object; send it once", field=key)
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise InputError(f"{name} is not JSON", field="body")


def load_query_body(raw: bytes) -> Any:
    """The JSON value of a request body; InputError when it is not strict JSON (a key twice in
    an object, ``NaN``, not UTF-8, not JSON)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the body is not UTF-8", field="body") from None
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                         field="body") from None
