"""Agency families: the columns a resident reads (ICE, CBP, other DHS, DOJ, state, local, ...).

A family is read from the agency directory (``packs/agencies.yaml``), never from a list of ids
kept here:

- under the department flagged ``immigration-parent`` (DHS): each of its direct children
  flagged ``civil-immigration`` is a family of its own (ICE, CBP), with everything under it
  (ICE-ERO, ICE-HSI, CBP-USBP, ...); every other part of that department, and the department
  itself, is ``other DHS``;
- any other top-level federal department is a family named by its id, with all its components
  (``DOJ``: FBI, DEA, USMS, EOIR, ...);
- a top-level agency of ``state`` level is ``state``; of ``county`` or ``city`` level (and their
  departments) ``local``;
- a city employee acting (``{employee: CPD}``: asking or telling a status) is ``city staff``;
- anything else (a court, the military outside DHS, an id the directory no longer knows) is
  ``other``.

>>> from sanctuarygate.domain.agency import Directory
>>> d = Directory.from_mapping({"agencies": [
...     {"id": "DHS", "level": "federal", "flags": ["immigration-parent"], "children": [
...         {"id": "ICE", "flags": ["civil-immigration"], "children": [{"id": "ICE-ERO"}]},
...         {"id": "FEMA"}]},
...     {"id": "DOJ", "level": "federal", "children": [{"id": "FBI"}]},
...     {"id": "ISP", "level": "state"}, {"id": "CPD", "level": "city"}]})
>>> f = Families(d)
>>> [f.of("agency", a) for a in ("ICE-ERO", "FEMA", "DHS", "FBI", "ISP", "CPD", "NASA")]
['ICE', 'other DHS', 'other DHS', 'DOJ', 'state', 'local', 'other']
>>> f.order
('ICE', 'other DHS', 'DOJ', 'state', 'local', 'city staff', 'other')
"""

from __future__ import annotations

from sanctuarygate.domain.agency import Agency, Directory

__all__ = ["CITY_STAFF", "LOCAL", "OTHER", "STATE", "Families"]

STATE, LOCAL, CITY_STAFF, OTHER = "state", "local", "city staff", "other"
#: Directory levels whose top-level agencies count as local government.
LOCAL_LEVELS = frozenset({"county", "city"})


class Families:
    """Each agency's family, from a directory; ``order`` is the column order of the tables."""

    def __init__(self, directory: Directory) -> None:
        self._family: dict[str, str] = {}
        immigration: list[str] = []
        departments: list[str] = []
        for agency in directory:
            family = self._derive(agency, directory)
            self._family[agency.id] = family
            root = directory.get(agency.ancestors[0]) if agency.ancestors else agency
            if "immigration-parent" in root.flags:
                if family not in immigration and not family.startswith("other "):
                    immigration.append(family)
            elif root.level == "federal" and family not in departments:
                departments.append(family)
        others = sorted({f for f in self._family.values() if f.startswith("other ")})
        self.order: tuple[str, ...] = (*immigration, *others, *departments, STATE, LOCAL,
                                       CITY_STAFF, OTHER)

    @staticmethod
    def _derive(agency: Agency, directory: Directory) -> str:
        path = (*agency.ancestors, agency.id)
        root = directory.get(path[0])
        if "immigration-parent" in root.flags:
            if len(path) > 1 and "civil-immigration" in directory.get(path[1]).flags:
                return path[1]
            return f"other {root.id}"
        if root.level == "federal":
            return root.id
        if root.level == "state":
            return STATE
        if root.level in LOCAL_LEVELS:
            return LOCAL
        return OTHER

    def of(self, kind: str, ident: str) -> str:
        """The family of a principal: ``kind`` is ``agency`` or ``employee``."""
        if kind == "employee":
            return CITY_STAFF
        return self._family.get(ident, OTHER)
