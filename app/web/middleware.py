"""Pure ASGI middleware: a cap on request bodies, checked before anything buffers them (the CSRF check reads form
bodies), and the security headers on every answer. Each does no more per request than its job needs: a body of a
declared size within the cap, or no body at all, passes without its messages being counted, and the headers are
encoded once per policy."""

import json
import time
from functools import lru_cache
from typing import Any

from markupsafe import escape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import get_settings
from app.i18n import _
from app.i18n.formatting import format_number
from app.media.storage import public_media_origin


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
        if b"transfer-encoding" not in headers and (declared is None or declared.isdigit()):
            # The server reads exactly the declared length (none: no body), so this body is within the cap.
            await self.app(scope, receive, send)
            return
        received = 0
        too_large = False
        response_started = False
        replaced = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started, replaced
            if message["type"] == "http.response.start":
                response_started = True
                if too_large:
                    # The app answered after the cap was hit: FastAPI turns the error raised while it read the
                    # body (wrapped in an ExceptionGroup by BaseHTTPMiddleware) into a 400 "There was an error
                    # parsing the body". Say what happened instead.
                    replaced = True
                    await self._refuse(scope, send)
                    return
            if replaced:
                return
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            # _BodyTooLarge itself, or wrapped in an ExceptionGroup by a task group on the way out.
            if not too_large:
                raise
            if not response_started:
                await self._refuse(scope, send)

    def _detail(self) -> str:
        megabyte = 1024 * 1024
        size = self.max_bytes
        if size >= megabyte:
            return _("The request is too large: the limit is %(size)s MB.", size=format_number(size / megabyte))
        return _("The request is too large: the limit is %(size)s bytes.", size=format_number(size))

    async def _refuse(self, scope: Scope, send: Send) -> None:
        detail = self._detail()
        body: Any
        if scope["path"].startswith("/api/"):
            body, content_type = json.dumps({"detail": detail}).encode(), b"application/json"
        else:
            title = escape(_("Too large"))
            page = f"<!doctype html><title>{title}</title><p>{escape(detail)}</p>"  # i18n: ignore
            body, content_type = page.encode(), b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "  # i18n: ignore
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


@lru_cache(maxsize=8)
def _policies(media_origin: str | None) -> tuple[str, str]:
    """The page policy and the /docs one. Images may also come from the public media origin (CHORUS_S3_PUBLIC_URL:
    a bucket or CDN serving renditions), or every image would be blocked."""
    policy = CONTENT_SECURITY_POLICY
    if media_origin:
        policy = policy.replace("img-src 'self' data:", f"img-src 'self' data: {media_origin}")  # i18n: ignore
    # Swagger UI starts itself with an inline script; /docs shows no member content, so it may run one.
    docs = policy.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")  # i18n: ignore
    docs = docs.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")  # i18n: ignore
    return policy, docs


def _headers(policy: str) -> dict[str, str]:
    return {
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
        "content-security-policy": policy,
    }


def security_headers(path: str) -> dict[str, str]:
    """The headers every answer carries; also set by the 500 handler, which runs outside all user middleware."""
    policy, docs_policy = _policies(public_media_origin(get_settings()))
    return _headers(docs_policy if path == "/docs" else policy)


@lru_cache(maxsize=16)
def _encoded_security_headers(media_origin: str | None, docs: bool) -> tuple[tuple[bytes, bytes], ...]:
    """``security_headers`` as ASGI header pairs, encoded once per policy."""
    policy, docs_policy = _policies(media_origin)
    return tuple((name.encode(), value.encode()) for name, value in _headers(docs_policy if docs else policy).items())


class SecurityHeaders:
    """CSP, framing, sniffing and referrer headers, added to each answer unless a route set its own, and
    ``Vary: Accept-Language`` on all but static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _encoded_security_headers(public_media_origin(get_settings()), scope["path"] == "/docs")
        by_language = not scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in extra if name not in present)
                if by_language:
                    _vary_by_language(headers)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _vary_by_language(headers: list[tuple[bytes, bytes]]) -> None:
    """Pages and API answers speak the language ``Accept-Language`` asks for (app.i18n): a shared cache must not
    hand one person's German page to another's English request. Added to a ``Vary`` already there."""
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            if b"accept-language" not in value.lower() and value.strip() != b"*":
                headers[index] = (name, value + b", Accept-Language")
            return
    headers.append((b"vary", b"Accept-Language"))


class ServerTiming:
    """For benchmarks (off by default): the time from the request's arrival to the response's start, in a
    ``Server-Timing: app;dur=<ms>`` header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - started) * 1000
                message["headers"] = [
                    *message.get("headers", []),
                    (b"server-timing", f"app;dur={elapsed:.3f}".encode()),
                ]
            await send(message)

        await self.app(scope, receive, timed_send)
