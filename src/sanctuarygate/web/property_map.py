"""The registry's map: each property's shape drawn from its GeoJSON geometry, coloured by
whether a sign is posted, as an SVG made on the server (Altair geoshape, drawn by vl-convert).
No tile server and no JavaScript: the page loads nothing from another site.

Words come in already translated. The SVG is shown as an ``<img>`` with a text description
listing every property and its sign, and the page lists the same properties in a table.

>>> from sanctuarygate.domain.property import Property
>>> lot = Property("L-1", "chicago", "Lot 1", "parking-lot", "city", geometry={
...     "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]})
>>> m = property_map([lot], title="Map", signed="sign posted", unsigned="no sign")
>>> m.svg.startswith("<svg"), m.alt
(True, 'Map: L-1 Lot 1, no sign.')
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import shapely.geometry
import vl_convert

from sanctuarygate.domain.property import Property

SIGNED, UNSIGNED, INK = "#2b4c7e", "#b3261e", "#111111"
WIDTH, HEIGHT = 560, 380
#: Drawing costs a few milliseconds a shape and more a label (vl-convert): the map draws at
#: most this many properties, and labels them with their ids up to ``MAX_LABELS``; the page
#: says when it shows fewer than it lists (the table lists them all).
MAX_DRAWN, MAX_LABELS = 200, 40


@dataclass(frozen=True, slots=True)
class PropertyMap:
    """A drawn map: its SVG and a text description for readers who cannot see it."""

    alt: str
    svg: str = field(repr=False)
    #: How many properties the map draws, of how many it was given (with a geometry).
    drawn: int = 0
    total: int = 0

    @property
    def data_uri(self) -> str:
        """The SVG as a ``data:`` URI, for an ``<img>`` that needs no other request."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


def _clockwise(shape: Any) -> dict[str, Any]:
    """The geometry with clockwise outer rings, as d3-geo (which Vega draws with) reads a
    polygon on the sphere; GeoJSON's own right-hand rule (RFC 7946) winds them the other way,
    which d3 reads as the whole globe but the polygon."""
    if isinstance(shape, shapely.geometry.Polygon):
        shape = shapely.geometry.polygon.orient(shape, sign=-1.0)
    elif isinstance(shape, shapely.geometry.MultiPolygon):
        shape = shapely.geometry.MultiPolygon(
            [shapely.geometry.polygon.orient(p, sign=-1.0) for p in shape.geoms])
    out: dict[str, Any] = shapely.geometry.mapping(shape)
    return out


def property_map(properties: Sequence[Property], *, title: str, signed: str,
                 unsigned: str) -> PropertyMap:
    """The map of ``properties`` (those with a geometry); each labelled with its id."""
    every = [p for p in properties if p.geometry]
    drawn = every[:MAX_DRAWN]
    shapes: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    for prop in drawn:
        sign = signed if prop.signed else unsigned
        shape = shapely.geometry.shape(prop.geometry)
        shapes.append({"type": "Feature", "geometry": _clockwise(shape),
                       "properties": {"id": prop.id, "sign": sign}})
        if len(drawn) > MAX_LABELS:
            continue
        point = shape.representative_point()
        labels.append({"type": "Feature", "geometry": {"type": "Point",
                                                       "coordinates": [point.x, point.y]},
                       "properties": {"id": prop.id}})
    colour = alt.Color("properties.sign:N", title=None,
                       scale=alt.Scale(domain=[signed, unsigned], range=[SIGNED, UNSIGNED]),
                       legend=alt.Legend(orient="bottom", labelFontSize=13))
    shape_data = alt.Data(values=shapes)  # type: ignore[no-untyped-call]
    label_data = alt.Data(values=labels)  # type: ignore[no-untyped-call]
    base = alt.Chart(shape_data).mark_geoshape(stroke=INK, strokeWidth=1.5,
                                               opacity=0.85).encode(color=colour)
    names = alt.Chart(label_data).mark_text(
        dy=-12, fontSize=12, fontWeight="bold", color=INK).encode(
        longitude="geometry.coordinates[0]:Q", latitude="geometry.coordinates[1]:Q",
        text="properties.id:N")
    chart = (base + names).properties(width=WIDTH, height=HEIGHT, title=title).project(
        type="mercator")
    spec = chart.to_dict()
    spec["padding"] = {"left": 48, "right": 48, "top": 8, "bottom": 8}  # room for the ids
    svg = vl_convert.vegalite_to_svg(spec)
    said = "; ".join(f"{p.id} {p.name}, {signed if p.signed else unsigned}" for p in drawn)
    return PropertyMap(f"{title}: {said}." if said else f"{title}: —", svg, len(drawn), len(every))
