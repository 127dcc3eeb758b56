"""Schemathesis against the served OpenAPI document: every route, fuzzed within (and outside)
its documented schema, answers as documented: no server error, only documented statuses, the
documented content types (problem+json for errors) and bodies, and credentials enforced.

The app is built with a temporary data directory, log database and records database; a
reviewer's staff token and an FBI agency key are sent to the routes that need them (and
schemathesis's auth check then tries each without, expecting 401). Examples are few and
derandomized, so the run is short and the same every time.

Every check runs but one: ``positive_data_acceptance``. A body or query the schema admits may
still be refused with the documented 422, because meaning is the domain's (an agency id the
directory does not list, a dataset the catalog does not serve, a proof for entries the log
does not have), and those sets are data, not schema.
"""

from __future__ import annotations

import atexit
import copy
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance

from sanctuarygate.demo.records import generate
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.policy.default import default_decider
from sanctuarygate.settings import Settings
from sanctuarygate.store.db import make_engine
from sanctuarygate.store.staff import add_staff, issue_token
from sanctuarygate.web.app import create_app, start

#: Examples per route: enough to reach every documented status, few enough to stay quick.
EXAMPLES = 20

#: Everything the app keeps (log, keys, records) goes to a folder of this module's own.
HOME = Path(tempfile.mkdtemp(prefix="sanctuarygate-contract-"))
atexit.register(shutil.rmtree, HOME, ignore_errors=True)  # also when only collected
RECORDS = make_engine(f"sqlite:///{HOME / 'records.db'}")
#: Built at import, as schemathesis loads its document (which runs the app's start-up): its
#: lazy fixture loader does not work with pytest 9 (it sets ``node._nodeid``).
#: The auth check sends many bad keys on purpose: no throttle (429) for this one client.
UNTHROTTLED = {"auth_failure_limit": 10**6} if "auth_failure_limit" in Settings.model_fields else {}
APP = create_app(Settings(data_dir=HOME / "data", database_url=f"sqlite:///{HOME / 'log.db'}",
                          **UNTHROTTLED), decider=default_decider(), records=RECORDS)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, Any]]:
    """The app, started (migrated, its keys made; again, which changes nothing), with records
    to release and the credentials its routes need."""
    generate(RECORDS, 50, seed=5)
    start(APP)
    with APP.state.log.engine.begin() as conn:
        agency_key = issue_key(conn, "FBI", "contract test").key
        # a reviewer records decisions, reads cases and answers them: every staff route
        member, _ = add_staff(conn, "contract-reviewer", ("reviewer",), password="contract pass")
        staff_token = issue_token(conn, member.name, "contract test").token
    yield {"staff": {"Authorization": f"Bearer {staff_token}"},
           "agency": {"Authorization": f"Bearer {agency_key}"}}
    APP.state.log.engine.dispose()
    RECORDS.dispose()


def credentials(served: dict[str, Any], case: Any) -> dict[str, str]:
    """The header a route's documented security asks for (none for public routes)."""
    names = {name for need in case.operation.definition.raw.get("security", []) for name in need}
    if "staffToken" in names:
        return dict(served["staff"])
    if "agencyKey" in names:
        return dict(served["agency"])
    return {}


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_route_keeps_its_documented_contract(case: Any, served: dict[str, Any]) -> None:
    case.call_and_validate(headers=credentials(served, case),
                           excluded_checks=[positive_data_acceptance])


def test_the_check_fails_when_the_document_leaves_a_status_out(served: dict[str, Any]) -> None:
    """The contract test can fail: with 422 left out of a route's document, schemathesis
    reports the 422 that route answers to an out-of-range ``limit``."""
    document = copy.deepcopy(APP.openapi())
    del document["paths"]["/api/v1/agencies"]["get"]["responses"]["422"]
    broken = schemathesis.openapi.from_dict(document)
    case = broken["/api/v1/agencies"]["GET"].Case(query={"limit": 0})
    with pytest.raises(FailureGroup) as caught:
        case.call_and_validate(app=APP)
    assert [type(e).__name__ for e in caught.value.exceptions] == ["UndefinedStatusCode"]
