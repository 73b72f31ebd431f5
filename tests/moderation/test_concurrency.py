"""Reports arriving at once, from separate sessions in real threads (as separate requests): every distinct report
is counted once, a member's second report is refused, and the content is auto-hidden exactly once. A throw-away
database (a SQLite file or a PostgreSQL schema), dropped afterwards."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.accounts.models import User
from app.communities.models import Community
from app.db import build_engine, session_scope, writer_engine
from app.errors import Conflict
from app.moderation import reports as moderation_reports
from app.moderation.models import AuditEntry, ModerationItem, Report
from tests import databases
from tests.moderation.factories import make_members, make_place

THREADS = 8


@pytest.fixture
def real_engine(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with databases.migrated_database(tmp_path_factory, label="reports", sqlite_dir=tmp_path) as url:
        engine = build_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def _race(engine: Engine, community_id: int, comment_id: int, reporter_ids: list[int]) -> list[BaseException]:
    barrier = threading.Barrier(len(reporter_ids))
    errors: list[BaseException] = []

    def report(reporter_id: int) -> None:
        try:
            with Session(writer_engine(engine), expire_on_commit=False) as session:
                barrier.wait()
                community, reporter = session.get(Community, community_id), session.get(User, reporter_id)
                assert community is not None and reporter is not None
                moderation_reports.report_subject(
                    session,
                    community=community,
                    reporter=reporter,
                    kind="comment",
                    subject_id=comment_id,
                    reason="spam",
                )
                session.commit()
        except BaseException as error:  # reported by the test
            errors.append(error)

    threads = [threading.Thread(target=report, args=(reporter_id,)) for reporter_id in reporter_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _setup(engine: Engine, reporters: int) -> tuple[int, int, list[int]]:
    with session_scope(engine) as session:
        place = make_place(session)
        members = make_members(session, place.community, reporters)
        return place.community.id or 0, place.comment.id or 0, [m.id or 0 for m in members]


def test_racing_reports_by_many_members_all_count_and_hide_once(real_engine: Engine) -> None:
    community_id, comment_id, reporter_ids = _setup(real_engine, THREADS)
    assert _race(real_engine, community_id, comment_id, reporter_ids) == []
    with Session(real_engine) as session:
        item = session.exec(select(ModerationItem).where(ModerationItem.subject_id == comment_id)).one()
        assert (item.report_count, item.status) == (THREADS, "held")
        assert len(session.exec(select(Report).where(Report.item_id == item.id)).all()) == THREADS
        hides = session.exec(select(AuditEntry).where(AuditEntry.action == "auto_hide")).all()
        assert len(hides) == 1


def test_racing_reports_by_one_member_count_once(real_engine: Engine) -> None:
    community_id, comment_id, (reporter_id,) = _setup(real_engine, 1)
    errors = _race(real_engine, community_id, comment_id, [reporter_id] * 4)
    assert len(errors) == 3 and all(isinstance(error, Conflict) for error in errors), errors
    with Session(real_engine) as session:
        item = session.exec(select(ModerationItem).where(ModerationItem.subject_id == comment_id)).one()
        assert item.report_count == 1
