"""Surveys themselves: creating one (from the template), editing, deleting and listing them, and publishing one
to a community, whose members answer it once each.
"""

import copy
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.brands.models import Brand
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.i18n.formatting import format_number
from app.surveys.models import (
    Question,
    QuestionKind,
    Survey,
)
from app.surveys.questions import QuestionFields, add_question, list_questions, lock_survey, touch_survey

# ------------------------------------------------------------------------------------------------------------
# Surveys
# ------------------------------------------------------------------------------------------------------------


def _validate_survey_text(title: str, description: str) -> dict[str, str]:
    errors = {}
    if not title.strip() or len(title.strip()) > 200:
        errors["title"] = _("Give the survey a title (up to 200 characters).")
    if len(description) > 5000:
        errors["description"] = _("Use at most %(count)s characters.", count=format_number(5000))
    return errors


def create_survey(
    session: Session, *, brand: Brand, title: str, author: User | None, description: str = "", template: bool = False
) -> Survey:
    """A new survey of a brand; ``template`` adds the standard product questions (with their codes)."""
    errors = _validate_survey_text(title, description)
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    survey = Survey(
        brand_id=id_of(brand),
        title=title.strip(),
        description=description.strip(),
        created_by_id=author.id if author is not None else None,
    )
    session.add(survey)
    session.flush()
    if template:
        _add_template_questions(session, survey)
    return survey


def update_survey(session: Session, *, survey: Survey, title: str, description: str = "") -> Survey:
    """Change a survey's title and description (rewording: allowed after responses, and a new version)."""
    errors = _validate_survey_text(title, description)
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    lock_survey(session, survey)
    if (survey.title, survey.description) == (title.strip(), description.strip()):
        return survey
    survey.title = title.strip()
    survey.description = description.strip()
    touch_survey(session, survey)
    return survey


def delete_survey(session: Session, *, survey: Survey) -> None:
    """Delete a survey that nobody has answered yet (answers are never thrown away)."""
    lock_survey(session, survey)
    if survey.response_count:
        raise Conflict(_("This survey has responses, so it cannot be deleted."))
    session.delete(survey)
    session.flush()


def get_survey(session: Session, *, survey_id: int) -> Survey:
    """A survey by id (for other domains: a campaign knows its survey's id); NotFound otherwise."""
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(_("There is no such survey."))
    return survey


def list_surveys(session: Session, *, brand: Brand) -> Sequence[Survey]:
    """A brand's surveys, the newest first."""
    return session.exec(
        select(Survey).where(Survey.brand_id == brand.id).order_by(col(Survey.created_at).desc(), col(Survey.id).desc())
    ).all()


# ------------------------------------------------------------------------------------------------------------
# The template
# ------------------------------------------------------------------------------------------------------------


def _option(key: str, label: str) -> dict[str, str]:
    return {"key": key, "label": label}


def _add_template_questions(session: Session, survey: Survey) -> None:
    """The standard product questions; other domains (insights, campaigns) find them by their codes."""
    _add(
        session,
        survey,
        QuestionFields(
            kind=QuestionKind.rating,
            prompt="Overall, how do you like it?",  # i18n: ignore
            help_text="1 is not at all, 5 is very much.",  # i18n: ignore
            required=True,
            code="overall",
        ),
    )
    _add(
        session,
        survey,
        QuestionFields(
            kind=QuestionKind.single_choice,
            prompt="What should we do with this product?",  # i18n: ignore
            required=True,
            code="outcome",
            options=[
                _option("keep", "Keep it as it is"),  # i18n: ignore
                _option("change_colour", "Change the colour"),  # i18n: ignore
                _option("change_price", "Change the price"),  # i18n: ignore
                _option("change_scent", "Change the scent"),  # i18n: ignore
                _option("scrap", "Scrap it"),  # i18n: ignore
            ],
        ),
    )
    _add(
        session,
        survey,
        QuestionFields(
            kind=QuestionKind.number,
            prompt="What would you pay for it?",  # i18n: ignore
            help_text="In your own currency.",  # i18n: ignore
            number_min=0,
            number_max=10000,
            code="pay",
        ),
    )
    _add(
        session,
        survey,
        QuestionFields(
            kind=QuestionKind.nps,
            prompt="How likely are you to recommend it to a friend?",  # i18n: ignore
            help_text="0 is not at all likely, 10 is extremely likely.",  # i18n: ignore
            required=True,
            code="recommend_intent",
        ),
    )
    recommended = _add(
        session,
        survey,
        QuestionFields(
            kind=QuestionKind.yes_no,
            prompt="Have you recommended it to anyone yet?",  # i18n: ignore
            required=True,
            code="recommended",
        ),
    )
    _add(
        session,
        survey,
        QuestionFields(
            kind=QuestionKind.number,
            prompt="To how many people?",  # i18n: ignore
            required=True,
            number_min=1,
            number_max=1000,
            unit="people",
            code="recommended_count",
            show_if_question_id=recommended.id,
            show_if_values=["yes"],
        ),
    )
    _add(
        session,
        survey,
        QuestionFields(
            kind=QuestionKind.text,
            prompt="Anything else you would like to tell us?",  # i18n: ignore
            code="comments",
        ),
    )


def _add(session: Session, survey: Survey, fields: QuestionFields) -> Question:
    question = add_question(session, survey=survey, fields=fields)
    question.translations = copy.deepcopy(TEMPLATE_TRANSLATIONS.get(question.code or "", {}))
    session.add(question)
    return question


# The template's questions in the site's other languages, by code (the brand may reword them in the builder like
# any other translation): each respondent reads them in their language.
TEMPLATE_TRANSLATIONS: dict[str, dict[str, dict[str, Any]]] = json.loads(
    (Path(__file__).parent / "template_translations.json").read_text(encoding="utf-8")
)


# ------------------------------------------------------------------------------------------------------------
# Surveys published to a community: its members answer them once each
# ------------------------------------------------------------------------------------------------------------


def publish_survey(
    session: Session, *, survey: Survey, community: Community | None, now: datetime | None = None
) -> Survey:
    """Publish a survey to one of its brand's communities (``None`` withdraws it); it is not an edit of its
    questions, so the version stays."""
    if community is None:
        survey.community_id = None
        survey.published_at = None
    else:
        if community.brand_id != survey.brand_id:
            raise NotFound(_("There is no such community."))
        if not list_questions(session, survey=survey):
            raise Conflict(_("Add questions before publishing the survey."))
        survey.community_id = id_of(community)
        survey.published_at = now or utcnow()
    session.add(survey)
    session.flush()
    return survey


def list_community_surveys(session: Session, *, community: Community) -> Sequence[Survey]:
    """The surveys published to a community, the latest first."""
    return session.exec(
        select(Survey)
        .where(Survey.community_id == community.id)
        .order_by(col(Survey.published_at).desc(), col(Survey.id).desc())
    ).all()


def get_community_survey(session: Session, *, community: Community, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None or survey.community_id != community.id:
        raise NotFound(_("There is no such survey."))
    return survey
