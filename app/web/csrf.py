"""CSRF protection through asgi-csrf: a signed double-submit cookie, checked against the ``csrftoken`` form field or
the ``x-csrftoken`` header on every unsafe request. Bearer-token API calls carry no cookie and are not checked.
The login, sign-up and reset forms are checked even without cookies, against login CSRF."""

import json
from typing import Any

import asgi_csrf as asgi_csrf_module
from asgi_csrf import asgi_csrf
from fastapi import FastAPI
from python_multipart import FormParser

from app.config import Settings

ALWAYS_PROTECTED_PATHS = ["/login", "/login/two-factor", "/login/recovery", "/signup", "/reset", "/confirm/resend"]
# Unsubscribe links from e-mail: mail clients POST RFC 8058's one-click body with no cookie or token; the signed
# token in the path is what authorises the change (app.notifications.service.read_unsubscribe_token).
CSRF_EXEMPT_PREFIXES = ("/unsubscribe/", "/api/v1/unsubscribe/")
FAILURE_MESSAGE = "This form has expired or was sent from another site. Reload the page and try again."


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
            json.dumps({"detail": f"CSRF check failed. {FAILURE_MESSAGE}"}),
            "application/json",
        )
    else:
        from app.web.templating import templates

        body = templates.env.get_template("errors/csrf.html").render(message=FAILURE_MESSAGE, status_code=403)
        content_type = "text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 403, "headers": [(b"content-type", content_type.encode())]})
    await send({"type": "http.response.body", "body": body.encode()})


def install_csrf(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(
        asgi_csrf,
        signing_secret=settings.resolved_secret_key,
        always_protect=ALWAYS_PROTECTED_PATHS,
        cookie_secure=settings.cookie_secure,
        cookie_samesite="Lax",
        send_csrf_failed=_send_failure,
        skip_if_scope=lambda scope: scope["path"].startswith(CSRF_EXEMPT_PREFIXES),
    )
