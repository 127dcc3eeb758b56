"""The account a staff token speaks for, on the command line: read from ``--token-file F`` or
``SANCTUARYGATE_STAFF_TOKEN`` (never an argument, which shells keep), checked against the
staff store, and refused (exit 3) when its role may not take the action asked. A refused
attempt at an action that writes the public log is on the record, as the API's are (an
``auth-failed`` entry: the reason, the command, the token's id when one was given)."""

from __future__ import annotations

from pathlib import Path

import click

from sanctuarygate.audit.default import default_log
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.errors import AuthenticationError, InputError
from sanctuarygate.gateway.keys import record_auth_failure
from sanctuarygate.store.staff import authenticate_token, presented_token_id
from sanctuarygate.web.signin_roles import ACTIONS, WRITES_LOG, may

__all__ = ["staff_member"]


def staff_member(token_file: Path | None, token_env: str | None, action: str, *,
                 asked: str = "this command", doing: str | None = None) -> StaffMember:
    """The account of the token, if its role may take ``action``. ``asked`` names what needs the
    token in the message when there is none (``--record``); ``doing`` says the action in words
    when a role may not (``record answers``; default: the action's name)."""
    if token_file is not None:
        try:
            lines = token_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputError(f"cannot read {token_file}: {exc.strerror or exc}",
                             field="--token-file") from None
        token: str | None = lines[0].strip() if lines else ""
    else:
        token = token_env
    try:
        if not token:
            raise AuthenticationError(f"{asked} needs a staff token: --token-file F or "
                                      "SANCTUARYGATE_STAFF_TOKEN (sanctuarygate staff token "
                                      "issue NAME)", reason="missing")
        with default_log().engine.begin() as conn:  # notes the token's use
            member = authenticate_token(conn, token)
        if not may(member, action):
            roles = " or ".join(sorted(r.value for r in ACTIONS[action]))
            raise AuthenticationError(f"{member.actor} may not {doing or action}: that needs "
                                      f"the {roles} role", reason="role")
    except AuthenticationError as exc:
        if action in WRITES_LOG:
            _on_record(exc, token)
        raise
    return member


def _on_record(exc: AuthenticationError, token: str | None) -> None:
    """Record a refused attempt to write the public log; the refusal's message says where."""
    context = click.get_current_context(silent=True)
    what = f"cli: {context.command_path if context else 'sanctuarygate'}"
    with default_log().engine.begin() as conn:
        index = record_auth_failure(conn, exc.reason, what=what,
                                    key_id=presented_token_id(token))
    exc.args = (f"{exc.args[0]} (log entry {index})", *exc.args[1:])
