"""JSON results for brand systems (a CRM, a BI tool): every figure of the results pages, from the same services."""

from fastapi import APIRouter, Query

from app.challenges.deps import ChallengeAccess, challenge_access
from app.communities.deps import CommunityAccess, community_access
from app.db import SessionDep
from app.insights import schemas
from app.insights import service as insights_service
from app.permissions import Action

router = APIRouter(tags=["insights"])


@router.get(
    "/communities/{community_slug}/challenges/{challenge_slug}/insights",
    summary="A challenge's results: score distributions, I'd-buy rates with intervals, participation per day",
)
def challenge_results(
    session: SessionDep,
    limit: int = Query(20, ge=1, le=200, description="How many designs, best ranked first"),
    access: ChallengeAccess = challenge_access(Action.view_insights),
) -> schemas.ChallengeResults:
    return insights_service.challenge_results(
        session, community=access.community, challenge=access.challenge, limit=limit
    )


@router.get(
    "/communities/{community_slug}/insights",
    summary="A community's results: active members, joins per month, retention by cohort, top contributors",
)
def community_results(
    session: SessionDep, access: CommunityAccess = community_access(Action.view_insights)
) -> schemas.CommunityResults:
    return insights_service.community_results(session, community=access.community)
