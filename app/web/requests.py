"""Small facts about the incoming request that routes pass on to services."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from app.web.templating import is_htmx


def client_ip(request: Request) -> str:
    """The peer address (uvicorn's --proxy-headers puts the real client here behind a trusted proxy)."""
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths, so a crafted ?next= cannot send people to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def redirect(request: Request, url: str) -> Response:
    """After a successful form post: a 303 for browsers, HX-Redirect for htmx."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
