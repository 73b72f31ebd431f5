"""A real HTTP server for tests that need sockets and uvicorn's request handling (the load driver, threads)."""

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio.to_thread
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

T = TypeVar("T")


@contextmanager
def served(app: ASGIApp, *, threads: int | None = None) -> Iterator[str]:
    """``app`` on uvicorn in a thread, on a free loopback port; yields the base URL. With ``threads``, requests'
    blocking code gets that many worker threads instead of 40."""

    async def limited(scope: Scope, receive: Receive, send: Send) -> None:
        if threads is not None:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        await app(scope, receive, send)

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(limited, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def run_in_new_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: a test may run after one that left an event loop running in this
    thread (the browser tests' Playwright does), where asyncio.run refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as runner:
        return runner.submit(asyncio.run, coroutine).result()
