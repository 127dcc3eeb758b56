"""``sanctuarygate policy ...``: list packs and profiles, verify invariants."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Annotated

import typer
import yaml

from sanctuarygate.errors import InputError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_library
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.policy.space import RequestSpace
from sanctuarygate.policy.verify import (
    Check,
    CheckedDay,
    Finding,
    VerifyReport,
    checked_days,
    load_invariants,
    plan_checks,
    reports,
    run_check,
)
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
                   f"{len(p.rules):2} rule{'s' if len(p.rules) != 1 else ' '}  {p.title}")
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
    names = profile or list(lib.profiles)
    extra = tuple(extra_pack or ())
    today = dt.date.today()
    days: list[tuple[str, CheckedDay]] = []
    for name in names:
        lib.packs_for(name, today, extra)  # an unknown profile or pack: a clear error, no work
        if date is None:
            days += [(name, d) for d in checked_days(lib, invariants, name, today, extra)]
        else:
            day = _day(date)
            days.append((name, CheckedDay(day, (), tuple(p.id for p in lib.packs_for(
                name, day, extra)), tuple(i.id for i in invariants if i.applies(name, day)))))
    plan = plan_checks(lib, invariants, [(n, d.day) for n, d in days if d.invariants], extra)
    jobs = min(jobs or os.cpu_count() or 1, len(plan.checks) or 1)
    if jobs == 1:
        findings = [_run_check(c) for c in plan.checks]
    else:
        spawn = multiprocessing.get_context("spawn")  # no fork of a threaded parent
        with ProcessPoolExecutor(jobs, mp_context=spawn) as pool:
            # The largest first, so that no process is left alone with a long one at the end.
            sizes = _sizes(lib, plan.checks)
            order = sorted(range(len(plan.checks)), key=lambda i: -sizes[i])
            futures = {i: pool.submit(_run_check, plan.checks[i]) for i in order}
            findings = [futures[i].result() for i in range(len(plan.checks))]
    by_pair = iter(reports(Decider(lib, cache_size=0), plan, findings))
    failed = 0
    for name, checked in days:
        label = "+".join((name, *extra))
        spans = ", ".join(str(i) for i in checked.intervals)
        if not checked.invariants:
            typer.echo(f"-     {label} {spans or checked.day}: no invariant is about "
                       f"{'these days' if spans else 'this day'}")
            continue
        if spans:
            typer.echo(f"day   {label} {checked.day} stands for {spans}")
        lines = _lines(label, next(by_pair))
        for line in lines:
            typer.echo(line)
        failed += sum(line.startswith("FAIL") for line in lines)
    if failed:
        raise typer.Exit(1)


def _sizes(lib: PolicyLibrary, checks: Sequence[Check]) -> list[int]:
    """How many requests each check asks at most (to start the largest first)."""
    spaces: dict[tuple[str, dt.date], RequestSpace] = {}
    out = []
    for c in checks:
        space = spaces.get((c.profile, c.day))
        if space is None:
            space = spaces[(c.profile, c.day)] = RequestSpace(
                lib, lib.packs_for(c.profile, c.day, c.extra_packs))
        out.append(sum(space.count({**inv.where, "actions": [c.action]}, c.profile, c.day,
                                   c.extra_packs, inv.never) for inv in c.invariants))
    return out


def _run_check(check: Check) -> dict[str, Finding]:
    """One check, in a worker process."""
    return run_check(Decider(default_library(), cache_size=0), check)


def _lines(label: str, report: VerifyReport) -> list[str]:
    """A report as printed lines: one per invariant, and a counterexample under a failure."""
    day = report.date
    lines = []
    for res in report.results:
        if res.skipped:
            continue
        if res.counterexample is None:
            lines.append(f"ok    {label} {day} {res.invariant.id}: {res.checked} requests")
            continue
        request, decision = res.counterexample
        lines.append(f"FAIL  {label} {day} {res.invariant.id}: {res.invariant.statement}")
        lines.append(f"      counterexample after {res.checked} requests, outcome "
                     f"{decision.outcome} by {', '.join(r.id for r in decision.rules) or 'no rule'}:")
        lines += [f"        {line}"
                  for line in yaml.safe_dump(request.to_dict(), sort_keys=False).splitlines()]
    return lines
