"""Community Q&A services: asking (members, visitors where allowed), answering, votes, follows, accepting with
points that follow the accepted answer, the helpful-answers count, webhooks and moderation."""

import json

import pytest
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.brands.models import Brand, StaffRole
from app.communities.models import Community, MemberRole
from app.errors import Conflict, Forbidden, Invalid, TooManyRequests
from app.ledger import service as ledger_service
from app.ledger.models import POINTS, AccountKind, LedgerTransaction, TransactionKind
from app.moderation import decisions as moderation_decisions
from app.moderation import reports as moderation_reports
from app.moderation import screening as moderation_screening
from app.moderation.models import ModerationItem, SubjectKind
from app.notifications.models import Notification, NotificationKind
from app.questions import accepting, answering, asking, reading, votes
from app.questions.models import CommunityAnswer, CommunityQuestion
from app.rewards import points as points_service
from app.rewards.models import PointsAction, PointsAward
from app.webhooks.models import WebhookDelivery
from tests.factories import add_member, add_staff, make_brand, make_community, make_user
from tests.ideas.factories import make_member
from tests.questions.factories import allow_visitors, make_answer, make_question
from tests.rewards.factories import make_live_product
from tests.webhooks.factories import make_endpoint


@pytest.fixture
def community(session: Session) -> Community:
    return make_community(session, make_brand(session))


def _ask(
    session: Session,
    community: Community,
    user: User | None,
    title: str = "How long does one refill last?",
    **kwargs: str,
) -> CommunityQuestion:
    return asking.ask_question(session, community=community, asker=asking.Asker(user=user, **kwargs), title=title)


def _notifications(session: Session, user: User, kind: NotificationKind) -> list[Notification]:
    return list(session.exec(select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)))


# --- Asking ---------------------------------------------------------------------------------------------------


def test_a_member_asks_and_follows_and_the_brand_hears(session: Session, community: Community) -> None:
    brand_id = community.brand_id
    endpoint = make_endpoint(session, session.get_one(Brand, brand_id), events=["question_asked"])
    member = make_member(session, community)
    question = _ask(session, community, member)
    assert not question.is_hidden and question.author_id == member.id
    assert votes.is_following(session, question=question, user=member) and question.follower_count == 1
    deliveries = session.exec(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)).all()
    assert [delivery.event for delivery in deliveries] == ["question_asked"]
    payload = json.loads(deliveries[0].body)["data"]
    assert payload["question"]["title"] == "How long does one refill last?"
    assert payload["question"]["asked_by"]["handle"] == member.handle


def test_bad_questions_are_refused_with_the_fields_marked(session: Session, community: Community) -> None:
    member = make_member(session, community)
    other_product = make_live_product(session, make_brand(session))
    with pytest.raises(Invalid) as error:
        asking.ask_question(
            session,
            community=community,
            asker=asking.Asker(user=member),
            title="Why?",
            body="x" * 6000,
            product_id=other_product.id,
        )
    assert set(error.value.fields) == {"title", "body", "product_id"}
    assert session.exec(select(func.count()).select_from(CommunityQuestion)).one() == 0


def test_a_question_may_be_about_a_live_product_of_the_brand(session: Session, community: Community) -> None:
    product = make_live_product(session, session.get_one(Brand, community.brand_id))
    member = make_member(session, community)
    question = asking.ask_question(
        session,
        community=community,
        asker=asking.Asker(user=member),
        title="Is it safe for sensitive skin?",
        product_id=product.id,
    )
    assert question.product_id == product.id


def test_visitors_may_not_ask_until_the_community_allows_it(session: Session, community: Community) -> None:
    with pytest.raises(Forbidden, match="Log in and join"):
        _ask(session, community, None, visitor_name="Alex", ip="203.0.113.9")
    with pytest.raises(Forbidden, match="Join"):
        _ask(session, community, make_user(session))
    assert not asking.may_ask(session, community=community, user=None)


