"""Plain words for the desk: what the outcome means, what to say and what to do.

>>> explain("deny", ("No holds on detainers.",), (), ())[0]
'No. No holds on detainers.'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sanctuarygate.domain.decision import Obligation, Outcome

FACT_QUESTIONS = {
    "document.verified": "Has a supervisor or the Law Department verified the document "
                         "(court caption, case number, judge's signature)?",
    "truth_act_notice_given": "Was the TRUTH Act notice given to the person?",
    "resource.in_custody": "Is the person in our custody?",
    "resource.has_detainer": "Is there an immigration detainer on the person?",
    "resource.outstanding_criminal_warrant": "Does our record show an outstanding criminal "
                                             "warrant for the person?",
    "resource.felony_conviction": "Does our record show a felony conviction?",
    "resource.pending_felony_charge": "Does our record show a pending felony charge?",
    "resource.gang_database": "Is the person listed in a gang database?",
    "resource.violent_conviction_within_5_years": "Does our record show a violent or serious "
                                                  "conviction in the last 5 years?",
    "resource.watch_list_match": "Is there a possible terrorist watch-list match?",
    "resource.posted_bond": "Has the person posted bond?",
    "resource.minor": "Is the person a minor?",
    "resource.leased": "Is the property leased to someone else?",
    "purpose": "What do they say it is for? A stated purpose is a claim: ask for the document "
               "behind it (a warrant or order signed by a judge).",
}

#: Where the person asked about may need help (REFERENCE: ICIRR family support hotline).
LEGAL_HELP = ("If the person needs help, give them the Illinois Coalition for Immigrant and "
              "Refugee Rights family support hotline: 855-435-7693 (free, confidential).")

#: Advice for a refusal that fits the act, in place of the advice written about people.
_ACT_ADVICE: dict[tuple[str, str], tuple[str, ...]] = {
    ("deny", "use-property"): (
        "Do not let the property be used. Point to the posted sign.",
        "Say: \"{authority} does not allow this property to be used for civil immigration "
        "enforcement.\"",
        "Take the names, agency and vehicle numbers, and report the attempted use as the order "
        "requires; lock the gate where you can.",
        "Stay calm and polite; do not physically interfere.",
    ),
    ("deny", "honor-detainer"): (
        "Do not hold the person on the detainer: release them on the normal schedule, as if "
        "there were no detainer.",
        "Say: \"{authority} does not allow me to hold anyone on an immigration detainer.\"",
        "Keep a copy of the detainer: it is recorded for the annual TRUST Act report "
        "(5 ILCS 805/25).",
    ),
}

#: A review that must not read as "do nothing": an emergency, or a court order.
_EMERGENCY_ADVICE = (
    "Respond to the emergency as you would to any other: protect life and safety first.",
    "Give no perimeter, transport, equipment or arrest help for the immigration operation "
    "itself.",
    "Document everything (who called, what was asked, what you did) and tell your supervisor "
    "now.",
)
_COURT_ORDER_ADVICE = (
    "Do not refuse and do not comply yet.",
    "Keep the order (make a copy) and call the Law Department now: it decides whether the order "
    "requires what is asked.",
    "Say: \"I have to take this order to our Law Department before I can act on it.\"",
)


def authority(kind: str, jurisdiction: str) -> str:
    """How the desk names the instrument that decided: Illinois law, a City ordinance...

    >>> authority("statute", "illinois"), authority("ordinance", "chicago")
    ('Illinois law', 'City ordinance')
    """
    if kind == "statute":
        return "Illinois law" if jurisdiction == "illinois" else "State law"
    if jurisdiction in ("cook-county",):
        return {"ordinance": "County ordinance"}.get(kind, "A County executive order")
    return {"ordinance": "City ordinance", "resolution": "A City Council resolution",
            "executive-order": "The Mayor's executive order"}.get(kind, "City policy")

_OBLIGATION_WORDS = {
    "mask-fields": "leave out these fields: {values}",
    "no-onward-sharing": "the recipient may not pass the data on to: {values}",
    "limit-to-order-scope": "give only what the order or warrant names, nothing more",
    "limit-to-consent-scope": "stay within what the person consented to in writing",
    "no-notice-to-immigration": "do not notify immigration agents of the release or transfer",
    "purpose-limit": "use only for: {values}",
}

_ADVICE: dict[str, tuple[str, ...]] = {
    "deny": (
        "Do not do what is asked, and do not share any information about the person.",
        "Say: \"City policy does not allow me to do this. I can take your name, agency and "
        "contact details and pass them to the Law Department.\"",
        "Stay calm and polite; do not physically interfere. Record the request.",
    ),
    "review": (
        "Do not act yet, and do not share any information about the person.",
        "Say: \"I need to check this with my supervisor and the Law Department before I can "
        "answer.\"",
        "Call your supervisor now; keep a copy of any document shown.",
    ),
    "allow": (
        "You may go ahead with what is asked, and only that.",
        "Record the request and the document shown.",
    ),
    "allow-with-conditions": (
        "You may go ahead, but only on the conditions listed.",
        "Tell the requester the conditions; they travel with anything you hand over.",
        "Record the request and the document shown.",
    ),
}

_OPENERS = {
    "deny": "No.",
    "review": "A person must decide before anyone acts.",
    "allow": "Yes: these rules do not stand in the way.",
    "allow-with-conditions": "Yes, with conditions.",
}


def obligation_text(obligation: Obligation, words: Mapping[str, str] | None = None) -> str:
    """One obligation in words; ``words`` turns values (a purpose, an agency id) into words.

    >>> obligation_text(Obligation("mask-fields", ("immigration", "birthplace")))
    'leave out these fields: immigration, birthplace'
    >>> obligation_text(Obligation("purpose-limit", ("criminal-investigation",)),
    ...                 {"criminal-investigation": "a criminal investigation"})
    'use only for: a criminal investigation'
    """
    template: str = _OBLIGATION_WORDS.get(obligation.kind, obligation.kind)
    values = [(words or {}).get(v, v) for v in obligation.values]
    return template.format(values=", ".join(values))


def explain(outcome: Outcome, summaries: Sequence[str], obligations: Sequence[Obligation],
            unresolved: Sequence[str], *, civil_purpose: bool = False,
            purpose_given: bool = True, action: str = "",
            decided_by: str = "City policy", about_person: bool = False,
            emergency: bool = False, court_order: bool = False) -> tuple[str, tuple[str, ...]]:
    """Explanation and advice for an outcome, from the deciding rules' summaries.

    ``decided_by`` names the instrument that decided (see :func:`authority`); advice fits the
    act (property, detainer), an emergency or a court order; a person who may need help gets
    the legal-resources referral.

    >>> explain("deny", ("No holds.",), (), (), action="honor-detainer",
    ...         decided_by="Illinois law")[1][0].startswith("Do not hold the person")
    True
    """
    parts = [_OPENERS[outcome]]
    if outcome == "review" and unresolved:
        questions = [FACT_QUESTIONS.get(f, f"Is it known whether {f.removeprefix('resource.')}?")
                     for f in unresolved]
        parts.append("The answer depends on facts not yet known: " + " ".join(questions))
    elif outcome == "review" and not summaries:
        parts.append("The purpose is civil immigration enforcement and no rule decides it."
                     if civil_purpose and purpose_given else
                     "The purpose was not given, so it may be civil immigration enforcement; no "
                     "rule in force decides it." if not purpose_given else
                     "No rule in force covers this request.")
    parts += list(dict.fromkeys(summaries))
    if outcome == "review" and emergency:
        advice = list(_EMERGENCY_ADVICE)
    elif outcome == "review" and court_order:
        advice = list(_COURT_ORDER_ADVICE)
    else:
        advice = [line.replace("City policy", decided_by).replace("{authority}", decided_by)
                  for line in _ACT_ADVICE.get((outcome, action), _ADVICE[outcome])]
    if about_person and outcome in ("deny", "review"):
        advice.append(LEGAL_HELP)
    return " ".join(parts), tuple(advice)
