"""``sanctuarygate misuse forget``: misuse reports keep photos and contact details only as long
as the city's records schedule says (``SANCTUARYGATE_REPORT_KEEP_DAYS``, default 365).

Run it daily (cron, a systemd timer):

    sanctuarygate misuse forget                 # older than the setting
    sanctuarygate misuse forget --days 90 --dry-run

A report linked to a case keeps them (the case may need them). The photo files are removed
after the change is committed, so a report never lists a photo that is gone; then any photo
file that no report lists (a crash between writing a photo and keeping its report, a removal
that failed) and that is more than an hour old is removed too.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

import typer

from sanctuarygate.audit.default import default_log
from sanctuarygate.settings import get_settings
from sanctuarygate.store.misuse import forget_personal, listed_photos
from sanctuarygate.web.misuse_photo import remove_photos, stray_photos

app = typer.Typer(help="Residents' misuse reports (city property used by immigration "
                       "enforcement): what the city keeps of them, and for how long.",
                  no_args_is_help=True)


@app.command("forget")
def forget(
    days: Annotated[int | None, typer.Option(
        min=1, metavar="DAYS", help="Keep this many days (default: the setting "
                                    "SANCTUARYGATE_REPORT_KEEP_DAYS).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Say what would be removed; remove nothing.")] = False,
) -> None:
    """Remove the photos and contact details of misuse reports older than the city keeps
    them (reports linked to a case keep theirs); the rest of each report stays."""
    settings = get_settings()
    keep = days or settings.report_keep_days
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=keep)
    log = default_log()
    with log.engine.begin() as conn:
        gone = forget_personal(conn, received_before=cutoff)
        if dry_run:
            conn.rollback()
    verb = "would remove" if dry_run else "removed"
    typer.echo(f"{verb} the photos ({len(gone.photos)}) and contact details of "
               f"{len(gone.reports)} report(s) received before {cutoff:%Y-%m-%d %H:%M} UTC "
               f"({keep} days)")
    with log.engine.connect() as conn:
        listed = listed_photos(conn)
    stray = stray_photos(listed | set(gone.photos), settings.data_dir,
                         older_than=time.time() - 3600)
    if stray:
        typer.echo(f"{verb} {len(stray)} photo file(s) no report lists")
    if not dry_run:
        remove_photos([*gone.photos, *stray], settings.data_dir)
