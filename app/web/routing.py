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
"""

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager, AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from typing import Any

import fastapi.concurrency
import fastapi.dependencies.utils
import fastapi.routing
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool as _hand_off
from starlette.requests import Request
from starlette.responses import Response

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
