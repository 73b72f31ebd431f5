"""Exports of a sampling campaign's results: its responses (with the link each came through) and its result tables,
as rows for the CSV files."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.accounts.models import User
from app.campaigns.models import Campaign, CampaignResponse
from app.errors import Invalid
from app.i18n import _
from app.insights import schemas
from app.insights import survey_results as results_service
from app.insights.campaign_results import CampaignFilter, CampaignScope, everyone_filter
from app.insights.survey_results import JoinedColumns
from app.surveys.models import Question, SurveyResponse


def _attribution(campaign: Campaign) -> JoinedColumns:
    """Each response's connector and hop, and its e-mail address only where the respondent agreed to be contacted."""
    connector = aliased(User)
    return JoinedColumns(
        names=("connector", "hop", "email"),
        columns=(
            col(connector.handle),
            col(CampaignResponse.hop),
            case((col(CampaignResponse.consent).is_(True), col(CampaignResponse.email)), else_=None),
        ),
        joins=(
            (
                CampaignResponse,
                (col(CampaignResponse.survey_response_id) == SurveyResponse.id)
                & (col(CampaignResponse.campaign_id) == campaign.id),
            ),
            (connector, col(connector.id) == CampaignResponse.connector_id),
        ),
    )


def response_header(scope: CampaignScope, questions: Sequence[Question]) -> list[str]:
    return results_service.response_header(questions, _attribution(scope.campaign))


def response_rows(
    session: Session, *, scope: CampaignScope, questions: Sequence[Question], chosen: CampaignFilter | None = None
) -> Any:
    """The segment's responses, one row each, with connector, hop and (where consented) e-mail; streamed."""
    if scope.survey is None:
        return iter(())
    return results_service.response_rows(
        session,
        survey=scope.survey,
        questions=questions,
        segment=(chosen or everyone_filter(scope)).segment,
        population=scope.population,
        joined=_attribution(scope.campaign),
    )


TABLES = ("funnel", "hops", "connectors")


def table_rows(results: schemas.CampaignResults, *, table: str) -> tuple[list[str], list[list[Any]]]:
    """One of the campaign's tables (TABLES) as CSV header and rows; Invalid for another name."""
    if table == "funnel":
        return ["step", "label", "links", "of", "note"], [
            [step.key, step.label, step.people, step.of, step.note] for step in results.funnel
        ]
    if table == "hops":
        return ["hop", "opens", "shares", "responses", "signups"], [
            [row.hop, row.opens, row.shares, row.responses, row.signups] for row in results.hops
        ]
    if table == "connectors":
        header = ["handle", "display_name", "samples_passed_on", "opens", "responses", "signups", "shares", "rate"]
        return header, [
            [
                row.handle,
                row.display_name,
                row.samples_passed_on,
                row.opens,
                row.responses,
                row.signups,
                row.shares,
                None if row.response_rate is None else round(row.response_rate, 4),
            ]
            for row in results.connectors
        ]
    raise Invalid(_("Choose one of the tables: %(tables)s.", tables=", ".join(TABLES)))
