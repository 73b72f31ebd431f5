"""The benchmarks' Server-Timing middleware: off by default, one header when switched on."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from app.web.middleware import ServerTiming


async def _ok(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def test_the_header_carries_the_time_in_the_server() -> None:
    app = Starlette(routes=[Route("/ok", _ok)])
    app.add_middleware(ServerTiming)
    response = TestClient(app).get("/ok")
    name, _, duration = response.headers["server-timing"].partition(";dur=")
    assert name == "app"
    assert 0 <= float(duration) < 10_000


def test_off_by_default(client: TestClient) -> None:
    assert "server-timing" not in client.get("/healthz").headers
