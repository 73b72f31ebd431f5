"""64 members pledging at once against a stock limit, each in a session of its own on a database whose transactions
really commit (a SQLite file, or PostgreSQL with CHORUS_TEST_DATABASE_URL): never more items pledged than the stock,
every refusal a clear Conflict, and the pre-order funded (and its people told) exactly once."""

import threading
from collections import Counter

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app.accounts.models import User
from app.campaigns.households import Address
from app.communities.models import Community
from app.db import session_scope, writer_engine
from app.errors import Conflict
from app.notifications.models import Notification, NotificationKind
from app.preorders import pledges
from app.preorders.models import Pledge, PledgeStatus, Preorder, PreorderStatus
from tests.committed_database import committed_engine
from tests.preorders.factories import a_member, build_preorder_world, open_preorder

__all__ = ["committed_engine"]

PLEDGERS = 64
STOCK = 40
HOME = Address(recipient_name="Mia Example", address_line1="12 Harbour Road", city="Leith", country="GB")


def _setup(engine: Engine) -> tuple[int, list[int]]:
    with session_scope(engine) as session:
        world = build_preorder_world(session)
        preorder = open_preorder(session, world, target_count=STOCK, stock_limit=STOCK)
        members = [a_member(session, world) for _ in range(PLEDGERS)]
        return preorder.id or 0, [member.id or 0 for member in members]


def test_64_concurrent_pledges_never_pass_the_stock(committed_engine: Engine) -> None:
    preorder_id, member_ids = _setup(committed_engine)
    barrier = threading.Barrier(PLEDGERS)
    outcomes: Counter[str] = Counter()
    errors: list[BaseException] = []

    def pledge(member_id: int) -> None:
        try:
            with Session(writer_engine(committed_engine), expire_on_commit=False) as session:
                barrier.wait()
                preorder = session.get(Preorder, preorder_id)
                member = session.get(User, member_id)
                assert preorder is not None and member is not None
                community = session.get(Community, preorder.community_id)
                assert community is not None
                try:
                    pledges.pledge(
                        session,
                        preorder=preorder,
                        community=community,
                        user=member,
                        variant="M",
                        quantity=1,
                        address=HOME,
                    )
                    session.commit()
                    outcomes["pledged"] += 1
                except Conflict:
                    session.rollback()
                    outcomes["refused"] += 1
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=pledge, args=(member_id,)) for member_id in member_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert outcomes == {"pledged": STOCK, "refused": PLEDGERS - STOCK}
    with Session(committed_engine) as session:
        preorder = session.get(Preorder, preorder_id)
        assert preorder is not None
        assert preorder.pledged_count == STOCK
        assert preorder.status == PreorderStatus.funded
        active = session.exec(
            select(func.coalesce(func.sum(Pledge.quantity), 0)).where(
                Pledge.preorder_id == preorder_id, Pledge.status == PledgeStatus.active
            )
        ).one()
        assert active == STOCK  # the counter agrees with a recount
        funded_told = session.exec(
            select(func.count()).select_from(Notification).where(Notification.kind == NotificationKind.preorder_funded)
        ).one()
        assert funded_told == STOCK + 1  # every pledger and the designer, once
