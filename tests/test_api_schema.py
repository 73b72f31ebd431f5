"""Schemathesis over the whole OpenAPI, in-process: the server keeps the word its schema gives.

For every /api/v1 operation, examples generated from the schema are sent with the bearer token of a member and of a
brand's manager (the permission matrix's world: brands, communities, challenges, designs, surveys, rewards). No answer
may be a 5xx, and every answer must be documented: its status code, content type, headers and body schema. The
examples per operation are few (``EXAMPLES``).

Schemathesis's coverage phase adds about thirty cases an operation (each parameter at its bounds and past them, a
wrong type, a missing field, a method the path does not take): nine in ten of all the cases. They exercise the
operation's reading of its input, which is the same code whoever sends it, once past the permission check; so they
are sent once, as the caller the operation serves (``BOUNDARY_ACTOR``: the member where the permission table lets a
member through, otherwise the manager), and not even generated for the other.
"""

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from sqlmodel import Session

from tests import test_permissions
from tests.test_permissions import ALLOWED, APP, ROUTES, World, expected_outcome, targets_of

# The permission matrix's world and the fixtures over it (a savepoint per test, so every write is undone).
world_connection = test_permissions.world_connection
world = test_permissions.world
session = test_permissions.session
app = test_permissions.app
module_client = test_permissions.module_client
client = test_permissions.client

EXAMPLES = 3
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)
# The same operations without the coverage phase, for the caller that does not send the boundary cases.
schema_without_boundaries = schemathesis.openapi.from_asgi(
    "/api/v1/openapi.json",
    APP,
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}),
)

# Who sends an operation's coverage-phase cases (see the module's docstring), by "METHOD /path" (every route's);
# the other actor sends its examples and generated cases only.
BOUNDARY_ACTOR = {
    route.key: "member"
    if any(expected_outcome(route, "member", target) == ALLOWED for target in targets_of(route))
    else "manager_a"
    for route in ROUTES
}
OTHER_ACTOR = {"member": "manager_a", "manager_a": "member"}
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _call_and_validate(case: Case, world: World, actor: str) -> None:
    headers: dict[str, Any] = {"Authorization": f"Bearer {world.tokens[actor].plain}"}
    case.call_and_validate(headers=headers, checks=CHECKS)


# Each test below is parametrised by who sends (one value) so that each operation's item has a node id of its own:
# without a pytest parametrisation, schemathesis 4.32 gives all of a function's items the function's id, and
# pytest-xdist then runs one of them (test_every_item_has_a_node_id_of_its_own).
@pytest.mark.parametrize("sender", ["served"])
@schema.parametrize()
@SETTINGS
def test_the_api_answers_the_caller_it_serves_as_its_schema_says(
    case: Case, sender: str, world: World, client: TestClient, session: Session
) -> None:
    _call_and_validate(case, world, BOUNDARY_ACTOR[case.operation.label])


@pytest.mark.parametrize("sender", ["other"])
@schema_without_boundaries.parametrize()
@SETTINGS
def test_the_api_answers_the_other_caller_as_its_schema_says(
    case: Case, sender: str, world: World, client: TestClient, session: Session
) -> None:
    _call_and_validate(case, world, OTHER_ACTOR[BOUNDARY_ACTOR[case.operation.label]])


def test_every_item_has_a_node_id_of_its_own(request: pytest.FixtureRequest) -> None:
    walk = [item.nodeid for item in request.session.items if "_as_its_schema_says" in item.nodeid]
    if len(walk) < 2:
        pytest.skip("checks the walk's items when they are collected with it (the whole module or suite)")
    assert len(walk) == len(set(walk))


def test_each_actor_sends_the_boundary_cases_of_the_operations_it_is_let_through() -> None:
    operations = {operation.label for operation in (result.ok() for result in schema.get_all_operations())}
    assert operations <= set(BOUNDARY_ACTOR)
    assert BOUNDARY_ACTOR["PUT /api/v1/designs/{design_id}/score"] == "member"
    assert BOUNDARY_ACTOR["GET /api/v1/brands/{brand_slug}/webhooks"] == "manager_a"
