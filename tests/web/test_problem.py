"""The one table from error classes to problem statuses."""

from __future__ import annotations

import pytest

from sanctuarygate import errors
from sanctuarygate.web.problem import STATUS, Problem, problem_for


def _all_error_classes() -> list[type[errors.SanctuaryGateError]]:
    found, todo = [], [errors.SanctuaryGateError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def _example(cls: type[errors.SanctuaryGateError]) -> errors.SanctuaryGateError:
    if issubclass(cls, errors.UnknownProfileError):
        return cls("atlantis")
    if issubclass(cls, errors.DatasetNotServedError):
        return cls("water-billing", "CHICAGO-WATER", "waukegan", ("waukegan-pd-records",))
    if issubclass(cls, errors.UnknownAgencyError | errors.UnknownDatasetError):
        return cls("X", field="resource.id")
    if cls is errors.FieldErrors:
        return cls([errors.InputError("is required", field="date"),
                    errors.InputError("is required", field="action")])
    if cls is errors.NotAllowed:
        from sanctuarygate.domain.decision import Decision

        return cls(Decision("deny", explanation="No."))  # type: ignore[call-arg]
    if cls.__name__ == "TooFewCosignaturesError":
        return cls(["w1"], 2, 3)  # type: ignore[call-arg]
    if cls.__name__ == "WitnessRefusedError":
        return cls("http://127.0.0.1:1", 409, "size 4")  # type: ignore[call-arg]
    if cls.__name__ in ("SizeConflictError",):
        return cls(4)  # type: ignore[arg-type]
    if cls.__name__ == "TooManyFailuresError":
        return cls(limit=10, window=60, retry_after=5)  # type: ignore[call-arg]
    if cls.__name__ == "InvalidSignatureError":
        return cls("log.example", b"\x00\x01\x02\x03")  # type: ignore[call-arg]
    return cls("something went wrong")


@pytest.mark.parametrize("cls", _all_error_classes(), ids=lambda c: c.__name__)
def test_every_error_class_has_a_row_in_the_table(cls: type[errors.SanctuaryGateError]) -> None:
    assert cls in STATUS, f"{cls.__name__} needs a status in web/problem.py"


@pytest.mark.parametrize("cls", _all_error_classes(), ids=lambda c: c.__name__)
def test_statuses_input_422_authentication_401_refused_403_rest_500(
        cls: type[errors.SanctuaryGateError]) -> None:
    problem = problem_for(_example(cls))
    if cls.__name__ in ("AmbiguousKeyError", "TooManyFailuresError"):  # RFC 6750 400; 429
        assert problem.status == (400 if cls.__name__ == "AmbiguousKeyError" else 429)
        return
    if issubclass(cls, errors.AuthenticationError):
        assert problem.status == 401 and problem.to_dict()["reason"] == "unknown"
        return
    if cls.__name__ in ("QueryRefusedError", "NotAllowed", "ReviewReleaseRefusedError"):  # 403
        assert problem.status == 403
        if cls is errors.NotAllowed:  # with the decision, without the desk's advice
            assert problem.to_dict()["decision"]["outcome"] == "deny"
            assert "advice" not in problem.to_dict()["decision"]
        return
    if cls.__name__ in ("PhotoTooLargeError", "CopyTooLargeError"):  # a body over its limit
        assert problem.status == 413
        return
    if cls.__name__ in ("UnknownCaseError", "UnknownGatewayCaseError", "ReviewRefusedError"):
        assert problem.status == (409 if cls.__name__ == "ReviewRefusedError" else 404)
        return
    assert problem.status == (422 if issubclass(cls, errors.InputError) else 500)
    assert problem.title == cls.title
    if problem.status == 500:
        assert "NOT allowed" in problem.detail


def test_subclass_without_a_row_takes_its_parents_status() -> None:
    class NewInputError(errors.InputError):
        title = "New"

    assert problem_for(NewInputError("x", field="f")).status == 422


def test_input_problem_names_the_field() -> None:
    problem = problem_for(errors.InputError("is required", field="date"))
    assert problem.to_dict() == {"type": "urn:sanctuarygate:problem:invalid-request",
                                 "title": "Invalid request", "status": 422,
                                 "detail": "date: is required", "field": "date",
                                 "errors": [{"field": "date", "message": "is required"}]}


def test_problem_without_field_leaves_it_out() -> None:
    assert "field" not in Problem(404, "Not Found", "nothing").to_dict()


def test_unexpected_exception_is_500_and_keeps_its_message_out() -> None:
    problem = problem_for(KeyError("database password"))
    assert problem.status == 500
    assert "password" not in problem.detail and "NOT allowed" in problem.detail
