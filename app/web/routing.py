"""How requests reach the routes: one flat route table built once, and one worker-thread step per request.

**One step.** FastAPI hands every plain ``def`` dependency and route to the thread pool separately: the session's
set-up, the actor's lookup, the permission check, the route and the session's commit were five or six hand-offs per
API request (each through anyio's queue, a worker thread, the GIL and back to the event loop: about 0.13 ms of CPU
each on the 2-core machines, more than the rest of ``/healthz``; bench/README.md, "The request path"). A
``OneStepRoute`` with a plain ``def`` endpoint runs as follows instead:

1. in the event loop: the request body is read, then the request's database turn is taken (``app.db``: the same
   semaphore and, on SQLite, the writer's lock, first come first served, without holding a thread);
2. one hand-off to a worker thread, where FastAPI's own dependency solving, the endpoint, the response's
   validation and the exit of the ``scope="function"`` dependencies (the session's commit or rollback) run on that
   thread's private event loop, with every "run this in the thread pool" done in place: the thread is already one;
3. back in the event loop, the response is sent and the turn released (after the commit, as before).

So a request still holds its turn from before its session opens until after it commits, one transaction per
request, and every dependency (permission checks included) runs exactly as FastAPI declares it. Routes whose
endpoint is ``async def`` are left to FastAPI as they are (they await real I/O: uploads, imports), and so are routes
with a ``scope="request"`` dependency (the streamed exports' session), which closes after the response.

**One flat table.** FastAPI 0.137 made ``include_router`` lazy: an included router stays a branch that each request
walks through several layers, about 1 ms more CPU per API request with our 34 routers. ``include_routes`` copies
each router's routes onto the app as FastAPI did before (prefix, tags, responses, the app's dependency overrides,
which are looked up per request), once per process.

**Route lookup by the leading segments.** Starlette finds a request's route by trying the table's routes one by one
(``matches``: a regular expression and a method check each, several microseconds under FastAPI 0.165); with about
426 routes, ``/api/v1/me`` was the 237th. ``LeadingSegmentDispatch`` narrows the table first: a route can only match
a path whose segments agree with its own (its literal segments equal, a segment that is one parameter anything), so
the request's first ``LOOKUP_DEPTH`` segments select the routes that may match, kept in the table's order, and
FastAPI's own lookup runs over those alone. Everything else is FastAPI's and Starlette's unchanged: the first full
match wins, else the first partial match (the path but not the method: 405 with ``Allow``), else the
trailing-slash redirect (the toggled path differs only in a last empty segment, so its routes are among the
candidates too), else the low-priority routes and the 404. Mounts (static files, media) take part like routes, and
a route whose first segment is a parameter is a candidate for every path. A route's position among the candidates
is never later than in the table, so no lookup costs more than the scan did.
"""

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager, AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import fastapi.concurrency
import fastapi.dependencies.utils
import fastapi.routing
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.concurrency import run_in_threadpool as _hand_off
from starlette.convertors import PathConvertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send

from app.db import database_turn, held_database_turn

_in_step: ContextVar[bool] = ContextVar("chorus_in_one_step", default=False)
_thread_loops = threading.local()


async def run_in_threadpool(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """FastAPI's hand-off of blocking code to a worker thread, called in place within a request's one step."""
    if _in_step.get():
        return func(*args, **kwargs)
    return await _hand_off(func, *args, **kwargs)


_fastapi_contextmanager_in_threadpool = fastapi.concurrency.contextmanager_in_threadpool


def contextmanager_in_threadpool(cm: AbstractContextManager[Any]) -> AbstractAsyncContextManager[Any]:
    """FastAPI's way of running a ``def`` dependency with ``yield``: its enter and its exit each in a worker thread
    (the exit straight through anyio, not ``run_in_threadpool``). Within a step both run in place: only routes whose
    yield dependencies close within the step (``scope="function"``: the session's commit) run in one."""
    if _in_step.get():
        return _in_place(cm)
    return _fastapi_contextmanager_in_threadpool(cm)


@asynccontextmanager
async def _in_place(cm: AbstractContextManager[Any]) -> AsyncIterator[Any]:
    with cm as value:
        yield value


# FastAPI looks these functions up by name when it runs a plain def dependency, a yield dependency, an endpoint or
# a response validation.
for _module in (fastapi.routing, fastapi.dependencies.utils, fastapi.concurrency):
    _module.run_in_threadpool = run_in_threadpool  # type: ignore[attr-defined]
fastapi.dependencies.utils.contextmanager_in_threadpool = contextmanager_in_threadpool  # type: ignore[assignment]


def _thread_loop() -> asyncio.AbstractEventLoop:
    """This worker thread's own event loop, made once: FastAPI's handler is a coroutine even when nothing in it
    waits, and the loop lets anything that does wait (a form's file spooled to disk) still work."""
    loop = getattr(_thread_loops, "loop", None)
    if loop is None:
        loop = _thread_loops.loop = asyncio.new_event_loop()
    return loop


def _run_step(handler: Callable[[Request], Coroutine[Any, Any, Response]], request: Request) -> Response:
    async def step() -> Response:
        # FastAPI opens the stacks that close the dependencies around the handler, in the event loop; these close
        # them (the session's commit) here, in the same step and the same task that entered them (FastAPI 0.137+
        # enters a cancel scope on the outer one). Only routes whose yield dependencies all have scope="function"
        # run in one step, so nothing on them has to outlive the handler.
        scope = request.scope
        outer = scope.get("fastapi_inner_astack"), scope.get("fastapi_function_astack")
        try:
            async with AsyncExitStack() as request_stack, AsyncExitStack() as function_stack:
                scope["fastapi_inner_astack"], scope["fastapi_function_astack"] = request_stack, function_stack
                return await handler(request)
        finally:
            scope["fastapi_inner_astack"], scope["fastapi_function_astack"] = outer

    token = _in_step.set(True)
    try:
        return _thread_loop().run_until_complete(step())
    finally:
        _in_step.reset(token)


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for dependency in dependant.dependencies:
        yield from _dependants(dependency)


def _closes_after_the_response(dependant: Dependant) -> bool:
    """Whether a dependency with ``yield`` has ``scope="request"`` (the default): it closes after the response."""
    call = dependant.call
    if call is None or not (inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call)):
        return False
    return dependant.scope != "function"


