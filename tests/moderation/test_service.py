"""Reports, the queue, decisions, sanctions, appeals, screening and the audit log."""

import io

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.challenges import designs as challenge_designs
from app.challenges.models import Challenge, Design, DesignStatus
from app.comments import service as comments_service
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.moderation import appeals as moderation_appeals
from app.moderation import audit as moderation_audit
from app.moderation import decisions as moderation_decisions
from app.moderation import queue as moderation_queue
from app.moderation import reports as moderation_reports
from app.moderation import sanctions as moderation_sanctions
from app.moderation import screening as moderation_screening
from app.moderation.models import AuditEntry, ItemFlag, ItemStatus, ModerationItem
from app.notifications.models import Notification, NotificationKind
from tests.factories import add_member, make_community, make_user, png_bytes
from tests.ideas.factories import make_idea
from tests.moderation.factories import Place, make_members, make_place


def _notifications(session: Session, user_id: int | None, kind: NotificationKind) -> list[Notification]:
    return list(session.exec(select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)))


def test_one_report_per_member_and_auto_hide_at_the_threshold_of_distinct_members(session: Session) -> None:
    place = make_place(session)
    reporters = make_members(session, place.community, 3)
    first = moderation_reports.report_subject(
        session,
        community=place.community,
        reporter=reporters[0],
        kind="comment",
        subject_id=place.comment.id or 0,
        reason="spam",
    )
    with pytest.raises(Conflict, match="reported this already"):
        moderation_reports.report_subject(
            session,
            community=place.community,
            reporter=reporters[0],
            kind="comment",
            subject_id=place.comment.id or 0,
            reason="offensive",
        )
    assert first.item.report_count == 1 and not first.auto_hidden
    second = moderation_reports.report_subject(
        session,
        community=place.community,
        reporter=reporters[1],
        kind="comment",
        subject_id=place.comment.id or 0,
        reason="spam",
    )
    assert not second.auto_hidden and place.comment.hidden_at is None
    third = moderation_reports.report_subject(
        session,
        community=place.community,
        reporter=reporters[2],
        kind="comment",
        subject_id=place.comment.id or 0,
        reason="spam",
    )
    assert third.auto_hidden and third.item.status == ItemStatus.held and third.item.report_count == 3
    session.refresh(place.comment)
    assert place.comment.is_hidden
    # Gone from the thread for others, still there for its author and for moderators.
    stranger = make_user(session)
    assert comments_service.list_thread(session, design=place.design, viewer=stranger) == []
    assert len(comments_service.list_thread(session, design=place.design, viewer=place.author)) == 1
    assert len(comments_service.list_thread(session, design=place.design, may_moderate=True)) == 1
    assert len(_notifications(session, place.author.id, NotificationKind.moderation_decision)) == 1


def test_one_cannot_report_ones_own_content_or_content_of_another_community(session: Session) -> None:
    place = make_place(session)
    with pytest.raises(Conflict):
        moderation_reports.report_subject(
            session,
            community=place.community,
            reporter=place.author,
            kind="design",
            subject_id=place.design.id or 0,
            reason="spam",
        )
    elsewhere = make_community(session)
    member = make_user(session)
    add_member(session, elsewhere, member)
    with pytest.raises(NotFound):
        moderation_reports.report_subject(
            session,
            community=elsewhere,
            reporter=member,
            kind="design",
            subject_id=place.design.id or 0,
            reason="spam",
        )


