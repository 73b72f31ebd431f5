"""Indexes the results queries need on other domains' tables, declared here so that domain's models stay theirs.

- ``scores (design_id, created_at)``: participation per day and activity per month over a challenge's designs.
- ``memberships (community_id, joined_at)``: joins per month and cohorts.
- ``comments (design_id, created_at)``: activity per month.
- ``survey_answers (response_id, question_id, option_key, number_value)``: a response's answers to a question, for
  cross-tabs, from the index alone.
- ``survey_answers (question_id, option_key, number_value, response_id)``: the responses that gave an answer: a
  segment's conditions.
- ``survey_responses (survey_id, submitted_at)``: date ranges.
- ``campaign_responses (campaign_id, connector_id, hop, survey_response_id)`` and
  ``campaign_responses (campaign_id, hop, survey_response_id)``: a campaign segment's responses through one
  connector's links, or at some hops, from the index alone.

On PostgreSQL, migration insights02 also keeps statistics of ``survey_answers (question_id, option_key)`` pairs
(``CREATE STATISTICS``, which SQLAlchemy does not model): a segment's condition is then estimated at its size.
"""

from sqlalchemy import Index

from app.campaigns.models import CampaignResponse
from app.challenges.models import Score
from app.comments.models import Comment
from app.communities.models import Membership
from app.surveys.models import Answer, SurveyResponse

INDEXES = (
    Index("ix_scores_design_id_created_at", Score.__table__.c.design_id, Score.__table__.c.created_at),  # type: ignore[attr-defined]
    Index(
        "ix_memberships_community_id_joined_at",
        Membership.__table__.c.community_id,  # type: ignore[attr-defined]
        Membership.__table__.c.joined_at,  # type: ignore[attr-defined]
    ),
    Index("ix_comments_design_id_created_at", Comment.__table__.c.design_id, Comment.__table__.c.created_at),  # type: ignore[attr-defined]
    Index(
        "ix_survey_answers_response_id_question_id",
        *(Answer.__table__.c[name] for name in ("response_id", "question_id", "option_key", "number_value")),  # type: ignore[attr-defined]
    ),
    Index(
        "ix_survey_answers_question_id_option_key",
        *(Answer.__table__.c[name] for name in ("question_id", "option_key", "number_value", "response_id")),  # type: ignore[attr-defined]
    ),
    Index(
        "ix_survey_responses_survey_id_submitted_at",
        SurveyResponse.__table__.c.survey_id,  # type: ignore[attr-defined]
        SurveyResponse.__table__.c.submitted_at,  # type: ignore[attr-defined]
    ),
    Index(
        "ix_campaign_responses_campaign_id_connector_id",
        *(CampaignResponse.__table__.c[name] for name in ("campaign_id", "connector_id", "hop", "survey_response_id")),  # type: ignore[attr-defined]
    ),
    Index(
        "ix_campaign_responses_campaign_id_hop",
        *(CampaignResponse.__table__.c[name] for name in ("campaign_id", "hop", "survey_response_id")),  # type: ignore[attr-defined]
    ),
)