class OneStepRoute(APIRoute):
    """A route whose blocking work (dependencies, endpoint, commit) runs in one worker-thread step."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        dependants = list(_dependants(self.dependant))
        awaits_io = inspect.iscoroutinefunction(inspect.unwrap(self.endpoint))
        if awaits_io or any(map(_closes_after_the_response, dependants)):
            return handler
        takes_turn = any(dependant.call is database_turn for dependant in dependants)

        async def one_step(request: Request) -> Response:
            await request.body()  # the body arrives through the event loop; FastAPI reads it from the cache
            if not takes_turn:
                return await _hand_off(_run_step, handler, request)
            async with held_database_turn(request):
                return await _hand_off(_run_step, handler, request)

        return one_step


def include_routes(
    app: FastAPI, router: APIRouter, *, prefix: str = "", responses: dict[int | str, dict[str, Any]] | None = None
) -> None:
    """Add ``router``'s routes to ``app`` as ``OneStepRoute``s, prefixed, with ``responses`` merged into each
    route's own: what ``app.include_router`` did before FastAPI 0.137 (see the module's docstring)."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"only API routes are expected in a domain's router, not {route!r}")
        app.router.add_api_route(
            prefix + route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=list(route.tags),
            dependencies=list(route.dependencies),
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses={**(responses or {}), **route.responses},
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema and router.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            route_class_override=OneStepRoute,
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
            generate_unique_id_function=route.generate_unique_id_function,
        )


LOOKUP_DEPTH = 3  # /api/v1/<resource>: the first three segments tell the API's routes apart
LOOKUP_CACHE_SIZE = 4096  # distinct leading segments remembered (path parameters among them make more)


def segment_pattern(route: BaseRoute) -> tuple[str | None, ...]:
    """The segments every path this route matches starts with: its path's literal segments, with None for a
    segment that is one parameter (it matches any one segment), up to the first segment that is neither (a literal
    around a parameter, or a ``path`` parameter, which spans segments). Empty for a route that is not a plain route
    or mount: it may match anything."""
    if not isinstance(route, Route | Mount):
        return ()
    pattern: list[str | None] = []
    for segment in route.path_format.split("/")[1:]:
        if "{" not in segment:
            pattern.append(segment)
            continue
        name = segment[1:-1]
        convertor = route.param_convertors.get(name)
        if segment != "{" + name + "}" or convertor is None or isinstance(convertor, PathConvertor):
            break
        pattern.append(None)
    return tuple(pattern)


class _RouteSubset:
    """The router as its lookup sees it, with only the candidate routes in its table: every other attribute (the
    redirect setting, the low-priority routes, the 404) is the router's own, read when used."""

    def __init__(self, router: APIRouter, routes: list[BaseRoute]) -> None:
        self._router = router
        self.routes = routes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._router, name)


class LeadingSegmentDispatch:
    """The router's lookup over the routes that may match the request's leading segments (module docstring). The
    candidates are remembered per leading segments, and worked out again when routes are added to the table."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self._indexed: tuple[int, int] | None = None
        self._subset = lru_cache(maxsize=LOOKUP_CACHE_SIZE)(self._route_subset)
        self._patterns: list[tuple[BaseRoute, tuple[str | None, ...]]] = []

    def candidates(self, path: str) -> list[BaseRoute]:
        """The routes, in the table's order, that may match ``path`` (a route path: the root path removed)."""
        return self._subset_for(path).routes

    def _subset_for(self, path: str) -> _RouteSubset:
        routes = self.router.routes
        table = (id(routes), len(routes))
        if table != self._indexed:
            self._patterns = [(route, segment_pattern(route)) for route in routes]
            self._subset.cache_clear()
            self._indexed = table
        return self._subset(tuple(path.split("/", LOOKUP_DEPTH + 1)[1 : LOOKUP_DEPTH + 1]))

    def _route_subset(self, leading: tuple[str, ...]) -> _RouteSubset:
        """The routes whose segment pattern agrees with ``leading`` as far as both go."""

        def agrees(pattern: tuple[str | None, ...]) -> bool:
            pairs = zip(pattern, leading, strict=False)  # as far as both go
            return all(expected is None or expected == segment for expected, segment in pairs)

        return _RouteSubset(self.router, [route for route, pattern in self._patterns if agrees(pattern)])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router.app(scope, receive, send)
            return
        scope.setdefault("router", self.router)  # url_for resolves names in the whole table
        subset = self._subset_for(get_route_path(scope))
        await type(self.router).app(subset, scope, receive, send)  # type: ignore[arg-type]


def dispatch_by_leading_segments(app: FastAPI) -> None:
    """Route the app's requests through ``LeadingSegmentDispatch`` (Starlette calls the router's
    ``middleware_stack``, which is its ``app`` when the router has no middleware of its own)."""
    if app.router.middleware_stack != app.router.app:
        raise RuntimeError("the router has middleware of its own: dispatching around it would skip it")
    app.router.middleware_stack = LeadingSegmentDispatch(app.router)
