"""The JSON API's bodies and answers as pydantic models, so ``/api/v1/openapi.json`` describes
them and a partner agency can generate a client.

A decision request is read by the domain's parser (``domain/request.py``), which stays the
authority on meaning: :class:`DecisionRequest` runs it first, on the raw body, and reports every
problem it finds at once (each naming its field), in the same 422 problem as a body that fails
the model (``web/problem.py``). Only a request the parser accepts is then checked against the
model, in its normal form (``Request.to_dict()``), and the parsed :class:`Request` travels with
the model (``body.request``), so nothing is parsed twice. The vocabulary (actions, purposes,
document kinds...) is in the schema as ``enum`` lists, read from ``domain/vocabulary.py``.

>>> body = DecisionRequest.model_validate(EXAMPLE_REQUEST)
>>> body.request.action, body.resource.type
('honor-detainer', 'Person')
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.domain.request import Request, parse_request
from sanctuarygate.errors import InputError

__all__ = ["EXAMPLE_REQUEST", "AgencyList", "CaseIntakeBody", "ConsistencyProof",
           "DecisionAnswer", "DecisionBody", "DecisionRequest", "InclusionProof", "LogEntries",
           "ProfileList", "QueryBody"]

EXAMPLE_REQUEST: dict[str, Any] = {
    "profile": "illinois",
    "date": "2024-02-01",
    "principal": {"agency": "ICE-ERO"},
    "action": "honor-detainer",
    "resource": {"type": "Person", "in_custody": True},
    "context": {"purpose": "civil-immigration-enforcement",
                "document": {"kind": "detainer", "verified": True}},
}


def _enum(vocabulary: frozenset[str]) -> dict[str, Any]:
    return {"enum": sorted(vocabulary)}


Action = Annotated[str, Field(json_schema_extra=_enum(voc.ACTIONS))]
Purpose = Annotated[str, Field(json_schema_extra=_enum(voc.PURPOSES))]
DocumentKind = Annotated[str, Field(json_schema_extra=_enum(voc.DOCUMENT_KINDS))]
Channel = Annotated[str, Field(json_schema_extra=_enum(voc.CHANNELS))]
PropertyUse = Annotated[str, Field(json_schema_extra=_enum(voc.PROPERTY_USES))]
Assistance = Annotated[str, Field(json_schema_extra=_enum(voc.ASSISTANCE_KINDS))]
Name = Annotated[str, Field(min_length=1)]
#: A yes/no fact that may not be known yet: decided both ways, ``review`` when they differ.
Fact = bool | Literal["unknown"]


def _may_omit(vocabulary: frozenset[str] | None = None, **given: Any) -> Any:
    """A field that may be left out but is never null (the parser refuses null there), its
    words from ``vocabulary`` when given."""

    def document(schema: dict[str, Any]) -> None:
        schema.pop("default", None)
        if vocabulary is not None:
            schema["enum"] = sorted(vocabulary)

    return Field(None, json_schema_extra=document, **given)


class _Closed(BaseModel):
    """A part of a request: no field beyond those listed (the parser refuses them too)."""

    model_config = ConfigDict(extra="forbid")


class AgencyPrincipal(_Closed):
    agency: Name = Field(description="An agency id of the directory (GET /api/v1/agencies).",
                         examples=["ICE-ERO"])


class EmployeePrincipal(_Closed):
    employee: Name = Field(description="A city department's id.", examples=["CPD"])


class PersonResource(_Closed):
    type: Literal["Person"]
    in_custody: Fact = _may_omit()
    gang_database: Fact = _may_omit()
    posted_bond: Fact = _may_omit()
    has_detainer: Fact = _may_omit()
    outstanding_criminal_warrant: Fact = _may_omit()
    felony_conviction: Fact = _may_omit()
    pending_felony_charge: Fact = _may_omit()
    violent_conviction_within_5_years: Fact = _may_omit()
    watch_list_match: Fact = _may_omit()
    minor: Fact = _may_omit()


class DatasetResource(_Closed):
    type: Literal["Dataset"]
    id: str = _may_omit(min_length=1)


class FieldResource(_Closed):
    type: Literal["Field"]
    id: str = _may_omit(min_length=1)
    dataset: str = _may_omit(min_length=1)


class PropertyResource(_Closed):
    type: Literal["Property"]
    id: str = _may_omit(min_length=1)
    kind: str = _may_omit(voc.PROPERTY_KINDS)
    owner: str = _may_omit(voc.PROPERTY_OWNERS)
    leased: Fact = _may_omit()
    #: An id of the city's property registry: it supplies kind, owner and leased.
    property_id: str = _may_omit(min_length=1)


class AgreementResource(_Closed):
    type: Literal["Agreement"]
    kind: str = _may_omit(voc.AGREEMENT_KINDS)


class FacilityResource(_Closed):
    type: Literal["Facility"]
    id: str = _may_omit(min_length=1)
    kind: str = _may_omit(min_length=1)
    #: An id of the city's property registry: it supplies the kind.
    property_id: str = _may_omit(min_length=1)


class ServiceResource(_Closed):
    type: Literal["Service"]
    id: str = _may_omit(min_length=1)


Resource = Annotated[
    PersonResource | DatasetResource | FieldResource | PropertyResource | AgreementResource
    | FacilityResource | ServiceResource, Field(discriminator="type")]

#: Every resource model by its ``type`` (a test checks them against the vocabulary's facts).
RESOURCES: dict[str, type[_Closed]] = {
    m.model_fields["type"].annotation.__args__[0]: m  # type: ignore[union-attr]
    for m in (PersonResource, DatasetResource, FieldResource, PropertyResource,
              AgreementResource, FacilityResource, ServiceResource)}


class Document(_Closed):
    kind: DocumentKind = "none"
    verified: Fact = _may_omit(description="Has a person checked the document? Not stated: "
                               "unknown (false for kind none).")
    form: Name | None = Field(None, description="The form's number, e.g. I-247A.")
    attachments: list[DocumentKind] | None = None


class Context(_Closed):
    purpose: Purpose = "unknown"
    document: Document | None = None
    onward_recipients: list[Name] | None = Field(None, description="Agency ids the answer "
                                                 "would be shared with.")
    channel: Channel | None = None
    use: PropertyUse | None = None
    assistance: Assistance | None = None
    truth_act_notice_given: Fact | None = None


class DecisionBody(_Closed):
    """A request in the scenario-case format (``domain/request.py``), as it is echoed back."""

    profile: Name = Field(description="The place whose law applies (GET /api/v1/profiles).",
                          examples=["illinois"])
    date: dt.date = Field(description="The day whose law applies; another day than today "
                          "is a what-if, answered and never recorded.")
    principal: AgencyPrincipal | EmployeePrincipal
    action: Action
    resource: Resource
    context: Context | None = None
    extra_packs: list[Name] | None = Field(None, description="Packs added for a what-if "
                                           "(a proposal): answered, never recorded.")


class CaseIntakeBody(_Closed):
    """What the city's case records at intake when the answer is a ``review`` (read by
    ``domain/intake.py``): never part of the request, never in the public log entry."""

    asked_by: str | None = Field(None, max_length=200, examples=["SA R. Roe, badge 4411"],
                                 description="The agent's name or badge, as told.")
    contact: str | None = Field(None, max_length=200,
                                description="A phone or an e-mail, as given.")
    person_ref: str | None = Field(None, max_length=64, examples=["CB-2025-004512"],
                                   description="The city's own reference for the person (a "
                                   "booking number); never a name.")
    document_verified_by: str | None = Field(None, max_length=200, description="Who at the "
                                             "city verified the document shown.")
    document_checked_at: str | None = Field(None, max_length=40, examples=["2025-11-03T09:05"],
                                            description="When it was verified (ISO 8601; "
                                            "without an offset, the city's time).")


class DecisionRequest(DecisionBody):
    """A decision request as a route takes it: read by the domain's parser first (all its
    problems at once, as a 422), then checked against the model in its normal form.

    ``case`` (:class:`CaseIntakeBody`) rides beside the request: it is taken off before the
    request is read, so the request, its echo and its log entry never carry it.

    >>> try:
    ...     DecisionRequest.model_validate({**EXAMPLE_REQUEST, "action": "deport", "date": "x"})
    ... except ValidationError as exc:
    ...     [e["loc"] for e in exc.errors()]
    [('date',), ('action',)]
    """

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_REQUEST]})
    case: CaseIntakeBody | None = Field(None, description="For the city's case, when the "
                                        "answer is a review: who asked, about whom, the "
                                        "document's verification. Kept in the case only.")
    _request: Request = PrivateAttr()

    @property
    def request(self) -> Request:
        """The request as the domain parsed it."""
        return self._request

    @model_validator(mode="wrap")
    @classmethod
    def _parse(cls, data: Any, handler: ModelWrapValidatorHandler[DecisionRequest]
               ) -> DecisionRequest:
        if isinstance(data, DecisionRequest):
            return data
        told = None
        if isinstance(data, dict) and "case" in data:
            data = dict(data)
            told = data.pop("case")
        try:
            request = parse_request(data)
        except InputError as exc:
            raise ValidationError.from_exception_data(cls.__name__, [
                InitErrorDetails(type=PydanticCustomError("invalid_request", "{message}",
                                                          {"message": str(message)}),
                                 loc=(field,) if field else (), input=data)
                for field, message in exc.field_errors]) from None
        body = handler(request.to_dict() if told is None else {**request.to_dict(),
                                                               "case": told})
        body._request = request
        return body


class RuleAnswer(BaseModel):
    id: str
    citation: str
    summary: str
    effect: str
    pack: str
    confidence: str


class ObligationAnswer(BaseModel):
    kind: str
    values: list[str]
    rule: str


class PackAnswer(BaseModel):
    id: str
    version: str
    digest: str


class DecisionAnswer(BaseModel):
    """The answer to a decision request: the decision, the request it answers and whether it
    was recorded (``log_index``: its entry in the public log)."""

    outcome: Literal["allow", "allow-with-conditions", "deny", "review"]
    explanation: str
    advice: list[str]
    rules: list[RuleAnswer]
    obligations: list[ObligationAnswer]
    unresolved_facts: list[str]
    packs: list[PackAnswer]
    profile: str
    date: str
    notes: list[str]
    request: DecisionBody
    recorded: bool
    log_index: int | None = Field(None, description="Only when recorded.")
    case_id: int | None = Field(None, description="Only for a recorded review: its case in "
                                "the review queue (GET /api/v1/cases/{case_id}).")
    dry_run: bool | None = Field(None, description="True when asked with ?dry_run=true.")
    hypothetical: bool | None = Field(None, description="True for a what-if (another day, or "
                                      "extra packs): never recorded.")
    banner: str | None = Field(None, description="Why a what-if is not the law in force.")


class AgencyAnswer(BaseModel):
    id: str
    name: str
    level: str
    parent: str | None


class AgencyList(BaseModel):
    agencies: list[AgencyAnswer]


class ProfileAnswer(BaseModel):
    id: str
    title: str
    packs: list[str]


class ProfileList(BaseModel):
    profiles: list[ProfileAnswer]


class LogEntry(BaseModel):
    index: int
    body: str = Field(description="The entry exactly as published (its leaf's bytes, UTF-8).")
    entry: dict[str, Any] = Field(description="The body, parsed.")
    leaf_hash: str = Field(description="Base64 of the RFC 9162 leaf hash.")


class LogEntries(BaseModel):
    size: int
    start: int
    entries: list[LogEntry]


class InclusionProof(BaseModel):
    index: int
    size: int
    leaf_hash: str
    root_hash: str
    proof: list[str] = Field(description="Base64 hashes, leaf to root.")


class ConsistencyProof(BaseModel):
    first: int = Field(alias="from")
    second: int = Field(alias="to")
    old_root_hash: str
    new_root_hash: str
    proof: list[str] = Field(description="Base64 hashes (RFC 9162 section 2.1.4).")


# --- The gateway's query body ---------------------------------------------------------------
# The schema a partner agency generates its client from. The route reads the body's bytes
# itself (``gateway/body.py``: a key sent twice is refused and, like every refused query, on the
# record), and ``gateway/plan.py``'s parse_spec stays the authority on meaning (which datasets
# and fields the catalog serves, each field's type).


class QueryFilter(_Closed):
    field: Name = Field(description="A field of the dataset.", examples=["charge"])
    op: str = Field("eq", json_schema_extra={"enum": list(voc.FILTER_OPERATORS)})
    value: Any = Field(None, description="A text, a whole number or a date (YYYY-MM-DD) as the "
                       "field's type is; a list of 1 to 100 of them for 'in'; none for "
                       "'is-null' and 'not-null'.")


class QueryBody(_Closed):
    """A gateway query (``POST /api/v1/query``)."""

    dataset: Name = Field(description="A dataset the city serves.", examples=["cpd-arrests"])
    fields: list[Name] = Field(["*"], min_length=1, description='Field names, or ["*"].')
    filters: list[QueryFilter] = Field([], max_length=20)
    purpose: Purpose = "unknown"
    document: Document | None = Field(None, description="The document the agency holds "
                                      "(none when left out).")
    onward_recipients: list[Name] = Field([], description="Agency ids the rows will be passed to.")
    limit: int = Field(1000, ge=1, le=1_000_000)
    sort: Name | None = Field(None, description="A field to sort by.")
    descending: bool = False
    format: Literal["jsonl", "csv"] = "jsonl"
    agency: Name | None = Field(None, description="The agency asking; when given it must be the "
                                "key's own.")
    case_id: int | None = Field(None, ge=1, description="The case a `review` answer opened: "
                                "once a reviewer has decided it, the same query with its case "
                                "id receives the columns the reviewer released.")
