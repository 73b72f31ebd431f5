"""Comment services and policies: threading, the edit window, delete rights, one-query threads, notifications."""

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from app.accounts.models import User
from app.brands.models import Brand, StaffRole
from app.challenges.models import Design, DesignStatus
from app.columns import utcnow
from app.comments import policies
from app.comments import service as comments_service
from app.comments.models import Comment
from app.communities.models import Community, MemberRole
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.notifications.models import Notification, NotificationKind
from app.permissions import Role
from tests.factories import add_member, add_staff, make_challenge, make_community, make_design, make_user


def _scene(session: Session) -> tuple[Community, Design, User, User]:
    community = make_community(session)
    designer, member = make_user(session), make_user(session)
    add_member(session, community, designer)
    add_member(session, community, member)
    design = make_design(session, make_challenge(session, community, phase="scoring"), designer)
    return community, design, designer, member


def _notifications(session: Session, user: User) -> list[Notification]:
    return list(session.exec(select(Notification).where(Notification.user_id == user.id)).all())


def test_replies_attach_to_the_thread_root(session: Session) -> None:
    _community, design, designer, member = _scene(session)
    root = comments_service.add_comment(session, design=design, author=member, body="Love the **waves**")
    reply = comments_service.add_comment(session, design=design, author=designer, body="Thanks!", parent=root)
    reply_to_reply = comments_service.add_comment(session, design=design, author=member, body="Yes", parent=reply)
    assert root.parent_id is None
    assert reply.parent_id == root.id
    assert reply_to_reply.parent_id == root.id
    thread = comments_service.list_thread(session, design=design)
    assert [entry.comment.id for entry in thread] == [root.id]
    assert [entry.comment.id for entry in thread[0].replies] == [reply.id, reply_to_reply.id]
    assert thread[0].author.id == member.id


def test_list_thread_is_one_query(session: Session) -> None:
    _community, design, designer, member = _scene(session)
    for number in range(3):
        root = comments_service.add_comment(session, design=design, author=member, body=f"Root {number}")
        comments_service.add_comment(session, design=design, author=designer, body="Reply", parent=root)
    session.expire_all()
    session.refresh(design)  # the design is loaded already when a page asks for its thread
    statements: list[str] = []
    bind = session.connection()

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(bind, "before_cursor_execute", count)
    try:
        thread = comments_service.list_thread(session, design=design)
        names = [(entry.author.display_name, [reply.author.handle for reply in entry.replies]) for entry in thread]
    finally:
        event.remove(bind, "before_cursor_execute", count)
    assert len(names) == 3
    assert len(statements) == 1, statements


def test_bodies_are_checked(session: Session) -> None:
    _community, design, _designer, member = _scene(session)
    with pytest.raises(Invalid):
        comments_service.add_comment(session, design=design, author=member, body="   ")
    with pytest.raises(Invalid):
        comments_service.add_comment(session, design=design, author=member, body="x" * 5001)


def test_only_members_comment_on_shown_designs(session: Session) -> None:
    _community, design, _designer, member = _scene(session)
    with pytest.raises(Forbidden):
        comments_service.add_comment(session, design=design, author=make_user(session), body="Hi")
    design.status = DesignStatus.withdrawn
    with pytest.raises(Conflict):
        comments_service.add_comment(session, design=design, author=member, body="Hi")


def test_a_reply_must_be_on_the_same_design(session: Session) -> None:
    community, design, designer, member = _scene(session)
    other = make_design(session, make_challenge(session, community, phase="scoring"), designer)
    root = comments_service.add_comment(session, design=other, author=member, body="Elsewhere")
    with pytest.raises(NotFound):
        comments_service.add_comment(session, design=design, author=member, body="Hi", parent=root)


