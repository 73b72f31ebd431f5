"""JSON routes for finding designs: the same search as the pages, across communities and within one."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from app.accounts.deps import Public
from app.accounts.models import User
from app.challenges import designs as challenge_designs
from app.challenges import schemas
from app.challenges import search as design_search
from app.columns import PageNumber, id_of
from app.communities.deps import CommunityAccess, community_access
from app.communities.models import Community
from app.db import SessionDep
from app.permissions import Action

router = APIRouter(tags=["challenges"])
PhaseFilter = Literal["upcoming", "submissions_open", "scoring", "closed", "winners_announced"]


def search_from(
    q: Annotated[str, Query(max_length=200, description="Words from a title, description, tag or designer")] = "",
    challenge: Annotated[str, Query(max_length=60, description="A challenge's slug (within a community)")] = "",
    phase: Annotated[PhaseFilter | None, Query()] = None,
    tag: Annotated[str, Query(max_length=40)] = "",
    winners_only: bool = False,
    sort: Annotated[
        Literal["relevance", "newest", "top"] | None,
        Query(description="relevance (the default with words), newest (without), or top scored (public scores)"),
    ] = None,
    page: PageNumber = 1,
) -> design_search.DesignSearch:
    return design_search.DesignSearch(
        typed=q,
        challenge=challenge,
        phase=phase or "",
        tag=tag,
        winners_only=winners_only,
        sort=sort or "",
        page=page,
    )


SearchFromQuery = Annotated[design_search.DesignSearch, Depends(search_from)]


def _page(
    session: Session, *, search: design_search.DesignSearch, viewer: User | None, community: Community | None
) -> schemas.DesignSearchPage:
    results = design_search.find_designs(session, search=search, viewer=viewer, community=community)
    images = challenge_designs.images_by_id(session, designs=[hit.design for hit in results.found])
    return schemas.DesignSearchPage(
        designs=[
            schemas.DesignHit(
                id=id_of(hit.design),
                title=hit.design.title,
                tags=hit.design.tag_list,
                designer_handle=hit.designer.handle,
                designer_name=hit.designer.display_name,
                challenge_slug=hit.challenge.slug,
                challenge_title=hit.challenge.title,
                community_slug=hit.community.slug,
                phase=hit.phase,
                is_winner=hit.is_announced_winner,
                thumbnail_url=challenge_designs.rendition_urls(images[hit.design.image_id])["thumbnail"],
                created_at=hit.design.created_at,
            )
            for hit in results.found
        ],
        page=results.page,
        has_more=results.has_more,
        sort=results.search.sort,
    )


@router.get(
    "/designs",
    response_model=schemas.DesignSearchPage,
    summary="Find designs across the communities you may see",
    description="Public communities, and the invite-only ones you belong to; hidden and withdrawn designs never.",
)
def find_everywhere(session: SessionDep, viewer: Public, search: SearchFromQuery) -> schemas.DesignSearchPage:
    return _page(session, search=search, viewer=viewer, community=None)


@router.get(
    "/communities/{community_slug}/designs",
    response_model=schemas.DesignSearchPage,
    summary="Find designs in a community",
)
def find_in_community(
    session: SessionDep, search: SearchFromQuery, access: CommunityAccess = community_access(Action.view_challenge)
) -> schemas.DesignSearchPage:
    return _page(session, search=search, viewer=access.user, community=access.community)
