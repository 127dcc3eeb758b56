"""The ``sanctuarygate`` command: thin shells over library calls.

Errors end the command with one line on stderr. The exit code tells scripts and CI what
happened (``EXIT_CODES`` maps each error class; ``sanctuarygate --help`` shows the same table):

====  ==========================================================================================
0     done; every check passed
1     a check failed: a log export that does not verify (tampered, forked, badly signed),
      a failing scenario, a broken invariant (``policy verify``), an extract with no watermark
2     bad input or usage: request file, unknown agency, dataset, profile or key, bad option
3     not allowed or refused: the rules do not allow it, or the command refuses to do it
4     the policy engine could not decide (nothing was allowed)
5     configuration error (a setting named in the message)
6     policy data failed to load (pack, profile, schema)
70    internal error: a bug (one line naming it; ``--debug`` or ``SANCTUARYGATE_DEBUG=1`` adds
      the traceback); nothing was allowed
130   interrupted
====  ==========================================================================================
"""

from __future__ import annotations

import sys
import traceback
from typing import Annotated, Any

import typer

from sanctuarygate.audit.bundle import BundleError
from sanctuarygate.audit.keys import KeyFormatError
from sanctuarygate.audit.note import NoteError
from sanctuarygate.cli import agency as agency_cmd
from sanctuarygate.cli import case as case_cmd
from sanctuarygate.cli import db as db_cmd
from sanctuarygate.cli import decide as decide_cmd
from sanctuarygate.cli import log as log_cmd
from sanctuarygate.cli import misuse as misuse_cmd
from sanctuarygate.cli import policy as policy_cmd
from sanctuarygate.cli import property as property_cmd
from sanctuarygate.cli import query as query_cmd
from sanctuarygate.cli import records as records_cmd
from sanctuarygate.cli import replay as replay_cmd
from sanctuarygate.cli import report as report_cmd
from sanctuarygate.cli import scenarios as scenarios_cmd
from sanctuarygate.cli import serve as serve_cmd
from sanctuarygate.cli import staff as staff_cmd
from sanctuarygate.cli import trace as trace_cmd
from sanctuarygate.cli import witness as witness_cmd
from sanctuarygate.cli._help import readable_help
from sanctuarygate.domain.case import ReviewRefusedError
from sanctuarygate.errors import (
    AuthenticationError,
    ConfigurationError,
    InputError,
    NotAllowed,
    PolicyEvaluationError,
    PolicyLoadError,
    SanctuaryGateError,
)
from sanctuarygate.gateway.plan import QueryRefusedError
from sanctuarygate.store.log import LogIntegrityError
from sanctuarygate.witness.protocol import InconsistentCheckpointError, WitnessError

#: Exit codes (see the module docstring).
OK, CHECK_FAILED, BAD_INPUT, REFUSED, ENGINE, CONFIGURATION, POLICY_DATA, INTERNAL = (
    0, 1, 2, 3, 4, 5, 6, 70)
INTERRUPTED = 130

#: Error class -> exit code, looked up along the class's MRO (the first listed that matches).
#: Every branch of the tree in ``errors.py`` is here; an error no entry names is a bug (70).
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (BundleError, CHECK_FAILED),
    (LogIntegrityError, CHECK_FAILED),
    (NoteError, CHECK_FAILED),
    (InconsistentCheckpointError, CHECK_FAILED),
    (InputError, BAD_INPUT),
    (KeyFormatError, BAD_INPUT),
    (NotAllowed, REFUSED),
    (QueryRefusedError, REFUSED),
    (ReviewRefusedError, REFUSED),
    (AuthenticationError, REFUSED),
    (WitnessError, REFUSED),
    (PolicyEvaluationError, ENGINE),
    (ConfigurationError, CONFIGURATION),
    (PolicyLoadError, POLICY_DATA),
)

EXIT_TABLE = """Exit codes:
  0    done; every check passed
  1    a check failed: a log export that does not verify, a failing scenario, a broken invariant
  2    bad input or usage
  3    not allowed or refused
  4    the policy engine could not decide (nothing was allowed)
  5    configuration error
  6    policy data failed to load
  70   internal error, a bug (--debug or SANCTUARYGATE_DEBUG=1 shows the traceback)"""

app = typer.Typer(
    name="sanctuarygate",
    help="Sanctuary (Welcoming City) rules as cited policy: decide requests, check the rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    epilog=EXIT_TABLE,
)


@app.callback()
def main(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option(
        "--debug", envvar="SANCTUARYGATE_DEBUG",
        help="On an internal error (exit 70), print the traceback too.")] = False,
) -> None:
    """Sanctuary (Welcoming City) rules as cited policy: decide requests, check the rules."""
    if isinstance(ctx.obj, dict):
        ctx.obj["debug"] = debug


app.command("decide")(decide_cmd.decide)
app.command("query")(query_cmd.query)
app.command("trace")(trace_cmd.trace)
app.command("replay")(replay_cmd.replay_command)
app.command("serve")(serve_cmd.serve)
app.command("demo")(serve_cmd.demo)
app.add_typer(scenarios_cmd.app, name="scenarios")
app.add_typer(policy_cmd.app, name="policy")
app.add_typer(log_cmd.app, name="log")
app.add_typer(log_cmd.old_keys, name="key", hidden=True)
app.add_typer(db_cmd.app, name="db")
app.add_typer(records_cmd.app, name="records")
app.add_typer(agency_cmd.app, name="agency")
app.add_typer(witness_cmd.app, name="witness")
app.add_typer(staff_cmd.app, name="staff")
app.add_typer(case_cmd.app, name="case")
app.add_typer(report_cmd.app, name="report")
app.add_typer(property_cmd.app, name="property")
app.add_typer(misuse_cmd.app, name="misuse")
readable_help(app)


def exit_code(exc: BaseException) -> int:
    """The exit code for an error (see the module docstring).

    >>> from sanctuarygate.domain.decision import Decision
    >>> exit_code(NotAllowed(Decision("deny"))), exit_code(InputError("x")), exit_code(KeyError())
    (3, 2, 70)
    """
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return INTERNAL


def run() -> None:
    """Console-script entry point: run the app, turning errors into one line and a code."""
    state: dict[str, Any] = {"debug": False}
    try:
        code = app(standalone_mode=False, obj=state)  # returns the exit code of typer.Exit
    except SanctuaryGateError as exc:
        if exit_code(exc) == INTERNAL:
            _internal(exc, state)
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exit_code(exc))
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        sys.exit(INTERRUPTED)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors: missing argument, bad option value
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {exc}", err=True)
        sys.exit(BAD_INPUT)
    except Exception as exc:
        _internal(exc, state)
    sys.exit(code if isinstance(code, int) else OK)


def _internal(exc: BaseException, state: dict[str, Any]) -> None:
    """An error nobody expected: a bug. One line naming it (the traceback with --debug);
    exit 70."""
    if state.get("debug"):
        traceback.print_exception(exc, file=sys.stderr)
    typer.echo(f"error: internal error, a bug ({type(exc).__name__}: {exc}); nothing was allowed",
               err=True)
    sys.exit(INTERNAL)
