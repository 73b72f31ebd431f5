"""Reading Q&A: a community's questions (newest first, searched, or only the unanswered), the questions like one
being typed, a question with its answers, and a member's count of helpful (accepted) answers."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.campaigns.models import Campaign, CampaignStatus
from app.challenges.models import Product, ProductStatus
from app.communities.models import Community
from app.disclosure.service import Disclosure, disclosures_for
from app.questions.models import CommunityAnswer, CommunityQuestion
from app.questions.search import search_questions

PAGE_SIZE = 20
SEARCH_LIMIT = 50
SIMILAR_LIMIT = 5


@dataclass(frozen=True)
class QuestionRow:
    question: CommunityQuestion
    author: User | None
    # The author's material connections to the community's brand (app.disclosure), shown beside the name.
    disclosures: list[Disclosure] = field(default_factory=list)


@dataclass(frozen=True)
class QuestionList:
    rows: list[QuestionRow]
    typed: str
    unanswered: bool
    page: int
    has_more: bool
    unanswered_count: int


def _authors(session: Session, user_ids: set[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    return {user.id or 0: user for user in session.exec(select(User).where(col(User.id).in_(user_ids)))}


def _rows(session: Session, community: Community, questions: Sequence[CommunityQuestion]) -> list[QuestionRow]:
    authors = _authors(session, {q.author_id for q in questions if q.author_id is not None})
    disclosures = disclosures_for(session, brand_id=community.brand_id, user_ids=authors.keys())
    return [
        QuestionRow(question, authors.get(question.author_id or 0), disclosures.get(question.author_id or 0, []))
        for question in questions
    ]


def unanswered_count(session: Session, *, community: Community) -> int:
    return session.exec(
        select(func.count())
        .select_from(CommunityQuestion)
        .where(
            CommunityQuestion.community_id == community.id,
            col(CommunityQuestion.hidden_at).is_(None),
            CommunityQuestion.answer_count == 0,
        )
    ).one()


def list_questions(
    session: Session,
    *,
    community: Community,
    typed: str = "",
    unanswered: bool = False,
    page: int = 1,
    include_hidden: bool = False,
) -> QuestionList:
    """A page of the community's questions, newest first; or the best matches for what was typed (one page)."""
    typed = typed.strip()[:200]
    query = select(CommunityQuestion).where(CommunityQuestion.community_id == community.id)
    if unanswered:
        query = query.where(CommunityQuestion.answer_count == 0)
    if typed:
        ids = search_questions(session, community_id=community.id or 0, typed=typed, limit=SEARCH_LIMIT)
        found = {q.id: q for q in session.exec(query.where(col(CommunityQuestion.id).in_(ids)))}
        questions = [found[question_id] for question_id in ids if question_id in found]
        has_more, page = False, 1
    else:
        if not include_hidden:
            query = query.where(col(CommunityQuestion.hidden_at).is_(None))
        ordered = query.order_by(col(CommunityQuestion.created_at).desc(), col(CommunityQuestion.id).desc())
        fetched = list(session.exec(ordered.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
        has_more, questions = len(fetched) > PAGE_SIZE, fetched[:PAGE_SIZE]
    return QuestionList(
        rows=_rows(session, community, questions),
        typed=typed,
        unanswered=unanswered,
        page=page,
        has_more=has_more,
        unanswered_count=unanswered_count(session, community=community),
    )


def similar_questions(
    session: Session, *, community: Community, typed: str, limit: int = SIMILAR_LIMIT
) -> list[QuestionRow]:
    """Shown questions sharing words with what is being typed (any word, rarer and more of them first)."""
    ids = search_questions(session, community_id=community.id or 0, typed=typed[:200], match="any", limit=limit)
    if not ids:
        return []
    found = {q.id: q for q in session.exec(select(CommunityQuestion).where(col(CommunityQuestion.id).in_(ids)))}
    return _rows(session, community, [found[question_id] for question_id in ids if question_id in found])


@dataclass(frozen=True)
class AnswerRow:
    answer: CommunityAnswer
    author: User | None
    disclosures: list[Disclosure] = field(default_factory=list)


@dataclass(frozen=True)
class QuestionThread:
    question: CommunityQuestion
    author: User | None
    product: Product | None
    campaign: Campaign | None
    answers: list[AnswerRow] = field(default_factory=list)
    author_disclosures: list[Disclosure] = field(default_factory=list)


def question_thread(
    session: Session, *, question: CommunityQuestion, viewer: User | None, include_hidden: bool
) -> QuestionThread:
    """The question and its answers: the accepted one first, then by votes, then oldest first. Hidden answers are
    left out except for moderators (``include_hidden``) and their own authors."""
    query = select(CommunityAnswer).where(CommunityAnswer.question_id == question.id)
    answers = [
        answer
        for answer in session.exec(
            query.order_by(
                col(CommunityAnswer.accepted_at).is_(None),
                col(CommunityAnswer.vote_count).desc(),
                col(CommunityAnswer.id),
            )
        )
        if not answer.is_hidden or include_hidden or (viewer is not None and answer.author_id == viewer.id)
    ]
    authors = _authors(
        session,
        {a.author_id for a in answers if a.author_id is not None}
        | ({question.author_id} if question.author_id is not None else set()),
    )
    community = session.get(Community, question.community_id)
    brand_id = community.brand_id if community is not None else 0
    disclosures = disclosures_for(session, brand_id=brand_id, user_ids=authors.keys())
    return QuestionThread(
        question=question,
        author=authors.get(question.author_id or 0),
        product=session.get(Product, question.product_id) if question.product_id is not None else None,
        campaign=session.get(Campaign, question.campaign_id) if question.campaign_id is not None else None,
        answers=[
            AnswerRow(answer, authors.get(answer.author_id or 0), disclosures.get(answer.author_id or 0, []))
            for answer in answers
        ],
        author_disclosures=disclosures.get(question.author_id or 0, []),
    )


def helpful_answer_count(session: Session, *, user: User) -> int:
    """How many of the member's answers are accepted now (shown answers to shown questions), in every community."""
    return session.exec(
        select(func.count())
        .select_from(CommunityAnswer)
        .join(CommunityQuestion, col(CommunityQuestion.id) == CommunityAnswer.question_id)
        .where(
            CommunityAnswer.author_id == user.id,
            col(CommunityAnswer.accepted_at).is_not(None),
            col(CommunityAnswer.hidden_at).is_(None),
            col(CommunityQuestion.hidden_at).is_(None),
        )
    ).one()


def askable_products(session: Session, *, community: Community) -> Sequence[Product]:
    """The brand's live products, to ask about."""
    return session.exec(
        select(Product)
        .where(Product.brand_id == community.brand_id, Product.status == ProductStatus.live)
        .order_by(col(Product.name))
    ).all()


def askable_campaigns(session: Session, *, community: Community) -> Sequence[Campaign]:
    """The community's published campaigns, to ask about."""
    return session.exec(
        select(Campaign)
        .where(Campaign.community_id == community.id, Campaign.status == CampaignStatus.published)
        .order_by(col(Campaign.title))
    ).all()
