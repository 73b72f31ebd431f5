"""JSON API for Community Q&A: the same services as the pages."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.deps import Public
from app.accounts.models import User
from app.columns import PageNumber, id_of
from app.communities.deps import CommunityAccess, community_access
from app.config import get_settings
from app.db import SessionDep
from app.disclosure.schemas import disclosures_public
from app.disclosure.service import Disclosure, disclosures_for
from app.permissions import Action
from app.questions import accepting, answering, asking, reading, schemas, votes
from app.questions.deps import AnswerAccess, QuestionAccess, answer_access, question_access
from app.questions.models import CommunityAnswer, CommunityQuestion
from app.questions.rules import question_link, settings_of
from app.web.requests import client_ip

router = APIRouter(tags=["questions"])


def _person(user: User | None, *, visitor_name: str = "", disclosures: Sequence[Disclosure] = ()) -> schemas.Person:
    if user is not None:
        return schemas.Person(
            handle=user.handle, display_name=user.display_name, disclosures=disclosures_public(disclosures)
        )
    if visitor_name:
        return schemas.Person(handle=None, display_name=visitor_name, is_visitor=True)
    return schemas.Person(handle=None, display_name="Someone")


def _disclosures_of(session: Session, access: CommunityAccess, user: User | None) -> list[Disclosure]:
    """The badges of one author (a post just written, or hidden): the lists get theirs from ``reading``."""
    if user is None:
        return []
    return disclosures_for(session, brand_id=access.community.brand_id, user_ids=[id_of(user)])[id_of(user)]


def _question(
    question: CommunityQuestion, author: User | None, community_slug: str, disclosures: Sequence[Disclosure] = ()
) -> schemas.QuestionPublic:
    return schemas.QuestionPublic(
        id=id_of(question),
        community_slug=community_slug,
        title=question.title,
        body=question.body,
        asked_by=_person(author, visitor_name=question.visitor_name, disclosures=disclosures),
        product_id=question.product_id,
        campaign_id=question.campaign_id,
        answer_count=question.answer_count,
        follower_count=question.follower_count,
        answered=question.answer_count > 0,
        accepted=question.accepted_at is not None,
        hidden=question.is_hidden,
        created_at=question.created_at,
        url=get_settings().base_url.rstrip("/") + question_link(question),
    )


def _answer(
    answer: CommunityAnswer, author: User | None, voted: set[int], disclosures: Sequence[Disclosure] = ()
) -> schemas.AnswerPublic:
    return schemas.AnswerPublic(
        id=id_of(answer),
        question_id=answer.question_id,
        body=answer.body,
        author=_person(author, disclosures=disclosures),
        by_brand=answer.by_staff,
        vote_count=answer.vote_count,
        voted=id_of(answer) in voted,
        accepted=answer.is_accepted,
        accepted_at=answer.accepted_at,
        hidden=answer.is_hidden,
        created_at=answer.created_at,
    )


def _detail(session: Session, access: QuestionAccess) -> schemas.QuestionDetail:
    thread = reading.question_thread(
        session,
        question=access.question,
        viewer=access.user,
        include_hidden=access.can(Action.moderate_community),
    )
    voted = votes.voted_answers(session, user=access.user, answer_ids=[id_of(row.answer) for row in thread.answers])
    summary = _question(access.question, thread.author, access.community.slug, thread.author_disclosures)
    return schemas.QuestionDetail(
        **summary.model_dump(),
        following=votes.is_following(session, question=access.question, user=access.user),
        may_accept=accepting.may_accept(session, question=access.question, user=access.user),
        answers=[_answer(row.answer, row.author, voted, row.disclosures) for row in thread.answers],
    )


@router.get(
    "/communities/{community_slug}/questions", summary="A community's questions: newest, searched or unanswered"
)
def list_questions(
    session: SessionDep,
    q: Annotated[str, Query(max_length=200, description="Full-text search; best matches first")] = "",
    unanswered: Annotated[bool, Query(description="Only questions without a shown answer")] = False,
    page: PageNumber = 1,
    access: CommunityAccess = community_access(Action.view_community),
) -> list[schemas.QuestionPublic]:
    listing = reading.list_questions(
        session,
        community=access.community,
        typed=q,
        unanswered=unanswered,
        page=page,
        include_hidden=access.can(Action.moderate_community),
    )
    return [_question(row.question, row.author, access.community.slug, row.disclosures) for row in listing.rows]


@router.post(
    "/communities/{community_slug}/questions",
    status_code=status.HTTP_201_CREATED,
    summary="Ask a question (visitors too, where the community allows it: held for a moderator)",
)
def ask_question(
    body: schemas.QuestionCreate,
    request: Request,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.ask_question),
) -> schemas.QuestionPublic:
    question = asking.ask_question(
        session,
        community=access.community,
        asker=asking.Asker(user=access.user, visitor_name=body.visitor_name, ip=client_ip(request)),
        title=body.title,
        body=body.body,
        product_id=body.product_id,
        campaign_id=body.campaign_id,
    )
    return _question(question, access.user, access.community.slug, _disclosures_of(session, access, access.user))


@router.get("/communities/{community_slug}/questions/similar", summary="Questions like a title being typed")
def similar_questions(
    session: SessionDep,
    title: Annotated[str, Query(max_length=200)] = "",
    access: CommunityAccess = community_access(Action.view_community),
) -> list[schemas.QuestionPublic]:
    rows = reading.similar_questions(session, community=access.community, typed=title)
    return [_question(row.question, row.author, access.community.slug, row.disclosures) for row in rows]


@router.get("/communities/{community_slug}/question-settings", summary="The community's Q&A setting (managers)")
def get_settings_of_questions(
    session: SessionDep, access: CommunityAccess = community_access(Action.manage_community)
) -> schemas.QuestionSettingsPublic:
    current = settings_of(session, community=access.community)
    return schemas.QuestionSettingsPublic(
        community_slug=access.community.slug, visitors_may_ask=current.visitors_may_ask
    )


@router.put("/communities/{community_slug}/question-settings", summary="Let visitors ask, or not (managers)")
def set_settings_of_questions(
    body: schemas.QuestionSettingsBody,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.manage_community),
) -> schemas.QuestionSettingsPublic:
    current = asking.set_settings(session, community=access.community, visitors_may_ask=body.visitors_may_ask)
    return schemas.QuestionSettingsPublic(
        community_slug=access.community.slug, visitors_may_ask=current.visitors_may_ask
    )


@router.get("/questions/{question_id}", summary="A question with its answers (the accepted one first)")
def get_question(
    session: SessionDep, access: QuestionAccess = question_access(Action.view_community)
) -> schemas.QuestionDetail:
    return _detail(session, access)


@router.post(
    "/questions/{question_id}/answers",
    status_code=status.HTTP_201_CREATED,
    summary="Answer a question (members and the brand's staff)",
)
def answer_question(
    body: schemas.AnswerCreate,
    session: SessionDep,
    access: QuestionAccess = question_access(Action.answer_question),
) -> schemas.AnswerPublic:
    assert access.user is not None
    answer = answering.post_answer(session, question=access.question, author=access.user, body=body.body)
    return _answer(answer, access.user, set(), _disclosures_of(session, access, access.user))


@router.put("/questions/{question_id}/follow", summary="Follow a question")
def follow(
    session: SessionDep, access: QuestionAccess = question_access(Action.follow_question)
) -> schemas.FollowState:
    assert access.user is not None
    changed = votes.follow(session, question=access.question, user=access.user)
    return schemas.FollowState(
        question_id=id_of(access.question),
        following=True,
        follower_count=access.question.follower_count,
        changed=changed,
    )


@router.delete("/questions/{question_id}/follow", summary="Stop following a question")
def unfollow(
    session: SessionDep, access: QuestionAccess = question_access(Action.follow_question)
) -> schemas.FollowState:
    assert access.user is not None
    changed = votes.unfollow(session, question=access.question, user=access.user)
    return schemas.FollowState(
        question_id=id_of(access.question),
        following=False,
        follower_count=access.question.follower_count,
        changed=changed,
    )


@router.put("/questions/{question_id}/hidden", summary="Hide a question, or show it again (moderators, managers)")
def set_question_hidden(
    body: schemas.HiddenBody,
    session: SessionDep,
    access: QuestionAccess = question_access(Action.moderate_community),
) -> schemas.QuestionDetail:
    asking.set_hidden(session, question=access.question, hidden=body.hidden)
    return _detail(session, access)


@router.put("/answers/{answer_id}/vote", summary="Vote an answer up; voting twice counts once")
def vote(session: SessionDep, access: AnswerAccess = answer_access(Action.vote_answer)) -> schemas.VoteState:
    assert access.user is not None
    changed = votes.vote(session, answer=access.answer, voter=access.user)
    return schemas.VoteState(
        answer_id=id_of(access.answer), voted=True, vote_count=access.answer.vote_count, changed=changed
    )


@router.delete("/answers/{answer_id}/vote", summary="Take one's vote back")
def unvote(session: SessionDep, access: AnswerAccess = answer_access(Action.vote_answer)) -> schemas.VoteState:
    assert access.user is not None
    changed = votes.unvote(session, answer=access.answer, voter=access.user)
    return schemas.VoteState(
        answer_id=id_of(access.answer), voted=False, vote_count=access.answer.vote_count, changed=changed
    )


@router.put(
    "/answers/{answer_id}/accepted",
    summary="Accept an answer, moving the acceptance from another (the asker or the brand's staff)",
)
def accept(session: SessionDep, access: AnswerAccess = answer_access(Action.accept_answer)) -> schemas.AcceptState:
    assert access.user is not None
    changed = accepting.accept(session, answer=access.answer, actor=access.user)
    return schemas.AcceptState(answer_id=id_of(access.answer), accepted=True, changed=changed)


@router.delete("/answers/{answer_id}/accepted", summary="Take the acceptance back (the asker or the brand's staff)")
def unaccept(session: SessionDep, access: AnswerAccess = answer_access(Action.accept_answer)) -> schemas.AcceptState:
    assert access.user is not None
    changed = accepting.unaccept(session, answer=access.answer, actor=access.user)
    return schemas.AcceptState(answer_id=id_of(access.answer), accepted=False, changed=changed)


@router.put("/answers/{answer_id}/hidden", summary="Hide an answer, or show it again (moderators, managers)")
def set_answer_hidden(
    body: schemas.HiddenBody,
    session: SessionDep,
    access: AnswerAccess = answer_access(Action.moderate_community),
) -> schemas.AnswerPublic:
    answering.set_hidden(session, answer=access.answer, hidden=body.hidden)
    author = session.get(User, access.answer.author_id) if access.answer.author_id is not None else None
    voted = votes.voted_answers(session, user=access.user, answer_ids=[id_of(access.answer)])
    return _answer(access.answer, author, voted, _disclosures_of(session, access, author))


@router.get("/users/{handle}/helpful-answers", summary="How many of a member's answers are accepted")
def helpful_answers(handle: str, session: SessionDep, viewer: Public) -> schemas.HelpfulAnswers:
    member = accounts_service.get_user_by_handle(session, handle=handle)
    return schemas.HelpfulAnswers(
        handle=member.handle, helpful_answer_count=reading.helpful_answer_count(session, user=member)
    )
