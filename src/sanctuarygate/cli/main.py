"""The ``sanctuarygate`` command: thin shells over library calls.

Errors end the command with one line on stderr and an exit code from one table:

====  ==========================================================
1     unexpected failure (a bug; nothing was allowed)
2     bad input: request file, unknown agency, dataset, profile or agency key
3     policy data failed to load (pack, profile, schema)
4     the policy engine could not decide (nothing was allowed)
5     configuration error (a setting named in the message)
====  ==========================================================
"""

from __future__ import annotations

import sys

import typer

from sanctuarygate.cli import agency as agency_cmd
from sanctuarygate.cli import db as db_cmd
from sanctuarygate.cli import decide as decide_cmd
from sanctuarygate.cli import log as log_cmd
from sanctuarygate.cli import policy as policy_cmd
from sanctuarygate.cli import query as query_cmd
from sanctuarygate.cli import records as records_cmd
from sanctuarygate.cli import scenarios as scenarios_cmd
from sanctuarygate.cli import serve as serve_cmd
from sanctuarygate.cli import staff as staff_cmd
from sanctuarygate.cli import trace as trace_cmd
from sanctuarygate.cli import witness as witness_cmd
from sanctuarygate.cli._help import readable_help
from sanctuarygate.errors import (
    ConfigurationError,
    InputError,
    PolicyEvaluationError,
    PolicyLoadError,
    SanctuaryGateError,
)

EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (InputError, 2),
    (PolicyLoadError, 3),
    (PolicyEvaluationError, 4),
    (ConfigurationError, 5),
    (SanctuaryGateError, 1),
)

app = typer.Typer(
    name="sanctuarygate",
    help="Sanctuary (Welcoming City) rules as cited policy: decide requests, check the rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("decide")(decide_cmd.decide)
app.command("query")(query_cmd.query)
app.command("trace")(trace_cmd.trace)
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
readable_help(app)


def exit_code(exc: BaseException) -> int:
    """The exit code for an error (see the module docstring)."""
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return 1


def run() -> None:
    """Console-script entry point: run the app, turning errors into one line and a code."""
    try:
        code = app(standalone_mode=False)  # returns the exit code of typer.Exit
    except SanctuaryGateError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exit_code(exc))
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors: missing argument, bad option value
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {exc}", err=True)
        sys.exit(int(getattr(exc, "exit_code", 2)))
    except Exception as exc:
        typer.echo(f"error: unexpected failure ({type(exc).__name__}: {exc}); nothing was allowed",
                   err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
