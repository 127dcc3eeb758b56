"""``sanctuarygate witness ...``: run a witness that cosigns a log's checkpoints (C2SP tlog-witness)."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from sanctuarygate.cli.serve import check_port_free
from sanctuarygate.errors import InputError
from sanctuarygate.settings import get_settings
from sanctuarygate.witness.home import init_witness, load_signer, open_state

app = typer.Typer(help="Run a witness: cosign a log's checkpoints only if they extend the last "
                  "one it cosigned (C2SP tlog-witness).", no_args_is_help=True)

DirOption = Annotated[Path | None, typer.Option(
    "--dir", metavar="DIR",
    help="The witness's directory (default: witness/ in SANCTUARYGATE_DATA_DIR).")]


def _dir(given: Path | None) -> Path:
    return given if given is not None else get_settings().data_dir / "witness"


@app.command("init")
def init(
    name: Annotated[str, typer.Argument(
        metavar="NAME", help="The witness's name, e.g. witness.example.org/chicago (no spaces).")],
    directory: DirOption = None,
) -> None:
    """Make the witness's key pair (private key file mode 0600) and print its public key."""
    folder = _dir(directory)
    verifier = init_witness(folder, name)
    typer.echo(verifier.key)
    typer.echo(f"witness {name} created in {folder}; publish the line above, keep "
               f"{folder / 'witness.key'} private", err=True)


@app.command("add-log")
def add_log(
    origin: Annotated[str, typer.Argument(
        metavar="ORIGIN", help="The log's origin: the first line of its checkpoints.")],
    vkey: Annotated[str, typer.Argument(
        metavar="VKEY", help="The log's verifier key as the city publishes it: name+key id+key.")],
    directory: DirOption = None,
) -> None:
    """Witness a log: accept checkpoints of ORIGIN signed by VKEY (repeat for a new key)."""
    added = open_state(_dir(directory)).add_log(origin, vkey)
    typer.echo(f"{'witnessing' if added else 'already witnessing'} {origin} signed by "
               f"{vkey.split('+', 1)[0]}")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(metavar="HOST", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 7380,
    directory: DirOption = None,
) -> None:
    """Answer POST /add-checkpoint (C2SP tlog-witness) for the logs added with add-log."""
    import uvicorn

    from sanctuarygate.witness.app import create_app

    if not 0 < port < 65536:
        raise InputError(f"--port must be between 1 and 65535, got {port}")
    folder = _dir(directory)
    signer = load_signer(folder)  # a missing or unreadable key stops here with one line
    check_port_free(host, port)
    app = create_app(folder)
    typer.echo(f"witness {signer.verifier().key} on http://{host}:{port}/add-checkpoint")
    uvicorn.run(app, host=host, port=port, log_level="info")


@app.command("show")
def show(directory: DirOption = None) -> None:
    """Print the witness's public key and, per log, the latest checkpoint it cosigned."""
    folder = _dir(directory)
    signer = load_signer(folder)
    state = open_state(folder)
    typer.echo(f"witness  {signer.verifier().key}")
    logs = state.logs()
    if not logs:
        typer.echo("no logs yet: add one with 'sanctuarygate witness add-log ORIGIN VKEY'")
    for log in logs:
        when = (dt.datetime.fromtimestamp(log.updated_at, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
                if log.updated_at else "never")
        typer.echo(f"log      {log.origin}")
        typer.echo(f"  size   {log.size}")
        typer.echo(f"  root   {base64.b64encode(log.root_hash).decode()}")
        typer.echo(f"  cosigned {when}")
        for key in log.keys:
            typer.echo(f"  key    {key}")
        refused = state.evidence(log.origin)
        if refused:
            typer.echo(f"  REFUSED {len(refused)} signed checkpoint(s) that do not extend this "
                       f"history (kept as evidence); last: {refused[-1][1]}")
