"""The comment thread on a design or idea page: post, reply, edit and delete; htmx swaps the thread, forms work
without JS."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.challenges.deps import DesignAccess, design_access
from app.challenges.design_views import design_context
from app.comments import service as comments_service
from app.comments.deps import CommentAccess, SubjectAccess, comment_access, thread_context
from app.comments.models import Comment
from app.db import SessionDep
from app.errors import AppError
from app.i18n import _
from app.ideas.deps import IdeaAccess, idea_access
from app.ideas.views import idea_context
from app.permissions import Action
from app.web import flash
from app.web.requests import redirect
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
THREAD = "comments/_thread.html"


def _thread(request: Request, session: Session, access: SubjectAccess, *, status_code: int = 200) -> Response:
    return render(request, THREAD, thread_context(session, access), status_code=status_code)


def _failed(request: Request, session: Session, access: SubjectAccess, error: AppError, **form: object) -> Response:
    """The thread (htmx) or the whole page (no JS) again, with the message; nothing of the attempt kept."""
    session.rollback()
    extra = {"comment_error": error.message, "comment_errors": error.fields, **thread_context(session, access, **form)}
    if is_htmx(request):
        return render(request, THREAD, extra, status_code=error.status_code)
    if isinstance(access, IdeaAccess):
        return render(request, "ideas/idea.html", idea_context(session, access, **extra), status_code=error.status_code)
    return render(
        request, "challenges/design.html", design_context(session, access, **extra), status_code=error.status_code
    )


def _done(request: Request, session: Session, access: SubjectAccess, comment: Comment, message: str) -> Response:
    if is_htmx(request):
        return _thread(request, session, access)
    response = redirect(request, comments_service.comment_link(comment))
    flash.add(response, request, message)
    return response


def _add(request: Request, session: Session, access: SubjectAccess, body: str, parent_id: str) -> Response:
    assert access.user is not None
    idea = access.idea if isinstance(access, IdeaAccess) else None
    design = access.design if isinstance(access, DesignAccess) else None
    try:
        parent = (
            comments_service.get_comment(session, comment_id=int(parent_id), design=design, idea=idea)
            if parent_id.isdigit()
            else None
        )
        comment = comments_service.add_comment(
            session, author=access.user, body=body, design=design, idea=idea, parent=parent
        )
    except AppError as error:
        return _failed(request, session, access, error, body=body, parent_id=parent_id)
    return _done(request, session, access, comment, _("Your comment is posted."))


@router.post("/designs/{design_id}/comments", name="comments:add")
def add(
    request: Request,
    session: SessionDep,
    body: FormText = "",
    parent_id: FormText = "",
    access: DesignAccess = design_access(Action.comment),
) -> Response:
    return _add(request, session, access, body, parent_id)


@router.post("/ideas/{idea_id}/comments", name="comments:add_on_idea")
def add_on_idea(
    request: Request,
    session: SessionDep,
    body: FormText = "",
    parent_id: FormText = "",
    access: IdeaAccess = idea_access(Action.comment),
) -> Response:
    return _add(request, session, access, body, parent_id)


@router.post("/comments/{comment_id}/edit", name="comments:edit")
def edit(
    request: Request, session: SessionDep, body: FormText = "", access: CommentAccess = comment_access(Action.comment)
) -> Response:
    assert access.user is not None
    try:
        comments_service.edit_comment(session, comment=access.comment, editor=access.user, body=body)
    except AppError as error:
        return _failed(request, session, access.subject, error, body=body, edit_id=access.comment.id)
    return _done(request, session, access.subject, access.comment, _("Your comment is saved."))


@router.post("/comments/{comment_id}/delete", name="comments:delete")
def delete(
    request: Request, session: SessionDep, access: CommentAccess = comment_access(Action.delete_comment)
) -> Response:
    assert access.user is not None
    try:
        comments_service.delete_comment(session, comment=access.comment, actor=access.user, roles=access.roles)
    except AppError as error:
        return _failed(request, session, access.subject, error)
    return _done(request, session, access.subject, access.comment, _("The comment is deleted."))
