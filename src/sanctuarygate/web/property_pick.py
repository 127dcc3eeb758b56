"""The desk's property picker: the registry's properties grouped by place, for a ``<select>``
with one ``<optgroup>`` per place (it works without JavaScript: every place's lots are listed,
under their place's name). A registry that cannot be read (a database not yet migrated) leaves
the picker out, with a warning in the server's log: the desk still answers on facts by hand."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.store.property import list_properties

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PlaceGroup:
    """One place's properties: its profile id and title, and (id, label) per property."""

    place: str
    title: str
    options: tuple[tuple[str, str], ...]


def property_choices(engine: Engine, library: PolicyLibrary) -> list[PlaceGroup]:
    """Every registered property, grouped by place in the profiles' order.

    >>> from sanctuarygate.store.db import make_engine, migrate
    >>> from sanctuarygate.policy.default import default_library
    >>> engine = make_engine("sqlite://"); _ = migrate(engine)
    >>> property_choices(engine, default_library())
    []
    """
    try:
        with engine.connect() as conn:
            found = list_properties(conn)
    except SQLAlchemyError as exc:  # the desk still answers; it offers no registry meanwhile
        logger.warning("the property registry could not be read: %s", exc)
        return []
    groups = []
    for place, profile in library.profiles.items():
        options = tuple((p.id, f"{p.id} — {p.name}" + (f", {p.address}" if p.address else ""))
                        for p in found if p.place == place)
        if options:
            groups.append(PlaceGroup(place, profile.title, options))
    return groups
