"""The ideas services: posting, votes and follows with their counters, statuses, responses, merging, trending,
the board, the roadmap and the changelog, and who is told what."""

from datetime import timedelta

import pytest
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.columns import utcnow
from app.comments import service as comments_service
from app.communities.models import Community
from app.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from app.ideas import managing as ideas_managing
from app.ideas import posting as ideas_posting
from app.ideas import reading as ideas_reading
from app.ideas import rules as ideas_rules
from app.ideas import votes as ideas_votes
from app.ideas.models import Idea, IdeaFollow, IdeaStatus, IdeaVote
from app.notifications.models import Notification, NotificationKind
from tests.factories import make_community, make_user, png_bytes
from tests.ideas.factories import make_idea, make_member


def _kinds(session: Session, user: User) -> list[NotificationKind]:
    return list(
        session.exec(select(Notification.kind).where(Notification.user_id == user.id).order_by(col(Notification.id)))
    )


def _votes(session: Session, idea: Idea) -> int:
    return session.exec(select(func.count()).select_from(IdeaVote).where(IdeaVote.idea_id == idea.id)).one()


# --- Posting ---------------------------------------------------------------------------------------------------


def test_a_member_posts_an_idea_and_follows_it(session: Session) -> None:
    community = make_community(session)
    author = make_member(session, community)
    category = ideas_posting.create_category(session, community=community, name="Refills")
    idea = ideas_posting.post_idea(
        session,
        community=community,
        author=author,
        title="  Refill   pouches for the hand soap ",
        description="Less plastic.",
        category_id=category.id,
    )
    assert (idea.title, idea.status, idea.category_id) == ("Refill pouches for the hand soap", "open", category.id)
    assert ideas_votes.is_following(session, idea=idea, user=author)
    assert idea.follower_count == 1


def test_posting_needs_a_membership_and_valid_fields(session: Session) -> None:
    community = make_community(session)
    with pytest.raises(Forbidden, match="Join"):
        ideas_posting.post_idea(session, community=community, author=make_user(session), title="A fine idea")
    unconfirmed = make_member(session, community, email_confirmed_at=None)
    with pytest.raises(Forbidden, match="Confirm"):
        ideas_posting.post_idea(session, community=community, author=unconfirmed, title="A fine idea")
    member = make_member(session, community)
    other_category = ideas_posting.create_category(session, community=make_community(session), name="Elsewhere")
    with pytest.raises(Invalid) as error:
        ideas_posting.post_idea(
            session,
            community=community,
            author=member,
            title="Hey",
            description="x" * 5001,
            category_id=other_category.id,
        )
    assert set(error.value.fields) == {"title", "description", "category_id"}
    assert session.exec(select(func.count()).select_from(Idea)).one() == 0


