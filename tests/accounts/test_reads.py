"""Reading one's own account (``GET /api/v1/me``) through app.accounts.reads: the same rules as every other route's
actor, one statement, and "last used" written after the answer in a transaction of its own, at most once a
minute (a token) or an hour (a session)."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from app import db
from app.accounts import tokens as accounts_tokens
from app.accounts.models import ApiToken, TokenScope, UserSession
from app.columns import utcnow
from app.config import get_settings
from app.main import create_app
from app.reads import SqliteReads, get_reads
from tests import databases
from tests.factories import log_in, make_user
from tests.servers import run_in_new_loop


@pytest.fixture
def updates(session: Session) -> Iterator[list[str]]:
    """The UPDATE statements the test's session runs."""
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            statements.append(" ".join(statement.split()))

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", record)
    yield statements
    event.remove(connection, "before_cursor_execute", record)


def test_a_stale_token_is_marked_used_after_the_answer_and_not_again_within_the_minute(
    client: TestClient, session: Session, updates: list[str]
) -> None:
    user = make_user(session, handle="scripter")
    token, plain = accounts_tokens.create_api_token(session, user=user, name="script", scope=TokenScope.read)
    token.last_used_at = utcnow() - timedelta(minutes=5)
    session.flush()
    updates.clear()
    bearer = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=bearer).json()["handle"] == "scripter"
    session.refresh(token)
    assert token.last_used_at is not None and utcnow() - token.last_used_at < timedelta(minutes=1)
    assert [statement.split()[1] for statement in updates] == ["api_tokens"]
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    assert len(updates) == 1, updates


def test_a_stale_session_is_marked_seen_after_the_answer(client: TestClient, session: Session) -> None:
    user = make_user(session, handle="browser")
    log_in(client, session, user)
    user_session = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    user_session.last_seen_at = utcnow() - timedelta(hours=2)
    session.flush()
    assert client.get("/api/v1/me").json()["handle"] == "browser"
    session.refresh(user_session)
    assert utcnow() - user_session.last_seen_at < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ("expired", "This API token is not valid: it has expired or been revoked."),
        ("revoked", "This API token is not valid: it has expired or been revoked."),
        ("inactive", "This API token is not valid: it has expired or been revoked."),
        ("scheme", "Use 'Authorization: Bearer <token>' with a personal API token."),
    ],
)
def test_tokens_that_do_not_hold_are_refused_as_on_every_route(
    change: str, detail: str, client: TestClient, session: Session
) -> None:
    user = make_user(session)
    token, plain = accounts_tokens.create_api_token(session, user=user, name="script")
    header = f"Bearer {plain}"
    if change == "expired":
        token.expires_at = utcnow() - timedelta(seconds=1)
    elif change == "revoked":
        token.revoked_at = utcnow()
    elif change == "inactive":
        user.is_active = False
    else:
        header = f"Token {plain}"
    session.flush()
    for path in ("/api/v1/me", "/api/v1/me/tokens"):  # the event-loop read, and a route with the usual session
        response = client.get(path, headers={"Authorization": header})
        assert (response.status_code, response.json()["detail"]) == (401, detail), path


def test_a_visitor_is_asked_to_log_in(client: TestClient) -> None:
    assert client.get("/api/v1/me").status_code == 401


@pytest.fixture
def real_client(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, Engine]]:
    """The app on a database of its own, with its real reads (not the test session's)."""
    with databases.migrated_database(tmp_path_factory, label="lookup", sqlite_dir=tmp_path) as url:
        monkeypatch.setenv("CHORUS_DATABASE_URL", url)
        get_settings.cache_clear()
        db._engine_for.cache_clear()
        try:
            with TestClient(create_app(check_migrations=False), base_url="http://testserver") as client:
                yield client, db.get_engine()
        finally:
            db.get_engine().dispose()
            monkeypatch.delenv("CHORUS_DATABASE_URL")
            get_settings.cache_clear()
            db._engine_for.cache_clear()


def test_on_the_real_database_the_read_is_one_statement_and_last_use_its_own_transaction(
    real_client: tuple[TestClient, Engine],
) -> None:
    client, engine = real_client
    with db.session_scope(engine) as session:
        token, plain = accounts_tokens.create_api_token(session, user=make_user(session, handle="real"), name="r")
        token.last_used_at = utcnow() - timedelta(minutes=5)
        token_id = token.id
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(Engine, "before_cursor_execute", record)
    try:
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
        stale = list(statements)
        statements.clear()
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    # The answer's read, then "last used" in a transaction of its own (SQLite: BEGIN IMMEDIATE ... COMMIT is
    # emitted by app.db; psycopg begins implicitly).
    assert stale[0] == "SELECT" and "UPDATE" in stale, stale
    assert statements == ["SELECT"], statements
    with Session(engine) as session:
        used = session.get(ApiToken, token_id)
        assert used is not None and used.last_used_at is not None
        assert utcnow() - used.last_used_at < timedelta(minutes=1)


def test_on_sqlite_the_event_loops_connection_cannot_write(real_client: tuple[TestClient, Engine]) -> None:
    client, engine = real_client
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL reads run in a worker thread on the usual pool")
    reads = run_in_new_loop(get_reads())
    assert isinstance(reads, SqliteReads)
    assert client.get("/healthz").status_code == 200
    with reads.engine.connect() as connection, pytest.raises(OperationalError, match="readonly"):
        connection.execute(text("UPDATE users SET bio = 'x'"))
