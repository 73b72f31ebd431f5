"""HTML pages for finding designs: across the communities one may see, and within one community (a plain GET form,
so every search has an address to share; htmx swaps the results as filters change)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.deps import Public
from app.accounts.models import User
from app.challenges import designs as challenge_designs
from app.challenges import search as design_search
from app.challenges.views import PHASE_LABELS
from app.columns import PageNumber
from app.communities.deps import CommunityAccess, community_access
from app.communities.models import Community
from app.db import SessionDep
from app.i18n import N_, _
from app.permissions import Action
from app.web.templating import render

router = APIRouter(include_in_schema=False)
SORT_LABELS = {"relevance": N_("Best match"), "newest": N_("Newest"), "top": N_("Top scored")}


def search_from(
    q: Annotated[str, Query(max_length=200)] = "",
    challenge: Annotated[str, Query(max_length=60)] = "",
    phase: Annotated[str, Query(max_length=30)] = "",
    tag: Annotated[str, Query(max_length=40)] = "",
    winners: Annotated[str, Query(max_length=5)] = "",
    sort: Annotated[str, Query(max_length=20)] = "",
    page: PageNumber = 1,
) -> design_search.DesignSearch:
    """The search form's fields, as typed (the service drops what it does not know)."""
    return design_search.DesignSearch(
        typed=q, challenge=challenge, phase=phase, tag=tag, winners_only=bool(winners), sort=sort, page=page
    )


SearchFromQuery = Annotated[design_search.DesignSearch, Depends(search_from)]


def _page(
    request: Request,
    session: Session,
    *,
    search: design_search.DesignSearch,
    viewer: User | None,
    community: Community | None,
    action: str,
) -> Response:
    results = design_search.find_designs(session, search=search, viewer=viewer, community=community)
    images = challenge_designs.images_by_id(session, designs=[hit.design for hit in results.found])
    context: dict[str, Any] = {
        "results": results,
        "form": results.search,
        "community": community,
        "action": action,
        "thumbnails": {key: challenge_designs.rendition_urls(image)["thumbnail"] for key, image in images.items()},
        "phase_labels": PHASE_LABELS,
        "phases": design_search.PHASES,
        "sort_labels": {sort: _(label) for sort, label in SORT_LABELS.items()},
        "challenges": design_search.list_community_challenges(session, community=community) if community else [],
    }
    return render(request, "challenges/find.html", context, block="results")


@router.get("/designs", name="challenges:find")
def find_everywhere(request: Request, session: SessionDep, viewer: Public, search: SearchFromQuery) -> Response:
    return _page(request, session, search=search, viewer=viewer, community=None, action="/designs")


@router.get("/c/{community_slug}/designs", name="challenges:find_in_community")
def find_in_community(
    request: Request,
    session: SessionDep,
    search: SearchFromQuery,
    access: CommunityAccess = community_access(Action.view_challenge),
) -> Response:
    return _page(
        request,
        session,
        search=search,
        viewer=access.user,
        community=access.community,
        action=f"/c/{access.community.slug}/designs",
    )
