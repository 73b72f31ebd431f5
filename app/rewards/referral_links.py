"""The referral link's cookie: /r/<code> sets it (signed), and a sign-up in the same browser is credited to it."""

from datetime import timedelta

from fastapi import Request, Response
from itsdangerous import BadSignature, Signer

from app.config import get_settings

REFERRAL_COOKIE = "chorus_referral"


def _signer() -> Signer:
    return Signer(get_settings().resolved_secret_key, salt="chorus.referral")


def remember_referral(response: Response, code: str) -> None:
    settings = get_settings()
    response.set_cookie(
        REFERRAL_COOKIE,
        _signer().sign(code).decode(),
        max_age=int(timedelta(days=settings.referral_cookie_days).total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


def referral_code_from_cookie(request: Request) -> str:
    """The referral code a visitor arrived with, if its cookie is genuine; empty otherwise."""
    raw = request.cookies.get(REFERRAL_COOKIE, "")
    if not raw:
        return ""
    try:
        return _signer().unsign(raw).decode()
    except BadSignature:
        return ""
