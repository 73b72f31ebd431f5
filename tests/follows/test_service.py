"""Following designers: one follow per pair (also under concurrent requests), nobody follows themselves, and
followers hear of new designs and wins as their notification preferences say, never of hidden or withdrawn designs
nor of invite-only communities they cannot see."""

import io
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.challenges import designs as challenge_designs
from app.challenges import winners as challenge_winners
from app.challenges.models import ChallengeStatus, DesignStatus
from app.communities.models import Visibility
from app.db import build_engine, migrate, session_scope, writer_engine
from app.errors import Invalid
from app.follows import service as follows_service
from app.follows.models import DesignerFollow
from app.moderation.models import ModerationSettings
from app.notifications import service as notifications_service
from app.notifications.models import Delivery, DigestItem, Notification, NotificationKind, OutboxEmail
from tests import databases
from tests.factories import (
    add_member,
    add_staff,
    make_brand,
    make_challenge,
    make_community,
    make_design,
    make_user,
    png_bytes,
)

THREADS = 8
_seeds = itertools.count(7001)


def _told(session: Session, user: User) -> list[Notification]:
    return list(
        session.exec(
            select(Notification).where(
                Notification.user_id == user.id, Notification.kind == NotificationKind.followed_designer
            )
        ).all()
    )


def _emails_to(session: Session, user: User) -> int:
    return session.exec(select(func.count()).select_from(OutboxEmail).where(OutboxEmail.to_address == user.email)).one()


def test_follow_and_unfollow_count_once(session: Session) -> None:
    designer, fan = make_user(session), make_user(session)
    assert follows_service.follow_designer(session, follower=fan, designer=designer) is True
    assert follows_service.follow_designer(session, follower=fan, designer=designer) is False
    assert follows_service.follower_count(session, designer=designer) == 1
    assert follows_service.is_following(session, follower=fan, designer=designer)
    assert [user.id for user in follows_service.list_followed(session, follower=fan)] == [designer.id]
    assert follows_service.unfollow_designer(session, follower=fan, designer=designer) is True
    assert follows_service.unfollow_designer(session, follower=fan, designer=designer) is False
    assert follows_service.follower_count(session, designer=designer) == 0
    assert not follows_service.is_following(session, follower=None, designer=designer)


def test_nobody_follows_themselves(session: Session) -> None:
    designer = make_user(session)
    with pytest.raises(Invalid):
        follows_service.follow_designer(session, follower=designer, designer=designer)
    assert follows_service.follower_count(session, designer=designer) == 0


def test_followers_hear_of_new_designs_as_their_preferences_say(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="submissions_open")
    designer = make_user(session, display_name="Rosa Marsh")
    at_once, in_digest, in_app_only, stranger = (make_user(session) for _ in range(4))
    add_member(session, community, designer)
    for fan in (at_once, in_digest, in_app_only):
        follows_service.follow_designer(session, follower=fan, designer=designer)
    notifications_service.set_preferences(session, user=at_once, choices={"followed_designer": "immediately"})
    notifications_service.set_preferences(session, user=in_app_only, choices={"followed_designer": "never"})

    design = challenge_designs.submit_design(
        session, challenge=challenge, designer=designer, upload=_png(), title="Tide pools", filename="tide.png"
    )

    for fan in (at_once, in_digest, in_app_only):
        (notification,) = _told(session, fan)
        assert notification.link == f"/designs/{design.id}"
        assert "Rosa Marsh" in notification.text and "Tide pools" in notification.text
    assert _told(session, stranger) == [] and _told(session, designer) == []
    assert _emails_to(session, at_once) == 1
    assert _emails_to(session, in_digest) == 0 and _emails_to(session, in_app_only) == 0
    digest = session.exec(select(DigestItem).where(DigestItem.user_id == in_digest.id)).all()
    assert [item.cadence for item in digest] == [Delivery.daily]  # the kind's default
    assert session.exec(select(DigestItem).where(DigestItem.user_id == in_app_only.id)).all() == []


def test_a_design_held_for_review_is_not_announced(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="submissions_open")
    designer, fan = make_user(session), make_user(session)
    add_member(session, community, designer)
    follows_service.follow_designer(session, follower=fan, designer=designer)
    session.add(ModerationSettings(community_id=community.id or 0, blocked_words="casino"))
    session.flush()
    design = challenge_designs.submit_design(
        session, challenge=challenge, designer=designer, upload=_png(), title="Casino nights", filename="held.png"
    )
    assert design.status == DesignStatus.hidden
    assert _told(session, fan) == []