def test_bulk_decisions_hide_restore_with_audit_and_notices(session: Session) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    design_item = moderation_reports.report_subject(
        session,
        community=place.community,
        reporter=reporter,
        kind="design",
        subject_id=place.design.id or 0,
        reason="stolen_art",
    ).item
    comment_item = moderation_reports.report_subject(
        session,
        community=place.community,
        reporter=reporter,
        kind="comment",
        subject_id=place.comment.id or 0,
        reason="spam",
    ).item
    with pytest.raises(Invalid):
        moderation_decisions.decide(
            session,
            community=place.community,
            moderator=place.moderator,
            item_ids=[design_item.id or 0],
            decision="hide",
            reason="  ",
        )
    entries = moderation_decisions.decide(
        session,
        community=place.community,
        moderator=place.moderator,
        item_ids=[design_item.id or 0, comment_item.id or 0],
        decision="hide",
        reason="Copied from a stock site",
    )
    assert len(entries) == 2
    session.refresh(place.design)
    session.refresh(place.challenge)
    assert place.design.status == DesignStatus.hidden and place.challenge.design_count == 0
    assert entries[0].before == {"status": "open"} and entries[0].after == {"status": "hidden"}
    assert len(_notifications(session, place.author.id, NotificationKind.moderation_decision)) == 2
    assert len(_notifications(session, reporter.id, NotificationKind.report_outcome)) == 2
    moderation_decisions.decide(
        session,
        community=place.community,
        moderator=place.moderator,
        item_ids=[design_item.id or 0],
        decision="restore",
        reason="",
    )
    session.refresh(place.design)
    assert place.design.status == DesignStatus.submitted


def test_a_moderator_of_one_community_cannot_decide_anothers_items(session: Session) -> None:
    place, other = make_place(session), make_place(session)
    reporter = make_members(session, other.community, 1)[0]
    item = moderation_reports.report_subject(
        session,
        community=other.community,
        reporter=reporter,
        kind="comment",
        subject_id=other.comment.id or 0,
        reason="spam",
    ).item
    with pytest.raises(NotFound):
        moderation_decisions.decide(
            session,
            community=place.community,
            moderator=place.moderator,
            item_ids=[item.id or 0],
            decision="hide",
            reason="No",
        )
    assert item.status == ItemStatus.open


def test_a_profile_cannot_be_hidden_but_its_owner_sanctioned(session: Session) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    item = moderation_reports.report_subject(
        session,
        community=place.community,
        reporter=reporter,
        kind="profile",
        subject_id=place.author.id or 0,
        reason="spam",
    ).item
    with pytest.raises(Invalid, match="cannot be hidden"):
        moderation_decisions.decide(
            session,
            community=place.community,
            moderator=place.moderator,
            item_ids=[item.id or 0],
            decision="hide",
            reason="Spam profile",
        )
    sanction = moderation_sanctions.sanction_member(
        session,
        community=place.community,
        moderator=place.moderator,
        member=place.author,
        kind="suspension",
        reason="Spam",
        days=7,
    )
    assert sanction.ends_at is not None
    with pytest.raises(Invalid):
        moderation_sanctions.sanction_member(
            session,
            community=place.community,
            moderator=place.moderator,
            member=place.author,
            kind="suspension",
            reason="Spam",
            days=0,
        )


def test_appeals_once_by_another_moderator_and_granting_reverses(session: Session) -> None:
    place = make_place(session)
    other_moderator = make_members(session, place.community, 1)[0]
    sanction = moderation_sanctions.sanction_member(
        session, community=place.community, moderator=place.moderator, member=place.author, kind="ban", reason="Spam"
    )
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.subject_id == sanction.id, AuditEntry.subject_kind == "sanction")
    ).one()
    stranger = make_members(session, place.community, 1)[0]
    with pytest.raises(NotFound):
        moderation_appeals.file_appeal(
            session, community=place.community, appellant=stranger, entry_id=entry.id or 0, body="Not me"
        )
    appeal = moderation_appeals.file_appeal(
        session, community=place.community, appellant=place.author, entry_id=entry.id or 0, body="I am no spammer"
    )
    assert len(_notifications(session, other_moderator.id, NotificationKind.appeal_filed)) == 0  # a plain member
    assert len(_notifications(session, place.moderator.id, NotificationKind.appeal_filed)) == 0  # decided it
    with pytest.raises(Conflict, match="once"):
        moderation_appeals.file_appeal(
            session, community=place.community, appellant=place.author, entry_id=entry.id or 0, body="Again"
        )
    with pytest.raises(Forbidden, match="different moderator"):
        moderation_appeals.decide_appeal(
            session, community=place.community, decider=place.moderator, appeal=appeal, grant=True, reason="Mine"
        )
    moderation_appeals.decide_appeal(
        session, community=place.community, decider=other_moderator, appeal=appeal, grant=True, reason="Honest member"
    )
    session.refresh(sanction)
    assert appeal.status == "granted" and sanction.lifted_at is not None
    with pytest.raises(Conflict, match="decided already"):
        moderation_appeals.decide_appeal(
            session,
            community=place.community,
            decider=other_moderator,
            appeal=appeal,
            grant=False,
            reason="Changed my mind",
        )
    assert len(_notifications(session, place.author.id, NotificationKind.appeal_decided)) == 1


