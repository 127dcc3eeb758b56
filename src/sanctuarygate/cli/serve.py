"""``sanctuarygate serve`` and ``sanctuarygate demo``: run the web app."""

from __future__ import annotations

import errno
import socket
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.engine import make_url

from sanctuarygate.errors import ConfigurationError

if TYPE_CHECKING:
    from sanctuarygate.settings import Settings


def check_port_free(host: str, port: int) -> None:
    """Raise ConfigurationError (one line, the CLI's configuration exit code) when
    ``host:port`` cannot be listened on, before anything is seeded or loaded.

    >>> with socket.socket() as s:
    ...     s.bind(("127.0.0.1", 0)); s.listen(); busy = s.getsockname()[1]
    ...     check_port_free("127.0.0.1", busy)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.ConfigurationError: cannot listen on 127.0.0.1:... (address already in use)...
    """
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        why = "address already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise ConfigurationError(f"cannot listen on {host}:{port} ({why}); "
                                 "choose another with --port") from None


def prepare_log(settings: Settings | None = None) -> None:
    """Migrate the log's database and read its signing key before any worker starts, so that an
    unreachable database or a damaged key file stops ``serve`` with one line (each worker's
    start-up then finds the schema at head)."""
    from sqlalchemy.exc import OperationalError

    from sanctuarygate.audit.default import open_log
    from sanctuarygate.settings import load_settings

    settings = settings if settings is not None else load_settings()
    try:
        log = open_log(settings)
        try:
            log.verifiers()
        finally:
            log.engine.dispose()
    except OperationalError as exc:
        shown = make_url(settings.database_url_resolved).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise ConfigurationError(f"cannot use the database at {shown} ({reason})") from None


def check_own_origin(settings: Settings) -> None:
    """Raise ConfigurationError unless the log has a name of its own: a city's log under the
    shared demo origin could be confused with (or spliced into) any demo's. ``demo`` is exempt.

    >>> from sanctuarygate.settings import Settings
    >>> check_own_origin(Settings(log_origin="chicago.example/sanctuarygate"))
    >>> check_own_origin(Settings())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.ConfigurationError: SANCTUARYGATE_LOG_ORIGIN is the shared demo origin...
    """
    from sanctuarygate.audit.trust import DEMO_ORIGIN

    if settings.log_origin == DEMO_ORIGIN:
        raise ConfigurationError(
            f"SANCTUARYGATE_LOG_ORIGIN is the shared demo origin {DEMO_ORIGIN!r}: a deployment "
            "names its own log (e.g. chicago.example/sanctuarygate); 'sanctuarygate demo' runs "
            "the demo")


def serve(
    host: Annotated[str, typer.Option(metavar="HOST", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(metavar="N", help="Worker processes.")] = 1,
) -> None:
    """Run the web app (desk page at /, JSON API under /api/v1).

    Refuses the shared demo log origin: set SANCTUARYGATE_LOG_ORIGIN to the city's own."""
    _run(host, port, workers, demo=False)


def _run(host: str, port: int, workers: int, *, demo: bool) -> None:
    import uvicorn

    from sanctuarygate.gateway.plan import check_gateway_config
    from sanctuarygate.policy.default import load_library
    from sanctuarygate.settings import load_settings

    check_port_free(host, port)
    settings = load_settings()  # a bad setting stops the start with one line, not a later 500
    check_gateway_config(load_library(settings), settings.profile, settings.gateway_pack_ids)
    if not demo:
        check_own_origin(settings)
    prepare_log(settings)

    uvicorn.run("sanctuarygate.web.app:create_app", factory=True, host=host, port=port,
                workers=workers)


def demo(
    host: Annotated[str, typer.Option(metavar="HOST", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8000,
) -> None:
    """Prepare the embedded SQLite demo database, then serve the web app."""
    from sanctuarygate.demo.seed import demo_staff, seed_demo

    check_port_free(host, port)  # before anything is seeded
    summary = seed_demo()
    typer.echo(summary)
    typer.echo("\n".join(demo_staff()))  # passwords made now, shown once
    _run(host, port, 1, demo=True)