def test_hidden_and_withdrawn_winners_are_not_announced(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="closed")
    designer, fan = make_user(session), make_user(session)
    follows_service.follow_designer(session, follower=fan, designer=designer)
    shown = make_design(session, challenge, designer, title="Shown winner")
    hidden = make_design(session, challenge, designer, title="Hidden winner")
    withdrawn = make_design(session, challenge, designer, title="Withdrawn winner")
    for design in (shown, hidden, withdrawn):
        challenge_winners.pick_winner(session, challenge=challenge, design=design)
    hidden.status, withdrawn.status = DesignStatus.hidden, DesignStatus.withdrawn
    session.add_all([hidden, withdrawn])
    session.flush()

    challenge_winners.announce_winners(session, challenge=challenge)

    assert challenge.status == ChallengeStatus.winners_announced
    (notification,) = _told(session, fan)
    assert notification.link == f"/designs/{shown.id}" and "won" in notification.text


def test_news_from_an_invite_only_community_reaches_only_followers_who_may_see_it(session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand, visibility=Visibility.invite_only)
    challenge = make_challenge(session, community, phase="submissions_open")
    designer = make_user(session)
    member, staff, admin, outsider = make_user(session), make_user(session), make_user(session), make_user(session)
    admin.is_site_admin = True
    session.add(admin)
    add_member(session, community, member)
    add_staff(session, brand, staff)
    for fan in (member, staff, admin, outsider):
        follows_service.follow_designer(session, follower=fan, designer=designer)
    design = make_design(session, challenge, designer)

    told = follows_service.announce_design(session, design=design, challenge=challenge, news="new")

    assert told == 3
    assert [len(_told(session, fan)) for fan in (member, staff, admin, outsider)] == [1, 1, 1, 0]


def test_tell_followers_never_tells_the_designer(session: Session) -> None:
    community = make_community(session)
    designer, fan = make_user(session), make_user(session)
    follows_service.follow_designer(session, follower=fan, designer=designer)
    told = follows_service.tell_followers(
        session,
        designer_id=designer.id or 0,
        community=community,
        news=lambda: ("Pre-orders are open", None),
        link="/x",
    )
    assert told == 1
    assert len(_told(session, fan)) == 1 and _told(session, designer) == []


def _png() -> io.BytesIO:
    return io.BytesIO(png_bytes(next(_seeds)))


# --- Concurrent follows --------------------------------------------------------------------------------------


@pytest.fixture
def real_engine(tmp_path: Path) -> Iterator[Engine]:
    with databases.temporary_database(label="follows", sqlite_dir=tmp_path) as url:
        migrate(url)
        engine = build_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def test_concurrent_follows_make_one(real_engine: Engine) -> None:
    with session_scope(real_engine) as session:
        ids = (make_user(session).id, make_user(session).id)
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    newly: list[bool] = []

    def follow() -> None:
        try:
            with Session(writer_engine(real_engine), expire_on_commit=False) as session:
                # Before the first statement: on SQLite it opens the transaction that takes the write lock.
                barrier.wait(timeout=60)
                designer, fan = session.get(User, ids[0]), session.get(User, ids[1])
                assert designer is not None and fan is not None
                newly.append(follows_service.follow_designer(session, follower=fan, designer=designer))
                session.commit()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=follow) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(newly) == [False] * (THREADS - 1) + [True]
    with Session(real_engine) as session:
        rows = session.exec(select(DesignerFollow).where(col(DesignerFollow.designer_id) == ids[0])).all()
        assert len(rows) == 1


def test_each_follower_hears_of_a_new_design_in_their_own_language(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="submissions_open")
    designer = make_user(session, display_name="Rosa Marsh")
    german, spanish = make_user(session), make_user(session)
    german.locale, spanish.locale = "de", "es"
    session.add_all([german, spanish])
    for fan in (german, spanish):
        follows_service.follow_designer(session, follower=fan, designer=designer)
    design = make_design(session, challenge, designer)

    follows_service.announce_design(session, design=design, challenge=challenge, news="new")

    assert [notice.text for notice in _told(session, german)] == [
        f"Rosa Marsh hat ein neues Design, {design.title}, bei {challenge.title} eingereicht"
    ]
    assert [notice.text for notice in _told(session, spanish)] == [
        f"Rosa Marsh presentó un nuevo diseño, {design.title}, en {challenge.title}"
    ]
