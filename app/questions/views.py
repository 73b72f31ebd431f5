"""HTML pages of Community Q&A: the questions with search and the unanswered filter, the ask form with live
similar-question suggestions, a question with its answers (vote, accept, follow, answer) and the moderators' and
managers' tools."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.brands.models import Brand
from app.columns import PageNumber, id_of
from app.communities.deps import CommunityAccess, community_access
from app.db import SessionDep
from app.errors import AppError, Invalid
from app.i18n import _
from app.permissions import Action
from app.questions import accepting, answering, asking, reading, votes
from app.questions.deps import AnswerAccess, QuestionAccess, answer_access, question_access
from app.questions.rules import FIX_MARKED_FIELDS, answer_link, question_link, settings_of
from app.web import flash
from app.web.forms import form_error
from app.web.requests import client_ip, redirect
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]


def _base(session: Session, access: CommunityAccess, **extra: object) -> dict[str, Any]:
    return {
        "community": access.community,
        "access": access,
        "Action": Action,
        "may_ask": asking.may_ask(session, community=access.community, user=access.user),
        **extra,
    }


def _list_url(access: CommunityAccess) -> str:
    return f"/c/{access.community.slug}/questions"


# --- The list -------------------------------------------------------------------------------------------------


def _list_context(
    session: Session, access: CommunityAccess, *, q: str = "", unanswered: bool = False, page: int = 1, **extra: object
) -> dict[str, Any]:
    listing = reading.list_questions(
        session,
        community=access.community,
        typed=q,
        unanswered=unanswered,
        page=page,
        include_hidden=access.can(Action.moderate_community),
    )
    return _base(
        session,
        access,
        listing=listing,
        visitors_may_ask=settings_of(session, community=access.community).visitors_may_ask,
        brand=session.get(Brand, access.community.brand_id),
        **extra,
    )


@router.get("/c/{community_slug}/questions", name="questions:list")
def question_list(
    request: Request,
    session: SessionDep,
    q: str = "",
    unanswered: str = "",
    page: PageNumber = 1,
    access: CommunityAccess = community_access(Action.view_community),
) -> Response:
    context = _list_context(session, access, q=q[:200], unanswered=bool(unanswered), page=page)
    return render(request, "questions/list.html", context, block="results")


@router.post("/c/{community_slug}/questions/settings", name="questions:settings")
def save_settings(
    request: Request,
    session: SessionDep,
    visitors_may_ask: FormText = "",
    access: CommunityAccess = community_access(Action.manage_community),
) -> Response:
    asking.set_settings(session, community=access.community, visitors_may_ask=bool(visitors_may_ask))
    response = redirect(request, _list_url(access))
    flash.add(
        response,
        request,
        _("Visitors may now ask; a moderator approves their questions first.")
        if visitors_may_ask
        else _("Only members may ask now."),
    )
    return response


# --- Asking ---------------------------------------------------------------------------------------------------


def _form_context(session: Session, access: CommunityAccess, form: dict[str, str], **extra: object) -> dict[str, Any]:
    return _base(
        session,
        access,
        form=form,
        direct=asking.may_ask_directly(session, community=access.community, user=access.user),
        products=reading.askable_products(session, community=access.community),
        campaigns=reading.askable_campaigns(session, community=access.community),
        similar=reading.similar_questions(session, community=access.community, typed=form.get("title", ""))
        if form.get("title")
        else [],
        **extra,
    )


@router.get("/c/{community_slug}/questions/new", name="questions:new")
def new_page(
    request: Request,
    session: SessionDep,
    title: str = "",
    access: CommunityAccess = community_access(Action.ask_question),
) -> Response:
    return render(request, "questions/new.html", _form_context(session, access, {"title": title[:200]}))


@router.get("/c/{community_slug}/questions/similar", name="questions:similar")
def similar(
    request: Request,
    session: SessionDep,
    title: str = "",
    access: CommunityAccess = community_access(Action.view_community),
) -> Response:
    """Questions like the one being typed: the ask form swaps this in as one types (a page of its own without JS)."""
    rows = reading.similar_questions(session, community=access.community, typed=title[:200])
    return render(
        request, "questions/similar.html", _base(session, access, similar=rows, title=title[:200]), block="similar"
    )


def _optional_id(value: str, field: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 2**31 - 1:
        raise Invalid(_(FIX_MARKED_FIELDS), fields={field: _("Choose one from the list.")})
    return int(value)


@router.post("/c/{community_slug}/questions/new")
def ask(
    request: Request,
    session: SessionDep,
    title: FormText = "",
    body: FormText = "",
    visitor_name: FormText = "",
    product_id: FormText = "",
    campaign_id: FormText = "",
    check: FormText = "",
    access: CommunityAccess = community_access(Action.ask_question),
) -> Response:
    """Ask; the "check for similar questions" button (the form without JS) shows the suggestions instead."""
    form = {
        "title": title,
        "body": body,
        "visitor_name": visitor_name,
        "product_id": product_id,
        "campaign_id": campaign_id,
    }
    if check:
        return render(request, "questions/new.html", _form_context(session, access, form, checked=True))
    try:
        question = asking.ask_question(
            session,
            community=access.community,
            asker=asking.Asker(user=access.user, visitor_name=visitor_name, ip=client_ip(request)),
            title=title,
            body=body,
            product_id=_optional_id(product_id, "product_id"),
            campaign_id=_optional_id(campaign_id, "campaign_id"),
        )
    except AppError as error:
        return form_error(request, session, "questions/new.html", _form_context(session, access, form), error)
    if question.is_hidden and access.user is None:
        response = redirect(request, _list_url(access))
        flash.add(response, request, _("Thank you: your question is posted once a moderator has read it."))
        return response
    response = redirect(request, question_link(question))
    if question.is_hidden:
        flash.add(response, request, _("Your question waits for a moderator's approval; you will hear of answers."))
    else:
        flash.add(response, request, _("Your question is posted. You follow it, so you will hear of answers."))
    return response


# --- A question -----------------------------------------------------------------------------------------------


def question_context(session: Session, access: QuestionAccess, **extra: object) -> dict[str, Any]:
    thread = reading.question_thread(
        session,
        question=access.question,
        viewer=access.user,
        include_hidden=access.can(Action.moderate_community),
    )
    context = _base(
        session,
        access,
        thread=thread,
        question=access.question,
        voted=votes.voted_answers(session, user=access.user, answer_ids=[id_of(row.answer) for row in thread.answers]),
        following=votes.is_following(session, question=access.question, user=access.user),
        may_accept=accepting.may_accept(session, question=access.question, user=access.user),
        answer_form={},
    )
    context.update(extra)
    return context


@router.get("/questions/{question_id}", name="questions:detail")
def detail(
    request: Request, session: SessionDep, access: QuestionAccess = question_access(Action.view_community)
) -> Response:
    return render(request, "questions/question.html", question_context(session, access))


@router.post("/questions/{question_id}/answers", name="questions:answer")
def answer(
    request: Request,
    session: SessionDep,
    body: FormText = "",
    access: QuestionAccess = question_access(Action.answer_question),
) -> Response:
    assert access.user is not None
    try:
        posted = answering.post_answer(session, question=access.question, author=access.user, body=body)
    except AppError as error:
        context = question_context(session, access, answer_form={"body": body})
        return form_error(request, session, "questions/question.html", context, error)
    response = redirect(request, answer_link(posted))
    flash.add(
        response,
        request,
        _("Your answer waits for a moderator's approval.") if posted.is_hidden else _("Your answer is posted."),
    )
    return response


def _back(request: Request, access: QuestionAccess, message: str, level: flash.Level = "success") -> Response:
    response = redirect(request, question_link(access.question))
    flash.add(response, request, message, level)
    return response


@router.post("/questions/{question_id}/follow", name="questions:follow")
def follow(
    request: Request, session: SessionDep, access: QuestionAccess = question_access(Action.follow_question)
) -> Response:
    assert access.user is not None
    votes.follow(session, question=access.question, user=access.user)
    return _follow_box(request, session, access, _("You follow this question."))


@router.post("/questions/{question_id}/unfollow", name="questions:unfollow")
def unfollow(
    request: Request, session: SessionDep, access: QuestionAccess = question_access(Action.follow_question)
) -> Response:
    assert access.user is not None
    votes.unfollow(session, question=access.question, user=access.user)
    return _follow_box(request, session, access, _("You no longer follow this question."))


def _follow_box(request: Request, session: Session, access: QuestionAccess, message: str) -> Response:
    """After a follow: the updated box (htmx), or back to the question (no JS)."""
    if is_htmx(request):
        following = votes.is_following(session, question=access.question, user=access.user)
        context = _base(session, access, question=access.question, following=following)
        return render(request, "questions/_follow.html", context)
    return _back(request, access, message)


@router.post("/questions/{question_id}/hide", name="questions:hide")
def hide_question(
    request: Request,
    session: SessionDep,
    hidden: FormText = "",
    access: QuestionAccess = question_access(Action.moderate_community),
) -> Response:
    asking.set_hidden(session, question=access.question, hidden=bool(hidden))
    return _back(request, access, _("The question is hidden.") if hidden else _("The question is shown again."))


# --- An answer ------------------------------------------------------------------------------------------------


def _vote_box(
    request: Request, session: Session, access: AnswerAccess, *, error: str = "", status: int = 200
) -> Response:
    voted = votes.voted_answers(session, user=access.user, answer_ids=[id_of(access.answer)])
    context = _base(session, access, answer=access.answer, question=access.question, voted=voted, vote_error=error)
    return render(request, "questions/_vote.html", context, status_code=status)


def _answer_vote(request: Request, session: Session, access: AnswerAccess, *, up: bool) -> Response:
    assert access.user is not None
    try:
        if up:
            votes.vote(session, answer=access.answer, voter=access.user)
        else:
            votes.unvote(session, answer=access.answer, voter=access.user)
    except AppError as error:
        session.rollback()
        if is_htmx(request):
            return _vote_box(request, session, access, error=error.message, status=error.status_code)
        return _back(request, access, error.message, "error")
    if is_htmx(request):
        return _vote_box(request, session, access)
    return _back(request, access, _("Your vote is counted.") if up else _("Your vote is taken back."))


@router.post("/answers/{answer_id}/vote", name="questions:vote")
def vote(request: Request, session: SessionDep, access: AnswerAccess = answer_access(Action.vote_answer)) -> Response:
    return _answer_vote(request, session, access, up=True)


@router.post("/answers/{answer_id}/unvote", name="questions:unvote")
def unvote(request: Request, session: SessionDep, access: AnswerAccess = answer_access(Action.vote_answer)) -> Response:
    return _answer_vote(request, session, access, up=False)


@router.post("/answers/{answer_id}/accept", name="questions:accept")
def accept(
    request: Request, session: SessionDep, access: AnswerAccess = answer_access(Action.accept_answer)
) -> Response:
    assert access.user is not None
    try:
        accepting.accept(session, answer=access.answer, actor=access.user)
    except AppError as error:
        session.rollback()
        return _back(request, access, error.message, "error")
    return _back(request, access, _("The answer is accepted; its author and the followers are told."))


@router.post("/answers/{answer_id}/unaccept", name="questions:unaccept")
def unaccept(
    request: Request, session: SessionDep, access: AnswerAccess = answer_access(Action.accept_answer)
) -> Response:
    assert access.user is not None
    try:
        accepting.unaccept(session, answer=access.answer, actor=access.user)
    except AppError as error:
        session.rollback()
        return _back(request, access, error.message, "error")
    return _back(request, access, _("The answer is no longer accepted."))


@router.post("/answers/{answer_id}/hide", name="questions:hide_answer")
def hide_answer(
    request: Request,
    session: SessionDep,
    hidden: FormText = "",
    access: AnswerAccess = answer_access(Action.moderate_community),
) -> Response:
    answering.set_hidden(session, answer=access.answer, hidden=bool(hidden))
    return _back(request, access, _("The answer is hidden.") if hidden else _("The answer is shown again."))
