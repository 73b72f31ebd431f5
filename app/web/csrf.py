"""CSRF protection through asgi-csrf: a signed double-submit cookie, checked against the ``csrftoken`` form field or
the ``x-csrftoken`` header on every unsafe request. Bearer-token API calls carry no cookie and are not checked.
The login, sign-up and reset forms are checked even without cookies, against login CSRF.

``CsrfGate`` sits in front of asgi-csrf and answers itself the requests asgi-csrf would let through unchecked (safe
methods; writes with a bearer token or without any cookie, outside the always-protected forms), giving them the
token lazily: asgi-csrf makes and signs a new secret for every request without its cookie (about 0.1 ms: sixteen
``secrets.choice`` calls, an HMAC and zlib), which only a page that renders a form needs."""

import json
from http.cookies import SimpleCookie
from typing import Any

import asgi_csrf as asgi_csrf_module
from asgi_csrf import asgi_csrf
from fastapi import FastAPI
from itsdangerous import BadSignature
from itsdangerous.url_safe import URLSafeSerializer
from python_multipart import FormParser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.i18n import N_, _

ALWAYS_PROTECTED_PATHS = ["/login", "/login/two-factor", "/login/recovery", "/signup", "/reset", "/confirm/resend"]
# Unsubscribe links from e-mail: mail clients POST RFC 8058's one-click body with no cookie or token; the signed
# token in the path is what authorises the change (app.notifications.service.read_unsubscribe_token).
CSRF_EXEMPT_PREFIXES = ("/unsubscribe/", "/api/v1/unsubscribe/")
FAILURE_MESSAGE = N_("This form has expired or was sent from another site. Reload the page and try again.")
API_FAILURE_MESSAGE = N_(
    "CSRF check failed. This form has expired or was sent from another site. Reload the page and try again."
)


class _CompatibleFormParser(FormParser):
    """asgi-csrf 0.11 passes ``FileClass=`` to python-multipart's FormParser, which 0.0.2x dropped: every multipart
    form posted without the header then failed with a TypeError (a 500). Accept and ignore it. The token is still
    found as soon as its field ends (so it must come before the file fields to avoid reading the whole upload);
    a file before it is buffered by python-multipart (memory, then a temporary file) instead of refused early."""

    def __init__(self, *args: Any, FileClass: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


asgi_csrf_module.FormParser = _CompatibleFormParser  # type: ignore[attr-defined,misc]


async def _send_failure(scope: dict[str, Any], send: Any, _reason: Any) -> None:
    if scope["path"].startswith("/api/"):
        body, content_type = (
            json.dumps({"detail": _(API_FAILURE_MESSAGE)}),
            "application/json",
        )
    else:
        from app.web.templating import templates

        body = templates.env.get_template("errors/csrf.html").render(message=_(FAILURE_MESSAGE), status_code=403)
        content_type = "text/html; charset=utf-8"  # i18n: ignore
    await send({"type": "http.response.start", "status": 403, "headers": [(b"content-type", content_type.encode())]})
    await send({"type": "http.response.body", "body": body.encode()})


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
COOKIE_NAME = asgi_csrf_module.DEFAULT_COOKIE_NAME
COOKIE_SAMESITE = "Lax"


class CsrfGate:
    """Requests that asgi-csrf would not check go around it, with the same ``scope["csrftoken"]`` made on demand:
    the cookie's token when it is validly signed, else a new one, then set as the cookie (with ``Vary: Cookie``)
    exactly as asgi-csrf does. Everything else goes through asgi-csrf (wrapped around the same app) unchanged."""

    def __init__(self, app: ASGIApp, *, signing_secret: str, cookie_secure: bool) -> None:
        self.app = app
        self.checked = asgi_csrf(
            app,
            signing_secret=signing_secret,
            always_protect=ALWAYS_PROTECTED_PATHS,
            cookie_secure=cookie_secure,
            cookie_samesite=COOKIE_SAMESITE,
            send_csrf_failed=_send_failure,
            skip_if_scope=lambda scope: scope["path"].startswith(CSRF_EXEMPT_PREFIXES),
        )
        self.signer = URLSafeSerializer(signing_secret)
        secure = "; Secure" if cookie_secure else ""
        self.cookie_attributes = f"Path=/; SameSite={COOKIE_SAMESITE}{secure}"  # i18n: ignore

    def _unchecked(self, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        if scope["method"] in SAFE_METHODS:
            return True
        if headers.get(b"authorization", b"").startswith(b"Bearer "):
            return True
        return not headers.get(b"cookie") and scope["path"] not in ALWAYS_PROTECTED_PATHS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if not self._unchecked(scope, headers):
            await self.checked(scope, receive, send)
            return
        cookie_header = headers.get(b"cookie")
        made: list[str] = []  # the token, once a page asked for it
        fresh = False

        def csrftoken() -> str:
            nonlocal fresh
            if made:
                return made[0]
            token = _signed_cookie(self.signer, cookie_header)
            if token is None:
                token = self.signer.dumps(asgi_csrf_module.make_secret(16), asgi_csrf_module.DEFAULT_SIGNING_NAMESPACE)
                fresh = True
            made.append(str(token))
            return made[0]

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and made:
                response_headers = [(name, value) for name, value in message.get("headers") or [] if name != b"vary"]
                vary = [value for name, value in message.get("headers") or [] if name == b"vary"]
                parts = [part.strip() for value in vary for part in value.split(b",") if part.strip()]
                response_headers.append((b"vary", b", ".join([*parts, b"Cookie"] if b"Cookie" not in parts else parts)))
                if fresh:
                    cookie = f"{COOKIE_NAME}={made[0]}; {self.cookie_attributes}"
                    response_headers.append((b"set-cookie", cookie.encode()))
                message = {**message, "headers": response_headers}
            await send(message)

        await self.app({**scope, asgi_csrf_module.SCOPE_KEY: csrftoken}, receive, send_with_cookie)


def _signed_cookie(signer: URLSafeSerializer, cookie_header: bytes | None) -> str | None:
    """The csrftoken cookie's value when its signature holds."""
    if not cookie_header:
        return None
    cookies = SimpleCookie()
    cookies.load(cookie_header.decode("utf-8", errors="replace"))
    morsel = cookies.get(COOKIE_NAME)
    if morsel is None:
        return None
    try:
        signer.loads(morsel.value, asgi_csrf_module.DEFAULT_SIGNING_NAMESPACE)
    except BadSignature:
        return None
    return morsel.value


def install_csrf(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(CsrfGate, signing_secret=settings.resolved_secret_key, cookie_secure=settings.cookie_secure)
