"""The chart a campaign's managers post with its outcome: the choices, the chart of the whole campaign's results as
they stand (k-anonymity applies), posting it, and reading it back for participants."""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.accounts.models import User
from app.campaigns import roundtables as campaign_roundtables
from app.campaigns.models import Campaign
from app.columns import utcnow
from app.communities.models import Community
from app.errors import Invalid
from app.i18n import _
from app.insights import schemas
from app.insights import survey_results as results_service
from app.insights.campaign_results import CampaignScope, campaign_results
from app.insights.suppression import K_ANONYMITY
from app.insights.survey_results import CROSSTAB_KINDS

NO_CHART = ""
NPS_CHART = "nps"
FUNNEL_CHART = "funnel"


def outcome_chart_choices(session: Session, *, scope: CampaignScope) -> list[tuple[str, str]]:
    """What a manager may show with the outcome: nothing, the NPS, the funnel, or a choice or scale question."""
    choices = [(NO_CHART, _("No chart")), (NPS_CHART, _("Net Promoter Score")), (FUNNEL_CHART, _("Referral funnel"))]
    if scope.survey is not None:
        questions = results_service.questions_by_id(session, survey=scope.survey)
        choices += [
            (f"q{question.id}", _("Answers to “%(question)s”", question=question.prompt))
            for question in questions.values()
            if question.kind in CROSSTAB_KINDS and not question.is_retired
        ]
    return choices


def outcome_chart(
    session: Session, *, scope: CampaignScope, community: Community, choice: str, now: datetime | None = None
) -> schemas.OutcomeChart | None:
    """The chosen chart of the whole campaign's results as they stand, for participants to see with the outcome.

    Invalid (on the field ``outcome_chart``) for an unknown choice, and when k-anonymity hides what it would show."""
    if choice == NO_CHART:
        return None
    if choice not in {value for value, _label in outcome_chart_choices(session, scope=scope)}:
        raise Invalid(_("Please correct the marked fields."), fields={"outcome_chart": _("Choose one of the charts.")})
    results = campaign_results(session, scope=scope, community=community)
    survey = results.survey
    hidden = Invalid(
        _("Please correct the marked fields."),
        fields={"outcome_chart": _("Fewer than 5 people answered this: the chart cannot be shown to participants.")},
    )
    if survey is None or survey.suppressed or survey.respondents is None or survey.respondents < K_ANONYMITY:
        raise hidden
    base: dict[str, Any] = {"kind": choice, "respondents": survey.respondents, "taken_at": now or utcnow()}
    if choice == NPS_CHART:
        if survey.nps is None or survey.nps.suppressed or not survey.nps.total:
            raise hidden
        return schemas.OutcomeChart(**base, title="Would you recommend it? (Net Promoter Score)", nps=survey.nps)
    if choice == FUNNEL_CHART:
        return schemas.OutcomeChart(
            **base, title="The referral chain: links shared, opened, answered, joined", funnel=results.funnel
        )
    question = next(q for q in survey.questions if f"q{q.question_id}" == choice)
    if question.suppressed or not question.answered:
        raise hidden
    return schemas.OutcomeChart(**{**base, "kind": "question"}, title=question.prompt, question=question)


def post_outcome(
    session: Session,
    *,
    scope: CampaignScope,
    community: Community,
    text: str,
    chart: str,
    posted_by: User,
    now: datetime | None = None,
) -> Campaign:
    """Post (or update) the campaign's outcome with the chosen chart of its results, as they stand now."""
    snapshot = outcome_chart(session, scope=scope, community=community, choice=chart, now=now)
    return campaign_roundtables.post_outcome(
        session,
        campaign=scope.campaign,
        community=community,
        text=text,
        posted_by=posted_by,
        chart=snapshot.model_dump(mode="json") if snapshot is not None else None,
        now=now,
    )


def chosen_chart(campaign: Campaign) -> str:
    """The choice that made the chart posted with the outcome (for the form), "" for none."""
    snapshot = posted_chart(campaign)
    if snapshot is None:
        return NO_CHART
    if snapshot.kind == "question" and snapshot.question is not None:
        return f"q{snapshot.question.question_id}"
    return snapshot.kind


def posted_chart(campaign: Campaign) -> schemas.OutcomeChart | None:
    """The chart posted with the campaign's outcome, if the outcome is posted and has one."""
    if campaign.outcome_posted_at is None or campaign.outcome_chart is None:
        return None
    return schemas.OutcomeChart.model_validate(campaign.outcome_chart)
