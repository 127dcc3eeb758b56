"""The words a request is made of: actions, purposes, document kinds, resource types.

These are the vocabulary of ``../shared/legal/scenarios.yaml`` plus the few this project adds
(``use-facility`` and ``read-field`` were already there; ``firearm-eligibility`` and
``health-or-safety`` purposes, ``judicial-warrant`` document kind are ours). A word outside these
sets is an input error, never silently accepted.

>>> "honor-detainer" in ACTIONS
True
"""

from __future__ import annotations

from typing import Final

ACTIONS: Final = frozenset(
    {
        "detain",
        "honor-detainer",
        "transfer-custody",
        "notify-release",
        "answer-inquiry",
        "grant-access",
        "use-facility",
        "query-dataset",
        "grant-database-access",
        "read-field",
        "assist-operation",
        "use-property",
        "inquire-status",
        "disclose-status",
        "enter-agreement",
        "condition-service",
    }
)

PURPOSES: Final = frozenset(
    {
        "civil-immigration-enforcement",
        "criminal-investigation",
        "disaster-relief",
        "protective-operation",
        "consular-notification",
        "firearm-eligibility",
        "traffic-enforcement",
        "litigation",
        "benefits-adjudication",
        "emergency-assistance",
        "unknown",
    }
)

#: Purposes that are never the enforcement of civil immigration law. ``unknown`` is not among
#: them: a request whose purpose is not known is treated like a civil-immigration one.
NON_IMMIGRATION_PURPOSES: Final = PURPOSES - {"civil-immigration-enforcement", "unknown"}

DOCUMENT_KINDS: Final = frozenset(
    {
        "none",
        "detainer",
        "administrative-warrant",
        "immigration-judge-order",
        "federal-criminal-warrant",
        "state-criminal-warrant",
        "judicial-warrant",
        "court-order",
        "grand-jury-subpoena",
        "administrative-subpoena",
        "ncic-immigration-hit",
        "written-consent",
        "statute-letter",
    }
)

#: Documents that are "civil immigration warrants" or detainers in the sense of 5 ILCS 805/10:
#: not approved or ordered by a judge.
CIVIL_IMMIGRATION_DOCUMENTS: Final = frozenset(
    {"detainer", "administrative-warrant", "ncic-immigration-hit"}
)

RESOURCE_TYPES: Final = frozenset({"Person", "Dataset", "Field", "Property", "Agreement", "Facility",
                                   "Service"})

#: Resource attributes a request may state, by type, with their value kind. ``bool`` facts may
#: also be ``"unknown"``: the decision is then taken both ways.
RESOURCE_FACTS: Final[dict[str, dict[str, type]]] = {
    "Person": {
        "in_custody": bool,
        "gang_database": bool,
        "posted_bond": bool,
        "has_detainer": bool,
        "outstanding_criminal_warrant": bool,
        "felony_conviction": bool,
        "pending_felony_charge": bool,
        "violent_conviction_within_5_years": bool,
        "watch_list_match": bool,
        "minor": bool,
    },
    "Dataset": {"id": str},
    "Field": {"id": str, "dataset": str},
    #: ``property_id``: an id of the city's property registry (``domain/property.py``), whose
    #: facts the registry fills in before the request is decided.
    "Property": {"id": str, "kind": str, "owner": str, "leased": bool, "property_id": str},
    "Agreement": {"kind": str},
    "Facility": {"id": str, "kind": str, "property_id": str},
    "Service": {"id": str},
}

PROPERTY_KINDS: Final = frozenset(
    {"garage", "parking-lot", "vacant-lot", "field-house", "building", "school", "park"}
)
PROPERTY_OWNERS: Final = frozenset({"city", "county", "sister-agency", "private", "federal"})
PROPERTY_USES: Final = frozenset(
    {"staging-area", "processing-location", "operations-base", "surveillance", "parking", "other"}
)
ASSISTANCE_KINDS: Final = frozenset(
    {"perimeter", "transport", "equipment", "courthouse-arrest", "on-site-support", "other"}
)
#: ``data-platform``: the request comes through the data gateway, a standing data-sharing
#: platform (5 ILCS 805/15(h)(5)), rather than as a one-off request to a person.
CHANNELS: Final = frozenset({"in-person", "telephone", "email", "mail", "electronic",
                             "data-platform"})
AGREEMENT_KINDS: Final = frozenset({"287g", "detention-contract", "data-sharing", "task-force"})

OUTCOMES: Final = ("allow", "allow-with-conditions", "deny", "review")

#: Obligation kinds a rule may impose through its ``@obligations`` annotation.
OBLIGATION_KINDS: Final = frozenset(
    {
        "mask-fields",
        "no-onward-sharing",
        "limit-to-order-scope",
        "limit-to-consent-scope",
        "no-notice-to-immigration",
        "purpose-limit",
        "rows-where",
    }
)

#: Operators of a structured filter (a client's query filter, or a pack's ``rows-where``).
FILTER_OPERATORS: Final = ("eq", "ne", "lt", "le", "gt", "ge", "in", "prefix", "is-null",
                           "not-null")

#: Which resource types each action can be about (mirrors ``packs/schema.cedarschema``).
ACTION_RESOURCES: Final[dict[str, frozenset[str]]] = {
    **{a: frozenset({"Person"}) for a in (
        "detain", "honor-detainer", "transfer-custody", "notify-release", "answer-inquiry",
        "grant-access", "inquire-status", "disclose-status")},
    "use-facility": frozenset({"Facility", "Person"}),
    "query-dataset": frozenset({"Dataset"}),
    "grant-database-access": frozenset({"Dataset"}),
    "read-field": frozenset({"Field"}),
    "assist-operation": frozenset({"Facility", "Person", "Property"}),
    "use-property": frozenset({"Property", "Facility"}),
    "enter-agreement": frozenset({"Agreement"}),
    #: Deny or condition a city service or benefit (police protection included) on status.
    "condition-service": frozenset({"Service"}),
}
