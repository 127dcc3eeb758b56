"""``sanctuarygate policy ...``: list packs and profiles, verify invariants."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Annotated

import typer
import yaml

from sanctuarygate.errors import InputError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_library
from sanctuarygate.policy.verify import load_invariants, verify
from sanctuarygate.settings import get_settings

app = typer.Typer(help="Inspect and check the policy packs.", no_args_is_help=True)


def _day(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text!r} is not a date (YYYY-MM-DD)", field="--date") from None


@app.command("packs")
def packs(
    profile: Annotated[str | None, typer.Option(
        help="Only the packs that bind this profile.")] = None,
    date: Annotated[str | None, typer.Option(
        help="Mark which are in force on this day (YYYY-MM-DD).")] = None,
) -> None:
    """List the policy packs: id, kind, dates, confidence, number of rules."""
    lib = default_library()
    day = _day(date)
    ids = lib.profile(profile).packs if profile else tuple(lib.packs)
    for pid in ids:
        p = lib.packs[pid]
        mark = "*" if p.in_force(day) else " "
        until = p.effective_until.isoformat() if p.effective_until else "-"
        start = p.effective_from.isoformat() if p.effective_from else "never"
        typer.echo(f"{mark} {p.id:24} {p.kind:15} {start:>10} .. {until:10} [{p.confidence}] "
                   f"{len(p.rules):2} rules  {p.title}")
    typer.echo(f"(* = in force on {day.isoformat()})")


@app.command("profiles")
def profiles() -> None:
    """List the profiles (places) and the packs that bind each."""
    for prof in default_library().profiles.values():
        typer.echo(f"{prof.id:14} {prof.title}: {', '.join(prof.packs)}")


@app.command("verify")
def verify_cmd(
    profile: Annotated[list[str] | None, typer.Option(
        "--profile", help="Profile(s) to check; default: all.")] = None,
    date: Annotated[str | None, typer.Option(help="Day to check (YYYY-MM-DD); default: today.")] = None,
    jobs: Annotated[int, typer.Option(
        min=0, help="Profiles checked at once, each in its own process (0: one per CPU).")] = 0,
    extra_pack: Annotated[list[str] | None, typer.Option(
        "--extra-pack", help="A pack adopted on top of each profile, as a city adopts packs "
        "for its gateway (SANCTUARYGATE_GATEWAY_PACKS); repeat for more.")] = None,
) -> None:
    """Evaluate a profile's whole request space and check the declared invariants.

    Prints a counterexample (a request in scenario format and its decision) for any invariant
    that fails, and exits 1. To check what a gateway decides with the packs it adopted:
    ``policy verify --profile chicago --extra-pack ocad-proposed-eo-2019``.
    """
    lib = default_library()
    day = _day(date)
    names = profile or list(lib.profiles)
    extra = tuple(extra_pack or ())
    for name in names:
        lib.packs_for(name, day, extra)  # an unknown profile or pack: a clear error, no work
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(names) == 1:
        reports = map(_verify_profile, names, [day] * len(names), [extra] * len(names))
        failed = sum(_print(lines) for lines in reports)
    else:
        spawn = multiprocessing.get_context("spawn")  # no fork of a threaded parent
        with ProcessPoolExecutor(min(jobs, len(names)), mp_context=spawn) as pool:
            failed = sum(_print(lines) for lines in pool.map(
                _verify_profile, names, [day] * len(names), [extra] * len(names)))
    if failed:
        raise typer.Exit(1)


def _print(lines: list[str]) -> int:
    for line in lines:
        typer.echo(line)
    return sum(line.startswith("FAIL") for line in lines)


def _verify_profile(name: str, day: dt.date, extra: tuple[str, ...] = ()) -> list[str]:
    """One profile's report as printed lines (runs in a worker process)."""
    invariants = load_invariants(get_settings().packs_dir / "invariants.yaml")
    report = verify(Decider(default_library(), cache_size=0), invariants, name, day, extra)
    name = "+".join((name, *extra))
    lines = []
    for res in report.results:
        if res.skipped:
            continue
        if res.counterexample is None:
            lines.append(f"ok    {name} {day} {res.invariant.id}: {res.checked} requests")
            continue
        request, decision = res.counterexample
        lines.append(f"FAIL  {name} {day} {res.invariant.id}: {res.invariant.statement}")
        lines.append(f"      counterexample after {res.checked} requests, outcome "
                     f"{decision.outcome} by {', '.join(r.id for r in decision.rules) or 'no rule'}:")
        lines += [f"        {line}"
                  for line in yaml.safe_dump(request.to_dict(), sort_keys=False).splitlines()]
    return lines
