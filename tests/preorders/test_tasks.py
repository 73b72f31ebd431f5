"""The deadline sweep as the task queue runs it (``app.tasks.close_preorders``): each pre-order past its deadline in
a transaction of its own on a database that really commits; a second run changes nothing."""

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app import tasks
from app.columns import utcnow
from app.db import session_scope
from app.notifications.models import Notification, NotificationKind
from app.preorders import outcomes
from app.preorders.models import Preorder, PreorderStatus
from tests.committed_database import committed_engine, worker_engine
from tests.preorders.factories import build_preorder_world, open_preorder

__all__ = ["committed_engine", "worker_engine"]


def test_the_sweep_closes_due_preorders_once(worker_engine: Engine) -> None:
    now = utcnow()
    with session_scope(worker_engine) as session:
        due = open_preorder(session, build_preorder_world(session), deadline_at=now + timedelta(hours=2), now=now)
        later = open_preorder(session, build_preorder_world(session), deadline_at=now + timedelta(days=3), now=now)
        due_id, later_id = due.id, later.id

    assert outcomes.close_due_preorders(now=now + timedelta(hours=3)) == {"funded": 0, "not_funded": 1}
    assert outcomes.close_due_preorders(now=now + timedelta(hours=4)) == {"funded": 0, "not_funded": 0}
    with Session(worker_engine) as session:
        assert session.get(Preorder, due_id).status == PreorderStatus.not_funded  # type: ignore[union-attr]
        assert session.get(Preorder, later_id).status == PreorderStatus.open  # type: ignore[union-attr]
        told = (
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == NotificationKind.preorder_not_funded)
        )
        assert session.exec(told).one() == 1  # the designer (nobody pledged), once


def test_the_sweep_runs_every_five_minutes() -> None:
    at = utcnow().replace(minute=10, second=0, microsecond=0)
    assert tasks.close_preorders.task_class().validate_datetime(at)
    assert not tasks.close_preorders.task_class().validate_datetime(at.replace(minute=11))
