"""Plain words for the vocabulary, as a desk officer would say them.

The request vocabulary (``domain/vocabulary.py``) is kebab-case for machines; the desk page
shows these labels instead. A word without a label falls back to itself, and a test fails
when the vocabulary grows a word that has no label here.

>>> label(ACTION_LABELS, "honor-detainer")
'Hold someone on an immigration detainer'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from sanctuarygate.domain.advice import FACT_QUESTIONS

ACTION_LABELS: Final = {
    "honor-detainer": "Hold someone on an immigration detainer",
    "transfer-custody": "Hand a person in our custody over to them",
    "notify-release": "Tell them when someone will be released",
    "grant-access": "Let them interview or see a person in custody",
    "answer-inquiry": "Answer questions about a person (custody, release, address)",
    "detain": "Stop, arrest or hold someone (e.g. on an immigration hit)",
    "inquire-status": "Ask a person about their immigration status",
    "disclose-status": "Tell them a person's immigration status",
    "query-dataset": "Look up or hand over records from a database",
    "grant-database-access": "Give them their own access (a login or feed) to a database",
    "read-field": "Read one field of a database (e.g. birthplace)",
    "assist-operation": "Help with their operation (transport, perimeter, officers)",
    "use-property": "Use city property (a lot, garage or building)",
    "use-facility": "Use a city facility (e.g. the jail or a station)",
    "enter-agreement": "Sign an agreement with them (287(g), detention, data sharing)",
    "condition-service": "Refuse or condition a city service because of immigration status",
}

PURPOSE_LABELS: Final = {
    "civil-immigration-enforcement": "Immigration enforcement (civil: arrest, detain, deport)",
    "criminal-investigation": "A criminal investigation",
    "disaster-relief": "Disaster relief",
    "protective-operation": "Protecting a person or event (e.g. Secret Service)",
    "consular-notification": "Consular notification",
    "firearm-eligibility": "Checking eligibility to hold a firearm",
    "traffic-enforcement": "Traffic enforcement",
    "litigation": "A court case (litigation)",
    "benefits-adjudication": "Deciding on a benefit or service",
    "emergency-assistance": "Emergency help (life or safety at risk)",
    "unknown": "They did not say / not known",
}

DOCUMENT_LABELS: Final = {
    "none": "No document",
    "detainer": "Immigration detainer (e.g. form I-247A)",
    "administrative-warrant":
        "Immigration warrant signed by an officer, not a judge (I-200, I-205)",
    "immigration-judge-order": "Order of an immigration judge (not a court judge)",
    "federal-criminal-warrant": "Federal criminal warrant signed by a judge",
    "state-criminal-warrant": "State criminal warrant signed by a judge",
    "judicial-warrant": "Warrant signed by a judge (other)",
    "court-order": "Court order signed by a judge",
    "grand-jury-subpoena": "Grand-jury subpoena",
    "administrative-subpoena": "Administrative subpoena (issued by an agency, not a court)",
    "ncic-immigration-hit": "NCIC database hit about immigration",
    "written-consent": "The person's written consent",
    "statute-letter": "A letter citing a law (e.g. 8 USC 1373)",
}

RESOURCE_LABELS: Final = {
    "Person": "A person",
    "Dataset": "Records in a database",
    "Field": "One field of a database",
    "Property": "City property (lot, garage, building)",
    "Facility": "A city facility (jail, station)",
    "Agreement": "An agreement or contract",
    "Service": "A city service or benefit (water, police protection...)",
}

PROPERTY_KIND_LABELS: Final = {
    "garage": "Garage",
    "parking-lot": "Parking lot",
    "vacant-lot": "Vacant lot",
    "field-house": "Park field house",
    "building": "Building",
    "school": "School",
    "park": "Park",
}

PROPERTY_OWNER_LABELS: Final = {
    "city": "The city",
    "county": "The county",
    "sister-agency": "A sister agency (Park District, schools, transit)",
    "private": "A private owner",
    "federal": "The federal government",
}

PROPERTY_USE_LABELS: Final = {
    "staging-area": "Staging area for an operation",
    "processing-location": "Processing people they arrest",
    "operations-base": "Base of operations",
    "surveillance": "Watching people (surveillance)",
    "parking": "Parking only",
    "other": "Something else",
}

AGREEMENT_LABELS: Final = {
    "287g": "287(g) agreement (local officers act as immigration agents)",
    "detention-contract": "Contract to hold people for immigration",
    "data-sharing": "Data-sharing agreement",
    "task-force": "Joint task force",
}

VERIFIED_LABELS: Final = {
    "true": "Yes, a supervisor or the Law Department checked it",
    "false": "No, checked and it is not genuine or not as described",
    "unknown": "Not yet checked",
}

#: The questions the desk asks about a person or a property: every fact some rule reads, in
#: the words the answer card uses too (``domain.advice.FACT_QUESTIONS``). A question the officer
#: leaves at "Not known" is sent as ``unknown`` (decided both ways).
FACT_QUESTION_LABELS: Final = {key.removeprefix("resource."): text
                               for key, text in FACT_QUESTIONS.items()
                               if key.startswith("resource.")}

ASSISTANCE_LABELS: Final = {
    "perimeter": "A traffic perimeter or road block",
    "transport": "Transport of people they arrest",
    "equipment": "Equipment or vehicles",
    "courthouse-arrest": "Help with an arrest at a courthouse",
    "on-site-support": "Officers on site",
    "other": "Something else",
}

FACT_LABELS: Final = {
    "true": "Yes",
    "false": "No",
    "unknown": "Not known",
}

OUTCOME_HEADLINES: Final = {
    "allow": "YES",
    "allow-with-conditions": "YES, WITH CONDITIONS",
    "deny": "NO — DENY",
    "review": "WAIT — A PERSON MUST DECIDE",
}

#: Shown beside the headline; the words carry the meaning, never the icon or colour alone.
OUTCOME_ICONS: Final = {
    "allow": "✔",
    "allow-with-conditions": "✔",
    "deny": "✖",
    "review": "‖",
}

CONFIDENCE_LABELS: Final = {
    "C": "confirmed in the source text",
    "P": "partly confirmed",
    "U": "unconfirmed: check the official text",
}


def label(labels: Mapping[str, str], word: str) -> str:
    """The plain label for a vocabulary word, or the word itself when there is none.

    >>> label(PURPOSE_LABELS, "no-such-purpose")
    'no-such-purpose'
    """
    return labels.get(word, word)


def choices(labels: Mapping[str, str],
            words: frozenset[str] | None = None) -> list[tuple[str, str]]:
    """``(word, label)`` pairs for a select, in the labels' order; words without a label last.

    >>> choices(FACT_LABELS)[0]
    ('true', 'Yes')
    """
    ordered = [w for w in labels if words is None or w in words]
    extra = sorted((words or frozenset()) - set(labels))
    return [(w, label(labels, w)) for w in ordered + extra]
