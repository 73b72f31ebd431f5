"""The request path's lookups: a bearer token or a session cookie and its user in one query, and "last used" written
at most once per interval, by one request of those arriving together (the others neither write nor wait)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, event
from sqlmodel import Session

from app.accounts import lookups as accounts_lookups
from app.accounts import sessions as accounts_sessions
from app.accounts import tokens as accounts_tokens
from app.accounts.models import ApiToken, TokenScope
from app.columns import utcnow
from app.db import build_engine, session_scope
from tests import databases
from tests.factories import make_user


@contextmanager
def recorded_statements(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


def test_a_bearer_token_and_its_user_are_one_query_and_a_fresh_token_writes_nothing(session: Session) -> None:
    user = make_user(session)
    token, plain = accounts_tokens.create_api_token(session, user=user, name="script", scope=TokenScope.read)
    token.last_used_at = utcnow()
    session.add(token)
    session.flush()
    session.expire_all()
    with recorded_statements(session.connection()) as statements:
        found = accounts_lookups.api_token_for(session, plain=plain)
    assert found is not None
    assert (found.user.id, found.scope) == (user.id, TokenScope.read)
    assert len(statements) == 1, statements
    assert statements[0].startswith("SELECT")


def test_a_session_cookie_and_its_user_are_one_query(session: Session) -> None:
    user = make_user(session)
    plain = accounts_sessions.start_session(session, user=user)
    session.expire_all()
    with recorded_statements(session.connection()) as statements:
        found = accounts_lookups.session_for_token(session, token=plain)
    assert found is not None
    assert found[0].id == user.id
    assert len(statements) == 1, statements


@pytest.fixture
def real_engine(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with databases.migrated_database(tmp_path_factory, label="tokens", sqlite_dir=tmp_path) as url:
        engine = build_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def _stale_token(engine: Engine) -> tuple[int, str]:
    with session_scope(engine) as session:
        token, plain = accounts_tokens.create_api_token(session, user=make_user(session), name="script")
        token.last_used_at = utcnow() - timedelta(minutes=5)
        session.add(token)
        return token.id or 0, plain


def _touch_rows(connection: Connection, token_id: int) -> int:
    now = utcnow()
    stale_before = now - accounts_lookups.TOKEN_TOUCH_INTERVAL
    result = connection.execute(
        accounts_lookups._TOUCH_API_TOKEN, {"row_id": token_id, "now": now, "stale_before": stale_before}
    )
    return result.rowcount


def test_of_two_requests_on_a_stale_token_one_writes_last_use_and_the_other_neither_writes_nor_waits(
    real_engine: Engine,
) -> None:
    token_id, plain = _stale_token(real_engine)
    with Session(real_engine) as first:
        assert accounts_lookups.api_token_for(first, plain=plain) is not None  # writes, holds the row until commit
        if real_engine.dialect.name == "postgresql":
            with real_engine.connect() as second:
                # Waiting on the first request's row lock would fail here instead of queueing.
                second.exec_driver_sql("SET lock_timeout = '2s'")
                assert _touch_rows(second, token_id) == 0
                second.rollback()
        first.commit()
    with real_engine.connect() as later:
        assert _touch_rows(later, token_id) == 0  # fresh now: nobody writes again within the minute
        later.rollback()
    with Session(real_engine) as check:
        token = check.get(ApiToken, token_id)
        assert token is not None and token.last_used_at is not None
        assert utcnow() - token.last_used_at < timedelta(minutes=1)


def test_last_use_is_not_written_per_request(real_engine: Engine) -> None:
    _token_id, plain = _stale_token(real_engine)
    writes: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            writes.append(statement)

    lookups: list[Callable[[Session], object]] = [
        lambda session: accounts_lookups.api_token_for(session, plain=plain) for _ in range(5)
    ]
    event.listen(real_engine, "before_cursor_execute", record)
    try:
        for lookup in lookups:
            with Session(real_engine) as session:
                assert lookup(session) is not None
                session.commit()
    finally:
        event.remove(real_engine, "before_cursor_execute", record)
    assert len(writes) == 1, writes
