"""Load the survey named in the path, with its brand, and check the actor's staff role in that brand."""

from dataclasses import dataclass

from fastapi import Depends

from app.accounts.deps import CurrentUser, PermissionCheck, base_roles, check
from app.accounts.models import User
from app.brands import service as brands_service
from app.brands.deps import BrandAccess
from app.brands.models import Brand
from app.columns import RowId
from app.db import SessionDep
from app.errors import NotFound
from app.i18n import N_, _
from app.permissions import Action, Role
from app.surveys.models import Survey

HIDDEN_SURVEY = N_("There is no such survey.")


@dataclass(frozen=True)
class SurveyAccess(BrandAccess):
    survey: Survey


def _survey_access(
    session: SessionDep, survey: Survey | None, user: User | None, action: Action, *, brand_slug: str | None
) -> SurveyAccess:
    """The brand's staff roles decide; a survey of another brand (or under another brand's address) is 404."""
    roles = base_roles(user)
    brand = session.get(Brand, survey.brand_id) if survey is not None else None
    if brand is not None and brand_slug is not None and brand.slug != brand_slug:
        brand = None
    if brand is not None:
        role = brands_service.staff_role(session, brand_id=brand.id or 0, user=user)
        if role is not None:
            roles.add(Role(role))
    brand_id = brand.id if brand is not None else None
    check(action, frozenset(roles), user, hidden_message=_(HIDDEN_SURVEY), session=session, brand_id=brand_id)
    if survey is None or brand is None or user is None:
        raise NotFound(_(HIDDEN_SURVEY))
    return SurveyAccess(brand=brand, user=user, roles=frozenset(roles), survey=survey)


class SurveyPermit(PermissionCheck):
    """Depends on a ``survey_id`` path parameter (the API); outsiders get 404 whether or not the survey exists."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, survey_id: RowId, user: CurrentUser, session: SessionDep) -> SurveyAccess:
        return _survey_access(session, session.get(Survey, survey_id), user, self.action, brand_slug=None)


class BrandSurveyPermit(PermissionCheck):
    """Depends on ``brand_slug`` and ``survey_id`` path parameters (the staff pages); the survey must be that
    brand's."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, brand_slug: str, survey_id: RowId, user: CurrentUser, session: SessionDep) -> SurveyAccess:
        return _survey_access(session, session.get(Survey, survey_id), user, self.action, brand_slug=brand_slug)


def survey_access(action: Action) -> SurveyAccess:
    """``access: SurveyAccess = survey_access(Action.view_surveys)`` in an API route's parameters."""
    return Depends(SurveyPermit(action))


def brand_survey_access(action: Action) -> SurveyAccess:
    """``access: SurveyAccess = brand_survey_access(Action.manage_surveys)`` in a page route's parameters."""
    return Depends(BrandSurveyPermit(action))
