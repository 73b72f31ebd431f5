"""Moderation in each reader's language: the queue page, a JSON error, and what the author and the reporters are told
(each in their own language, whoever decides)."""

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.comments.models import Comment
from app.communities.models import Community, MemberRole
from app.moderation import decisions as moderation_decisions
from app.moderation import reports as moderation_reports
from app.moderation.models import ModerationItem
from app.notifications.models import Notification
from tests.factories import (
    add_member,
    csrf_token,
    log_in,
    make_challenge,
    make_comment,
    make_community,
    make_design,
    make_user,
)


def _reported_comment(session: Session) -> tuple[Community, Comment, User, User, User]:
    """A comment by a German-speaking author, reported as spam by a Spanish-speaking member."""
    community = make_community(session)
    author, reporter, moderator = make_user(session, locale="de"), make_user(session, locale="es"), make_user(session)
    add_member(session, community, author)
    add_member(session, community, reporter)
    add_member(session, community, moderator, MemberRole.moderator)
    design = make_design(session, make_challenge(session, community, phase="scoring"), make_user(session))
    comment = make_comment(session, design, author, body="Buy cheap watches")
    moderation_reports.report_subject(
        session, community=community, reporter=reporter, kind="comment", subject_id=comment.id or 0, reason="spam"
    )
    return community, comment, author, reporter, moderator


def _told(session: Session, user: User) -> list[str]:
    rows = session.exec(select(Notification).where(Notification.user_id == user.id).order_by(col(Notification.id)))
    return [notification.text for notification in rows]


def test_the_queue_in_german(client: TestClient, session: Session) -> None:
    community, _comment, _author, _reporter, moderator = _reported_comment(session)
    log_in(client, session, moderator)
    queue = client.get(f"/c/{community.slug}/moderation", headers={"Accept-Language": "de"}).text
    assert "<h1>Moderations-Warteschlange</h1>" in queue
    assert "1 Eintrag angezeigt, meistgemeldete zuerst." in queue and "<strong>Kommentar</strong>" in queue
    assert "Spam \u00d71" in queue and "Moderation queue" not in queue


def test_a_json_error_in_spanish(client: TestClient, session: Session) -> None:
    community, comment, _author, reporter, _moderator = _reported_comment(session)
    log_in(client, session, reporter)
    again = client.post(
        f"/api/v1/communities/{community.slug}/reports",
        json={"subject_kind": "comment", "subject_id": comment.id, "reason": "spam"},
        headers={"x-csrftoken": csrf_token(client), "Accept-Language": "es"},
    )
    assert again.status_code == 409
    assert again.json()["detail"] == "Ya lo denunciaste; los moderadores lo revisarán."


def test_the_author_and_the_reporter_are_told_in_their_own_language(session: Session) -> None:
    community, _comment, author, reporter, moderator = _reported_comment(session)
    item = session.exec(select(ModerationItem).where(ModerationItem.community_id == community.id)).one()
    moderation_decisions.decide(
        session, community=community, moderator=moderator, item_ids=[item.id or 0], decision="hide", reason="Werbung"
    )
    assert _told(session, author)[-1] == (
        "Dein Beitrag (Kommentar) wurde von der Moderation ausgeblendet: Werbung. Du kannst einmal Einspruch einlegen."
    )
    assert _told(session, reporter)[-1] == (
        f"Tu denuncia (comentario) en {community.name}: Los moderadores lo ocultaron. Gracias por denunciarlo."
    )