def test_a_visitors_question_waits_for_a_moderator(session: Session, community: Community) -> None:
    asking.set_settings(session, community=community, visitors_may_ask=True)
    question = _ask(session, community, None, visitor_name="  Alex  ", ip="203.0.113.9")
    assert question.is_hidden and question.author_id is None and question.visitor_name == "Alex"
    item = session.exec(select(ModerationItem).where(ModerationItem.subject_kind == SubjectKind.question)).one()
    assert item.subject_id == question.id and item.status == "held"
    assert reading.list_questions(session, community=community).rows == []
    moderator = make_user(session)
    add_member(session, community, moderator, MemberRole.moderator)
    moderation_decisions.decide(
        session, community=community, moderator=moderator, item_ids=[item.id or 0], decision="restore", reason=""
    )
    session.refresh(question)
    assert not question.is_hidden
    assert [row.question.id for row in reading.list_questions(session, community=community).rows] == [question.id]


def test_a_visitor_must_give_a_name(session: Session, community: Community) -> None:
    allow_visitors(session, community)
    with pytest.raises(Invalid) as error:
        _ask(session, community, None, visitor_name="", ip="203.0.113.9")
    assert set(error.value.fields) == {"visitor_name"}


def test_visitors_are_rate_limited_by_address(session: Session, community: Community) -> None:
    allow_visitors(session, community)
    for number in range(5):
        _ask(session, community, None, title=f"Question number {number} here?", visitor_name="Alex", ip="203.0.113.9")
    with pytest.raises(TooManyRequests):
        _ask(session, community, None, title="One question too many?", visitor_name="Alex", ip="203.0.113.9")
    _ask(session, community, None, title="From another address?", visitor_name="Sam", ip="203.0.113.10")


# --- Answering, votes and follows -----------------------------------------------------------------------------


def test_members_and_staff_answer_and_followers_are_told(session: Session, community: Community) -> None:
    asker, member = make_member(session, community), make_member(session, community)
    staff = make_user(session)
    add_staff(session, session.get_one(Brand, community.brand_id), staff, StaffRole.analyst)
    question = _ask(session, community, asker)
    first = answering.post_answer(session, question=question, author=member, body="About a month for me.")
    second = answering.post_answer(session, question=question, author=staff, body="Six weeks at one spray a day.")
    assert (first.by_staff, second.by_staff) == (False, True)
    assert question.answer_count == 2 and question.follower_count == 3
    assert len(_notifications(session, asker, NotificationKind.question_answer)) == 2
    assert len(_notifications(session, member, NotificationKind.question_answer)) == 1  # the staff answer


def test_outsiders_cannot_answer_and_empty_answers_are_refused(session: Session, community: Community) -> None:
    question = make_question(session, community)
    with pytest.raises(Forbidden):
        answering.post_answer(session, question=question, author=make_user(session), body="Me too")
    with pytest.raises(Invalid):
        answering.post_answer(session, question=question, author=make_member(session, community), body=" ")


def test_one_vote_per_member_and_none_for_ones_own_answer(session: Session, community: Community) -> None:
    question = make_question(session, community)
    author, voter = make_member(session, community), make_member(session, community)
    answer = make_answer(session, question, author)
    assert votes.vote(session, answer=answer, voter=voter) is True
    assert votes.vote(session, answer=answer, voter=voter) is False
    assert answer.vote_count == 1
    with pytest.raises(Forbidden):
        votes.vote(session, answer=answer, voter=author)
    assert votes.unvote(session, answer=answer, voter=voter) is True
    assert votes.unvote(session, answer=answer, voter=voter) is False
    assert answer.vote_count == 0


def test_follow_and_unfollow_count_once(session: Session, community: Community) -> None:
    question = make_question(session, community)
    member = make_member(session, community)
    assert votes.follow(session, question=question, user=member) is True
    assert votes.follow(session, question=question, user=member) is False
    assert question.follower_count == 1
    assert votes.unfollow(session, question=question, user=member) is True
    assert question.follower_count == 0


# --- Accepting and points -------------------------------------------------------------------------------------


def _points(session: Session, user: User, brand_id: int) -> int:
    return points_service.points_balance(session, user=user, brand_id=brand_id)


