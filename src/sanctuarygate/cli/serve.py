"""``sanctuarygate serve`` and ``sanctuarygate demo``: run the web app."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Run the web app (desk page at /, JSON API under /api/v1)."""
    import uvicorn

    from sanctuarygate.gateway.plan import check_gateway_config
    from sanctuarygate.policy.default import default_library
    from sanctuarygate.settings import get_settings

    settings = get_settings()  # a bad setting stops the start with one line, not a later 500
    check_gateway_config(default_library(), settings.profile, settings.gateway_pack_ids)

    uvicorn.run("sanctuarygate.web.app:create_app", factory=True, host=host, port=port,
                workers=workers)


def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Prepare the embedded SQLite demo database, then serve the web app."""
    from sanctuarygate.store.demo import seed_demo

    summary = seed_demo()
    typer.echo(summary)
    serve(host=host, port=port, workers=1)
