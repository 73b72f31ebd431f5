"""The site admin, who passes every permission check, asking for a brand, community, challenge or campaign that
does not exist gets 404 (page and API), like everyone else, never a 500."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.db import SAFE_METHODS
from tests import test_permissions
from tests.factories import csrf_token, log_in
from tests.test_permissions import FORBIDDEN, ROUTES, RouteInfo, World, body_for, expected_outcome, url_for, user

# The permission matrix's world and the fixtures over it (a savepoint per test).
world_connection = test_permissions.world_connection
world = test_permissions.world
session = test_permissions.session
app = test_permissions.app
module_client = test_permissions.module_client
client = test_permissions.client

NAMES = ("brand_slug", "community_slug", "challenge_slug", "campaign_slug")
CASES = [(route, name) for route in ROUTES for name in NAMES if "{" + name + "}" in route.path]


def test_every_kind_of_name_is_walked() -> None:
    assert {name for _, name in CASES} == set(NAMES)
    assert len(CASES) > 100


@pytest.mark.parametrize(("route", "name"), CASES, ids=lambda value: str(value))
def test_the_site_admin_gets_404_for_an_unknown_name(
    route: RouteInfo,
    name: str,
    world: World,
    client: TestClient,
    session: Session,
) -> None:
    log_in(client, session, user(session, world, "site_admin"))
    headers = {"x-csrftoken": csrf_token(client)} if route.method not in SAFE_METHODS else {}
    url = url_for(route, world, actor="site_admin", target=None)
    # The name's segment, whatever the world filled in, becomes one nobody has.
    position = [part for part in route.path.split("/")].index("{" + name + "}")
    parts = url.split("/")
    parts[position] = "no-such-" + name.removesuffix("_slug")
    url = "/".join(parts)
    assert not re.search(r"\{\w+\}", url)
    response = client.request(
        route.method, url, headers=headers, follow_redirects=False, **body_for(route, world, target=None)
    )
    # The site admin is no member: a member's action in an existing community is refused as it would be anyway.
    refused_anyway = name in {"challenge_slug", "campaign_slug"} and (
        expected_outcome(route, "site_admin", "A1") == FORBIDDEN
    )
    assert response.status_code in ({403, 404} if refused_anyway else {404}), (
        f"{route} {url}: {response.status_code} {response.text[:300]}"
    )
    if route.is_api:
        assert response.json()["detail"]
