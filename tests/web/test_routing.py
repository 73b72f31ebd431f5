"""Route lookup by leading segments (app.web.routing.LeadingSegmentDispatch) answers exactly as Starlette's scan of
the whole table: the same route, the same 405 with ``Allow``, the same redirects, mounts and 404s."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Match

from app.web.routing import LeadingSegmentDispatch, dispatch_by_leading_segments, segment_pattern
from tests.conftest import shared_app

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _lookup(routes: list[BaseRoute], method: str, path: str) -> tuple[str, BaseRoute | None]:
    """What Starlette's router decides for a request, over ``routes``: the full match, else the first partial
    match (405), else the route the trailing-slash redirect goes to, else nothing (404)."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return "full", route
        if match == Match.PARTIAL and partial is None:
            partial = route
    if partial is not None:
        return "partial", partial
    if path != "/":
        toggled = {**scope, "path": path.rstrip("/") if path.endswith("/") else path + "/"}
        for route in routes:
            if route.matches(toggled)[0] != Match.NONE:
                return "redirect", route
    return "none", None


def _probe_paths(route: BaseRoute) -> Iterator[str]:
    """Paths this route matches (parameters filled in), with the trailing slash toggled, and near misses."""
    path = route.path_format  # type: ignore[attr-defined]
    for convertor_name, convertor in route.param_convertors.items():  # type: ignore[attr-defined]
        value = {"IntegerConvertor": "7", "PathConvertor": "a/b.css"}.get(type(convertor).__name__, "x-1")
        path = path.replace("{" + convertor_name + "}", value)
    yield path
    yield path.rstrip("/") if path.endswith("/") and path != "/" else path + "/"
    yield path + "/extra"
    yield "/" + path.strip("/").split("/")[0] + "-not"


def test_the_dispatch_finds_what_the_whole_tables_scan_finds_for_every_route_of_the_app() -> None:
    app = shared_app()
    dispatch = app.router.middleware_stack
    assert isinstance(dispatch, LeadingSegmentDispatch)
    routes = app.router.routes
    paths = {probe for route in routes for probe in _probe_paths(route)} | {"/", "/nothing", "/api/v1/", "/api/x/y/z"}
    assert len(paths) > 1000
    narrowed = 0
    for path in sorted(paths):
        candidates = dispatch.candidates(path)
        narrowed += len(candidates) < len(routes)
        for method in METHODS:
            assert _lookup(candidates, method, path) == _lookup(routes, method, path), (method, path)
    assert narrowed == len(paths)  # every lookup skipped part of the table


def test_the_api_me_route_is_looked_for_among_a_few_dozen_routes_not_the_whole_table() -> None:
    app = shared_app()
    candidates = app.router.middleware_stack.candidates("/api/v1/me")  # type: ignore[attr-defined]
    assert 0 < len(candidates) <= 40 < len(app.router.routes)
    assert [route.path_format for route in app.router.middleware_stack.candidates("/healthz")] == ["/healthz"]  # type: ignore[attr-defined]
    community_page = app.router.middleware_stack.candidates("/c/northwind-design-lab/challenges")  # type: ignore[attr-defined]
    assert 0 < len(community_page) <= 30


def test_a_routes_segment_pattern_holds_its_literal_and_one_parameter_segments() -> None:
    app = FastAPI()

    @app.get("/c/{slug}/challenges/{number:int}")
    def _challenge() -> None: ...

    @app.get("/api/v1/me")
    def _me() -> None: ...

    @app.get("/{handle}")
    def _profile() -> None: ...

    @app.get("/")
    def _home() -> None: ...

    @app.get("/p-{code}/x")
    def _partial_segment() -> None: ...

    @app.get("/files/{rest:path}/meta")
    def _spanning() -> None: ...

    by_path = {route.path_format: segment_pattern(route) for route in app.router.routes}  # type: ignore[attr-defined]
    assert by_path["/c/{slug}/challenges/{number}"] == ("c", None, "challenges", None)
    assert by_path["/api/v1/me"] == ("api", "v1", "me")
    assert by_path["/{handle}"] == (None,)
    assert by_path["/"] == ("",)
    assert by_path["/p-{code}/x"] == ()
    assert by_path["/files/{rest}/meta"] == ("files",)


