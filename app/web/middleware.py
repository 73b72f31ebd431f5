"""A cap on request bodies, checked before anything buffers them (the CSRF check reads form bodies)."""

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        limit_mb = self.max_bytes // (1024 * 1024)
        detail = f"The request is too large: the limit is {limit_mb} MB."
        body: Any
        if scope["path"].startswith("/api/"):
            body, content_type = json.dumps({"detail": detail}).encode(), b"application/json"
        else:
            body, content_type = f"<!doctype html><title>Too large</title><p>{detail}</p>".encode(), b"text/html"
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass
