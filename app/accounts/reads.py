"""Who is asking, for a route that only reads the caller's own account (``GET /api/v1/me``), without the ORM.

``get_current_user`` serves every other route: it loads the ``User`` into the request's session, where the services
change it, and writes "last used" inside the request's transaction. A route that only shows the account needs none
of that: ``find_account`` reads the token (or the session cookie's session) and its active user's columns in one
Core statement built once, through ``app.reads`` (in the event loop on SQLite), and ``ReadingPermit`` runs the same
``check`` as ``Permit`` on them. The rules are ``get_current_user``'s: a bearer token first, then the signed session
cookie; expired, revoked and inactive are refused in SQL; a read-only token reads only. "Last used" is written at
most once per interval as before (``TOKEN_TOUCH_INTERVAL``, ``SESSION_TOUCH_INTERVAL``), but after the response, in
a transaction of its own, so that the read stays a read.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, cast

from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy import Row, Select, Table, Update, bindparam, or_, select, update
from sqlmodel import Session

from app.accounts.deps import (
    PermissionCheck,
    base_roles,
    bearer_credentials,
    check,
    check_token_scope,
    invalid_token,
    session_token,
)
from app.accounts.lookups import SESSION_TOUCH_INTERVAL, TOKEN_TOUCH_INTERVAL, note_session_use, note_token_use
from app.accounts.models import ApiToken, User, UserSession
from app.accounts.service import hash_token
from app.columns import UTCDateTime, utcnow
from app.i18n import _
from app.i18n.context import note_person
from app.permissions import Action
from app.reads import Reads, ReadsDep

_USERS = cast(Table, User.__table__)  # type: ignore[attr-defined]
_API_TOKENS = cast(Table, ApiToken.__table__)  # type: ignore[attr-defined]
_USER_SESSIONS = cast(Table, UserSession.__table__)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Account:
    """The columns of an account that showing it (``UserPrivate``) and checking its permissions need."""

    id: int
    email: str
    handle: str
    display_name: str
    bio: str
    created_at: datetime
    is_site_admin: bool
    email_confirmed_at: datetime | None
    has_two_factor: bool
    locale: str | None
    time_zone: str | None

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


_ACCOUNT_COLUMNS = (
    _USERS.c.id,
    _USERS.c.email,
    _USERS.c.handle,
    _USERS.c.display_name,
    _USERS.c.bio,
    _USERS.c.created_at,
    _USERS.c.is_site_admin,
    _USERS.c.email_confirmed_at,
    _USERS.c.two_factor_enabled_at,
    _USERS.c.totp_secret,
    _USERS.c.locale,
    _USERS.c.time_zone,
)
_NOW = bindparam("now", type_=UTCDateTime)
# Built once, with bound parameters ``token_hash`` and ``now``: the holder and the row's id and last use.
_BY_TOKEN = (
    select(*_ACCOUNT_COLUMNS, _API_TOKENS.c.id.label("row_id"), _API_TOKENS.c.scope, _API_TOKENS.c.last_used_at)
    .join_from(_USERS, _API_TOKENS, _API_TOKENS.c.user_id == _USERS.c.id)
    .where(
        _API_TOKENS.c.token_hash == bindparam("token_hash"),
        _API_TOKENS.c.revoked_at.is_(None),
        _API_TOKENS.c.expires_at > _NOW,
        _USERS.c.is_active,
    )
)
_BY_SESSION = (
    select(*_ACCOUNT_COLUMNS, _USER_SESSIONS.c.id.label("row_id"), _USER_SESSIONS.c.last_seen_at)
    .join_from(_USERS, _USER_SESSIONS, _USER_SESSIONS.c.user_id == _USERS.c.id)
    .where(
        _USER_SESSIONS.c.token_hash == bindparam("token_hash"), _USER_SESSIONS.c.expires_at > _NOW, _USERS.c.is_active
    )
)


def _touch(table: Table, column: str) -> Update:
    """``column = :now`` for row ``:row_id`` while it is still before ``:stale_before``: of the requests that saw it
    stale, the first writes and the rest change nothing, in this process or another."""
    stale = or_(table.c[column].is_(None), table.c[column] < bindparam("stale_before", type_=UTCDateTime))
    return update(table).where(table.c.id == bindparam("row_id"), stale).values({column: _NOW})


TOUCH_TOKEN = _touch(_API_TOKENS, "last_used_at")
TOUCH_SESSION = _touch(_USER_SESSIONS, "last_seen_at")


def _account(row: Row[Any]) -> Account:
    return Account(
        id=row.id,
        email=row.email,
        handle=row.handle,
        display_name=row.display_name,
        bio=row.bio,
        created_at=row.created_at,
        is_site_admin=row.is_site_admin,
        email_confirmed_at=row.email_confirmed_at,
        has_two_factor=row.two_factor_enabled_at is not None and row.totp_secret is not None,
        locale=row.locale,
        time_zone=row.time_zone,
    )


async def find_account(request: Request, reads: Reads, later: BackgroundTasks) -> Account | None:
    """The account behind the request's bearer token or session cookie (``get_current_user``'s rules), or None for a
    visitor; a stale "last used" is written by ``later``, after the response."""
    now = utcnow()
    authorization = request.headers.get("Authorization", "")
    if authorization:
        row = await reads.first(_BY_TOKEN, {"token_hash": hash_token(bearer_credentials(authorization)), "now": now})
        if row is None:
            raise invalid_token()
        check_token_scope(row.scope, request.method)
        if row.last_used_at is None or now - row.last_used_at >= TOKEN_TOUCH_INTERVAL:
            stale_before = now - TOKEN_TOUCH_INTERVAL + timedelta(microseconds=1)
            later.add_task(reads.write, TOUCH_TOKEN, {"row_id": row.row_id, "now": now, "stale_before": stale_before})
        return _account(row)
    token = session_token(request)
    if not token:
        return None
    row = await reads.first(_BY_SESSION, {"token_hash": hash_token(token), "now": now})
    if row is None:
        return None
    if now - row.last_seen_at > SESSION_TOUCH_INTERVAL:
        stale_before = now - SESSION_TOUCH_INTERVAL
        later.add_task(reads.write, TOUCH_SESSION, {"row_id": row.row_id, "now": now, "stale_before": stale_before})
    return _account(row)


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request shows to say who it is: a bearer token, else the session cookie's token (hashed; None when it
    shows neither)."""

    bearer: bool
    token_hash: str | None

    @property
    def holder(self) -> Select[Any]:
        """The statement that finds the credential's active holder (bound parameters ``token_hash`` and ``now``)."""
        return _BY_TOKEN if self.bearer else _BY_SESSION


def request_credentials(request: Request) -> Credentials:
    authorization = request.headers.get("Authorization", "")
    if authorization:
        return Credentials(bearer=True, token_hash=hash_token(bearer_credentials(authorization)))
    token = session_token(request)
    return Credentials(bearer=False, token_hash=hash_token(token) if token else None)


def account_in_transaction(session: Session, request: Request) -> Account | None:
    """``find_account`` for a route that writes: the same statements on the request's transaction, "last used"
    written in it (best effort, as ``get_current_user`` does), and the person's language and time zone noted."""
    credentials = request_credentials(request)
    now = utcnow()
    row = None
    if credentials.token_hash is not None:
        parameters = {"token_hash": credentials.token_hash, "now": now}
        row = session.connection().execute(credentials.holder, parameters).first()
    return holder_account(session, request, credentials, row, now=now)


def holder_account(
    session: Session, request: Request, credentials: Credentials, row: Any, *, now: datetime
) -> Account | None:
    """The account in a row with the columns of ``credentials.holder`` (a statement may outer-join it to what it
    reads: they are NULL when nobody holds the credential), by ``get_current_user``'s rules: an unknown bearer token
    is refused, an unknown session is a visitor, a read-only token only reads, and "last used" is written in the
    request's transaction at most once an interval."""
    if row is None or row.id is None:
        if credentials.bearer:
            raise invalid_token()
        return None
    if credentials.bearer:
        check_token_scope(row.scope, request.method)
        note_token_use(session, token_id=row.row_id, last_used_at=row.last_used_at, now=now)
    else:
        note_session_use(session, session_id=row.row_id, last_seen_at=row.last_seen_at, now=now)
    account = _account(row)
    note_person(account.locale, account.time_zone)
    return account


class ReadingPermit(PermissionCheck):
    """``Permit``'s check (no brand or community) for a route that only reads the caller's own account: the caller
    found by ``find_account``, in the event loop."""

    def __init__(self, action: Action) -> None:
        self.action = action

    async def __call__(self, request: Request, reads: ReadsDep, later: BackgroundTasks) -> Account | None:
        account = await find_account(request, reads, later)
        check(self.action, frozenset(base_roles(account)), account, hidden_message=_("Page not found."))
        return account


async def _own_account(
    account: Annotated[Account | None, Depends(ReadingPermit(Action.manage_own_account))],
) -> Account:
    assert account is not None  # the check raised LoginRequired otherwise
    return account


# The logged-in account, for a route that only shows it.
OwnAccount = Annotated[Account, Depends(_own_account)]
