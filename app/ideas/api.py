"""JSON API for the ideas board: the same services as the pages."""

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status
from sqlmodel import Session

from app.accounts.models import User
from app.columns import PageNumber, id_of, utcnow
from app.communities.deps import CommunityAccess, community_access
from app.communities.models import Community
from app.db import SessionDep
from app.disclosure import service as disclosure_service
from app.disclosure.schemas import disclosures_public
from app.disclosure.service import Disclosure
from app.ideas import managing as ideas_managing
from app.ideas import posting as ideas_posting
from app.ideas import reading as ideas_reading
from app.ideas import rules as ideas_rules
from app.ideas import schemas
from app.ideas import votes as ideas_votes
from app.ideas.deps import IdeaAccess, idea_access
from app.ideas.models import IdeaCategory
from app.media import service as media_service
from app.media.models import MediaImage
from app.permissions import Action

router = APIRouter(tags=["ideas"])


def _category(category: IdeaCategory | None) -> schemas.CategoryPublic | None:
    if category is None:
        return None
    return schemas.CategoryPublic(id=id_of(category), name=category.name, slug=category.slug)


def _public(
    session: Session,
    row: ideas_reading.IdeaRow,
    *,
    community: Community,
    voted: set[int],
    images: dict[int, MediaImage] | None = None,
    disclosures: dict[int, list[Disclosure]] | None = None,
) -> schemas.IdeaPublic:
    """An idea as the API shows it; ``disclosures`` are its author's badges when a list loaded them for many."""
    idea = row.idea
    author_id = row.author.id if row.author is not None else None
    if disclosures is None:
        disclosures = disclosure_service.disclosures_for(
            session, brand_id=community.brand_id, user_ids=[author_id] if author_id is not None else []
        )
    image = None
    if idea.image_id is not None:
        image = (images or {}).get(idea.image_id) or session.get(MediaImage, idea.image_id)
    return schemas.IdeaPublic(
        id=id_of(idea),
        community_slug=community.slug,
        title=idea.title,
        description=idea.description,
        status=idea.status,
        category=_category(row.category),
        tags=idea.tag_list,
        author_handle=row.author.handle if row.author is not None else None,
        disclosures=disclosures_public(disclosures.get(author_id, []) if author_id is not None else []),
        vote_count=idea.vote_count,
        follower_count=idea.follower_count,
        comment_count=idea.comment_count,
        trending=round(ideas_rules.trending_now(idea, utcnow()), 4),
        photo_url=media_service.rendition_url(image, "display") if image is not None else None,
        thumbnail_url=media_service.rendition_url(image, "thumbnail") if image is not None else None,
        response=idea.response or None,
        response_at=idea.response_at,
        merged_into_id=idea.merged_into_id,
        hidden=idea.is_hidden,
        created_at=idea.created_at,
        status_changed_at=idea.status_changed_at,
        voted=id_of(idea) in voted,
    )


def _many(
    session: Session, rows: list[ideas_reading.IdeaRow], community: Community, user: User | None
) -> list[schemas.IdeaPublic]:
    ideas = [row.idea for row in rows]
    voted = ideas_votes.voted_ideas(session, user=user, idea_ids=[id_of(idea) for idea in ideas])
    images = ideas_reading.images_of(session, ideas=ideas)
    disclosures = disclosure_service.disclosures_for(
        session, brand_id=community.brand_id, user_ids=[id_of(row.author) for row in rows if row.author is not None]
    )
    return [
        _public(session, row, community=community, voted=voted, images=images, disclosures=disclosures) for row in rows
    ]


def _one(session: Session, access: IdeaAccess) -> schemas.IdeaPublic:
    row = ideas_reading.idea_row(session, idea=access.idea)
    voted = {id_of(access.idea)} if ideas_votes.has_voted(session, idea=access.idea, user=access.user) else set()
    return _public(session, row, community=access.community, voted=voted)


