"""Where a request's CPU goes, layer by layer: the app's ASGI stack peeled one layer at a time.

    python -m bench.layers [--requests 3000] [--designs 200] [--scores 2000]

A generated challenge in a temporary SQLite database, the app built in this process and called as an ASGI
callable (no sockets, no uvicorn, no HTTP client: the scope, ``receive`` and ``send`` are made here, about a
microsecond), one request at a time on uvloop, as uvicorn runs it. For ``GET /healthz``, ``GET /api/v1/me`` and
``PUT /api/v1/designs/{id}/score`` it measures the process's CPU time per request (``time.process_time``: the
event loop and the worker thread alike) when the request enters

- the whole stack (what uvicorn calls), then each middleware's inner app in turn: the difference between two
  entry points is that layer's own cost;
- the router (route lookup plus the route);
- the matched route's ``handle`` (no lookup): the route's own path, i.e. body, database turn, the thread hop, the
  dependencies, the endpoint, the commit and the response;

and beside them the parts of the route measured on their own: one bare hand-off to a worker thread, the session's
set-up with ``SELECT 1`` and its commit, the bearer token's lookup. Each figure is the least of 7 runs of
``--requests`` requests. Compare figures within one run; the machine's load moves them all. ``--stack-only`` prints
the whole stack's figure per endpoint only: run it on two trees in turn (``PYTHONPATH``) to compare them.
"""

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from functools import partial
from pathlib import Path
from typing import Any

import uvloop

from bench.challenges import generate, member_tokens

Scope = dict[str, Any]


def http_scope(method: str, path: str, headers: list[tuple[bytes, bytes]], app: Any) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": method,
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000"), *headers],
        "state": {},
        "app": app,
    }


async def call(entry: Callable[..., Awaitable[None]], scope: Scope, body: bytes) -> int:
    """One request through ``entry``; its status."""
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    # FastAPI's innermost middleware gives the routes this stack; entering below it, the call does.
    async with AsyncExitStack() as stack:
        await entry({**scope, "fastapi_middleware_astack": stack}, receive, send)
    return status


def cpu_per_call(loop: asyncio.AbstractEventLoop, make: Callable[[], Awaitable[Any]], count: int) -> float:
    """The least, over 7 runs, of the CPU milliseconds per awaited ``make()``: other work on the machine only ever
    adds to a run's figure (caches, the worker thread's wake-ups), so the least is the closest to the cost."""

    async def run() -> None:
        for _ in range(count):
            await make()

    figures = []
    for _ in range(7):
        started = time.process_time()
        loop.run_until_complete(run())
        figures.append((time.process_time() - started) / count * 1000)
    return min(figures)


