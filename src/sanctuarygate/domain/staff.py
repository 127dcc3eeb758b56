"""The city's staff as the product knows them: roles, and the pseudonymous id the log shows.

A staff member has a sign-in name (private to the city), one or more roles, and a public id
``s-<8 hex>``: the log, the answer card and the reports name the role and that id, never the
person (``staff:s-0a1b2c3d``). The roles:

=========  =====================================================================
desk       asks the rules, opens cases (desk officers, facility front counters)
reviewer   decides what the rules left to a person; grants exceptions (supervisor, Law Dept.)
records    the records unit: gateway reviews, partner agencies' keys
property   facility managers: the city's property registry and its signs
auditor    reads everything, changes nothing
admin      staff accounts
=========  =====================================================================

>>> sorted(parse_roles(["desk", " Reviewer "]))
[<Role.DESK: 'desk'>, <Role.REVIEWER: 'reviewer'>]
>>> StaffMember("s-0a1b2c3d", "jdoe", frozenset({Role.DESK})).actor
'staff:s-0a1b2c3d'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sanctuarygate.errors import InputError


class Role(StrEnum):
    DESK = "desk"
    REVIEWER = "reviewer"
    RECORDS = "records"
    PROPERTY = "property"
    AUDITOR = "auditor"
    ADMIN = "admin"


#: One line per role, for help texts and the roles table in the docs.
ROLE_HELP: dict[Role, str] = {
    Role.DESK: "asks the rules, opens cases",
    Role.REVIEWER: "decides reviews, grants exceptions",
    Role.RECORDS: "gateway reviews, partner agencies' keys",
    Role.PROPERTY: "the property registry and its signs",
    Role.AUDITOR: "reads everything, changes nothing",
    Role.ADMIN: "staff accounts",
}

#: Sign-in names: what a city's directory would use (letters, digits, . _ -), 2 to 64 long.
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
#: Or an e-mail address, as an identity provider names its people (``SANCTUARYGATE_OIDC_ACCOUNT_
#: CLAIM=email``, or a ``preferred_username`` that is one): at most 254 characters.
_EMAIL_NAME = re.compile(r"[a-z0-9][a-z0-9._+-]{0,63}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+")
_PUBLIC_ID = re.compile(r"s-[0-9a-f]{8}")


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    """Roles from their names; at least one; an unknown name is an :class:`InputError`.

    >>> parse_roles(["clerk"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: role: unknown role 'clerk' (desk, reviewer, records, ...)
    """
    roles = set()
    for value in values:
        name = value.strip().lower()
        try:
            roles.add(Role(name))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise InputError(f"unknown role {name!r} ({known})", field="role") from None
    if not roles:
        raise InputError("give at least one role", field="role")
    return frozenset(roles)


def check_name(name: str) -> str:
    """A sign-in name, lower-cased; :class:`InputError` if it is not one.

    >>> check_name(" J.Doe "), check_name("J.Doe@City.example")
    ('j.doe', 'j.doe@city.example')
    """
    cleaned = name.strip().lower()
    if not (_NAME.fullmatch(cleaned)
            or (len(cleaned) <= 254 and _EMAIL_NAME.fullmatch(cleaned))):
        raise InputError("a sign-in name is 2 to 64 letters, digits, '.', '_' or '-', starting "
                         "with a letter or digit, or an e-mail address", field="name")
    return cleaned


def is_public_id(value: str) -> bool:
    """Whether ``value`` looks like a staff member's public id.

    >>> is_public_id("s-0a1b2c3d"), is_public_id("jdoe")
    (True, False)
    """
    return bool(_PUBLIC_ID.fullmatch(value))


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A staff account, without its password: who, which roles, and whether it may sign in."""

    id: str
    name: str
    roles: frozenset[Role]
    created_at: dt.datetime | None = None
    disabled_at: dt.datetime | None = None
    locked_until: dt.datetime | None = None

    @property
    def actor(self) -> str:
        """How the log names this person: role-free and pseudonymous."""
        return f"staff:{self.id}"

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def has(self, role: Role) -> bool:
        """Whether the member holds ``role``.

        >>> StaffMember("s-0a1b2c3d", "a", frozenset({Role.AUDITOR})).has(Role.ADMIN)
        False
        """
        return role in self.roles