@router.get("/communities/{community_slug}/ideas", summary="A community's ideas: filtered, sorted or searched")
def list_ideas(
    session: SessionDep,
    sort: Annotated[str, Query(description="trending, top or newest")] = "trending",
    status_filter: Annotated[str, Query(alias="status", description="Only ideas with this status")] = "",
    category: Annotated[str, Query(description="A category slug")] = "",
    tag: str = "",
    q: Annotated[str, Query(max_length=200, description="Full-text search; best matches first")] = "",
    page: PageNumber = 1,
    access: CommunityAccess = community_access(Action.view_ideas),
) -> list[schemas.IdeaPublic]:
    board = ideas_reading.list_board(
        session,
        community=access.community,
        viewer=access.user,
        sort=sort,
        status=status_filter,
        category=category,
        tag=tag,
        typed=q,
        page=page,
        include_hidden=access.can(Action.hide_idea),
    )
    return _many(session, board.rows, access.community, access.user)


@router.post(
    "/communities/{community_slug}/ideas", status_code=status.HTTP_201_CREATED, summary="Post an idea (no photo)"
)
def create_idea(
    body: schemas.IdeaCreate, session: SessionDep, access: CommunityAccess = community_access(Action.post_idea)
) -> schemas.IdeaPublic:
    assert access.user is not None
    idea = ideas_posting.post_idea(
        session,
        community=access.community,
        author=access.user,
        title=body.title,
        description=body.description,
        category_id=body.category_id,
    )
    row = ideas_reading.idea_row(session, idea=idea)
    return _public(session, row, community=access.community, voted=set())


@router.get("/communities/{community_slug}/ideas/similar", summary="Ideas like a title being typed, best first")
def similar_ideas(
    session: SessionDep,
    title: Annotated[str, Query(max_length=200)] = "",
    access: CommunityAccess = community_access(Action.view_ideas),
) -> list[schemas.IdeaPublic]:
    rows = ideas_reading.similar_ideas(session, community=access.community, typed=title)
    return _many(session, rows, access.community, access.user)


@router.get("/communities/{community_slug}/roadmap", summary="Ideas grouped by status, by votes or trending")
def roadmap(
    session: SessionDep,
    sort: Annotated[str, Query(description="top or trending")] = "top",
    access: CommunityAccess = community_access(Action.view_ideas),
) -> schemas.Roadmap:
    plan = ideas_reading.roadmap(session, community=access.community, sort=sort)
    return schemas.Roadmap(
        sort=plan.sort,
        columns=[
            schemas.RoadmapColumn(
                status=column_status,
                count=plan.counts[column_status],
                ideas=_many(session, rows, access.community, access.user),
            )
            for column_status, rows in plan.columns.items()
        ],
    )


@router.get("/communities/{community_slug}/changelog", summary="Done ideas, most recently done first")
def changelog(
    session: SessionDep, access: CommunityAccess = community_access(Action.view_ideas)
) -> list[schemas.IdeaPublic]:
    return _many(session, ideas_reading.changelog(session, community=access.community), access.community, access.user)


@router.get("/communities/{community_slug}/idea-categories", summary="A community's idea categories")
def list_categories(
    session: SessionDep, access: CommunityAccess = community_access(Action.view_ideas)
) -> list[schemas.CategoryPublic]:
    return [
        schemas.CategoryPublic(id=id_of(category), name=category.name, slug=category.slug)
        for category in ideas_posting.list_categories(session, community=access.community)
    ]


@router.post(
    "/communities/{community_slug}/idea-categories", status_code=status.HTTP_201_CREATED, summary="Add a category"
)
def create_category(
    body: schemas.CategoryCreate, session: SessionDep, access: CommunityAccess = community_access(Action.manage_ideas)
) -> schemas.CategoryPublic:
    category = ideas_posting.create_category(session, community=access.community, name=body.name)
    return schemas.CategoryPublic(id=id_of(category), name=category.name, slug=category.slug)


@router.get("/ideas/{idea_id}", summary="One idea")
def get_idea(session: SessionDep, access: IdeaAccess = idea_access(Action.view_ideas)) -> schemas.IdeaPublic:
    return _one(session, access)


@router.put("/ideas/{idea_id}/photo", summary="Set the photo of one's own idea (PNG, JPEG or WebP)")
def set_photo(
    session: SessionDep, photo: Annotated[UploadFile, File()], access: IdeaAccess = idea_access(Action.post_idea)
) -> schemas.IdeaPublic:
    assert access.user is not None
    ideas_posting.set_photo(
        session,
        idea=access.idea,
        author=access.user,
        photo=ideas_posting.Photo(photo.file, photo.filename or "", photo.content_type or ""),
    )
    return _one(session, access)