def test_blocked_words_and_premoderation_hold_posts(session: Session) -> None:
    place = make_place(session)
    moderation_screening.update_settings(
        session,
        community=place.community,
        moderator=place.moderator,
        auto_hide_threshold=3,
        premoderation=False,
        premoderation_posts=1,
        blocked_words="casino\nfree money",
    )
    held = comments_service.add_comment(session, design=place.design, author=place.author, body="Visit my CASINO!")
    assert held.is_hidden
    item = session.exec(select(ModerationItem).where(ModerationItem.subject_id == held.id)).one()
    assert (item.flag, item.status) == (ItemFlag.blocked_word, ItemStatus.held)
    fine = comments_service.add_comment(session, design=place.design, author=place.author, body="Casinos are old")
    assert not fine.is_hidden  # whole words only

    moderation_screening.update_settings(
        session,
        community=place.community,
        moderator=place.moderator,
        auto_hide_threshold=3,
        premoderation=True,
        premoderation_posts=1,
        blocked_words="",
    )
    newcomer = make_members(session, place.community, 1)[0]
    first = comments_service.add_comment(session, design=place.design, author=newcomer, body="Hello all")
    assert first.is_hidden
    assert not comments_service.add_comment(session, design=place.design, author=place.author, body="Hi").is_hidden
    first_item = session.exec(select(ModerationItem).where(ModerationItem.subject_id == first.id)).one()
    moderation_decisions.decide(
        session,
        community=place.community,
        moderator=place.moderator,
        item_ids=[first_item.id or 0],
        decision="restore",
        reason="",
    )
    session.refresh(first)
    assert not first.is_hidden
    assert not comments_service.add_comment(session, design=place.design, author=newcomer, body="Again").is_hidden


@pytest.mark.parametrize("first_posts", [1, 2])
def test_premoderation_holds_a_new_members_first_posts_as_made_not_as_approved(
    session: Session, first_posts: int
) -> None:
    place = make_place(session)
    moderation_screening.update_settings(
        session,
        community=place.community,
        moderator=place.moderator,
        auto_hide_threshold=3,
        premoderation=True,
        premoderation_posts=first_posts,
        blocked_words="",
    )
    newcomer = make_members(session, place.community, 1)[0]
    posted = [
        comments_service.add_comment(session, design=place.design, author=newcomer, body=f"Comment {number}")
        for number in range(4)
    ]
    assert [comment.is_hidden for comment in posted] == [True] * first_posts + [False] * (4 - first_posts)


def test_a_blocked_word_hold_is_worded_like_premoderation_and_does_not_reveal_the_word(session: Session) -> None:
    place = make_place(session)
    moderation_screening.update_settings(
        session,
        community=place.community,
        moderator=place.moderator,
        auto_hide_threshold=3,
        premoderation=True,
        premoderation_posts=1,
        blocked_words="casino",
    )
    member, newcomer = place.author, make_members(session, place.community, 1)[0]
    comments_service.add_comment(session, design=place.design, author=newcomer, body="Hello all")
    moderation_screening.update_settings(
        session,
        community=place.community,
        moderator=place.moderator,
        auto_hide_threshold=3,
        premoderation=False,
        premoderation_posts=1,
        blocked_words="casino",
    )
    comments_service.add_comment(session, design=place.design, author=member, body="Casino night")
    texts = [
        session.exec(
            select(Notification)
            .where(Notification.user_id == person.id, Notification.kind == NotificationKind.moderation_decision)
            .order_by(col(Notification.id).desc())
        )
        .first()
        .text  # type: ignore[union-attr]
        for person in (newcomer, member)
    ]
    assert texts[0] == texts[1] == "Your comment is waiting for review: A moderator reviews it before it is published."