def middleware_chain(app: Any) -> list[Any]:
    """The built ASGI stack from the outside in, down to the router."""
    layers = [app.build_middleware_stack()]
    while layers[-1] is not app.router:
        layers.append(layers[-1].app)
    return layers


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.layers", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--designs", type=int, default=200)
    parser.add_argument("--scores", type=int, default=2000)
    parser.add_argument(
        "--stack-only", action="store_true", help="only the whole stack's figure per endpoint (to compare two trees)"
    )
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="chorus-layers-") as directory:
        environment = generate(
            Path(directory),
            f"sqlite:///{Path(directory) / 'layers.db'}",
            "layers.db",
            designs=arguments.designs,
            scores=arguments.scores,
            members=500,
        )
        environment.pop("CHORUS_SERVER_TIMING")
        tokens, design_ids = member_tokens(environment, 4)
        os.environ.update({key: value for key, value in environment.items() if key.startswith("CHORUS_")})
        from anyio.to_thread import run_sync
        from sqlalchemy import text
        from sqlmodel import Session

        from app.accounts import lookups as accounts_lookups
        from app.config import get_settings
        from app.db import get_engine, writer_engine
        from app.main import create_app

        get_settings.cache_clear()
        app = create_app(check_migrations=False)
        layers = middleware_chain(app)
        bearer = [(b"authorization", f"Bearer {tokens[0]}".encode())]
        json_body = b'{"value": 4, "would_buy": false}'
        requests = {
            "GET /healthz": ("GET", "/healthz", [], b""),
            "GET /api/v1/me": ("GET", "/api/v1/me", bearer, b""),
            "PUT score": (
                "PUT",
                f"/api/v1/designs/{design_ids[0]}/score",
                [*bearer, (b"content-type", b"application/json"), (b"content-length", str(len(json_body)).encode())],
                json_body,
            ),
        }
        loop = uvloop.new_event_loop()
        asyncio.set_event_loop(loop)
        count = arguments.requests
        for label, (method, path, headers, body) in requests.items():
            scope = http_scope(method, path, headers, app)
            statuses = {loop.run_until_complete(call(layer, scope, body)) for layer in layers}
            if statuses != {200}:
                raise SystemExit(f"{label}: answers {statuses}, expected 200 at every layer")
            if arguments.stack_only:
                figure = cpu_per_call(loop, partial(call, layers[0], scope, body), count)
                print(f"{label}: the whole stack, {figure:.3f} CPU ms per request ({count} requests, least of 7 runs)")
                continue
            print(f"\n{label}: CPU ms per request entering at each layer ({count} requests, least of 7 runs)")
            previous = 0.0
            for layer in layers:
                figure = cpu_per_call(loop, partial(call, layer, scope, body), count)
                if layer is not layers[0]:
                    print(f"    {'':48} layer above: {previous - figure:+.3f}")
                print(f"  {type(layer).__module__}.{type(layer).__name__:<30} {figure:.3f}")
                previous = figure
            route_scope = dict(scope)
            route = next(r for r in app.router.routes if r.matches(route_scope)[0].name == "FULL")
            _, child = route.matches(route_scope)
            matched = {**route_scope, **child}
            figure = cpu_per_call(loop, partial(call, route.handle, matched, body), count)
            print(f"    {'':48} route lookup: {previous - figure:+.3f} (the route is number "
                  f"{app.router.routes.index(route) + 1} of {len(app.router.routes)})")  # fmt: skip
            print(f"  {'the route alone (route.handle)':<52} {figure:.3f}")

        if arguments.stack_only:
            return
        engine = get_engine()
        print("\nParts of the route, on their own:")
        print(f"  a hand-off to a worker thread and back            "
              f"{cpu_per_call(loop, lambda: run_sync(lambda: None), count):.3f}")  # fmt: skip

        def select_one() -> None:
            with Session(engine, expire_on_commit=False) as session:
                session.exec(text("SELECT 1"))  # type: ignore[call-overload]
                session.commit()

        def token_lookup() -> None:
            with Session(engine, expire_on_commit=False) as session:
                accounts_lookups.api_token_for(session, plain=tokens[0])
                session.commit()

        def write_transaction() -> None:
            with Session(writer_engine(engine), expire_on_commit=False) as session:
                session.exec(text("SELECT 1"))  # type: ignore[call-overload]
                session.commit()

        async def inline(work: Callable[[], None]) -> None:
            work()

        for label, work in (
            ("a session: BEGIN, SELECT 1, COMMIT", select_one),
            ("a session: the bearer token's lookup", token_lookup),
            ("a session: BEGIN IMMEDIATE, SELECT 1, COMMIT", write_transaction),
        ):
            print(f"  {label:<52} {cpu_per_call(loop, partial(inline, work), count):.3f}")
        os.environ["BENCH_BARE_DATABASE"] = str(Path(directory) / "bare.db")
        from bench.bare import create_app as create_bare_app

        bare = create_bare_app()
        bare_stack = bare.build_middleware_stack()
        print("\nThe ceilings (bench/bare.py), whole stack:")
        for label, (method, path, headers, body) in {
            "bare async def -> dict": ("GET", "/async", [], b""),
            "bare def -> dict (one hop)": ("GET", "/sync", [], b""),
            "bare async def, score storage": (
                "PUT",
                "/designs/1/score",
                [(b"x-voter", b"1"), (b"content-type", b"application/json")],
                json_body,
            ),
        }.items():
            scope = http_scope(method, path, headers, bare)
            figure = cpu_per_call(loop, partial(call, bare_stack, scope, body), count)
            print(f"  {label:<52} {figure:.3f}")
        loop.close()


if __name__ == "__main__":
    main()