@router.put("/ideas/{idea_id}/vote", summary="Vote for an idea (and follow it); voting twice counts once")
def vote(session: SessionDep, access: IdeaAccess = idea_access(Action.vote_idea)) -> schemas.VoteState:
    assert access.user is not None
    changed = ideas_votes.vote(session, idea=access.idea, voter=access.user)
    return schemas.VoteState(idea_id=id_of(access.idea), voted=True, vote_count=access.idea.vote_count, changed=changed)


@router.delete("/ideas/{idea_id}/vote", summary="Take one's vote back")
def unvote(session: SessionDep, access: IdeaAccess = idea_access(Action.vote_idea)) -> schemas.VoteState:
    assert access.user is not None
    changed = ideas_votes.unvote(session, idea=access.idea, voter=access.user)
    return schemas.VoteState(
        idea_id=id_of(access.idea), voted=False, vote_count=access.idea.vote_count, changed=changed
    )


@router.put("/ideas/{idea_id}/follow", summary="Follow an idea")
def follow(session: SessionDep, access: IdeaAccess = idea_access(Action.follow_idea)) -> schemas.FollowState:
    assert access.user is not None
    changed = ideas_votes.follow(session, idea=access.idea, user=access.user)
    return schemas.FollowState(
        idea_id=id_of(access.idea), following=True, follower_count=access.idea.follower_count, changed=changed
    )


@router.delete("/ideas/{idea_id}/follow", summary="Stop following an idea")
def unfollow(session: SessionDep, access: IdeaAccess = idea_access(Action.follow_idea)) -> schemas.FollowState:
    assert access.user is not None
    changed = ideas_votes.unfollow(session, idea=access.idea, user=access.user)
    return schemas.FollowState(
        idea_id=id_of(access.idea), following=False, follower_count=access.idea.follower_count, changed=changed
    )


@router.post("/ideas/{idea_id}/status", summary="Move an idea to another status (managers)")
def change_status(
    body: schemas.StatusChange, session: SessionDep, access: IdeaAccess = idea_access(Action.manage_ideas)
) -> schemas.IdeaPublic:
    assert access.user is not None
    ideas_managing.change_status(session, idea=access.idea, actor=access.user, status=body.status)
    return _one(session, access)


@router.put("/ideas/{idea_id}/response", summary="Give or change the official response (managers)")
def respond(
    body: schemas.ResponseBody, session: SessionDep, access: IdeaAccess = idea_access(Action.manage_ideas)
) -> schemas.IdeaPublic:
    assert access.user is not None
    ideas_managing.respond(session, idea=access.idea, actor=access.user, body=body.response)
    return _one(session, access)


@router.put("/ideas/{idea_id}/tags", summary="Replace an idea's tags (managers)")
def set_tags(
    body: schemas.TagsBody, session: SessionDep, access: IdeaAccess = idea_access(Action.manage_ideas)
) -> schemas.IdeaPublic:
    ideas_managing.set_tags(session, idea=access.idea, tags=",".join(body.tags))
    return _one(session, access)


@router.post("/ideas/{idea_id}/merge", summary="Merge this duplicate into an original idea (managers)")
def merge(
    body: schemas.MergeBody, session: SessionDep, access: IdeaAccess = idea_access(Action.manage_ideas)
) -> schemas.IdeaPublic:
    assert access.user is not None
    original = ideas_posting.get_idea(session, idea_id=body.into)
    ideas_managing.merge(session, duplicate=access.idea, original=original, actor=access.user)
    row = ideas_reading.idea_row(session, idea=original)
    voted = ideas_votes.voted_ideas(session, user=access.user, idea_ids=[id_of(original)])
    return _public(session, row, community=access.community, voted=voted)


@router.put("/ideas/{idea_id}/hidden", summary="Hide an idea from the board, or show it again (moderators, managers)")
def set_hidden(
    body: schemas.HiddenBody, session: SessionDep, access: IdeaAccess = idea_access(Action.hide_idea)
) -> schemas.IdeaPublic:
    ideas_managing.set_hidden(session, idea=access.idea, hidden=body.hidden)
    return _one(session, access)
