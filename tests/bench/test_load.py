"""The benchmark's load driver, against a trivial ASGI app (in-process, and on a real server for the lean HTTP
client), so the harness cannot rot unnoticed."""

import dataclasses
import socket

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route

from bench.load import LoopbackClient, check_loopback, combine, make_client, percentile, run_load
from bench.run import ENDPOINTS, MAX_BENCH_DURATION, MAX_WARMUP, parse_arguments
from tests.servers import run_in_new_loop, served


async def _ok(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def _missing(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("no", status_code=404)


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse({"method": request.method, "body": await request.json(), "token": request.headers["x-token"]})


async def _chunked(_request: Request) -> StreamingResponse:
    async def parts():  # type: ignore[no-untyped-def]
        for part in (b"one,", b"two,", b"three"):
            yield part

    return StreamingResponse(parts(), media_type="text/csv")


APP = Starlette(
    routes=[
        Route("/ok", _ok),
        Route("/missing", _missing),
        Route("/echo", _echo, methods=["PUT", "PATCH"]),
        Route("/chunked", _chunked),
    ]
)


def _client(concurrency: int) -> httpx.AsyncClient:
    return make_client("http://testserver", concurrency=concurrency, transport=httpx.ASGITransport(app=APP))


def test_a_fixed_number_of_requests() -> None:
    async def scenario():  # type: ignore[no-untyped-def]
        async with _client(4) as client:
            return await run_load(client, "/ok", concurrency=4, requests=25)

    result = run_in_new_loop(scenario())
    assert result.requests == 25
    assert result.errors == 0
    assert result.statuses == {200: 25}
    assert result.throughput > 0
    assert 0 < result.p50 <= result.p99
    assert result.as_dict()["requests"] == 25


def test_a_fixed_duration_and_errors_counted() -> None:
    async def scenario():  # type: ignore[no-untyped-def]
        async with _client(2) as client:
            return await run_load(client, "/missing", concurrency=2, duration=0.2)

    result = run_in_new_loop(scenario())
    assert result.requests > 0
    assert 0.2 <= result.elapsed < 2
    assert result.errors == result.requests
    assert result.statuses == {404: result.requests}


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([3.0], 99) == 3.0


def test_only_loopback_and_bounded() -> None:
    check_loopback("http://127.0.0.1:8000")
    with pytest.raises(ValueError, match="loopback"):
        check_loopback("https://example.com")
    with pytest.raises(ValueError, match="loopback"):
        make_client("http://10.0.0.1:8000", concurrency=1)

    async def unbounded() -> None:
        async with _client(1) as client:
            await run_load(client, "/ok", concurrency=1)

    with pytest.raises(ValueError, match="duration or a number"):
        run_in_new_loop(unbounded())

    async def elsewhere() -> None:
        async with _client(1) as client:
            await run_load(client, "https://example.com/", concurrency=1, requests=1)

    with pytest.raises(ValueError, match="path"):
        run_in_new_loop(elsewhere())

    async def too_many_clients() -> None:
        async with _client(1) as client:
            await run_load(client, "/ok", concurrency=1000, requests=1)

    with pytest.raises(ValueError, match="concurrency"):
        run_in_new_loop(too_many_clients())


def test_rounds_combine() -> None:
    async def scenario():  # type: ignore[no-untyped-def]
        async with _client(2) as client:
            return [await run_load(client, "/ok", concurrency=2, requests=10) for _ in range(3)]

    rounds = [dataclasses.replace(result, server_cpu=0.01) for result in run_in_new_loop(scenario())]
    combined = combine(rounds)
    assert combined.server_cpu_per_request == pytest.approx(0.03 / 30)
    assert combined.requests == 30
    assert combined.statuses == {200: 30}
    assert combined.elapsed == pytest.approx(sum(result.elapsed for result in rounds))
    with pytest.raises(ValueError, match="single path"):
        combine([*rounds, dataclasses.replace(rounds[0], path="/other")])


def test_make_bench_stays_within_two_minutes() -> None:
    arguments = parse_arguments([])
    assert len(ENDPOINTS) * (arguments.warmup + arguments.duration) <= 60
    # Even at the largest settings allowed, the load takes at most 90 s, leaving 30 s for set-up.
    assert len(ENDPOINTS) * (MAX_WARMUP + MAX_BENCH_DURATION) <= 90
    with pytest.raises(SystemExit):
        parse_arguments(["--duration", "600"])


def test_a_sender_replaces_the_plain_get() -> None:
    seen: list[int] = []

    async def send(client: httpx.AsyncClient, number: int) -> httpx.Response:
        seen.append(number)
        return await client.get("/missing")

    async def scenario():  # type: ignore[no-untyped-def]
        async with _client(2) as client:
            return await run_load(client, "/ok", concurrency=2, requests=10, send=send)

    result = run_in_new_loop(scenario())
    assert result.requests == 10
    assert len(seen) == 10
    assert set(seen) <= {0, 1}  # each client's number, for per-client requests (its own token, say)
    assert result.statuses == {404: 10}


def test_the_lean_client_against_a_real_server() -> None:
    """make_client gives the lean HTTP/1.1 client for a real server: keep-alive, JSON bodies, headers, chunked
    answers, statuses counted by run_load."""

    async def scenario(base_url: str):  # type: ignore[no-untyped-def]
        async with make_client(base_url, concurrency=4) as client:
            assert isinstance(client, LoopbackClient)
            echoed = await client.put("/echo", json={"value": 3}, headers={"X-Token": "abc"})
            patched = await client.request("PATCH", "/echo", json=[1, 2], headers={"X-Token": "def"})
            chunked = await client.get("/chunked")
            load = await run_load(client, "/ok", concurrency=4, requests=40)
            missing = await run_load(client, "/missing", concurrency=2, requests=6)
            return echoed, patched, chunked, load, missing

    with served(APP) as base_url:
        echoed, patched, chunked, load, missing = run_in_new_loop(scenario(base_url))
    assert echoed.status_code == 200
    assert echoed.json() == {"method": "PUT", "body": {"value": 3}, "token": "abc"}
    assert echoed.headers["content-type"] == "application/json"
    assert patched.json() == {"method": "PATCH", "body": [1, 2], "token": "def"}
    assert chunked.text == "one,two,three"
    assert load.statuses == {200: 40}
    assert 0 < load.p50 <= load.p99
    assert missing.statuses == {404: 6}


def test_a_dropped_connection_counts_as_an_error() -> None:
    async def scenario() -> dict[int, int]:
        with socket.socket() as unused:
            unused.bind(("127.0.0.1", 0))
            port = unused.getsockname()[1]
        async with make_client(f"http://127.0.0.1:{port}", concurrency=1) as client:
            return (await run_load(client, "/ok", concurrency=1, requests=3)).statuses

    assert run_in_new_loop(scenario()) == {-1: 3}
