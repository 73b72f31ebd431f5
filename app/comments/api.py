"""JSON API for comments on designs and ideas: the same services as the pages."""

from fastapi import APIRouter, Response, status
from sqlmodel import Session

from app.accounts.models import User
from app.challenges.deps import DesignAccess, design_access
from app.columns import id_of
from app.comments import schemas
from app.comments import service as comments_service
from app.comments.deps import CommentAccess, SubjectAccess, comment_access
from app.comments.models import Comment
from app.db import SessionDep
from app.disclosure import service as disclosure_service
from app.disclosure.schemas import disclosures_public
from app.disclosure.service import Disclosure
from app.ideas.deps import IdeaAccess, idea_access
from app.permissions import Action

router = APIRouter(tags=["comments"])


def _public(
    comment: Comment,
    author: User,
    disclosures: dict[int, list[Disclosure]],
    replies: list[schemas.CommentPublic] | None = None,
) -> schemas.CommentPublic:
    return schemas.CommentPublic(
        id=id_of(comment),
        design_id=comment.design_id,
        idea_id=comment.idea_id,
        parent_id=comment.parent_id,
        author_handle=author.handle,
        author_display_name=author.display_name,
        disclosures=disclosures_public(disclosures.get(id_of(author), [])),
        body=None if comment.is_deleted else comment.body,
        created_at=comment.created_at,
        edited_at=comment.edited_at,
        deleted=comment.is_deleted,
        hidden=comment.is_hidden,
        replies=replies or [],
    )


def _thread(session: Session, access: SubjectAccess) -> list[schemas.CommentPublic]:
    idea = access.idea if isinstance(access, IdeaAccess) else None
    design = access.design if isinstance(access, DesignAccess) else None
    thread = comments_service.list_thread(
        session, design=design, idea=idea, viewer=access.user, may_moderate=access.can(Action.moderate_comments)
    )
    disclosures = comments_service.thread_disclosures(session, community=access.community, thread=thread)
    return [
        _public(
            entry.comment,
            entry.author,
            disclosures,
            [_public(reply.comment, reply.author, disclosures) for reply in entry.replies],
        )
        for entry in thread
    ]


def _own(session: Session, access: SubjectAccess, comment: Comment, author: User) -> schemas.CommentPublic:
    disclosures = disclosure_service.disclosures_for(
        session, brand_id=access.community.brand_id, user_ids=[id_of(author)]
    )
    return _public(comment, author, disclosures)


def _add(session: Session, access: SubjectAccess, body: schemas.CommentCreate) -> schemas.CommentPublic:
    assert access.user is not None
    idea = access.idea if isinstance(access, IdeaAccess) else None
    design = access.design if isinstance(access, DesignAccess) else None
    parent = (
        comments_service.get_comment(session, comment_id=body.parent_id, design=design, idea=idea)
        if body.parent_id is not None
        else None
    )
    comment = comments_service.add_comment(
        session, author=access.user, body=body.body, design=design, idea=idea, parent=parent
    )
    return _own(session, access, comment, access.user)


@router.get("/designs/{design_id}/comments", summary="A design's comments, as threads oldest first")
def list_comments(
    session: SessionDep, access: DesignAccess = design_access(Action.view_challenge)
) -> list[schemas.CommentPublic]:
    return _thread(session, access)


@router.post("/designs/{design_id}/comments", status_code=status.HTTP_201_CREATED, summary="Comment or reply")
def add_comment(
    body: schemas.CommentCreate, session: SessionDep, access: DesignAccess = design_access(Action.comment)
) -> schemas.CommentPublic:
    return _add(session, access, body)


@router.get("/ideas/{idea_id}/comments", summary="An idea's comments, as threads oldest first")
def list_idea_comments(
    session: SessionDep, access: IdeaAccess = idea_access(Action.view_ideas)
) -> list[schemas.CommentPublic]:
    return _thread(session, access)


@router.post("/ideas/{idea_id}/comments", status_code=status.HTTP_201_CREATED, summary="Comment on an idea, or reply")
def add_idea_comment(
    body: schemas.CommentCreate, session: SessionDep, access: IdeaAccess = idea_access(Action.comment)
) -> schemas.CommentPublic:
    return _add(session, access, body)


@router.patch("/comments/{comment_id}", summary="Edit one's own comment, within the edit window")
def edit_comment(
    body: schemas.CommentUpdate, session: SessionDep, access: CommentAccess = comment_access(Action.comment)
) -> schemas.CommentPublic:
    assert access.user is not None
    comment = comments_service.edit_comment(session, comment=access.comment, editor=access.user, body=body.body)
    return _own(session, access.subject, comment, access.user)


@router.delete(
    "/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a comment (it stays, marked)"
)
def delete_comment(session: SessionDep, access: CommentAccess = comment_access(Action.delete_comment)) -> Response:
    assert access.user is not None
    comments_service.delete_comment(session, comment=access.comment, actor=access.user, roles=access.roles)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
