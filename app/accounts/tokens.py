"""Accounts: personal API tokens, created, listed and revoked (the look-up on each request is in ``lookups``)."""

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import CursorResult
from sqlmodel import Session, col, select, update

from app.accounts.models import ApiToken, TokenScope, User
from app.accounts.service import (
    API_TOKEN_PREFIX,
    DEFAULT_TOKEN_LIFETIME_DAYS,
    TOKEN_LIFETIME_DAYS,
    hash_token,
)
from app.columns import id_of, utcnow
from app.errors import Invalid, NotFound
from app.i18n import _


def create_api_token(
    session: Session,
    *,
    user: User,
    name: str,
    scope: TokenScope = TokenScope.read_write,
    lifetime_days: int = DEFAULT_TOKEN_LIFETIME_DAYS,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a personal API token; the plain token is returned once and never stored."""
    name = name.strip()
    if not name or len(name) > 80:
        raise Invalid(
            _("Name the token (1 to 80 characters), e.g. the script that will use it."),
            fields={"name": _("Name the token.")},
        )
    if lifetime_days not in TOKEN_LIFETIME_DAYS:
        choices = ", ".join(map(str, TOKEN_LIFETIME_DAYS))
        raise Invalid(
            _("A token lives %(choices)s days.", choices=choices),
            fields={"lifetime_days": _("Choose %(choices)s days.", choices=choices)},
        )
    now = now or utcnow()
    plain = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=id_of(user),
        name=name,
        token_hash=hash_token(plain),
        prefix=plain[:12],
        scope=scope,
        created_at=now,
        expires_at=now + timedelta(days=lifetime_days),
    )
    session.add(token)
    session.flush()
    return token, plain


def list_api_tokens(session: Session, *, user: User) -> Sequence[ApiToken]:
    """The user's tokens not revoked, newest first (expired ones too, marked so on the page)."""
    return session.exec(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None))
        .order_by(col(ApiToken.id).desc())
    ).all()


def revoke_api_token(session: Session, *, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens; someone else's is NotFound."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound(_("There is no such token."))
    token.revoked_at = utcnow()
    session.add(token)
    session.flush()


def revoke_all_api_tokens(session: Session, *, user: User, now: datetime | None = None) -> int:
    """Revoke every token of the user; how many were live."""
    result = session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
    )
    return result.rowcount if isinstance(result, CursorResult) else 0
