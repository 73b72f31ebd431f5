"""Ideas in moderation: a new idea is screened like every post (blocked words, pre-moderation of new members' first
posts); a held or hidden idea stays off the board, search, similar ideas, the roadmap and the changelog until it is
approved, and nobody hears of it meanwhile; an idea's comment count counts only the comments members see."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.columns import utcnow
from app.comments import service as comments_service
from app.comments.models import Comment
from app.communities.models import Community, MemberRole
from app.ideas import posting as ideas_posting
from app.ideas import reading as ideas_reading
from app.ideas import search
from app.ideas import votes as ideas_votes
from app.ideas.models import Idea, IdeaStatus
from app.moderation import decisions as moderation_decisions
from app.moderation import reports as moderation_reports
from app.moderation import screening as moderation_screening
from app.moderation.models import ItemFlag, ItemStatus, ModerationItem, SubjectKind
from app.notifications.models import Notification, NotificationKind
from app.webhooks.models import WebhookDelivery
from tests.factories import add_member, csrf_token, log_in, make_brand, make_community, make_user
from tests.ideas.factories import make_member
from tests.webhooks.factories import make_endpoint


def _moderated(
    session: Session, *, blocked_words: str = "casino", premoderation: bool = False
) -> tuple[Community, User]:
    brand = make_brand(session)
    community = make_community(session, brand)
    moderator = make_user(session)
    add_member(session, community, moderator, MemberRole.moderator)
    make_endpoint(session, brand, events=["idea_created"])
    moderation_screening.update_settings(
        session,
        community=community,
        moderator=moderator,
        auto_hide_threshold=3,
        premoderation=premoderation,
        premoderation_posts=1,
        blocked_words=blocked_words,
        now=utcnow() - timedelta(days=1),
    )
    return community, moderator


def _item(session: Session, kind: SubjectKind, subject_id: int | None) -> ModerationItem:
    return session.exec(
        select(ModerationItem).where(ModerationItem.subject_kind == kind, ModerationItem.subject_id == subject_id)
    ).one()


def _approve(session: Session, community: Community, moderator: User, item: ModerationItem) -> None:
    moderation_decisions.decide(
        session, community=community, moderator=moderator, item_ids=[item.id or 0], decision="restore", reason=""
    )


def _shown_anywhere(session: Session, community: Community, idea: Idea) -> dict[str, bool]:
    """Where members would find the idea: each list, search, suggestions, the roadmap and the changelog."""
    board = ideas_reading.list_board(session, community=community, sort="newest")
    found = ideas_reading.list_board(session, community=community, typed="refill casino")
    similar = ideas_reading.similar_ideas(session, community=community, typed="refill casino")
    plan = ideas_reading.roadmap(session, community=community)
    return {
        "board": idea.id in [row.idea.id for row in board.rows],
        "search": idea.id in search.search_ideas(session, community_id=community.id or 0, typed="refill"),
        "board search": idea.id in [row.idea.id for row in found.rows],
        "similar": idea.id in [row.idea.id for row in similar],
        "roadmap": idea.id in [row.idea.id for rows in plan.columns.values() for row in rows],
        "roadmap count": plan.counts[IdeaStatus(idea.status)] == 1,
        "changelog": idea.id in [row.idea.id for row in ideas_reading.changelog(session, community=community)],
    }


def test_an_idea_with_a_blocked_word_is_held_off_every_list_until_approved(session: Session) -> None:
    community, moderator = _moderated(session)
    author, friend = make_member(session, community), make_member(session, community, handle="friend_of_casino")
    idea = ideas_posting.post_idea(
        session,
        community=community,
        author=author,
        title="Refill casino chips",
        description="Ask @friend_of_casino",
    )
    assert idea.is_hidden
    item = _item(session, SubjectKind.idea, idea.id)
    assert (item.flag, item.status, item.author_id) == (ItemFlag.blocked_word, ItemStatus.held, author.id)
    assert session.exec(select(WebhookDelivery)).all() == []  # the brand hears of it once it is approved
    assert session.exec(select(Notification).where(Notification.user_id == friend.id)).all() == []
    idea.status = IdeaStatus.done  # so that it would be on the roadmap and in the changelog too
    session.add(idea)
    session.flush()
    assert _shown_anywhere(session, community, idea) == dict.fromkeys(_shown_anywhere(session, community, idea), False)

    _approve(session, community, moderator, item)
    session.refresh(idea)
    assert not idea.is_hidden
    assert all(_shown_anywhere(session, community, idea).values())
    told = session.exec(select(Notification).where(Notification.user_id == author.id)).all()
    assert [note.kind for note in told] == [NotificationKind.moderation_decision] * 2  # held, then approved
    assert "approved" in told[-1].text
    # Approved, it is announced as posting it would have: the mention and the brand's webhook, once.
    mentioned = session.exec(select(Notification).where(Notification.user_id == friend.id)).all()
    assert [note.kind for note in mentioned] == [NotificationKind.mention]
    assert [delivery.event for delivery in session.exec(select(WebhookDelivery)).all()] == ["idea_created"]


def test_restoring_an_auto_hidden_idea_does_not_announce_it_again(session: Session) -> None:
    community, moderator = _moderated(session)
    author = make_member(session, community)
    idea = ideas_posting.post_idea(session, community=community, author=author, title="Refill pouches please")
    assert [delivery.event for delivery in session.exec(select(WebhookDelivery)).all()] == ["idea_created"]
    for reporter in (make_member(session, community) for _ in range(3)):
        moderation_reports.report_subject(
            session, community=community, reporter=reporter, kind="idea", subject_id=idea.id or 0, reason="spam"
        )
    item = _item(session, SubjectKind.idea, idea.id)
    assert item.status == ItemStatus.held
    _approve(session, community, moderator, item)
    session.refresh(idea)
    assert not idea.is_hidden
    assert [delivery.event for delivery in session.exec(select(WebhookDelivery)).all()] == ["idea_created"]


def test_a_new_members_first_idea_waits_for_approval_under_premoderation(session: Session) -> None:
    community, moderator = _moderated(session, blocked_words="", premoderation=True)
    newcomer = make_member(session, community)
    first = ideas_posting.post_idea(session, community=community, author=newcomer, title="Refill pouches please")
    assert first.is_hidden and _item(session, SubjectKind.idea, first.id).flag == ItemFlag.premoderation
    _approve(session, community, moderator, _item(session, SubjectKind.idea, first.id))
    second = ideas_posting.post_idea(session, community=community, author=newcomer, title="Glass bottles for refills")
    assert not second.is_hidden
    assert ideas_votes.vote(session, idea=first, voter=make_member(session, community))


def test_an_ideas_comment_count_counts_only_the_comments_members_see(session: Session) -> None:
    community, moderator = _moderated(session)
    author = make_member(session, community)
    idea = ideas_posting.post_idea(session, community=community, author=author, title="Refill pouches please")
    commenter = make_member(session, community)
    shown = comments_service.add_comment(session, idea=idea, author=commenter, body="Yes please")
    held = comments_service.add_comment(session, idea=idea, author=commenter, body="Win at the casino")
    assert held.is_hidden and idea.comment_count == 1

    _approve(session, community, moderator, _item(session, SubjectKind.comment, held.id))
    assert idea.comment_count == 2
    reporter = make_member(session, community)
    item = moderation_reports.report_subject(
        session, community=community, reporter=reporter, kind="comment", subject_id=shown.id or 0, reason="spam"
    ).item
    moderation_decisions.decide(
        session, community=community, moderator=moderator, item_ids=[item.id or 0], decision="hide", reason="Off"
    )
    assert idea.comment_count == 1
    # Deleting the hidden comment takes nothing more off; hiding again or deleting again changes nothing either.
    comments_service.delete_comment(session, comment=shown, actor=commenter, roles=frozenset())
    comments_service.set_comment_hidden(session, comment=shown, hidden=True)
    assert idea.comment_count == 1
    # Restoring a deleted comment shows nothing, so counts nothing.
    moderation_decisions.decide(
        session, community=community, moderator=moderator, item_ids=[item.id or 0], decision="restore", reason=""
    )
    assert idea.comment_count == 1
    comments_service.delete_comment(session, comment=held, actor=commenter, roles=frozenset())
    comments_service.delete_comment(session, comment=held, actor=commenter, roles=frozenset())
    assert idea.comment_count == 0
    visible = session.exec(
        select(Comment).where(
            Comment.idea_id == idea.id, col(Comment.deleted_at).is_(None), col(Comment.hidden_at).is_(None)
        )
    ).all()
    assert visible == []


def test_the_pages_say_a_held_idea_waits_and_offer_to_report_ideas(client: TestClient, session: Session) -> None:
    community, moderator = _moderated(session)
    author, other = make_member(session, community), make_member(session, community)
    log_in(client, session, author)
    posted = client.post(
        f"/c/{community.slug}/ideas/new",
        data={"title": "Refill casino chips", "csrftoken": csrf_token(client)},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    page = client.get(posted.headers["location"])
    assert "waits for a moderator" in page.text and "This idea is hidden from the board." in page.text
    assert "Report this idea" not in page.text  # one's own
    log_in(client, session, other)
    assert client.get(posted.headers["location"]).status_code == 404
    assert "Refill casino chips" not in client.get(f"/c/{community.slug}/ideas").text
    listed = client.get(f"/api/v1/communities/{community.slug}/ideas").json()
    assert "Refill casino chips" not in str(listed)

    shown = ideas_posting.post_idea(session, community=community, author=author, title="Refill pouches please")
    page = client.get(f"/ideas/{shown.id}")
    assert f'href="/c/{community.slug}/report/idea/{shown.id}"' in page.text
    assert "<h1>Report an idea</h1>" in client.get(f"/c/{community.slug}/report/idea/{shown.id}").text
    # The moderator's item page reads as a sentence: "An idea · held", "1 item", no raw values.
    item = session.exec(select(ModerationItem).where(ModerationItem.subject_kind == SubjectKind.idea)).one()
    log_in(client, session, moderator)
    page = client.get(f"/c/{community.slug}/moderation/items/{item.id}")
    assert "<h1>An idea · held</h1>" in page.text
    assert "<dt>Reports</dt><dd>0 on 1 item</dd>" in page.text and "<dd>0 hidden or removed</dd>" in page.text
    queue = client.get(f"/c/{community.slug}/moderation")
    assert 'value="remove" id="decision-remove"' in queue.text and "Remove (the author may appeal)" in queue.text