def _example_app(static_dir: Path, *, dispatch: bool) -> FastAPI:
    app = FastAPI()

    @app.get("/about")
    def about() -> dict[str, str]:
        return {"page": "about"}

    @app.get("/{handle}")
    def profile(handle: str, request: Request) -> dict[str, str]:
        return {"handle": handle, "items": str(request.url_for("item", item_id=3))}

    @app.get("/later")
    def later() -> dict[str, str]:  # after /{handle}, so never reached: the table's order decides
        return {"page": "later"}

    @app.get("/items/{item_id}", name="item")
    def item(item_id: int) -> dict[str, int]:
        return {"item": item_id}

    @app.delete("/items/{item_id}")
    def delete_item(item_id: int) -> dict[str, int]:
        return {"deleted": item_id}

    @app.get("/shop/things/")
    def things() -> list[str]:
        return ["thing"]

    @app.get("/a/b/c/d/{leaf}")
    def deep(leaf: str) -> dict[str, str]:
        return {"leaf": leaf}

    async def plain(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("plain")

    app.router.add_route("/plain/{number:int}", plain, methods=["GET"])  # Starlette answers HEAD too
    app.mount("/static", StaticFiles(directory=static_dir), name="static")
    if dispatch:
        dispatch_by_leading_segments(app)
    return app


REQUESTS = [
    ("GET", "/about"),
    ("GET", "/alice"),
    ("GET", "/later"),
    ("GET", "/items/3"),
    ("HEAD", "/items/3"),
    ("HEAD", "/plain/3"),
    ("GET", "/plain/3"),
    ("POST", "/plain/3"),
    ("DELETE", "/items/3"),
    ("PUT", "/items/3"),
    ("POST", "/about"),
    ("GET", "/items/3/"),
    ("GET", "/items/three"),
    ("GET", "/shop/things"),
    ("GET", "/shop/things/"),
    ("GET", "/a/b/c/d/leaf"),
    ("GET", "/a/b/c/d/leaf/"),
    ("GET", "/a/b/c/e/leaf"),
    ("GET", "/static/hello.txt"),
    ("HEAD", "/static/hello.txt"),
    ("POST", "/static/hello.txt"),
    ("GET", "/static/missing.txt"),
    ("GET", "/static"),
    ("GET", "/"),
    ("GET", "/nothing/here"),
]


@pytest.fixture
def clients(tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    (tmp_path / "hello.txt").write_text("hello")
    with (
        TestClient(_example_app(tmp_path, dispatch=True), follow_redirects=False) as dispatched,
        TestClient(_example_app(tmp_path, dispatch=False), follow_redirects=False) as scanned,
    ):
        yield dispatched, scanned


@pytest.mark.parametrize(("method", "path"), REQUESTS)
def test_each_answer_is_the_one_the_whole_tables_scan_gives(
    clients: tuple[TestClient, TestClient], method: str, path: str
) -> None:
    dispatched, scanned = (client.request(method, path) for client in clients)
    assert dispatched.status_code == scanned.status_code
    assert dispatched.content == scanned.content
    for header in ("allow", "location", "content-type"):
        assert dispatched.headers.get(header) == scanned.headers.get(header)


def test_the_semantics_the_dispatch_keeps(clients: tuple[TestClient, TestClient]) -> None:
    client, _ = clients
    # A literal route before a first-segment parameter wins; one after it is shadowed, as in the table's order.
    assert client.get("/about").json() == {"page": "about"}
    assert client.get("/later").json()["handle"] == "later"
    # url_for resolves against the whole table.
    assert client.get("/alice").json() == {"handle": "alice", "items": "http://testserver/items/3"}
    # The path matches but not the method: 405 naming the methods of the first route whose path matches.
    refused = client.put("/items/3")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET"
    # HEAD: FastAPI's GET routes refuse it (405), Starlette's own routes and mounts answer it.
    assert client.head("/items/3").status_code == 405
    assert client.head("/plain/3").status_code == 200
    assert client.head("/static/hello.txt").status_code == 200
    # Trailing slashes are redirected both ways.
    assert client.get("/shop/things").headers["location"] == "http://testserver/shop/things/"
    assert client.get("/items/3/").headers["location"] == "http://testserver/items/3"
    # A mount answers below its prefix.
    assert client.get("/static/hello.txt").text == "hello"
    assert client.get("/static/missing.txt").status_code == 404
    assert client.get("/nothing/here").status_code == 404
    assert client.get("/a/b/c/d/leaf").json() == {"leaf": "leaf"}


def test_routes_added_after_the_first_request_are_found(clients: tuple[TestClient, TestClient]) -> None:
    client, _ = clients
    assert client.get("/items/3").status_code == 200
    app = client.app
    assert isinstance(app, FastAPI)

    @app.get("/added/late")
    def added() -> dict[str, bool]:
        return {"added": True}

    assert client.get("/added/late").json() == {"added": True}


def test_a_router_with_middleware_of_its_own_is_refused() -> None:
    app = FastAPI()
    app.router.middleware_stack = lambda *_: None  # type: ignore[assignment,method-assign]
    with pytest.raises(RuntimeError, match="middleware of its own"):
        dispatch_by_leading_segments(app)
