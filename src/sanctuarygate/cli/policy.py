"""``sanctuarygate policy ...``: list packs and profiles, verify invariants."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from typing import Annotated

import rich.progress
import typer
import yaml
from rich.console import Console

from sanctuarygate.errors import InputError
from sanctuarygate.policy.default import default_library
from sanctuarygate.policy.verify import Progress, VerifyReport, load_invariants, verify_profiles
from sanctuarygate.settings import get_settings

app = typer.Typer(help="Inspect and check the policy packs.", no_args_is_help=True)


def counted(n: int, word: str) -> str:
    """``n`` things, in words that agree with the number.

    >>> counted(1, "rule"), counted(2, "rule"), counted(0, "request")
    ('1 rule', '2 rules', '0 requests')
    """
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _day(text: str | None) -> dt.date:
    if text is None:
        return get_settings().today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text!r} is not a date (YYYY-MM-DD)", field="--date") from None


@app.command("packs")
def packs(
    profile: Annotated[str | None, typer.Option(
        metavar="PROFILE", help="Only the packs that bind this profile.")] = None,
    date: Annotated[str | None, typer.Option(
        metavar="DATE", help="Mark which are in force on this day (YYYY-MM-DD).")] = None,
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
                   f"{counted(len(p.rules), 'rule'):8}  {p.title}")
    typer.echo(f"(* = in force on {day.isoformat()})")


@app.command("profiles")
def profiles() -> None:
    """List the profiles (places) and the packs that bind each."""
    for prof in default_library().profiles.values():
        typer.echo(f"{prof.id:14} {prof.title}: {', '.join(prof.packs)}")


@app.command("verify")
def verify_cmd(
    profile: Annotated[list[str] | None, typer.Option(
        "--profile", metavar="PROFILE",
        help="A profile to check (repeat for more); default: all.")] = None,
    date: Annotated[str | None, typer.Option(
        metavar="DATE", help="Check this day only (YYYY-MM-DD). Default: every day, through one day for each "
        "interval between the dates at which a pack or an invariant starts or stops "
        "(today for today's interval); intervals with the same packs and invariants are "
        "checked once.")] = None,
    jobs: Annotated[int, typer.Option(
        min=0, metavar="N", help="Checks run at once, each in its own process (0: one per CPU). A check is "
        "one action's requests under one set of rules in force, shared by every profile and "
        "day that has those rules.")] = 0,
    extra_pack: Annotated[list[str] | None, typer.Option(
        "--extra-pack", metavar="PACK", help="A pack adopted on top of each profile, as a city adopts packs "
        "for its gateway (SANCTUARYGATE_GATEWAY_PACKS); repeat for more.")] = None,
) -> None:
    """Evaluate a profile's whole request space and check the declared invariants, on every
    day or on one.

    Prints, for each profile, the days checked and the intervals each stands for, then one
    line per invariant and day; a counterexample (a request in scenario format and its
    decision) for any invariant that fails, and exits 1. To check what a gateway decides with
    the packs it adopted: 'policy verify --profile chicago --extra-pack ocad-proposed-eo-2019'.
    """
    lib = default_library()
    invariants = load_invariants(get_settings().packs_dir / "invariants.yaml")
    with _progress() as progress:
        found = verify_profiles(lib, invariants, profile or list(lib.profiles),
                                today=get_settings().today(), day=None if date is None else _day(date),
                                extra_packs=extra_pack or (), jobs=jobs, load=default_library,
                                progress=progress)
    failed = 0
    for day in found:
        checked, label = day.checked, day.label
        spans = ", ".join(str(i) for i in checked.intervals)
        if day.report is None:
            typer.echo(f"-     {label} {spans or checked.day}: no invariant is about "
                       f"{'these days' if spans else 'this day'}")
            continue
        if spans:
            typer.echo(f"day   {label} {checked.day} stands for {spans}")
        lines = _lines(label, day.report)
        for line in lines:
            typer.echo(line)
        failed += sum(line.startswith("FAIL") for line in lines)
    if failed:
        raise typer.Exit(1)


@contextlib.contextmanager
def _progress() -> Iterator[Progress | None]:
    """A progress bar per profile on stderr, naming the invariant last checked, when stderr
    is a terminal; nothing (None) when it is not, so that logs stay clean."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    bars = rich.progress.Progress(
        rich.progress.TextColumn("{task.description}"), rich.progress.BarColumn(),
        rich.progress.MofNCompleteColumn(), rich.progress.TimeElapsedColumn(),
        console=console, transient=True)
    tasks: dict[str, rich.progress.TaskID] = {}

    def advance(profile: str, invariant: str, done: int, total: int) -> None:
        if profile not in tasks:
            tasks[profile] = bars.add_task(profile, total=total)
        bars.update(tasks[profile], completed=done, description=f"{profile:15} {invariant}")

    with bars:
        yield advance


