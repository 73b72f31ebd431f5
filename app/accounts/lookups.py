"""Accounts: the request path's look-ups, the user behind a session cookie and behind a bearer API token: one query
each, with "last seen" written at most once an interval."""

from datetime import datetime, timedelta
from typing import NamedTuple, cast

from sqlalchemy import Table, Update, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from app.accounts.models import ApiToken, TokenScope, User, UserSession
from app.accounts.service import hash_token
from app.columns import UTCDateTime, id_of, utcnow

SESSION_TOUCH_INTERVAL = timedelta(hours=1)


def user_for_session_token(session: Session, *, token: str) -> User | None:
    """The active user behind a session token, or None when it is unknown, expired or revoked."""
    found = session_for_token(session, token=token)
    return found[0] if found is not None else None


def session_for_token(session: Session, *, token: str) -> tuple[User, UserSession] | None:
    """The active user behind a session token and the session itself, or None when it is unknown, expired or
    revoked: one query for both."""
    now = utcnow()
    found = session.execute(_SESSION_HOLDER, {"token_hash": hash_token(token), "now": now}).first()
    if found is None:
        return None
    user, row = found
    note_session_use(session, session_id=id_of(row), last_seen_at=row.last_seen_at, now=now)
    return user, row


def note_session_use(session: Session, *, session_id: int, last_seen_at: datetime, now: datetime) -> None:
    """Write a session's "last seen" when it is older than SESSION_TOUCH_INTERVAL (best effort)."""
    if now - last_seen_at > SESSION_TOUCH_INTERVAL:
        stale_before = now - SESSION_TOUCH_INTERVAL
        _touch(session, _TOUCH_SESSION, {"row_id": session_id, "now": now, "stale_before": stale_before})


def _touch(session: Session, statement: Update, parameters: dict[str, object]) -> None:
    """Record "last seen" on a best-effort basis: on a read-only request SQLite may refuse the write lock at once
    (another writer holds it), and a stale timestamp is better than a failed page."""
    try:
        with session.begin_nested():
            session.execute(statement, parameters)
    except OperationalError:
        pass


def _touch_statement(table: Table, column: str) -> Update:
    """``UPDATE table SET column = :now`` for row ``:row_id`` only while its ``column`` is before ``:stale_before``.

    The row is picked by a subquery that skips it when locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has
    no row locks and serialises writers): of the requests arriving together on one token, the first writes and the
    others neither write nor queue behind its row lock until its request commits; the condition makes the write
    happen at most once per interval even across processes.
    """
    latest = table.alias("latest")
    stale = (
        sa_select(latest.c.id)
        .where(
            latest.c.id == bindparam("row_id"),
            (latest.c[column].is_(None)) | (latest.c[column] < bindparam("stale_before", type_=UTCDateTime)),
        )
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return sa_update(table).where(table.c.id == stale).values({column: bindparam("now", type_=UTCDateTime)})


_USER_SESSIONS = cast(Table, UserSession.__table__)  # type: ignore[attr-defined]
_API_TOKENS = cast(Table, ApiToken.__table__)  # type: ignore[attr-defined]
# The request path's lookups, built once with bound parameters (``token_hash``, ``now``): the token and its active
# user in one query, and the conditional "last seen" writes.
_SESSION_HOLDER = (
    select(User, UserSession)
    .join(UserSession, col(UserSession.user_id) == User.id)
    .where(
        col(UserSession.token_hash) == bindparam("token_hash"),
        col(UserSession.expires_at) > bindparam("now", type_=UTCDateTime),
        col(User.is_active),
    )
)


_TOUCH_SESSION = _touch_statement(_USER_SESSIONS, "last_seen_at")
# "Last used" is written at most this often per token, so a busy script costs no write per request.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


class TokenHolder(NamedTuple):
    """Who a bearer token speaks for, and what it may do."""

    user: User
    scope: TokenScope


_TOKEN_HOLDER = (
    select(User, col(ApiToken.id), col(ApiToken.scope), col(ApiToken.last_used_at))
    .join(ApiToken, col(ApiToken.user_id) == User.id)
    .where(
        col(ApiToken.token_hash) == bindparam("token_hash"),
        col(ApiToken.revoked_at).is_(None),
        col(ApiToken.expires_at) > bindparam("now", type_=UTCDateTime),
        col(User.is_active),
    )
)


_TOUCH_API_TOKEN = _touch_statement(_API_TOKENS, "last_used_at")


def api_token_for(session: Session, *, plain: str) -> TokenHolder | None:
    """The active user behind a bearer token, and the token's scope, or None when it is unknown, revoked or expired:
    one query; "last used" is written at most once a minute (TOKEN_TOUCH_INTERVAL), not on every request."""
    now = utcnow()
    found = session.execute(_TOKEN_HOLDER, {"token_hash": hash_token(plain), "now": now}).first()
    if found is None:
        return None
    user, token_id, scope, last_used_at = found
    note_token_use(session, token_id=token_id, last_used_at=last_used_at, now=now)
    return TokenHolder(user=user, scope=TokenScope(scope))


def note_token_use(session: Session, *, token_id: int, last_used_at: datetime | None, now: datetime) -> None:
    """Write a token's "last used" when it is unset or TOKEN_TOUCH_INTERVAL old (best effort)."""
    if last_used_at is None or now - last_used_at >= TOKEN_TOUCH_INTERVAL:
        stale_before = now - TOKEN_TOUCH_INTERVAL + timedelta(microseconds=1)
        _touch(session, _TOUCH_API_TOKEN, {"row_id": token_id, "now": now, "stale_before": stale_before})
