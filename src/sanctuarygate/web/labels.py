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

from sanctuarygate.domain.advice import FACT_QUESTIONS, N_

ACTION_LABELS: Final = {
    "honor-detainer": N_("Hold someone on an immigration detainer"),
    "transfer-custody": N_("Hand a person in our custody over to them"),
    "notify-release": N_("Tell them when someone will be released"),
    "grant-access": N_("Let them interview or see a person in custody"),
    "answer-inquiry": N_("Answer questions about a person (custody, release, address)"),
    "detain": N_("Stop, arrest or hold someone (e.g. on an immigration hit)"),
    "inquire-status": N_("Ask a person about their immigration status"),
    "disclose-status": N_("Tell them a person's immigration status"),
    "query-dataset": N_("Look up or hand over records from a database"),
    "grant-database-access": N_("Give them their own access (a login or feed) to a database"),
    "read-field": N_("Read one field of a database (e.g. birthplace)"),
    "assist-operation": N_("Help with their operation (transport, perimeter, officers)"),
    "use-property": N_("Use city property (a lot, garage or building)"),
    "use-facility": N_("Use a city facility (e.g. the jail or a station)"),
    "enter-agreement": N_("Sign an agreement with them (287(g), detention, data sharing)"),
    "condition-service": N_("Refuse or condition a city service because of immigration status"),
}

PURPOSE_LABELS: Final = {
    "civil-immigration-enforcement": N_("Immigration enforcement (civil: arrest, detain, deport)"),
    "criminal-investigation": N_("A criminal investigation"),
    "disaster-relief": N_("Disaster relief"),
    "protective-operation": N_("Protecting a person or event (e.g. Secret Service)"),
    "consular-notification": N_("Consular notification"),
    "firearm-eligibility": N_("Checking eligibility to hold a firearm"),
    "traffic-enforcement": N_("Traffic enforcement"),
    "litigation": N_("A court case (litigation)"),
    "benefits-adjudication": N_("Deciding on a benefit or service"),
    "emergency-assistance": N_("Emergency help (life or safety at risk)"),
    "unknown": N_("They did not say / not known"),
}

DOCUMENT_LABELS: Final = {
    "none": N_("No document"),
    "detainer": N_("Immigration detainer (e.g. form I-247A)"),
    "administrative-warrant":
        N_("Immigration warrant signed by an officer, not a judge (I-200, I-205)"),
    "immigration-judge-order": N_("Order of an immigration judge (not a court judge)"),
    "federal-criminal-warrant": N_("Federal criminal warrant signed by a judge"),
    "state-criminal-warrant": N_("State criminal warrant signed by a judge"),
    "judicial-warrant": N_("Warrant signed by a judge (other)"),
    "court-order": N_("Court order signed by a judge"),
    "grand-jury-subpoena": N_("Grand-jury subpoena"),
    "administrative-subpoena": N_("Administrative subpoena (issued by an agency, not a court)"),
    "ncic-immigration-hit": N_("NCIC database hit about immigration"),
    "written-consent": N_("The person's written consent"),
    "statute-letter": N_("A letter citing a law (e.g. 8 USC 1373)"),
}

RESOURCE_LABELS: Final = {
    "Person": N_("A person"),
    "Dataset": N_("Records in a database"),
    "Field": N_("One field of a database"),
    "Property": N_("City property (lot, garage, building)"),
    "Facility": N_("A city facility (jail, station)"),
    "Agreement": N_("An agreement or contract"),
    "Service": N_("A city service or benefit (water, police protection...)"),
}

PROPERTY_KIND_LABELS: Final = {
    "garage": N_("Garage"),
    "parking-lot": N_("Parking lot"),
    "vacant-lot": N_("Vacant lot"),
    "field-house": N_("Park field house"),
    "building": N_("Building"),
    "school": N_("School"),
    "park": N_("Park"),
}

PROPERTY_OWNER_LABELS: Final = {
    "city": N_("The city"),
    "county": N_("The county"),
    "sister-agency": N_("A sister agency (Park District, schools, transit)"),
    "private": N_("A private owner"),
    "federal": N_("The federal government"),
}

PROPERTY_USE_LABELS: Final = {
    "staging-area": N_("Staging area for an operation"),
    "processing-location": N_("Processing people they arrest"),
    "operations-base": N_("Base of operations"),
    "surveillance": N_("Watching people (surveillance)"),
    "parking": N_("Parking only"),
    "other": N_("Something else"),
}

AGREEMENT_LABELS: Final = {
    "287g": N_("287(g) agreement (local officers act as immigration agents)"),
    "detention-contract": N_("Contract to hold people for immigration"),
    "data-sharing": N_("Data-sharing agreement"),
    "task-force": N_("Joint task force"),
}

VERIFIED_LABELS: Final = {
    "true": N_("Yes, a supervisor or the Law Department checked it"),
    "false": N_("No, checked and it is not genuine or not as described"),
    "unknown": N_("Not yet checked"),
}

#: The questions the desk asks about a person or a property: every fact some rule reads, in
#: the words the answer card uses too (``domain.advice.FACT_QUESTIONS``). A question the officer
#: leaves at "Not known" is sent as ``unknown`` (decided both ways).
FACT_QUESTION_LABELS: Final = {key.removeprefix("resource."): text
                               for key, text in FACT_QUESTIONS.items()
                               if key.startswith("resource.")}

ASSISTANCE_LABELS: Final = {
    "perimeter": N_("A traffic perimeter or road block"),
    "transport": N_("Transport of people they arrest"),
    "equipment": N_("Equipment or vehicles"),
    "courthouse-arrest": N_("Help with an arrest at a courthouse"),
    "on-site-support": N_("Officers on site"),
    "other": N_("Something else"),
}

FACT_LABELS: Final = {
    "true": N_("Yes"),
    "false": N_("No"),
    "unknown": N_("Not known"),
}

OUTCOME_HEADLINES: Final = {
    "allow": N_("YES"),
    "allow-with-conditions": N_("YES, WITH CONDITIONS"),
    "deny": N_("NO — DENY"),
    "review": N_("WAIT — A PERSON MUST DECIDE"),
}

#: Shown beside the headline; the words carry the meaning, never the icon or colour alone.
OUTCOME_ICONS: Final = {
    "allow": "✔",
    "allow-with-conditions": "✔",
    "deny": "✖",
    "review": "‖",
}

CONFIDENCE_LABELS: Final = {
    "C": N_("confirmed in the source text"),
    "P": N_("partly confirmed"),
    "U": N_("unconfirmed: check the official text"),
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
