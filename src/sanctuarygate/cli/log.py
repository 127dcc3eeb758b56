"""``sanctuarygate log ...``: the public decision log, and ``log key ...``, its signing key.

``sanctuarygate key ...`` (the old name of ``log key``) still works, hidden, with a note on
stderr; ``agency key ...`` are the agencies' gateway keys, another thing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctuarygate.audit.bundle import export_bundle, verify_bundle
from sanctuarygate.audit.default import default_log
from sanctuarygate.audit.keys import load_or_create_signer, load_verifiers
from sanctuarygate.audit.rotation import rotate_log_key
from sanctuarygate.audit.trust import TrustPolicy, policy_from_keys, read_key_file, read_policy_file
from sanctuarygate.audit.witnessing import city_policy, parse_witnesses, publish, witnessed_checkpoint
from sanctuarygate.errors import InputError
from sanctuarygate.settings import get_settings
from sanctuarygate.witness.client import request_cosignature

app = typer.Typer(help="The public decision log: checkpoints, export, offline verify.",
                  no_args_is_help=True)
keys = typer.Typer(help="The log's signing key (kept in the data directory, never the database).",
                   no_args_is_help=True)
app.add_typer(keys, name="key")


@app.command("checkpoint")
def checkpoint() -> None:
    """Print the signed checkpoint for the current tree (C2SP signed note)."""
    typer.echo(default_log().checkpoint(), nl=False)


@app.command("export")
def export(folder: Annotated[Path, typer.Argument(
        metavar="FOLDER", help="Folder to write the bundle to.")]) -> None:
    """Write the public bundle: entries.jsonl, checkpoint, checkpoints/, verifiers, policy.

    With witnesses configured, the bundle ends at the newest checkpoint they cosigned (run
    'log publish' first), and its checkpoint file carries their cosignatures."""
    log, settings = default_log(), get_settings()
    witnesses = parse_witnesses(settings.witnesses)
    policy = city_policy(log, witnesses, settings.witness_quorum)
    note = witnessed_checkpoint(log) if witnesses else None
    if witnesses and note is None:
        raise InputError("no checkpoint has been cosigned yet: run 'sanctuarygate log publish'")
    cp = export_bundle(log, folder, note=note, policy=policy)
    typer.echo(f"exported {cp.size} entries of {cp.origin} to {folder}")


@app.command("publish")
def publish_cmd() -> None:
    """Ask each witness (SANCTUARYGATE_WITNESSES) to cosign the current checkpoint.

    Exits 1 when fewer than SANCTUARYGATE_WITNESS_QUORUM cosigned."""
    log, settings = default_log(), get_settings()
    witnesses = parse_witnesses(settings.witnesses)
    if not witnesses:
        raise InputError("no witnesses configured (SANCTUARYGATE_WITNESSES='<vkey> <url>, ...')")
    city_policy(log, witnesses, settings.witness_quorum)  # a bad quorum stops here
    report = publish(log, witnesses, request_cosignature)
    for name in report.cosigned:
        typer.echo(f"ok      {name} cosigned size {report.size}")
    for name, why in report.failed:
        typer.echo(f"failed  {name}: {why}")
    if len(report.cosigned) < settings.witness_quorum:
        typer.echo(f"error: {len(report.cosigned)} of {len(witnesses)} witnesses cosigned; "
                   f"{settings.witness_quorum} required", err=True)
        raise typer.Exit(1)


@app.command("verify")
def verify(
    folder: Annotated[Path, typer.Argument(
        metavar="FOLDER", help="A bundle written by 'log export'.")],
    previous: Annotated[Path | None, typer.Option(
        metavar="FILE", help="An earlier signed checkpoint the log must extend (one you saved, "
        "e.g. from GET /api/v1/log/checkpoint last month).")] = None,
    key: Annotated[list[Path] | None, typer.Option(
        metavar="FILE", help="A file of the city's verifier keys you saved earlier "
        "(repeatable).")] = None,
    policy: Annotated[Path | None, typer.Option(
        metavar="FILE", help="The log's trust policy you saved earlier (GET /api/v1/log/policy); "
        "default: SANCTUARYGATE_LOG_POLICY.")] = None,
) -> None:
    """Check a bundle against keys you pinned: signatures, origin, root, consistency.

    The bundle's own 'verifiers' and 'policy' files are never trusted: pin the city's key or
    policy once (from its website or 'sanctuarygate log policy') and pass it every time."""
    trust = _trust(key or [], policy)
    if not (folder / "checkpoint").exists():
        raise InputError(f"{folder} is not a log bundle (no checkpoint file)")
    try:
        prior = previous.read_text(encoding="utf-8") if previous else None
    except OSError as exc:
        raise InputError(f"cannot read {exc.filename}: {exc.strerror}") from None
    report = verify_bundle(folder, trust=trust, previous=prior)
    for line in report.checked:
        typer.echo(f"ok    {line}")
    if trust.is_demo:
        typer.echo(f"note: {trust.origin} is the demo log's origin; a city's log names its own")
    typer.echo(f"verified {report.size} entries")


def _trust(keys: list[Path], policy: Path | None) -> TrustPolicy:
    """The trust anchor from the options or the environment; a usage error when there is none."""
    if keys and policy:
        raise InputError("give --key or --policy, not both")
    if keys:
        return policy_from_keys([v for path in keys for v in read_key_file(path)])
    chosen = policy or get_settings().log_policy
    if chosen is None:
        raise InputError("nothing to trust: pass --policy FILE (the log's trust policy, saved "
                         "from GET /api/v1/log/policy) or --key FILE (its verifier key); the "
                         "bundle's own keys prove nothing")
    return read_policy_file(chosen)


@app.command("policy")
def show_policy() -> None:
    """Print this log's trust policy (origin, keys, witnesses, quorum) for auditors to pin."""
    settings = get_settings()
    policy = city_policy(default_log(), parse_witnesses(settings.witnesses),
                         settings.witness_quorum)
    typer.echo(policy.text(), nl=False)


