"""Plain words for the desk: what the outcome means, what to say and what to do.

>>> explain("deny", ("No holds on detainers.",), (), ())[0]
'No. No holds on detainers.'
"""

from __future__ import annotations

from collections.abc import Sequence

from sanctuarygate.domain.decision import Obligation, Outcome

FACT_QUESTIONS = {
    "document.verified": "Has a supervisor or the Law Department verified the document "
                         "(court caption, case number, judge's signature)?",
    "truth_act_notice_given": "Was the TRUTH Act notice given to the person?",
}

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


def obligation_text(obligation: Obligation) -> str:
    """One obligation in words.

    >>> obligation_text(Obligation("mask-fields", ("immigration", "birthplace")))
    'leave out these fields: immigration, birthplace'
    """
    template: str = _OBLIGATION_WORDS.get(obligation.kind, obligation.kind)
    return template.format(values=", ".join(obligation.values))


def explain(outcome: Outcome, summaries: Sequence[str], obligations: Sequence[Obligation],
            unresolved: Sequence[str], *, civil_purpose: bool = False) -> tuple[str, tuple[str, ...]]:
    """Explanation and advice for an outcome, from the deciding rules' summaries."""
    parts = [_OPENERS[outcome]]
    if outcome == "review" and unresolved:
        questions = [FACT_QUESTIONS.get(f, f"Is it known whether {f.removeprefix('resource.')}?")
                     for f in unresolved]
        parts.append("The answer depends on facts not yet known: " + " ".join(questions))
    elif outcome == "review" and not summaries:
        parts.append("The purpose is civil immigration enforcement and no rule decides it."
                     if civil_purpose else "No rule in force covers this request.")
    parts += list(dict.fromkeys(summaries))
    if obligations:
        parts.append("Conditions: " + "; ".join(obligation_text(o) for o in obligations) + ".")
    advice = list(_ADVICE[outcome])
    advice += [f"Condition: {obligation_text(o)}." for o in obligations]
    return " ".join(parts), tuple(advice)
