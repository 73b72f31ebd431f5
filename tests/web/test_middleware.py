"""The body cap's fast path: bodies whose size the server already bounds reach the app without being counted."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.web.middleware import BodySizeLimit


def _seen_receive(headers: list[tuple[bytes, bytes]]) -> tuple[Any, Any]:
    """The ``receive`` the app behind the cap was given, and the original one."""
    seen: list[Any] = []

    async def app(_scope: Any, receive: Any, _send: Any) -> None:
        seen.append(receive)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: Any) -> None:
        return None

    scope = {"type": "http", "method": "POST", "path": "/api/v1/x", "headers": headers}
    # A loop of its own in a thread of its own: a browser test run earlier in this worker may have left one running.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, BodySizeLimit(app, max_bytes=100)(scope, receive, send)).result()
    return seen[0], receive


@pytest.mark.parametrize("headers", [[], [(b"content-length", b"100")], [(b"content-length", b"0")]])
def test_no_body_or_a_declared_length_within_the_cap_passes_uncounted(headers: list[tuple[bytes, bytes]]) -> None:
    given, original = _seen_receive(headers)
    assert given is original


@pytest.mark.parametrize(
    "headers", [[(b"transfer-encoding", b"chunked")], [(b"content-length", b"ten")]], ids=["chunked", "not a number"]
)
def test_a_body_of_no_declared_length_is_counted(headers: list[tuple[bytes, bytes]]) -> None:
    given, original = _seen_receive(headers)
    assert given is not original
