"""One-time messages carried across a redirect in a short signed cookie."""

import json
from typing import Literal

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer

from app.config import get_settings

COOKIE_NAME = "chorus_flash"
Level = Literal["success", "info", "error"]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().resolved_secret_key, salt="chorus.flash")


def add(response: Response, request: Request, message: str, level: Level = "success") -> None:
    """Show ``message`` on the next page this browser renders."""
    messages = [*_read(request), {"message": message, "level": level}]
    response.set_cookie(
        COOKIE_NAME,
        _serializer().dumps(json.dumps(messages[-5:])),
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
    )


def _read(request: Request) -> list[dict[str, str]]:
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return []
    try:
        return json.loads(_serializer().loads(raw))
    except (BadSignature, ValueError):
        return []


def pop_messages(request: Request) -> list[dict[str, str]]:
    messages = _read(request)
    if messages:
        request.state.flash_shown = True
    return messages


def clear_if_shown(request: Request, response: Response) -> None:
    if getattr(request.state, "flash_shown", False):
        response.delete_cookie(COOKIE_NAME)
