"""The OpenAPI document is the contract: typed bodies, problem+json errors, security schemes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import InputError
from sanctuarygate.web.openapi import PROBLEM_SCHEMA
from sanctuarygate.web.schemas import RESOURCES, DecisionAnswer, DecisionRequest

from .conftest import TestClient, as_request, shared_cases

PROBLEM = "application/problem+json"
CASES = shared_cases()


@pytest.fixture(scope="module")
def spec(decider: Any) -> dict[str, Any]:
    from .conftest import web_app
    return TestClient(web_app(decider)).get("/api/v1/openapi.json").json()


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in spec["paths"].items()
            for method, op in ops.items()]


def test_every_error_response_is_problem_json_of_the_one_schema(spec: dict[str, Any]) -> None:
    seen = 0
    for method, path, operation in _operations(spec):
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                continue
            seen += 1
            assert list(response["content"]) == [PROBLEM], (method, path, status)
            schema = response["content"][PROBLEM]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA}"}, (path, status)
    assert seen >= 10
    schemas = spec["components"]["schemas"]
    assert {"type", "title", "status", "detail"} <= set(schemas[PROBLEM_SCHEMA]["required"])
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas


def test_the_security_schemes_are_declared_and_routes_name_theirs(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["staffToken"] == {**schemes["staffToken"], "type": "http", "scheme": "bearer"}
    assert schemes["agencyKey"] == {**schemes["agencyKey"], "type": "http", "scheme": "bearer"}
    assert schemes["agencyApiKey"] == {**schemes["agencyApiKey"], "type": "apiKey",
                                       "in": "header", "name": "X-API-Key"}
    assert all(s["description"] for s in schemes.values())
    paths = spec["paths"]
    # a staff token records; ?dry_run=true needs none (the empty requirement)
    assert paths["/api/v1/decisions"]["post"]["security"] == [{"staffToken": []}, {}]
    for method, path in (("post", "/api/v1/query"), ("get", "/api/v1/query/plan")):
        assert paths[path][method]["security"] == [{"agencyKey": []}, {"agencyApiKey": []}]
        # a key header sent twice (400), a client over its failed-authentication limit (429)
        assert {"400", "401", "429"} <= set(paths[path][method]["responses"])
    assert "security" not in paths["/api/v1/log/entries"]["get"]  # the public log: anyone


def test_routes_that_need_a_credential_document_401(spec: dict[str, Any]) -> None:
    for method, path, operation in _operations(spec):
        if any(operation.get("security", [])):
            assert "401" in operation["responses"], (method, path)


def test_the_decision_body_is_a_typed_model_with_an_example(spec: dict[str, Any]) -> None:
    body = spec["paths"]["/api/v1/decisions"]["post"]["requestBody"]["content"]
    ref = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    model = spec["components"]["schemas"][ref]
    assert {"profile", "date", "principal", "action", "resource"} <= set(model["required"])
    assert model["properties"]["action"]["enum"] == sorted(voc.ACTIONS)
    assert model["examples"] and model["additionalProperties"] is False
    parse_request(model["examples"][0])  # the example is a request the parser accepts
    answer = spec["paths"]["/api/v1/decisions"]["post"]["responses"]["200"]["content"]
    assert answer["application/json"]["schema"]["$ref"].endswith("/DecisionAnswer")


def test_resource_models_have_every_fact_of_the_vocabulary() -> None:
    assert set(RESOURCES) == voc.RESOURCE_TYPES
    for rtype, model in RESOURCES.items():
        assert set(model.model_fields) - {"type"} == set(voc.RESOURCE_FACTS[rtype]), rtype


def test_the_answer_model_has_every_field_of_a_decision() -> None:
    assert set(Decision("deny").to_dict()) <= set(DecisionAnswer.model_fields)


@pytest.mark.parametrize("case_id", sorted(shared_cases()))
def test_the_model_takes_every_shared_case_as_the_parser_reads_it(case_id: str) -> None:
    case = as_request(shared_cases()[case_id])
    body = DecisionRequest.model_validate(case)
    assert body.request == parse_request(case)
    assert body.model_dump(mode="json", exclude_unset=True) == parse_request(case).to_dict()


def test_the_parser_reports_first_and_all_at_once() -> None:
    case = as_request(shared_cases()["detainer-without-warrant-downstate"])
    bad = {**case, "date": "2025-02-30", "principal": {"agency": ""}, "action": "deport",
           "resource": {"type": "Person", "in_custody": "maybe"}}
    with pytest.raises(ValidationError) as caught:
        DecisionRequest.model_validate(bad)
    assert [e["loc"] for e in caught.value.errors()] == [
        ("date",), ("principal.agency",), ("action",), ("resource.in_custody",)]


def test_a_body_failing_the_model_or_the_parser_is_our_422_problem(client: TestClient) -> None:
    for body in ([], "text", {"profile": 3}, {"date": {"y": 2020}}):
        response = client.post("/api/v1/decisions?dry_run=true", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert "detail" in problem and problem["errors"] and problem["title"] == "Invalid request"
        assert all(set(e) == {"field", "message"} for e in problem["errors"])


def test_query_parameter_errors_are_problems_too(client: TestClient) -> None:
    response = client.get("/api/v1/agencies", params={"limit": 0})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "limit"
    assert response.json()["field"] == "limit"


def test_every_401_429_and_503_documents_the_header_it_carries(spec: dict[str, Any]) -> None:
    wanted = {"401": "WWW-Authenticate", "429": "Retry-After", "503": "Retry-After"}
    seen = set()
    for method, path, operation in _operations(spec):
        for status, header in wanted.items():
            if status in operation["responses"]:
                seen.add(status)
                headers = operation["responses"][status].get("headers", {})
                assert headers.get(header, {}).get("required") is True, (method, path, status)
    assert seen == set(wanted)


def test_not_ready_is_a_503_problem_with_retry_after(decider: Any) -> None:
    from .conftest import web_app
    app = web_app(decider)
    app.state.ready = False
    answer = TestClient(app).get("/healthz")
    assert answer.status_code == 503 and answer.headers["content-type"] == PROBLEM
    assert answer.headers["retry-after"] == "1"


def _resource(rtype: str, draw: Any) -> dict[str, Any]:
    facts = voc.RESOURCE_FACTS[rtype]
    chosen = draw(st.lists(st.sampled_from(sorted(facts)), unique=True, max_size=3))
    values: dict[str, Any] = {}
    for name in chosen:
        if facts[name] is bool:
            values[name] = draw(st.sampled_from([True, False, "unknown"]))
        else:
            vocab = {"kind": voc.PROPERTY_KINDS if rtype == "Property" else voc.AGREEMENT_KINDS,
                     "owner": voc.PROPERTY_OWNERS}.get(name)
            pick = sorted(vocab) if vocab and rtype in ("Property", "Agreement") else ["X-1"]
            values[name] = draw(st.sampled_from([*pick, "", 3]))
    return {"type": rtype, **values}


@settings(max_examples=150, derandomize=True, deadline=None)
@given(data=st.data())
def test_the_model_refuses_nothing_the_parser_accepts(data: st.DataObject) -> None:
    """Both ways: what the parser reads, the model takes as the same request; what the
    parser refuses is a ValidationError (the 422), never anything else."""
    case = as_request(data.draw(st.sampled_from(sorted(CASES.values(), key=str))))
    body = {**case,
            "action": data.draw(st.sampled_from(sorted(voc.ACTIONS))),
            "resource": _resource(data.draw(st.sampled_from(sorted(voc.RESOURCE_TYPES))),
                                  data.draw),
            "context": data.draw(st.sampled_from([None, {}, {"purpose": "unknown"}, {
                "purpose": data.draw(st.sampled_from(sorted(voc.PURPOSES))),
                "document": {"kind": data.draw(st.sampled_from(sorted(voc.DOCUMENT_KINDS))),
                             **data.draw(st.sampled_from([{}, {"verified": True},
                                                          {"verified": "unknown"}]))},
                "channel": data.draw(st.sampled_from([None, *sorted(voc.CHANNELS)]))}]))}
    try:
        expected = parse_request(body)
    except InputError:
        with pytest.raises(ValidationError):
            DecisionRequest.model_validate(body)
        return
    assert DecisionRequest.model_validate(body).request == expected
