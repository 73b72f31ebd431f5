"""Load a brand's survey for its results, and a session that lives as long as a streamed response."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from app.accounts.deps import CurrentUser, PermissionCheck
from app.brands.deps import BrandAccess, BrandPermit
from app.columns import RowId
from app.db import SessionDep, get_streaming_session
from app.errors import NotFound
from app.i18n import N_, _
from app.permissions import Action
from app.surveys.models import Survey

HIDDEN_SURVEY = N_("There is no such survey.")

# The request's usual session commits and closes when the route returns; a streamed export reads after that, so it
# gets its own (read-only) session, closed once the last chunk is sent.
StreamingSessionDep = Annotated[Session, Depends(get_streaming_session, scope="request")]


@dataclass(frozen=True)
class SurveyAccess(BrandAccess):
    survey: Survey


class SurveyResultsPermit(PermissionCheck):
    """Depends on ``brand_slug`` and ``survey_id``: the brand's staff roles decide, then the survey must be the
    brand's (another brand's survey id answers 404, like a missing one)."""

    def __init__(self, action: Action) -> None:
        self.action = action
        self._brand = BrandPermit(action)

    def __call__(self, brand_slug: str, survey_id: RowId, user: CurrentUser, session: SessionDep) -> SurveyAccess:
        access = self._brand(brand_slug, user, session)
        survey = session.get(Survey, survey_id)
        if survey is None or survey.brand_id != access.brand.id:
            raise NotFound(_(HIDDEN_SURVEY))
        return SurveyAccess(brand=access.brand, user=access.user, roles=access.roles, survey=survey)


def survey_access(action: Action) -> SurveyAccess:
    """``access: SurveyAccess = survey_access(Action.view_insights)`` in a route's parameters."""
    return Depends(SurveyResultsPermit(action))
