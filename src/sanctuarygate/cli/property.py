"""``sanctuarygate property import|list|show|sign|posted``: the city's property registry.

``import`` reads a GeoJSON FeatureCollection (the format cities publish open data in), checks
every feature (``domain/property_file.py``) and keeps all of them in one transaction, or, when
any is bad, none: each bad feature is one line on stderr, then exit 2.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sanctuarygate.audit.default import default_log
from sanctuarygate.cli.property_sign import sign_command
from sanctuarygate.domain.property import Property
from sanctuarygate.domain.property_file import read_features
from sanctuarygate.errors import FieldErrors, InputError
from sanctuarygate.policy.default import default_library
from sanctuarygate.settings import get_settings
from sanctuarygate.store.property import (
    get_property,
    import_properties,
    list_properties,
    record_sign,
)

app = typer.Typer(help="The city's property registry (lots, garages, buildings): import it "
                       "from GeoJSON, list it, show one property, print its sign.",
                  no_args_is_help=True)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]

app.command("sign")(sign_command)


def read_geojson(path: Path) -> Any:
    """The JSON in ``path``; InputError naming the file when it cannot be read or parsed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is not JSON: {exc}") from None


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A GeoJSON FeatureCollection.")],
    place: Annotated[str, typer.Option(
        metavar="PROFILE", help="The place whose property it is (a profile: chicago, "
                                "north-chicago, waukegan...).")],
) -> None:
    """Import property from a GeoJSON file, all or nothing.

    Each feature needs an id (the feature's id or properties.id), a name, a kind (garage,
    parking lot, vacant lot, building, school, park, field house), an owner (city,
    sister-agency, county, private, federal, or leased) and a valid geometry; optional:
    address, department, gates_lockable, leased, sign_posted (date) and sign_posted_by.
    Importing the same file again updates the properties it lists (never adds them twice);
    properties the file does not list are kept.
    """
    default_library().profile(place)  # an unknown place is exit 2, before the file is read
    try:
        found = read_features(read_geojson(file), place)
    except FieldErrors as exc:
        *before, (_, last) = exc.field_errors
        for _, message in before:
            typer.echo(f"error: {message}", err=True)
        raise InputError(f"{last} ({len(exc.errors)} problems; nothing imported)") from None
    except InputError as exc:
        raise InputError(f"{exc} (nothing imported)") from None
    with default_log().engine.begin() as conn:
        done = import_properties(conn, place, found)
    typer.echo(f"{place}: {done.added} properties added, {done.updated} updated")


@app.command("list")
def list_command(
    place: Annotated[str | None, typer.Option(metavar="PROFILE", help="Only this place's.")] = None,
    department: Annotated[str | None, typer.Option(
        metavar="NAME", help="Only this managing department's (its name as registered).")] = None,
    unsigned: Annotated[bool, typer.Option(
        "--unsigned", help="Only property with no sign posted yet.")] = False,
    as_json: AsJson = False,
) -> None:
    """List registered property: id, place, kind, owner, department, sign, name."""
    if place is not None:
        default_library().profile(place)
    with default_log().engine.connect() as conn:
        found = list_properties(conn, place=place, department=department, unsigned=unsigned)
    if as_json:
        typer.echo(json.dumps({"properties": [_brief(p) for p in found]}, indent=2))
        return
    for prop in found:
        sign = prop.sign_posted_on.isoformat() if prop.sign_posted_on else "no sign"
        owner = prop.owner + (" (leased)" if prop.leased else "")
        typer.echo(f"{prop.id}\t{prop.place}\t{prop.kind}\t{owner}\t{prop.department or '-'}\t"
                   f"{sign}\t{prop.name}")


@app.command("show")
def show(
    property_id: Annotated[str, typer.Argument(metavar="ID", help="The property's id.")],
    as_json: AsJson = False,
) -> None:
    """Show one property: what the registry holds about it, geometry included with --json."""
    with default_log().engine.connect() as conn:
        prop = get_property(conn, property_id)
    if prop is None:
        raise InputError(f"{property_id!r} is not in the city's property registry", field="ID")
    if as_json:
        typer.echo(json.dumps(prop.to_dict(), indent=2))
        return
    lines = {"id": prop.id, "place": prop.place, "name": prop.name,
             "address": prop.address or "-", "kind": prop.kind,
             "owner": prop.owner + (", leased to others" if prop.leased else ""),
             "department": prop.department or "-",
             "gates lockable": {True: "yes", False: "no", None: "not known"}[prop.gates_lockable],
             "sign": (f"posted {prop.sign_posted_on} by {prop.sign_posted_by or 'not recorded'}"
                      if prop.sign_posted_on else "none posted"),
             "geometry": prop.geometry.get("type", "-")}
    for name, value in lines.items():
        typer.echo(f"{name + ':':<16}{value}")


@app.command("posted")
def posted(
    property_id: Annotated[str, typer.Argument(metavar="ID", help="The property's id.")],
    by: Annotated[str, typer.Option(
        metavar="WHO", help="Who posted it: a department or team (never a resident).")],
    on: Annotated[str | None, typer.Option(
        metavar="YYYY-MM-DD", help="The day it was posted (default: the city's today).")] = None,
) -> None:
    """Record that the order's sign was posted on a property (the registry's sign date and who
    posted it; the public property pages and `property list --unsigned` read it)."""
    try:
        day = dt.date.fromisoformat(on) if on else get_settings().today()
    except ValueError:
        raise InputError(f"--on is a date (YYYY-MM-DD), not {on!r}", field="on") from None
    with default_log().engine.begin() as conn:
        prop = record_sign(conn, property_id, day, by)
    typer.echo(f"{prop.id}: sign posted on {prop.sign_posted_on} by {prop.sign_posted_by}")


def _brief(prop: Property) -> dict[str, Any]:
    out = prop.to_dict()
    out.pop("geometry")
    return out