def test_posting_is_rate_limited(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import get_settings

    monkeypatch.setattr(get_settings(), "idea_rate_per_account", "2/hour")
    community = make_community(session)
    member = make_member(session, community)
    for number in range(2):
        ideas_posting.post_idea(session, community=community, author=member, title=f"Idea number {number}")
    with pytest.raises(TooManyRequests):
        ideas_posting.post_idea(session, community=community, author=member, title="One too many")


def test_a_photo_goes_through_the_image_pipeline(session: Session) -> None:
    import io

    community = make_community(session)
    member = make_member(session, community)
    idea = ideas_posting.post_idea(
        session,
        community=community,
        author=member,
        title="A tote with a pocket",
        photo=ideas_posting.Photo(io.BytesIO(png_bytes(5)), "tote.png", "image/png"),
    )
    assert idea.image_id is not None
    assert ideas_reading.thumbnails(session, ideas=[idea])[idea.id or 0].startswith("/media/renditions/")
    with pytest.raises(Invalid):
        ideas_posting.post_idea(
            session,
            community=community,
            author=member,
            title="Not a picture at all",
            photo=ideas_posting.Photo(io.BytesIO(b"<svg onload=alert(1)>"), "x.svg", "image/svg+xml"),
        )


def test_mentions_tell_members_only(session: Session) -> None:
    community = make_community(session)
    author, friend = make_member(session, community), make_member(session, community, handle="friend_one")
    make_user(session, handle="outsider_one")
    ideas_posting.post_idea(
        session,
        community=community,
        author=author,
        title="Ask the friends",
        description="What do @friend_one and @outsider_one and @Friend_One think? mail@friend_one.com",
    )
    assert _kinds(session, friend) == [NotificationKind.mention]
    assert session.exec(select(func.count()).select_from(Notification)).one() == 1


# --- Votes and follows -------------------------------------------------------------------------------------


def test_one_vote_per_member_and_it_can_be_taken_back(session: Session) -> None:
    community = make_community(session)
    idea = make_idea(session, community)
    voter = make_member(session, community)
    assert ideas_votes.vote(session, idea=idea, voter=voter) is True
    assert ideas_votes.vote(session, idea=idea, voter=voter) is False
    assert (idea.vote_count, _votes(session, idea)) == (1, 1)
    assert ideas_votes.is_following(session, idea=idea, user=voter)
    assert ideas_votes.unvote(session, idea=idea, voter=voter) is True
    assert ideas_votes.unvote(session, idea=idea, voter=voter) is False
    assert (idea.vote_count, idea.trending_score, _votes(session, idea)) == (0, 0.0, 0)


def test_votes_need_membership_and_an_open_idea(session: Session) -> None:
    community = make_community(session)
    idea = make_idea(session, community)
    with pytest.raises(Forbidden):
        ideas_votes.vote(session, idea=idea, voter=make_user(session))
    voter = make_member(session, community)
    for status in (IdeaStatus.done, IdeaStatus.declined):
        idea.status = status
        with pytest.raises(Conflict, match="votes are closed"):
            ideas_votes.vote(session, idea=idea, voter=voter)
    assert _votes(session, idea) == 0


def test_follow_and_unfollow_keep_the_counter(session: Session) -> None:
    community = make_community(session)
    idea = make_idea(session, community)
    person = make_member(session, community)
    assert ideas_votes.follow(session, idea=idea, user=person) is True
    assert ideas_votes.follow(session, idea=idea, user=person) is False
    assert idea.follower_count == 1
    assert ideas_votes.unfollow(session, idea=idea, user=person) is True
    assert ideas_votes.unfollow(session, idea=idea, user=person) is False
    assert idea.follower_count == 0


# --- Trending ---------------------------------------------------------------------------------------------


def test_trending_weights_each_vote_by_half_every_week(session: Session) -> None:
    community = make_community(session)
    now = utcnow()
    fresh, old = make_idea(session, community), make_idea(session, community)
    for _ in range(2):
        ideas_votes.vote(session, idea=fresh, voter=make_member(session, community), now=now)
    for _ in range(3):
        ideas_votes.vote(session, idea=old, voter=make_member(session, community), now=now - timedelta(days=14))
    assert ideas_rules.trending_now(fresh, now) == pytest.approx(2.0)
    assert ideas_rules.trending_now(old, now) == pytest.approx(0.75)  # 3 votes two half-lives ago
    board = ideas_reading.list_board(session, community=community, sort="trending")
    assert [row.idea.id for row in board.rows] == [fresh.id, old.id]
    top = ideas_reading.list_board(session, community=community, sort="top")
    assert [row.idea.id for row in top.rows] == [old.id, fresh.id]


# --- Statuses and responses --------------------------------------------------------------------------------


def test_the_status_flow(session: Session) -> None:
    community = make_community(session)
    idea = make_idea(session, community)
    manager = make_user(session)
    for status in ("under_review", "planned", "in_progress", "done", "in_progress", "done"):
        ideas_managing.change_status(session, idea=idea, actor=manager, status=status)
        assert idea.status == status
    assert idea.status_changed_at is not None
    with pytest.raises(Conflict, match="can move to: in progress"):
        ideas_managing.change_status(session, idea=idea, actor=manager, status="open")
    with pytest.raises(Invalid):
        ideas_managing.change_status(session, idea=idea, actor=manager, status="shipped")
    fresh = make_idea(session, community)
    with pytest.raises(Conflict):
        ideas_managing.change_status(session, idea=fresh, actor=manager, status="done")
    ideas_managing.change_status(session, idea=fresh, actor=manager, status="declined")
    ideas_managing.change_status(session, idea=fresh, actor=manager, status="open")
    assert fresh.status == IdeaStatus.open


@pytest.mark.parametrize(
    ("start", "allowed"), [(status, targets) for status, targets in ideas_rules.TRANSITIONS.items()]
)
def test_every_documented_transition_and_no_other(
    session: Session, start: IdeaStatus, allowed: frozenset[IdeaStatus]
) -> None:
    community = make_community(session)
    for target in IdeaStatus:
        idea = make_idea(session, community, status=start)
        if target in allowed:
            ideas_managing.change_status(session, idea=idea, actor=make_user(session), status=target)
            assert idea.status == target
        else:
            with pytest.raises(Conflict):
                ideas_managing.change_status(session, idea=idea, actor=make_user(session), status=target)


def test_followers_hear_of_status_changes_and_voters_of_done(session: Session) -> None:
    community = make_community(session)
    author = make_member(session, community)
    idea = ideas_posting.post_idea(session, community=community, author=author, title="Unscented dish soap")
    voter = make_member(session, community)
    ideas_votes.vote(session, idea=idea, voter=voter)
    ideas_votes.unfollow(session, idea=idea, user=voter)  # voted, but does not follow
    manager = make_user(session)
    ideas_managing.change_status(session, idea=idea, actor=manager, status="planned")
    assert _kinds(session, author) == [NotificationKind.idea_status]
    assert _kinds(session, voter) == []
    ideas_managing.change_status(session, idea=idea, actor=manager, status="in_progress")
    ideas_managing.change_status(session, idea=idea, actor=manager, status="done")
    assert _kinds(session, author)[-1] == NotificationKind.idea_done
    assert _kinds(session, voter) == [NotificationKind.idea_done]  # once, though not following
    assert [row.idea.id for row in ideas_reading.changelog(session, community=community)] == [idea.id]


def test_an_official_response_tells_followers(session: Session) -> None:
    community = make_community(session)
    author = make_member(session, community)
    idea = ideas_posting.post_idea(session, community=community, author=author, title="Bigger bottles please")
    manager = make_user(session)
    with pytest.raises(Invalid):
        ideas_managing.respond(session, idea=idea, actor=manager, body="   ")
    ideas_managing.respond(session, idea=idea, actor=manager, body="We are **testing** a 1 litre bottle.")
    assert (idea.response_by_id, idea.response_at is not None) == (manager.id, True)
    assert _kinds(session, author) == [NotificationKind.idea_response]


def test_tags_are_normalised(session: Session) -> None:
    idea = make_idea(session)
    ideas_managing.set_tags(session, idea=idea, tags="Refill, scent ,refill, Big Bottles")
    assert idea.tag_list == ["big-bottles", "refill", "scent"]
    with pytest.raises(Invalid):
        ideas_managing.set_tags(session, idea=idea, tags=",".join(f"tag{number}" for number in range(11)))


# --- Merging -----------------------------------------------------------------------------------------------


def test_merge_keeps_every_vote_once(session: Session) -> None:
    community = make_community(session)
    original, duplicate = make_idea(session, community), make_idea(session, community)
    both, only_original, only_duplicate = (make_member(session, community) for _ in range(3))
    early = utcnow() - timedelta(days=7)
    ideas_votes.vote(session, idea=original, voter=both)
    ideas_votes.vote(session, idea=duplicate, voter=both, now=early)
    ideas_votes.vote(session, idea=original, voter=only_original)
    ideas_votes.vote(session, idea=duplicate, voter=only_duplicate)
    manager = make_user(session)

    ideas_managing.merge(session, duplicate=duplicate, original=original, actor=manager)

    voters = set(session.exec(select(IdeaVote.voter_id).where(IdeaVote.idea_id == original.id)))
    assert voters == {both.id, only_original.id, only_duplicate.id}
    assert (original.vote_count, _votes(session, original)) == (3, 3)
    assert (duplicate.vote_count, _votes(session, duplicate), duplicate.trending_score) == (0, 0, 0.0)
    assert duplicate.merged_into_id == original.id
    # The member who voted for both keeps the earlier vote: it weighs half (a week old).
    assert ideas_rules.trending_now(original, utcnow()) == pytest.approx(2.5, abs=0.01)
    followers = set(session.exec(select(IdeaFollow.user_id).where(IdeaFollow.idea_id == original.id)))
    assert followers == {both.id, only_original.id, only_duplicate.id}
    assert original.follower_count == 3
    assert NotificationKind.idea_merged in _kinds(session, only_duplicate)
    # The duplicate leaves the board and the search; voting for it is refused with the way to the original.
    assert [row.idea.id for row in ideas_reading.list_board(session, community=community).rows] == [original.id]
    with pytest.raises(Conflict, match="merged"):
        ideas_votes.vote(session, idea=duplicate, voter=make_member(session, community))


def test_merge_refuses_loops_and_strangers(session: Session) -> None:
    community = make_community(session)
    first, second, third = (make_idea(session, community) for _ in range(3))
    manager = make_user(session)
    with pytest.raises(Invalid):
        ideas_managing.merge(session, duplicate=first, original=first, actor=manager)
    with pytest.raises(NotFound):
        ideas_managing.merge(session, duplicate=first, original=make_idea(session), actor=manager)
    ideas_managing.merge(session, duplicate=first, original=second, actor=manager)
    with pytest.raises(Conflict, match="merged already"):
        ideas_managing.merge(session, duplicate=first, original=third, actor=manager)
    with pytest.raises(Conflict, match="itself merged"):
        ideas_managing.merge(session, duplicate=third, original=first, actor=manager)


# --- Comments on ideas (app/comments) -----------------------------------------------------------------------


def test_comments_on_an_idea_count_and_tell_followers(session: Session) -> None:
    community = make_community(session)
    author = make_member(session, community)
    idea = ideas_posting.post_idea(session, community=community, author=author, title="Glass spray bottles")
    commenter = make_member(session, community, handle="commenter_one")
    friend = make_member(session, community, handle="friend_two")
    root = comments_service.add_comment(session, idea=idea, author=commenter, body="Yes! cc @friend_two")
    assert idea.comment_count == 1
    assert ideas_votes.is_following(session, idea=idea, user=commenter)
    assert _kinds(session, author) == [NotificationKind.idea_comment]
    assert _kinds(session, friend) == [NotificationKind.mention]
    comments_service.add_comment(session, idea=idea, author=author, body="Thanks", parent=root)
    # The commenter hears of the reply once (as a reply, not again as a follower).
    assert _kinds(session, commenter) == [NotificationKind.comment_reply]
    thread = comments_service.list_thread(session, idea=idea)
    assert [entry.comment.body for entry in thread] == ["Yes! cc @friend_two"]
    assert [reply.comment.body for reply in thread[0].replies] == ["Thanks"]
    assert comments_service.comment_link(root) == f"/ideas/{idea.id}#comment-{root.id}"
    comments_service.delete_comment(session, comment=root, actor=commenter, roles=frozenset())
    assert idea.comment_count == 1


def test_comments_need_a_member_and_an_idea_that_is_shown(session: Session) -> None:
    community = make_community(session)
    idea = make_idea(session, community)
    with pytest.raises(Forbidden):
        comments_service.add_comment(session, idea=idea, author=make_user(session), body="Hi")
    member = make_member(session, community)
    ideas_managing.merge(session, duplicate=idea, original=make_idea(session, community), actor=member)
    with pytest.raises(Conflict, match="merged"):
        comments_service.add_comment(session, idea=idea, author=member, body="Hi")
    with pytest.raises(TypeError):
        comments_service.list_thread(session)


# --- Reading ---------------------------------------------------------------------------------------------


def test_the_board_filters_and_pages(session: Session) -> None:
    community = make_community(session)
    scents = ideas_posting.create_category(session, community=community, name="Scents")
    with pytest.raises(Conflict):
        ideas_posting.create_category(session, community=community, name="scents")
    ideas = [make_idea(session, community, title=f"Idea {number:02d} here") for number in range(25)]
    ideas[3].category_id = scents.id
    ideas[4].tags = "refill,scent"
    ideas[5].status = IdeaStatus.planned
    ideas[6].hidden_at = utcnow()
    make_idea(session, make_community(session))  # another community's
    session.flush()

    first = ideas_reading.list_board(session, community=community, sort="newest")
    assert len(first.rows) == 20 and first.has_more
    second = ideas_reading.list_board(session, community=community, sort="newest", page=2)
    assert len(second.rows) == 4 and not second.has_more  # 24 shown: one is hidden
    assert ideas[6].id not in {row.idea.id for row in first.rows + second.rows}
    with_hidden = ideas_reading.list_board(session, community=community, sort="newest", page=2, include_hidden=True)
    assert len(with_hidden.rows) == 5

    def ids(**filters: str) -> list[int | None]:
        return [row.idea.id for row in ideas_reading.list_board(session, community=community, **filters).rows]

    assert ids(category="scents") == [ideas[3].id]
    assert ids(tag="refill") == [ideas[4].id]
    assert ids(tag="refil") == []
    assert ids(status="planned") == [ideas[5].id]


def test_the_roadmap_groups_by_status(session: Session) -> None:
    community: Community = make_community(session)
    planned = [make_idea(session, community, status=IdeaStatus.planned, vote_count=votes) for votes in (1, 5, 3)]
    make_idea(session, community, status=IdeaStatus.in_progress)
    make_idea(session, community, status=IdeaStatus.open)
    plan = ideas_reading.roadmap(session, community=community)
    assert [row.idea.id for row in plan.columns[IdeaStatus.planned]] == [planned[1].id, planned[2].id, planned[0].id]
    assert (plan.counts[IdeaStatus.planned], plan.counts[IdeaStatus.in_progress], plan.counts[IdeaStatus.open]) == (
        3,
        1,
        1,
    )
    assert IdeaStatus.open not in plan.columns


def test_followers_are_emailed_through_the_outbox(session: Session) -> None:
    from app.notifications.models import OutboxEmail

    community = make_community(session)
    author = make_member(session, community)
    idea = ideas_posting.post_idea(session, community=community, author=author, title="Bigger refill pouches")
    ideas_managing.change_status(session, idea=idea, actor=make_user(session), status="planned")
    (email,) = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == author.email)).all()
    assert email.subject.endswith("Bigger refill pouches is now planned")
    assert f"/ideas/{idea.id}" in email.body_text
