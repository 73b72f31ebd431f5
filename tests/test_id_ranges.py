"""Every integer a route reads (path, query, form or JSON body) that is too large for the database answers 404 or
422, never 500: no id column holds more than 2**31 - 1 on PostgreSQL, and SQLite's driver cannot bind a number
above 2**63 - 1.

The walk covers every route of the app, as an actor the route allows (from the permission matrix's world), and
every integer parameter it declares, one at a time.
"""

import dataclasses
import types
import typing
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlmodel import Session

from app.columns import MAX_ROW_ID
from app.db import SAFE_METHODS
from tests import test_permissions
from tests.factories import csrf_token, log_in
from tests.test_permissions import (
    ACTORS,
    ALLOWED,
    MATRIX,
    ROUTES,
    RouteInfo,
    World,
    body_for,
    expected_outcome,
    url_for,
    user,
)

# The permission matrix's world and the fixtures over it (a savepoint per test).
world_connection = test_permissions.world_connection
world = test_permissions.world
session = test_permissions.session
app = test_permissions.app
module_client = test_permissions.module_client
client = test_permissions.client

TOO_LARGE = MAX_ROW_ID + 1


def _is_int(annotation: Any) -> bool:
    """int, an Annotated int (RowId), an optional one, or a list of them."""
    origin = typing.get_origin(annotation)
    if annotation is int:
        return True
    if origin is typing.Annotated:
        return _is_int(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list):
        return any(_is_int(arg) for arg in typing.get_args(annotation) if arg is not type(None))
    return False


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (itself, or the items of a list)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models(arg)]


def _json_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The integer fields of a JSON body, as paths; "[]" stands for the first item of a list of models."""
    paths = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        if _is_int(info.annotation):
            paths.append((*prefix, key))
        for inner in _models(info.annotation):
            is_list = typing.get_origin(info.annotation) is list or "list" in str(info.annotation)
            paths.extend(_json_paths(inner, (*prefix, key, "[]") if is_list else (*prefix, key)))
    return paths


def _all_params(dependant: Dependant) -> Dependant:
    """The route's parameters with those of its dependencies (FastAPI keeps them per dependency)."""
    flat = Dependant(path_params=[], query_params=[], body_params=[])
    stack = [dependant]
    while stack:
        current = stack.pop()
        flat.path_params.extend(current.path_params)
        flat.query_params.extend(current.query_params)
        flat.body_params.extend(current.body_params)
        stack.extend(current.dependencies)
    return flat


@dataclasses.dataclass(frozen=True)
class Probe:
    route: RouteInfo
    actor: str
    target: str | None
    where: str  # path, query, form or json
    name: str | tuple[str, ...]

    def __str__(self) -> str:
        name = ".".join(self.name) if isinstance(self.name, tuple) else self.name
        return f"{self.route.key} {self.where}:{name} as {self.actor}"


def _probes() -> list[Probe]:
    allowed: dict[str, tuple[str, str | None]] = {}
    for case in MATRIX:
        if case.route.key not in allowed and expected_outcome(case.route, case.actor, case.target) == ALLOWED:
            allowed[case.route.key] = (case.actor, case.target)
    probes = []
    for route in ROUTES:
        actor, target = allowed.get(route.key, ("visitor", None))
        params = _all_params(route.dependant)
        names: set[tuple[str, Any]] = set()
        for field in params.path_params:
            if _is_int(field.field_info.annotation):
                names.add(("path", field.alias))
        for field in params.query_params:
            if _is_int(field.field_info.annotation):
                names.add(("query", field.alias))
        for field in params.body_params:
            annotation = field.field_info.annotation
            if _is_int(annotation):
                names.add(("form", field.alias))
            for model in _models(annotation):
                # A single JSON body is embedded at the top level; several are keyed by their names.
                prefix = () if len(params.body_params) == 1 else (field.alias,)
                names.update(("json", prefix + path) for path in _json_paths(model))
        probes.extend(Probe(route, actor, target, where, name) for where, name in sorted(names, key=str))
    return probes


PROBES = _probes()


def _set_path(body: dict[str, Any], path: tuple[str, ...], value: int) -> None:
    for index, key in enumerate(path[:-1]):
        if key == "[]":
            continue
        following = path[index + 1]
        if following == "[]":
            items = body.setdefault(key, [{}]) or [{}]
            body[key] = items
            body = items[0]
        else:
            body = body.setdefault(key, {})
    body[path[-1]] = value


def test_the_walk_finds_the_ids_of_every_kind() -> None:
    """A guard on the walk itself: it sees ids in paths, queries, forms and JSON bodies, nested ones too."""
    seen = {str(probe) for probe in PROBES}
    assert len(PROBES) > 150
    assert any("GET /designs/{design_id} path:design_id" in probe for probe in seen)
    assert any("GET /api/v1/me/notifications query:page" in probe for probe in seen)
    assert any(
        probe.startswith("POST /brands/{brand_slug}/rewards/payouts/") and "form:line_id" in probe for probe in seen
    )
    assert any("POST /api/v1/brands/{brand_slug}/sales json:sales.[].product_id" in probe for probe in seen)


@pytest.mark.parametrize("probe", PROBES, ids=str)
def test_a_too_large_number_is_refused_not_a_server_error(
    probe: Probe,
    world: World,
    client: TestClient,
    session: Session,
) -> None:
    route = probe.route
    if probe.where == "path":
        route = dataclasses.replace(route, path=route.path.replace("{" + str(probe.name) + "}", str(TOO_LARGE)))
    request: dict[str, Any] = body_for(probe.route, world, target=probe.target)
    request = {key: dict(value) if isinstance(value, dict) else value for key, value in request.items()}
    if probe.where == "query":
        request["params"] = {str(probe.name): str(TOO_LARGE)}
    elif probe.where == "form":
        request.pop("json", None)
        request["data"] = {**request.get("data", {}), str(probe.name): str(TOO_LARGE)}
    elif probe.where == "json":
        request.pop("data", None)
        request["json"] = body = dict(request.get("json", {}))
        assert isinstance(probe.name, tuple)
        _set_path(body, probe.name, TOO_LARGE)
    if ACTORS[probe.actor].logged_in:
        log_in(client, session, user(session, world, probe.actor))
    headers = {"x-csrftoken": csrf_token(client)} if route.method not in SAFE_METHODS else {}
    url = url_for(route, world, actor=probe.actor, target=probe.target)
    response = client.request(route.method, url, headers=headers, follow_redirects=False, **request)
    described = f"{probe}: {response.status_code} {response.text[:300]}"
    name = probe.name[-1] if isinstance(probe.name, tuple) else probe.name
    if probe.where == "path" or name.endswith(("_id", "_ids")) or name in {"page", "question", "rows", "columns"}:
        assert response.status_code in {404, 422}, described
    else:  # a count or an offset that the code clamps or ignores (a warning's days) may go through
        assert response.status_code < 500, described
