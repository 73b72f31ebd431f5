"""Schemathesis over the whole OpenAPI, in-process: the server keeps the word its schema gives.

For every /api/v1 operation, examples generated from the schema are sent with the bearer token of a member and of a
brand's manager (the permission matrix's world: brands, communities, challenges, designs, surveys, rewards). No answer
may be a 5xx, and every answer must be documented: its status code, content type, headers and body schema. The
examples per operation are few (``EXAMPLES``), so the whole walk costs well under a minute of CPU.
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
from sqlmodel import Session

from tests import test_permissions
from tests.test_permissions import APP, World

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


@pytest.mark.parametrize("actor", ["member", "manager_a"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_answers_as_its_schema_says(
    case: Case,
    actor: str,
    world: World,
    client: TestClient,
    session: Session,
) -> None:
    headers: dict[str, Any] = {"Authorization": f"Bearer {world.tokens[actor].plain}"}
    case.call_and_validate(headers=headers, checks=CHECKS)