def _with_rule(session: Session, community: Community, points: int = 25) -> None:
    points_service.set_points_rule(
        session,
        brand=session.get_one(Brand, community.brand_id),
        action=PointsAction.answer_accepted.value,
        points=str(points),
        daily_cap="50",
    )


def test_only_the_asker_or_the_brands_staff_accept(session: Session, community: Community) -> None:
    asker, member = make_member(session, community), make_member(session, community)
    question = make_question(session, community, asker)
    answer = make_answer(session, question, member)
    with pytest.raises(Forbidden):
        accepting.accept(session, answer=answer, actor=make_member(session, community))
    assert accepting.accept(session, answer=answer, actor=asker) is True
    assert accepting.accept(session, answer=answer, actor=asker) is False
    staff = make_user(session)
    add_staff(session, session.get_one(Brand, community.brand_id), staff, StaffRole.manager)
    assert accepting.unaccept(session, answer=answer, actor=staff) is True
    assert question.accepted_at is None and not answer.is_accepted


def test_one_accepted_answer_at_a_time_and_points_follow_it(session: Session, community: Community) -> None:
    _with_rule(session, community, 25)
    asker = make_member(session, community)
    first_author, second_author = make_member(session, community), make_member(session, community)
    question = make_question(session, community, asker)
    first, second = make_answer(session, question, first_author), make_answer(session, question, second_author)
    brand_id = community.brand_id

    accepting.accept(session, answer=first, actor=asker)
    assert (_points(session, first_author, brand_id), _points(session, second_author, brand_id)) == (25, 0)
    accepting.accept(session, answer=second, actor=asker)
    session.refresh(first)
    assert (first.is_accepted, second.is_accepted) == (False, True)
    assert (_points(session, first_author, brand_id), _points(session, second_author, brand_id)) == (0, 25)
    accepting.accept(session, answer=first, actor=asker)  # back again: paid again, the second reversed
    session.refresh(second)
    assert (_points(session, first_author, brand_id), _points(session, second_author, brand_id)) == (25, 0)
    accepted = session.exec(
        select(func.count()).select_from(CommunityAnswer).where(col(CommunityAnswer.accepted_at).is_not(None))
    ).one()
    assert accepted == 1
    reversals = session.exec(
        select(func.count()).select_from(LedgerTransaction).where(LedgerTransaction.kind == TransactionKind.reversal)
    ).one()
    assert reversals == 2
    assert ledger_service.accounts_out_of_balance(session, brand_id=brand_id) == []
    assert reading.helpful_answer_count(session, user=first_author) == 1
    assert reading.helpful_answer_count(session, user=second_author) == 0


def test_points_are_paid_once_per_acceptance(session: Session, community: Community) -> None:
    _with_rule(session, community, 10)
    asker, author = make_member(session, community), make_member(session, community)
    question = make_question(session, community, asker)
    answer = make_answer(session, question, author)
    accepting.accept(session, answer=answer, actor=asker)
    accepting.accept(session, answer=answer, actor=asker)  # already accepted: nothing changes
    assert session.exec(select(func.count()).select_from(PointsAward)).one() == 1
    account = ledger_service.find_account(
        session, brand_id=community.brand_id, user_id=author.id, kind=AccountKind.points, currency=POINTS
    )
    assert account is not None and ledger_service.balance(session, account=account) == 10


def test_no_points_without_a_rule_for_ones_own_answer_or_for_staff(session: Session, community: Community) -> None:
    asker, author = make_member(session, community), make_member(session, community)
    question = make_question(session, community, asker)
    answer = make_answer(session, question, author)
    accepting.accept(session, answer=answer, actor=asker)
    assert answer.points_award_id is None and _points(session, author, community.brand_id) == 0  # no rule: off

    _with_rule(session, community)
    own = make_answer(session, question, asker)
    accepting.accept(session, answer=own, actor=asker)
    assert own.points_award_id is None
    staff = make_user(session)
    add_staff(session, session.get_one(Brand, community.brand_id), staff, StaffRole.manager)
    brand_answer = make_answer(session, question, staff, by_staff=True)
    accepting.accept(session, answer=brand_answer, actor=staff)
    assert brand_answer.points_award_id is None
    assert session.exec(select(func.count()).select_from(PointsAward)).one() == 0