def _lines(label: str, report: VerifyReport) -> list[str]:
    """A report as printed lines: one per invariant, and a counterexample under a failure."""
    day = report.date
    lines = []
    for res in report.results:
        if res.skipped:
            continue
        if res.counterexample is None:
            lines.append(f"ok    {label} {day} {res.invariant.id}: {counted(res.checked, 'request')}")
            continue
        request, decision = res.counterexample
        lines.append(f"FAIL  {label} {day} {res.invariant.id}: {res.invariant.statement}")
        lines.append(f"      counterexample after {counted(res.checked, 'request')}, outcome "
                     f"{decision.outcome} by {', '.join(r.id for r in decision.rules) or 'no rule'}:")
        lines += [f"        {line}"
                  for line in yaml.safe_dump(request.to_dict(), sort_keys=False).splitlines()]
    return lines


@app.command("diff")
def diff_cmd(
    profile: Annotated[str, typer.Option(metavar="PROFILE", help="The profile to compare.")],
    date: Annotated[str, typer.Option(metavar="DATE", help="The day before (YYYY-MM-DD).")],
    vs_date: Annotated[str | None, typer.Option(
        metavar="DATE", help="The day after (YYYY-MM-DD); default: the same day.")] = None,
    extra_pack: Annotated[list[str] | None, typer.Option(
        "--extra-pack", metavar="PACK",
        help="A pack adopted on top of the profile on the second side; repeat for more.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Every class of request of a profile whose outcome differs between two policy sets
    (two days, or one with extra packs), over the whole request space 'policy verify' checks.

    Prints one group per (action, agency family, outcome before -> after) with the rules that
    decided on each side and one example request in scenario format. Exits 0 whether or not
    there are differences.
    """
    from sanctuarygate.policy.decide import Decider
    from sanctuarygate.policy.diff import diff, sides

    before, after = sides(profile, _day(date), None if vs_date is None else _day(vs_date),
                          extra_pack or ())
    report = diff(Decider(default_library(), cache_size=0), before, after)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    typer.echo(f"before {before.label}: {', '.join(report.packs_before)}")
    typer.echo(f"after  {after.label}: {', '.join(report.packs_after)}")
    typer.echo(f"{counted(report.decided, 'request')} decided on each side, "
               f"{counted(len(report.changes), 'class')} changed")
    for c in report.changes:
        typer.echo(f"{c.action} {c.family}: {c.before} -> {c.after} "
                   f"({counted(c.count, 'request')}; {', '.join(sorted(c.agencies))})")
        typer.echo(f"  before by {', '.join(sorted(c.rules_before)) or 'no rule'}")
        typer.echo(f"  after by  {', '.join(sorted(c.rules_after)) or 'no rule'}")
        assert c.example is not None
        typer.echo("  example:")
        typer.echo("\n".join(f"    {line}" for line in yaml.safe_dump(
            c.example[0].to_dict(), sort_keys=False).splitlines()))
