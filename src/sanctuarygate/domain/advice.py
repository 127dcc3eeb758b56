"""Plain words for the desk: what the outcome means, what to say and what to do.

The words are English. Each sentence is also a message id (marked ``N_`` for the catalog
extractor) with named parameters, kept on a :class:`Text`, so that the web layer can say it in
another language; the domain knows nothing of languages. Rule summaries and citations are the
packs' own words and are kept as they are.

>>> explain("deny", ("No holds on detainers.",), (), ())[0]
'No. No holds on detainers.'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sanctuarygate.domain.decision import Obligation, Outcome


def N_(msgid: str) -> str:
    """Mark ``msgid`` for the translation catalog; it is returned unchanged."""
    return msgid


class Text(str):
    """English words that remember how they were made: a message id with named parameters
    (themselves words), or several parts said one after another. A ``Text`` is a ``str`` (the
    API, CLI and log see plain English); a page reads ``msgid``, ``params`` and ``parts`` to say
    it in another language.

    >>> t = Text("Say: '{authority} does not allow this.'", authority=Text("Illinois law"))
    >>> t, t.msgid, t.params["authority"].msgid
    ("Say: 'Illinois law does not allow this.'", "Say: '{authority} does not allow this.'", 'Illinois law')
    >>> Text.joined([Text("No."), "A rule's own summary."]).parts[1]
    "A rule's own summary."
    """

    msgid: str | None
    params: Mapping[str, str]
    parts: tuple[str, ...]

    def __new__(cls, msgid: str, /, **params: str) -> Text:
        self = super().__new__(cls, msgid.format(**params))
        self.msgid, self.params, self.parts = msgid, params, ()
        return self

    @classmethod
    def joined(cls, parts: Sequence[str]) -> Text:
        """Parts said one after another, separated by a space; a plain ``str`` part (a rule's
        summary) is kept as it is."""
        self = str.__new__(cls, " ".join(parts))
        self.msgid, self.params, self.parts = None, {}, tuple(parts)
        return self


def _words(text: str) -> Text:
    """``text`` as a :class:`Text`: a plain string is its own message id."""
    return text if isinstance(text, Text) else Text(text)

FACT_QUESTIONS = {
    "document.verified": N_("Has a supervisor or the Law Department verified the document "
                            "(court caption, case number, judge's signature)?"),
    "truth_act_notice_given": N_("Was the TRUTH Act notice given to the person?"),
    "resource.in_custody": N_("Is the person in our custody?"),
    "resource.has_detainer": N_("Is there an immigration detainer on the person?"),
    "resource.outstanding_criminal_warrant": N_("Does our record show an outstanding criminal "
                                                "warrant for the person?"),
    "resource.felony_conviction": N_("Does our record show a felony conviction?"),
    "resource.pending_felony_charge": N_("Does our record show a pending felony charge?"),
    "resource.gang_database": N_("Is the person listed in a gang database?"),
    "resource.violent_conviction_within_5_years": N_("Does our record show a violent or serious "
                                                     "conviction in the last 5 years?"),
    "resource.watch_list_match": N_("Is there a possible terrorist watch-list match?"),
    "resource.posted_bond": N_("Has the person posted bond?"),
    "resource.minor": N_("Is the person a minor?"),
    "resource.leased": N_("Is the property leased to someone else?"),
    "purpose": N_("What do they say it is for? A stated purpose is a claim: ask for the document "
                  "behind it (a warrant or order signed by a judge)."),
}

#: Where the person asked about may need help (REFERENCE: ICIRR family support hotline).
LEGAL_HELP = N_("If the person needs help, give them the Illinois Coalition for Immigrant and "
                "Refugee Rights family support hotline: 855-435-7693 (free, confidential).")

#: Advice for a refusal that fits the act, in place of the advice written about people.
_ACT_ADVICE: dict[tuple[str, str], tuple[str, ...]] = {
    ("deny", "use-property"): (
        N_("Do not let the property be used. Point to the posted sign."),
        N_("Say: \"{authority} does not allow this property to be used for civil immigration "
           "enforcement.\""),
        N_("Take the names, agency and vehicle numbers, and report the attempted use as the "
           "order requires; lock the gate where you can."),
        N_("Stay calm and polite; do not physically interfere."),
    ),
    ("deny", "honor-detainer"): (
        N_("Do not hold the person on the detainer: release them on the normal schedule, as if "
           "there were no detainer."),
        N_("Say: \"{authority} does not allow me to hold anyone on an immigration detainer.\""),
        N_("Keep a copy of the detainer: it is recorded for the annual TRUST Act report "
           "(5 ILCS 805/25)."),
    ),
}

#: A review that must not read as "do nothing": an emergency, or a court order.
_EMERGENCY_ADVICE = (
    N_("Respond to the emergency as you would to any other: protect life and safety first."),
    N_("Give no perimeter, transport, equipment or arrest help for the immigration operation "
       "itself."),
    N_("Document everything (who called, what was asked, what you did) and tell your "
       "supervisor now."),
)
_COURT_ORDER_ADVICE = (
    N_("Do not refuse and do not comply yet."),
    N_("Keep the order (make a copy) and call the Law Department now: it decides whether the "
       "order requires what is asked."),
    N_("Say: \"I have to take this order to our Law Department before I can act on it.\""),
)

#: The instruments that decide, as the desk names them (see :func:`authority`).
AUTHORITIES = (N_("Illinois law"), N_("State law"), N_("County ordinance"),
               N_("A County executive order"), N_("City ordinance"),
               N_("A City Council resolution"), N_("The Mayor's executive order"),
               N_("City policy"))


def authority(kind: str, jurisdiction: str) -> Text:
    """How the desk names the instrument that decided: Illinois law, a City ordinance...

    >>> authority("statute", "illinois"), authority("ordinance", "chicago")
    ('Illinois law', 'City ordinance')
    """
    if kind == "statute":
        return Text("Illinois law" if jurisdiction == "illinois" else "State law")
    if jurisdiction in ("cook-county",):
        return Text({"ordinance": "County ordinance"}.get(kind, "A County executive order"))
    return Text({"ordinance": "City ordinance", "resolution": "A City Council resolution",
                 "executive-order": "The Mayor's executive order"}.get(kind, "City policy"))


_OBLIGATION_WORDS = {
    "mask-fields": N_("leave out these fields: {values}"),
    "no-onward-sharing": N_("the recipient may not pass the data on to: {values}"),
    "limit-to-order-scope": N_("give only what the order or warrant names, nothing more"),
    "limit-to-consent-scope": N_("stay within what the person consented to in writing"),
    "no-notice-to-immigration": N_("do not notify immigration agents of the release or transfer"),
    "purpose-limit": N_("use only for: {values}"),
}

_ADVICE: dict[str, tuple[str, ...]] = {
    "deny": (
        N_("Do not do what is asked, and do not share any information about the person."),
        N_("Say: \"{authority} does not allow me to do this. I can take your name, agency and "
           "contact details and pass them to the Law Department.\""),
        N_("Stay calm and polite; do not physically interfere. Record the request."),
    ),
    "review": (
        N_("Do not act yet, and do not share any information about the person."),
        N_("Say: \"I need to check this with my supervisor and the Law Department before I can "
           "answer.\""),
        N_("Call your supervisor now; keep a copy of any document shown."),
    ),
    "allow": (
        N_("You may go ahead with what is asked, and only that."),
        N_("Record the request and the document shown."),
    ),
    "allow-with-conditions": (
        N_("You may go ahead, but only on the conditions listed."),
        N_("Tell the requester the conditions; they travel with anything you hand over."),
        N_("Record the request and the document shown."),
    ),
}

_OPENERS = {
    "deny": N_("No."),
    "review": N_("A person must decide before anyone acts."),
    "allow": N_("Yes: these rules do not stand in the way."),
    "allow-with-conditions": N_("Yes, with conditions."),
}

#: A fact with no question of its own (the words are the fact's name).
_FACT_FALLBACK = N_("Is it known whether {fact}?")
_DEPENDS = N_("The answer depends on facts not yet known: {questions}")
_NO_RULE_CIVIL = N_("The purpose is civil immigration enforcement and no rule decides it.")
_NO_RULE_NO_PURPOSE = N_("The purpose was not given, so it may be civil immigration "
                         "enforcement; no rule in force decides it.")
_NO_RULE = N_("No rule in force covers this request.")

#: The banner of a what-if answer, and why it is one (``Request.what_if``'s reasons).
HYPOTHETICAL_WORDS = N_("HYPOTHETICAL — not the law in force: {reasons}")
_WHAT_IF_REASONS = {
    "extra_packs": N_("this answer applies packs that are not in force"),
    "date": N_("the law on {date}, not today's"),
}
_AND = N_("{first}; and {second}")


def what_if_banner(reasons: Sequence[str], date: str) -> Text:
    """The HYPOTHETICAL banner for a what-if, saying why it is one (``date``: the day asked).

    >>> what_if_banner(("date",), "2019-05-01")
    "HYPOTHETICAL — not the law in force: the law on 2019-05-01, not today's"
    >>> what_if_banner(("extra_packs", "date"), "2019-05-01").startswith(
    ...     "HYPOTHETICAL — not the law in force: this answer applies packs")
    True
    """
    said = [Text(_WHAT_IF_REASONS[r], date=date) if r == "date" else Text(_WHAT_IF_REASONS[r])
            for r in reasons]
    why = said[0]
    for more in said[1:]:
        why = Text(_AND, first=why, second=more)
    return Text(HYPOTHETICAL_WORDS, reasons=why)


def obligation_text(obligation: Obligation, words: Mapping[str, str] | None = None) -> Text:
    """One obligation in words; ``words`` turns values (a purpose, an agency id) into words.

    >>> obligation_text(Obligation("mask-fields", ("immigration", "birthplace")))
    'leave out these fields: immigration, birthplace'
    >>> obligation_text(Obligation("purpose-limit", ("criminal-investigation",)),
    ...                 {"criminal-investigation": "a criminal investigation"})
    'use only for: a criminal investigation'
    """
    template = _OBLIGATION_WORDS.get(obligation.kind, obligation.kind)
    values = [(words or {}).get(v, v) for v in obligation.values]
    if "{values}" not in template:
        return Text(template)
    return Text(template, values=", ".join(values))


def explain(outcome: Outcome, summaries: Sequence[str], obligations: Sequence[Obligation],
            unresolved: Sequence[str], *, civil_purpose: bool = False,
            purpose_given: bool = True, action: str = "",
            decided_by: str = "City policy", about_person: bool = False,
            emergency: bool = False, court_order: bool = False) -> tuple[Text, tuple[Text, ...]]:
    """Explanation and advice for an outcome, from the deciding rules' summaries.

    ``decided_by`` names the instrument that decided (see :func:`authority`); advice fits the
    act (property, detainer), an emergency or a court order; a person who may need help gets
    the legal-resources referral. Every sentence is a :class:`Text`.

    >>> explain("deny", ("No holds.",), (), (), action="honor-detainer",
    ...         decided_by="Illinois law")[1][0].startswith("Do not hold the person")
    True
    >>> explain("deny", (), (), (), decided_by=authority("statute", "illinois"))[1][1].params
    {'authority': 'Illinois law'}
    """
    parts: list[str] = [Text(_OPENERS[outcome])]
    if outcome == "review" and unresolved:
        questions = [Text(FACT_QUESTIONS[f]) if f in FACT_QUESTIONS
                     else Text(_FACT_FALLBACK, fact=f.removeprefix("resource."))
                     for f in unresolved]
        parts.append(Text(_DEPENDS, questions=Text.joined(questions)))
    elif outcome == "review" and not summaries:
        parts.append(Text(_NO_RULE_CIVIL if civil_purpose and purpose_given else
                          _NO_RULE_NO_PURPOSE if not purpose_given else _NO_RULE))
    parts += list(dict.fromkeys(summaries))
    if outcome == "review" and emergency:
        lines: tuple[str, ...] = _EMERGENCY_ADVICE
    elif outcome == "review" and court_order:
        lines = _COURT_ORDER_ADVICE
    else:
        lines = _ACT_ADVICE.get((outcome, action), _ADVICE[outcome])
    who = _words(decided_by)
    advice = [Text(line, authority=who) if "{authority}" in line else Text(line) for line in lines]
    if about_person and outcome in ("deny", "review"):
        advice.append(Text(LEGAL_HELP))
    return Text.joined(parts), tuple(advice)