@keys.command("generate")
def generate() -> None:
    """Create the signing key if there is none; print the public (verifier) key."""
    settings = get_settings()
    signer, created = load_or_create_signer(settings.data_dir, settings.log_origin)
    where = settings.data_dir / "keys"
    typer.echo(f"{'created' if created else 'kept'} signing key in {where}", err=True)
    typer.echo(signer.verifier().key)


@keys.command("show")
def show_keys() -> None:
    """Print every verifier key the log has signed with, oldest first, the current one last:
    what an auditor saves once and passes to 'log verify --key'. Creates nothing."""
    settings = get_settings()
    found = load_verifiers(settings.data_dir, settings.log_origin)
    if not found:
        raise InputError(f"no signing key for {settings.log_origin} in {settings.data_dir} yet "
                         "('sanctuarygate log key generate' makes one)")
    for verifier in found:
        typer.echo(verifier.key)


@keys.command("rotate")
def rotate_key() -> None:
    """Replace the signing key, on the record: a log-key entry names the new key and the old
    key signs a checkpoint covering it before the new one signs anything, so an auditor who
    pinned the old key follows. Prints the new verifier key."""
    done = rotate_log_key(default_log())
    typer.echo(f"rotated: entry {done.index} announces the new key; the old key's last "
               f"checkpoint has size {done.covered_at}", err=True)
    typer.echo(done.new.key)


def _renamed() -> None:
    typer.echo("note: 'sanctuarygate key' is now 'sanctuarygate log key'; the old name will go",
               err=True)


#: The old top-level name of ``log key``, kept hidden for scripts written against it.
old_keys = typer.Typer(help="Renamed 'log key'.", no_args_is_help=True, callback=_renamed)
old_keys.command("generate")(generate)
old_keys.command("rotate")(rotate_key)