def test_the_audit_log_refuses_updates_and_deletes_in_the_database(session: Session) -> None:
    place = make_place(session)
    entry = moderation_audit.record(
        session, community_id=place.community.id, actor=place.moderator, action="warning", reason="Be kind"
    )
    for statement in (
        "UPDATE audit_entries SET reason = 'forged' WHERE id = :id",
        "DELETE FROM audit_entries WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(statement), {"id": entry.id})
    session.expire_all()
    assert session.get(AuditEntry, entry.id).reason == "Be kind"  # type: ignore[union-attr]


def test_audit_csv_neutralises_formulas(session: Session) -> None:
    place = make_place(session)
    moderation_audit.record(
        session,
        community_id=place.community.id,
        actor=place.moderator,
        action="warning",
        reason='=HYPERLINK("http://evil")',
    )
    rows = moderation_audit.list_audit(
        session, community=place.community, filters=moderation_audit.AuditFilters(action="warning")
    )
    csv_text = moderation_audit.audit_csv(rows)
    assert "'=HYPERLINK" in csv_text and ",=HYPERLINK" not in csv_text


def test_the_design_queue_shows_near_duplicate_flags(session: Session) -> None:
    place = make_place(session)
    moderation_screening.flag_near_duplicate(session, community=place.community, design_id=place.design.id or 0)
    queue = moderation_queue.list_queue(
        session, community=place.community, filters=moderation_queue.QueueFilters(flag="near_duplicate")
    )
    assert [entry.item.subject_id for entry in queue] == [place.design.id]
    assert session.get(Design, place.design.id).status == DesignStatus.submitted  # type: ignore[union-attr]


def _submit(session: Session, challenge: Challenge, designer: User, seed: int, touch: bool = False) -> Design:
    return challenge_designs.submit_design(
        session,
        challenge=challenge,
        designer=designer,
        upload=io.BytesIO(png_bytes(seed, touch=touch)),
        title=f"Design {seed}",
        filename="d.png",
        content_type="image/png",
    )


def test_a_held_comment_is_announced_once_when_approved(session: Session) -> None:
    """Nobody hears of a held comment; approving it tells whom posting it would have told (the designer), and a
    later hide and restore does not tell them again."""
    place = make_place(session)
    moderation_screening.update_settings(
        session,
        community=place.community,
        moderator=place.moderator,
        auto_hide_threshold=3,
        premoderation=False,
        premoderation_posts=1,
        blocked_words="casino",
    )
    commenter = make_members(session, place.community, 1)[0]
    held = comments_service.add_comment(session, design=place.design, author=commenter, body="Casino night!")

    def designer_told() -> list[Notification]:
        return list(
            session.exec(
                select(Notification).where(
                    Notification.user_id == place.author.id, Notification.kind == NotificationKind.design_comment
                )
            ).all()
        )

    before = len(designer_told())
    item = session.exec(select(ModerationItem).where(ModerationItem.subject_id == held.id)).one()
    for decision, reason in (("restore", ""), ("hide", "Off topic"), ("restore", "")):
        moderation_decisions.decide(
            session,
            community=place.community,
            moderator=place.moderator,
            item_ids=[item.id or 0],
            decision=decision,
            reason=reason,
        )
    told = designer_told()
    assert len(told) == before + 1 and "commented on your design" in told[-1].text


def _report_until_hidden(session: Session, place: Place, kind: str, subject_id: int, reporters: int = 3) -> None:
    for reporter in make_members(session, place.community, reporters):
        moderation_reports.report_subject(
            session, community=place.community, reporter=reporter, kind=kind, subject_id=subject_id, reason="spam"
        )


def _design_comment_notices(session: Session, place: Place) -> list[Notification]:
    return list(
        session.exec(
            select(Notification).where(
                Notification.user_id == place.author.id, Notification.kind == NotificationKind.design_comment
            )
        ).all()
    )


def test_restoring_an_auto_hidden_comment_does_not_announce_it_again(session: Session) -> None:
    place = make_place(session)
    commenter = make_members(session, place.community, 1)[0]
    comment = comments_service.add_comment(session, design=place.design, author=commenter, body="Lovely colours")
    assert len(_design_comment_notices(session, place)) == 1
    _report_until_hidden(session, place, "comment", comment.id or 0)
    item = session.exec(select(ModerationItem).where(ModerationItem.subject_id == comment.id)).one()
    assert item.status == ItemStatus.held
    moderation_decisions.decide(
        session,
        community=place.community,
        moderator=place.moderator,
        item_ids=[item.id or 0],
        decision="restore",
        reason="",
    )
    assert len(_design_comment_notices(session, place)) == 1
    told = session.exec(select(Notification).where(Notification.user_id == commenter.id)).all()
    assert "is shown again" in told[-1].text


def test_a_held_comment_hidden_then_restored_is_announced_once(session: Session) -> None:
    """Never shown until the restore, it is announced then (once), whatever the moderators did with it meanwhile."""
    place = make_place(session)
    moderation_screening.update_settings(
        session,
        community=place.community,
        moderator=place.moderator,
        auto_hide_threshold=3,
        premoderation=False,
        premoderation_posts=1,
        blocked_words="casino",
    )
    commenter = make_members(session, place.community, 1)[0]
    held = comments_service.add_comment(session, design=place.design, author=commenter, body="Casino night!")
    item = session.exec(select(ModerationItem).where(ModerationItem.subject_id == held.id)).one()
    for decision, reason in (("hide", "Gambling"), ("restore", ""), ("hide", "Again"), ("restore", "")):
        moderation_decisions.decide(
            session,
            community=place.community,
            moderator=place.moderator,
            item_ids=[item.id or 0],
            decision=decision,
            reason=reason,
        )
    assert len(_design_comment_notices(session, place)) == 1
    told = [n.text for n in session.exec(select(Notification).where(Notification.user_id == commenter.id)).all()]
    assert sum("approved and published" in text for text in told) == 1


def test_submitting_a_near_duplicate_puts_it_in_the_queue_and_premoderation_holds_a_newcomers_design(
    session: Session,
) -> None:
    place = make_place(session, phase="submissions_open")
    first, second = make_members(session, place.community, 2)
    original = _submit(session, place.challenge, first, 41)
    copy = _submit(session, place.challenge, second, 41, touch=True)
    queue = moderation_queue.list_queue(
        session, community=place.community, filters=moderation_queue.QueueFilters(flag="near_duplicate")
    )
    assert [entry.item.subject_id for entry in queue] == [copy.id] and copy.status == DesignStatus.submitted
    assert original.id != copy.id

    moderation_screening.update_settings(
        session,
        community=place.community,
        moderator=place.moderator,
        auto_hide_threshold=3,
        premoderation=True,
        premoderation_posts=1,
        blocked_words="",
    )
    newcomer = make_members(session, place.community, 1)[0]
    count_before = place.challenge.design_count
    held = _submit(session, place.challenge, newcomer, 42)
    session.refresh(place.challenge)
    assert held.status == DesignStatus.hidden and place.challenge.design_count == count_before


def test_ideas_and_their_comments_plug_into_the_queue(session: Session) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    idea = make_idea(session, place.community, place.author, title="Sell replica jackets")
    comment = comments_service.add_comment(session, idea=idea, author=place.author, body="Cheap replicas here")
    items = [
        moderation_reports.report_subject(
            session, community=place.community, reporter=reporter, kind=kind, subject_id=subject_id, reason="spam"
        ).item
        for kind, subject_id in (("idea", idea.id or 0), ("comment", comment.id or 0))
    ]
    moderation_decisions.decide(
        session,
        community=place.community,
        moderator=place.moderator,
        item_ids=[item.id or 0 for item in items],
        decision="hide",
        reason="Spam",
    )
    session.refresh(idea)
    session.refresh(comment)
    assert idea.is_hidden and comment.is_hidden
    assert comments_service.list_thread(session, idea=idea, viewer=reporter) == []


def test_the_reporter_is_told_the_moderators_hid_it(session: Session) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    item = moderation_reports.report_subject(
        session,
        community=place.community,
        reporter=reporter,
        kind="comment",
        subject_id=place.comment.id or 0,
        reason="spam",
    ).item
    moderation_decisions.decide(
        session,
        community=place.community,
        moderator=place.moderator,
        item_ids=[item.id or 0],
        decision="hide",
        reason="Spam",
    )
    told = session.exec(select(Notification).where(Notification.user_id == reporter.id)).all()
    assert "The moderators hid it." in told[-1].text