def test_edit_window_and_authorship(session: Session) -> None:
    _community, design, designer, member = _scene(session)
    posted = utcnow() - timedelta(minutes=10)
    comment = comments_service.add_comment(session, design=design, author=member, body="Frist", now=posted)
    with pytest.raises(Forbidden):
        comments_service.edit_comment(session, comment=comment, editor=designer, body="Mine now")
    comments_service.edit_comment(
        session, comment=comment, editor=member, body="First", now=posted + timedelta(minutes=14)
    )
    assert comment.body == "First" and comment.edited_at is not None
    with pytest.raises(Conflict, match="15 minutes"):
        comments_service.edit_comment(
            session, comment=comment, editor=member, body="Late", now=posted + timedelta(minutes=16)
        )
    assert comment.body == "First"


def test_edit_window_follows_the_setting(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    _community, design, _designer, member = _scene(session)
    comment = comments_service.add_comment(session, design=design, author=member, body="Hi")
    monkeypatch.setattr(policies, "edit_window", lambda: timedelta(0))
    with pytest.raises(Conflict):
        comments_service.edit_comment(session, comment=comment, editor=member, body="Changed")


def test_delete_rights_and_soft_delete_keeps_the_thread(session: Session) -> None:
    _community, design, designer, member = _scene(session)
    root = comments_service.add_comment(session, design=design, author=member, body="Root")
    reply = comments_service.add_comment(session, design=design, author=designer, body="Reply", parent=root)
    # Another member may not delete it; the author, a moderator and the brand's managers may.
    with pytest.raises(Forbidden):
        comments_service.delete_comment(
            session, comment=root, actor=designer, roles=frozenset({Role.user, Role.member})
        )
    assert policies.can_delete(root, make_user(session), frozenset({Role.user, Role.moderator}))
    assert policies.can_delete(root, make_user(session), frozenset({Role.user, Role.manager}))
    assert not policies.can_delete(root, make_user(session), frozenset({Role.user, Role.analyst}))
    comments_service.delete_comment(session, comment=root, actor=member, roles=frozenset({Role.user, Role.member}))
    assert root.is_deleted
    with pytest.raises(Conflict):
        comments_service.edit_comment(session, comment=root, editor=member, body="Back")
    thread = comments_service.list_thread(session, design=design)
    assert [entry.comment.id for entry in thread] == [root.id]
    assert [entry.comment.id for entry in thread[0].replies] == [reply.id]
    assert session.get(Comment, root.id) is not None


def test_comments_notify_the_designer_and_replies_the_parent_author_never_oneself(session: Session) -> None:
    _community, design, designer, member = _scene(session)
    root = comments_service.add_comment(session, design=design, author=member, body="Nice")
    (to_designer,) = _notifications(session, designer)
    assert to_designer.kind == NotificationKind.design_comment
    assert to_designer.actor_id == member.id
    assert to_designer.link == f"/designs/{design.id}#comment-{root.id}"
    assert design.title in to_designer.text

    reply = comments_service.add_comment(session, design=design, author=designer, body="Thanks", parent=root)
    (to_member,) = _notifications(session, member)
    assert to_member.kind == NotificationKind.comment_reply
    assert to_member.link.endswith(f"#comment-{reply.id}")

    # Neither the designer commenting on their own design nor someone replying to themselves is told.
    comments_service.add_comment(session, design=design, author=designer, body="Context")
    comments_service.add_comment(session, design=design, author=member, body="Also", parent=root)
    assert len(_notifications(session, designer)) == 1
    assert len(_notifications(session, member)) == 1


def test_staff_roles_do_not_comment_without_membership(session: Session) -> None:
    community, design, _designer, _member = _scene(session)
    manager = make_user(session)
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    add_staff(session, brand, manager, StaffRole.manager)
    with pytest.raises(Forbidden):
        comments_service.add_comment(session, design=design, author=manager, body="From the brand")
    add_member(session, community, manager, MemberRole.moderator)
    comments_service.add_comment(session, design=design, author=manager, body="From the brand")
