"""HTML results pages for brand staff: a challenge's and a community's, their printable reports and CSV exports."""

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from app.challenges.deps import ChallengeAccess, challenge_access
from app.communities.deps import CommunityAccess, community_access
from app.db import SessionDep
from app.insights import figures
from app.insights import service as insights_service
from app.insights.exports import csv_chunks
from app.permissions import Action
from app.web.templating import render

router = APIRouter(include_in_schema=False)
DESIGN_LIMITS = (20, 50, 200)


def csv_download(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> StreamingResponse:
    return StreamingResponse(
        csv_chunks(header, rows),
        media_type="text/csv; charset=utf-8",  # i18n: ignore
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},  # i18n: ignore
    )


def _challenge_page(
    request: Request, session: SessionDep, access: ChallengeAccess, *, limit: int, report: bool
) -> Response:
    results = insights_service.challenge_results(
        session, community=access.community, challenge=access.challenge, limit=limit
    )
    context: dict[str, Any] = {
        "community": access.community,
        "challenge": access.challenge,
        "results": results,
        "charts": figures.challenge_charts(results),
        "design_charts": [(design, figures.design_chart(design)) for design in results.designs],
        "limit": limit,
        "limits": DESIGN_LIMITS,
        "report": report,
    }
    return render(request, "insights/challenge.html", context, block="designs")


@router.get("/c/{community_slug}/challenges/{challenge_slug}/insights", name="insights:challenge")
def challenge_page(
    request: Request,
    session: SessionDep,
    limit: int = Query(20),
    access: ChallengeAccess = challenge_access(Action.view_insights),
) -> Response:
    limit = limit if limit in DESIGN_LIMITS else DESIGN_LIMITS[0]
    return _challenge_page(request, session, access, limit=limit, report=False)


@router.get("/c/{community_slug}/challenges/{challenge_slug}/insights/report", name="insights:challenge_report")
def challenge_report(
    request: Request, session: SessionDep, access: ChallengeAccess = challenge_access(Action.view_insights)
) -> Response:
    return _challenge_page(request, session, access, limit=DESIGN_LIMITS[-1], report=True)


@router.get("/c/{community_slug}/challenges/{challenge_slug}/insights/export.csv", name="insights:challenge_csv")
def challenge_csv(
    session: SessionDep,
    table: str = Query("designs"),
    access: ChallengeAccess = challenge_access(Action.view_insights),
) -> Response:
    header, rows = insights_service.challenge_rows(
        session, community=access.community, challenge=access.challenge, table=table
    )
    # Challenge figures are a few hundred rows: read now, while the request's session is open.
    return csv_download(f"{access.challenge.slug}-{table}.csv", header, list(rows))


def _community_page(request: Request, session: SessionDep, access: CommunityAccess, *, report: bool) -> Response:
    results = insights_service.community_results(session, community=access.community)
    context = {
        "community": access.community,
        "results": results,
        "charts": figures.community_charts(results),
        "report": report,
    }
    return render(request, "insights/community.html", context)


@router.get("/c/{community_slug}/insights", name="insights:community")
def community_page(
    request: Request, session: SessionDep, access: CommunityAccess = community_access(Action.view_insights)
) -> Response:
    return _community_page(request, session, access, report=False)


@router.get("/c/{community_slug}/insights/report", name="insights:community_report")
def community_report(
    request: Request, session: SessionDep, access: CommunityAccess = community_access(Action.view_insights)
) -> Response:
    return _community_page(request, session, access, report=True)


@router.get("/c/{community_slug}/insights/export.csv", name="insights:community_csv")
def community_csv(
    session: SessionDep,
    table: str = Query("retention"),
    access: CommunityAccess = community_access(Action.view_insights),
) -> Response:
    results = insights_service.community_results(session, community=access.community)
    header, rows = insights_service.community_rows(results, table=table)
    return csv_download(f"{access.community.slug}-{table}.csv", header, rows)
