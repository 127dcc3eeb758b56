"""``sanctuarygate log ...`` and ``sanctuarygate key ...``: the public decision log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctuarygate.audit.bundle import export_bundle, read_verifiers, verify_bundle
from sanctuarygate.audit.default import default_log
from sanctuarygate.audit.keys import load_or_create_signer, rotate
from sanctuarygate.errors import InputError
from sanctuarygate.settings import get_settings

app = typer.Typer(help="The public decision log: checkpoints, export, offline verify.",
                  no_args_is_help=True)
keys = typer.Typer(help="The log's signing key (kept in the data directory, never the database).",
                   no_args_is_help=True)


@app.command("checkpoint")
def checkpoint() -> None:
    """Print the signed checkpoint for the current tree (C2SP signed note)."""
    typer.echo(default_log().checkpoint(), nl=False)


@app.command("export")
def export(folder: Annotated[Path, typer.Argument(
        metavar="FOLDER", help="Folder to write the bundle to.")]) -> None:
    """Write the public bundle: entries.jsonl, checkpoint, checkpoints/, verifiers."""
    cp = export_bundle(default_log(), folder)
    typer.echo(f"exported {cp.size} entries of {cp.origin} to {folder}")


@app.command("verify")
def verify(
    folder: Annotated[Path, typer.Argument(
        metavar="FOLDER", help="A bundle written by 'log export'.")],
    previous: Annotated[Path | None, typer.Option(
        metavar="FILE", help="An earlier signed checkpoint the log must extend.")] = None,
    key: Annotated[Path | None, typer.Option(
        metavar="FILE", help="File of trusted verifier keys (default: the bundle's own).")] = None,
) -> None:
    """Recompute the root, check signatures and consistency; exit 1 naming the failed check."""
    if not (folder / "checkpoint").exists():
        raise InputError(f"{folder} is not a log bundle (no checkpoint file)")
    try:
        prior = previous.read_text(encoding="utf-8") if previous else None
        trusted = read_verifiers(key) if key else None
    except OSError as exc:
        raise InputError(f"cannot read {exc.filename}: {exc.strerror}") from None
    report = verify_bundle(folder, verifiers=trusted, previous=prior)
    for line in report.checked:
        typer.echo(f"ok    {line}")
    if key is None:
        typer.echo("note: checked against the bundle's own keys; pass --key with the city's "
                   "published key to check who signed")
    typer.echo(f"verified {report.size} entries")


@keys.command("generate")
def generate() -> None:
    """Create the signing key if there is none; print the public (verifier) key."""
    settings = get_settings()
    signer, created = load_or_create_signer(settings.data_dir, settings.log_origin)
    where = settings.data_dir / "keys"
    typer.echo(f"{'created' if created else 'kept'} signing key in {where}", err=True)
    typer.echo(signer.verifier().key)


@keys.command("rotate")
def rotate_key() -> None:
    """Replace the signing key; old public keys stay listed so old checkpoints verify."""
    settings = get_settings()
    signer = rotate(settings.data_dir, settings.log_origin)
    typer.echo(signer.verifier().key)