def test_acceptance_tells_the_author_and_followers_and_the_webhook(session: Session, community: Community) -> None:
    endpoint = make_endpoint(session, session.get_one(Brand, community.brand_id), events=["answer_accepted"])
    asker, author, follower = (make_member(session, community) for _ in range(3))
    question = make_question(session, community, asker)
    votes.follow(session, question=question, user=follower)
    answer = make_answer(session, question, author)
    accepting.accept(session, answer=answer, actor=asker)
    assert len(_notifications(session, author, NotificationKind.answer_accepted)) == 1
    assert len(_notifications(session, follower, NotificationKind.answer_accepted)) == 1
    deliveries = session.exec(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)).all()
    assert [delivery.event for delivery in deliveries] == ["answer_accepted"]
    payload = json.loads(deliveries[0].body)["data"]
    assert payload["answer"]["id"] == answer.id and payload["accepted_by"]["handle"] == asker.handle


def test_a_hidden_answer_loses_its_acceptance_and_points(session: Session, community: Community) -> None:
    _with_rule(session, community, 5)
    asker, author = make_member(session, community), make_member(session, community)
    question = make_question(session, community, asker)
    answer = make_answer(session, question, author)
    accepting.accept(session, answer=answer, actor=asker)
    answering.set_hidden(session, answer=answer, hidden=True)
    assert not answer.is_accepted and question.accepted_at is None and question.answer_count == 0
    assert _points(session, author, community.brand_id) == 0
    with pytest.raises(Conflict):
        accepting.accept(session, answer=answer, actor=asker)
    answering.set_hidden(session, answer=answer, hidden=False)
    assert question.answer_count == 1


# --- Moderation -----------------------------------------------------------------------------------------------


def test_members_report_questions_and_answers(session: Session, community: Community) -> None:
    question = make_question(session, community)
    answer = make_answer(session, question)
    reporter = make_member(session, community)
    for kind, subject_id in ((SubjectKind.question, question.id), (SubjectKind.answer, answer.id)):
        moderation_reports.report_subject(
            session, community=community, reporter=reporter, kind=kind, subject_id=subject_id or 0, reason="spam"
        )
    kinds = session.exec(select(ModerationItem.subject_kind).order_by(col(ModerationItem.id))).all()
    assert kinds == [SubjectKind.question, SubjectKind.answer]


def test_a_blocked_word_holds_an_answer_until_approved(session: Session, community: Community) -> None:
    moderator = make_user(session)
    add_member(session, community, moderator, MemberRole.moderator)
    moderation_screening.update_settings(
        session,
        community=community,
        moderator=moderator,
        auto_hide_threshold=3,
        premoderation=False,
        premoderation_posts=1,
        blocked_words="casino",
    )
    asker, author = make_member(session, community), make_member(session, community)
    question = _ask(session, community, asker)
    answer = answering.post_answer(session, question=question, author=author, body="Try the casino down the road")
    assert answer.is_hidden and question.answer_count == 0
    assert _notifications(session, asker, NotificationKind.question_answer) == []
    item = session.exec(select(ModerationItem).where(ModerationItem.subject_kind == SubjectKind.answer)).one()
    moderation_decisions.decide(
        session, community=community, moderator=moderator, item_ids=[item.id or 0], decision="restore", reason=""
    )
    session.refresh(answer)
    assert not answer.is_hidden and question.answer_count == 1
    assert len(_notifications(session, asker, NotificationKind.question_answer)) == 1


def test_the_unanswered_list_counts_shown_answers_only(session: Session, community: Community) -> None:
    answered = make_question(session, community)
    make_answer(session, answered)
    open_one = make_question(session, community)
    listing = reading.list_questions(session, community=community, unanswered=True)
    assert [row.question.id for row in listing.rows] == [open_one.id]
    assert listing.unanswered_count == 1
