"""Starts each request's language choice from its cookie and ``Accept-Language`` (pure ASGI: a few microseconds)."""

from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Receive, Scope, Send

from app.i18n.context import start_request_choice

LOCALE_COOKIE = "chorus_locale"


class LocaleNegotiation:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accept_language = picked = None
        for name, value in scope["headers"]:
            if name == b"accept-language":
                accept_language = value.decode("latin-1")
            elif name == b"cookie" and LOCALE_COOKIE.encode() in value:
                morsel = SimpleCookie(value.decode("latin-1")).get(LOCALE_COOKIE)
                picked = morsel.value if morsel is not None else None
        start_request_choice(picked=picked, accept_language=accept_language)
        await self.app(scope, receive, send)
