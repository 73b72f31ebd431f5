"""Results of a sampling campaign: the outcome at a glance (``campaign_headline``), its survey's results
(``survey_results``, the survey page's own code), the referral chain of its links, reach by hop, connectors'
response rates, and the chart posted with the outcome.

Reach comes from the counters the campaigns service keeps in each event's transaction (``ConnectorReach``,
samples passed on): a dashboard never scans responses. The survey's figures come from its tallies when the survey is
the campaign's alone and nobody is filtered out, otherwise from its responses' answer keys (see ``survey_results``).

A campaign segment is a survey segment (answers, dates) limited to the campaign's responses through one connector's
links and at some hops, through ``Segment.extra``. k-anonymity is the survey's: segments of fewer than 5, or leaving
fewer than 5 out, are suppressed; when the survey has responses besides the campaign's, the campaign's respondents
are a second whole a segment may not leave fewer than 5 out of.

The rule of every count of respondents on these pages, the JSON and the CSV exports: a group of 1-4 is hidden
(null, "fewer than 5"), by the one rule of ``app.insights.suppression``. Responses per hop and per connector
are groups of respondents too: cells of 1-4 are hidden, and with one hidden cell in a column the smallest other one
as well, as their sum is shown (the campaign's or the connector's respondents) and would give it away
(``suppression.suppress_partition``); a connector's response rate goes with their responses. Opens, shares (links
passed on), sign-ups and the referral chain's counts of links are the links' events, not who answered what: they
stay shown. Left to a later pass: a connector's hops beside the whole campaign's (a connector-by-hop table whose
margins are both shown) are suppressed each on its own.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Float, case, cast, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.accounts import service as accounts_service
from app.accounts.models import User
from app.campaigns import answering as campaign_answering
from app.campaigns import applications as campaign_applications
from app.campaigns import connectors as campaign_connectors
from app.campaigns import roundtables as campaign_roundtables
from app.campaigns.models import ApplicationStatus, Campaign, CampaignApplication, CampaignResponse, ConnectorReach
from app.columns import utcnow
from app.communities.models import Community
from app.errors import Conflict, Invalid, NotFound
from app.insights import campaign_headline as headline
from app.insights import schemas, suppression
from app.insights import survey_results as results_service
from app.insights.segments import CampaignSegmentForm
from app.insights.suppression import K_ANONYMITY, suppress_partition
from app.insights.survey_results import CROSSTAB_KINDS, JoinedColumns, Segment
from app.surveys.models import Question, Survey, SurveyResponse

SORTS = {
    "responses": "Responses",
    "rate": "Response rate",
    "opens": "Opened",
    "samples": "Samples passed on",
    "signups": "Joined",
    "name": "Name",
}
NOT_ATTRIBUTABLE = "Not known for answer or date filters: links count opens and sign-ups, not who answered what."
NO_CHART = ""
NPS_CHART = "nps"
FUNNEL_CHART = "funnel"


@dataclass(frozen=True)
class CampaignScope:
    """What a campaign's results are read from: its survey (None when it has none), the campaign's respondents by
    the counters, and whether the survey has other responses too (a survey a brand reuses)."""

    campaign: Campaign
    survey: Survey | None
    respondents: int
    reach: list[tuple[int, campaign_connectors.ReachTotals]]

    @property
    def shared(self) -> bool:
        return self.survey is not None and self.survey.shown_response_count != self.respondents

    @property
    def highest_hop(self) -> int:
        """The furthest hop the campaign has reached (1 before anything has): the range a segment may pick from."""
        return max([1, *(hop for hop, _ in self.reach)])

    @property
    def population(self) -> int | None:
        """The second whole for k-anonymity (see the module's docstring), when there is one."""
        return self.respondents if self.shared else None


def campaign_scope(session: Session, *, campaign: Campaign) -> CampaignScope:
    try:
        survey: Survey | None = campaign_answering.campaign_survey(session, campaign=campaign)
    except Conflict:
        survey = None
    reach = campaign_connectors.reach_by_hop(session, campaign=campaign)
    return CampaignScope(
        campaign=campaign, survey=survey, respondents=sum(totals.responses for _, totals in reach), reach=reach
    )


@dataclass(frozen=True)
class CampaignFilter:
    """A campaign segment, resolved: the survey segment to count (the campaign's clauses in ``extra``), and the
    connector and hops it is limited to."""

    segment: Segment
    connector: User | None = None
    hops: tuple[int, ...] = ()

    @property
    def by_reach_alone(self) -> bool:
        """Picked by connector and hops alone: the counters know its opens and sign-ups."""
        return self.segment.since is None and self.segment.until is None and not self.segment.conditions

    def describe(self) -> schemas.CampaignSegment:
        return schemas.CampaignSegment(
            connector=self.connector.handle if self.connector else None, hops=list(self.hops)
        )


def campaign_filter(session: Session, *, scope: CampaignScope, form: CampaignSegmentForm) -> CampaignFilter:
    """The segment a form names, for this campaign; Invalid when its connector is not one of the campaign's
    (``fields["connector"]``) or a hop is beyond the campaign's furthest (``fields["hops"]``)."""
    outside = [hop for hop in form.hops if hop > scope.highest_hop]
    if outside:
        message = (
            f"This campaign has reached hop {scope.highest_hop} at most: choose hops from 1 to {scope.highest_hop}"
            f" (not {', '.join(str(hop) for hop in outside)})."
        )
        raise Invalid(message, fields={"hops": message})
    connector: User | None = None
    if form.connector:
        try:
            connector = accounts_service.get_user_by_handle(session, handle=form.connector)
        except NotFound:
            connector = None
        application = (
            campaign_applications.get_application(session, campaign=scope.campaign, user=connector)
            if connector
            else None
        )
        if application is None or application.status != ApplicationStatus.accepted:
            message = f"@{form.connector} is not a connector of this campaign."
            raise Invalid(message, fields={"connector": message})
    segment = form.segment
    if connector is not None or form.hops or scope.shared:
        attributed = select(col(CampaignResponse.survey_response_id)).where(
            col(CampaignResponse.campaign_id) == scope.campaign.id
        )
        if connector is not None:
            attributed = attributed.where(col(CampaignResponse.connector_id) == connector.id)
        if form.hops:
            attributed = attributed.where(col(CampaignResponse.hop).in_(form.hops))
        segment = replace(segment, extra=(col(SurveyResponse.id).in_(attributed),))
    return CampaignFilter(segment=segment, connector=connector, hops=form.hops)


def _everyone(scope: CampaignScope) -> CampaignFilter:
    segment = Segment()
    if scope.shared:
        attributed = select(col(CampaignResponse.survey_response_id)).where(
            col(CampaignResponse.campaign_id) == scope.campaign.id
        )
        segment = Segment(extra=(col(SurveyResponse.id).in_(attributed),))
    return CampaignFilter(segment=segment)


# --- Results ------------------------------------------------------------------------------------------------


def _reach_of(session: Session, scope: CampaignScope, chosen: CampaignFilter) -> list[tuple[int, Any]]:
    """Reach per hop of the segment's connector (or everyone's), every hop: the segment's hops are picked later."""
    if chosen.connector is None:
        return scope.reach
    return campaign_connectors.reach_by_hop(session, campaign=scope.campaign, connector_id=chosen.connector.id)


def _question(results: schemas.SurveyResults | None, code: str) -> schemas.QuestionResult | None:
    if results is None or results.suppressed:
        return None
    return next((question for question in results.questions if question.code == code), None)


def _told(results: schemas.SurveyResults | None) -> int | None:
    """How many people those who recommended say they told: the sum of the recommended_count answers."""
    question = _question(results, "recommended_count")
    if question is None or question.suppressed or question.mean is None or question.answered is None:
        return None
    return round(question.mean * question.answered)


def funnel(session: Session, *, scope: CampaignScope, chosen: CampaignFilter) -> list[schemas.FunnelStep]:
    """The referral chain of the segment's links (its connector's, at its hops); the links' counters know neither
    answers nor dates, so for a segment picked by those every step says so instead of guessing."""
    if not chosen.by_reach_alone:
        return [
            schemas.FunnelStep(key=key, label=label, people=None, note=NOT_ATTRIBUTABLE)
            for key, label in headline.CHAIN_STEPS.items()
        ]
    return headline.referral_chain(
        session,
        campaign=scope.campaign,
        connector_id=chosen.connector.id if chosen.connector else None,
        hops=chosen.hops,
    )


def _totals(rows: Sequence[tuple[int, campaign_connectors.ReachTotals]]) -> campaign_connectors.ReachTotals:
    return campaign_connectors.ReachTotals(
        opens=sum(totals.opens for _, totals in rows),
        responses=sum(totals.responses for _, totals in rows),
        signups=sum(totals.signups for _, totals in rows),
        shares=sum(totals.shares for _, totals in rows),
    )


CONNECTORS_PER_PAGE = 20
MAX_CONNECTORS_PER_PAGE = 1000


@dataclass(frozen=True)
class ConnectorPage:
    """One page of the accepted connectors in the order asked for, and how many there are in all."""

    rows: list[schemas.ConnectorResult]
    total: int
    page: int
    per_page: int | None


def _connector_columns(campaign: Campaign) -> tuple[Any, dict[str, Any]]:
    """The accepted connectors with their counters summed over every hop (one row each), as a subquery, and its
    columns by name."""
    reach = (
        select(
            col(ConnectorReach.connector_id).label("connector_id"),
            func.sum(ConnectorReach.open_count).label("opens"),
            func.sum(ConnectorReach.response_count).label("responses"),
            func.sum(ConnectorReach.signup_count).label("signups"),
            func.sum(ConnectorReach.share_count).label("shares"),
        )
        .where(col(ConnectorReach.campaign_id) == campaign.id)
        .group_by(col(ConnectorReach.connector_id))
        .subquery()
    )
    connectors = (
        select(
            col(CampaignApplication.id).label("application_id"),
            col(User.handle).label("handle"),
            col(User.display_name).label("display_name"),
            col(CampaignApplication.samples_passed_on).label("samples"),
            func.coalesce(reach.c.opens, 0).label("opens"),
            func.coalesce(reach.c.responses, 0).label("responses"),
            func.coalesce(reach.c.signups, 0).label("signups"),
            func.coalesce(reach.c.shares, 0).label("shares"),
        )
        .select_from(CampaignApplication)
        .join(User, col(User.id) == CampaignApplication.user_id)
        .outerjoin(reach, reach.c.connector_id == CampaignApplication.user_id)
        .where(
            col(CampaignApplication.campaign_id) == campaign.id,
            col(CampaignApplication.status) == ApplicationStatus.accepted,
        )
        .subquery()
    )
    return connectors, dict(connectors.c)


def _connector_counts(session: Session, connectors: Any) -> tuple[int, int | None]:
    """How many connectors there are, and the application of the one whose responses are hidden only to protect
    the 1-4 ones (the smallest shown count, the first applied on a tie, as ``suppress_partition`` picks it), None
    when none is needed.

    With the counts of 1-4 hidden, at most one more is ever needed: any shown count is 5 or more, so the hidden ones
    then number two and add up to more than 4. So one aggregate (read with the total) decides it, and the one to
    hide is looked for only then, without reading every connector into Python."""
    small = connectors.c.responses.between(1, K_ANONYMITY - 1)
    total, hidden, hidden_sum = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((small, 1), else_=0)), 0),
            func.coalesce(func.sum(case((small, connectors.c.responses), else_=0)), 0),
        ).select_from(connectors)
    ).one()
    if not suppression.partition_gives_away(int(hidden), int(hidden_sum)):
        return int(total), None
    protecting = session.execute(
        select(connectors.c.application_id)
        .where(connectors.c.responses >= K_ANONYMITY)
        .order_by(connectors.c.responses, connectors.c.application_id)
        .limit(1)
    ).scalar_one_or_none()
    return int(total), protecting


def connector_results(
    session: Session,
    *,
    campaign: Campaign,
    sort: str = "responses",
    descending: bool = True,
    page: int = 1,
    per_page: int | None = CONNECTORS_PER_PAGE,
) -> ConnectorPage:
    """A page of the accepted connectors with their samples, reach and response rate (responses per sample passed
    on, as on the progress page), sorted by ``sort`` (a key of SORTS), ties by name then handle, and their total;
    ``per_page`` None: every one (the CSV export). Sorted and paged in SQL: a campaign may have 600,000 connectors.

    Responses of fewer than 5 (and one more to protect them, ``_connector_counts``) are hidden with their rate;
    a hidden count sorts below every shown one (below 0 too), so its place tells nothing of its size. Names compare
    lower-cased by the database (``lower``), which folds ASCII letters at least."""
    connectors, c = _connector_columns(campaign)
    total, protecting = _connector_counts(session, connectors)
    hidden = c["responses"].between(1, K_ANONYMITY - 1)
    if protecting is not None:
        hidden = or_(hidden, c["application_id"] == protecting)
    shown_responses = case((hidden, None), else_=c["responses"])
    rate = case((hidden, None), (c["samples"] > 0, cast(c["responses"], Float) / c["samples"]), else_=None)
    hidden_last = case((hidden, -1), else_=c["responses"])
    name = func.lower(c["display_name"])
    keys = {
        "responses": (hidden_last, func.coalesce(rate, 0.0)),
        "rate": (case((rate.is_(None), 0), else_=1), func.coalesce(rate, 0.0), hidden_last),
        "opens": (c["opens"], hidden_last),
        "samples": (c["samples"], hidden_last),
        "signups": (c["signups"], hidden_last),
        "name": (name, c["handle"]),
    }.get(sort) or (hidden_last, func.coalesce(rate, 0.0))
    query = select(
        c["handle"], c["display_name"], c["samples"], c["opens"], shown_responses, c["signups"], c["shares"], rate
    ).order_by(*(key.desc() if descending else key.asc() for key in keys), name, c["handle"])
    if per_page is not None:
        query = query.limit(per_page).offset((page - 1) * per_page)
    rows = [
        schemas.ConnectorResult(
            handle=handle,
            display_name=display_name,
            samples_passed_on=samples,
            opens=int(opens),
            responses=None if responses is None else int(responses),
            signups=int(signups),
            shares=int(shares),
            response_rate=None if response_rate is None else float(response_rate),
            suppressed=responses is None,
        )
        for handle, display_name, samples, opens, responses, signups, shares, response_rate in session.execute(query)
    ]
    return ConnectorPage(rows=rows, total=total, page=page, per_page=per_page)


def hop_results(
    rows: Sequence[tuple[int, campaign_connectors.ReachTotals]], hops: Sequence[int] = ()
) -> list[schemas.HopReach]:
    """Reach per hop, of ``hops`` only when given; responses hidden as a connector's (suppressed over every hop, so
    that a hop's figure cannot be worked out from another page's)."""
    shown = suppress_partition([totals.responses for _, totals in rows])
    return [
        schemas.HopReach(
            hop=hop,
            opens=totals.opens,
            shares=totals.shares,
            responses=responses,
            signups=totals.signups,
            suppressed=responses is None,
        )
        for (hop, totals), responses in zip(rows, shown, strict=True)
        if not hops or hop in hops
    ]


def campaign_headline(
    session: Session, *, scope: CampaignScope, figures: schemas.SurveyResults | None = None
) -> schemas.CampaignHeadline:
    """The whole campaign's outcome at a glance; ``figures``: its survey's results for everyone, when already read."""
    if figures is None and scope.survey is not None:
        figures = results_service.survey_results(
            session, survey=scope.survey, segment=_everyone(scope).segment, population=scope.population
        )
    return headline.campaign_headline(
        session, campaign=scope.campaign, survey=scope.survey, reach=scope.reach, figures=figures
    )


def campaign_results(
    session: Session,
    *,
    scope: CampaignScope,
    community: Community,
    chosen: CampaignFilter | None = None,
    sort: str = "responses",
    descending: bool = True,
    page: int = 1,
    per_page: int | None = CONNECTORS_PER_PAGE,
    glance: schemas.CampaignHeadline | None = None,
) -> schemas.CampaignResults:
    """A campaign's results for everyone or a segment: the whole campaign's headline (``glance`` when already
    read), the segment's survey figures, its referral chain, reach, and a page of the connectors (``page`` of
    ``per_page``, every one when None) with their total."""
    campaign = scope.campaign
    everyone = chosen is None
    chosen = chosen or _everyone(scope)
    survey_figures = (
        results_service.survey_results(
            session, survey=scope.survey, segment=chosen.segment, population=scope.population
        )
        if scope.survey is not None
        else None
    )
    if glance is None:
        glance = campaign_headline(session, scope=scope, figures=survey_figures if everyone else None)
    every_hop = _reach_of(session, scope, chosen)
    hops = [(hop, totals) for hop, totals in every_hop if not chosen.hops or hop in chosen.hops]
    reach = _totals(hops) if chosen.by_reach_alone else None
    if survey_figures is not None:
        respondents = survey_figures.respondents
    else:
        respondents = suppression.shown(reach.responses) if reach is not None else None
    connectors = connector_results(
        session, campaign=campaign, sort=sort, descending=descending, page=page, per_page=per_page
    )
    return schemas.CampaignResults(
        community_slug=community.slug,
        campaign_slug=campaign.slug,
        title=campaign.title,
        product_name=campaign.product_name,
        segment=chosen.describe(),
        respondents=respondents,
        headline=glance,
        survey=survey_figures,
        funnel=(
            glance.referral_chain  # the whole campaign's chain, read once for the headline
            if chosen.by_reach_alone and chosen.connector is None and not chosen.hops
            else funnel(session, scope=scope, chosen=chosen)
        ),
        recommended_to=_told(survey_figures),
        hops=hop_results(every_hop, chosen.hops),
        connectors=connectors.rows,
        connector_total=connectors.total,
        connector_page=connectors.page,
        connectors_per_page=connectors.per_page,
    )


# --- Exports ------------------------------------------------------------------------------------------------


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
        segment=(chosen or _everyone(scope)).segment,
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
    raise Invalid(f"Choose one of the tables: {', '.join(TABLES)}.")


# --- The chart posted with the outcome -----------------------------------------------------------------------


def outcome_chart_choices(session: Session, *, scope: CampaignScope) -> list[tuple[str, str]]:
    """What a manager may show with the outcome: nothing, the NPS, the funnel, or a choice or scale question."""
    choices = [(NO_CHART, "No chart"), (NPS_CHART, "Net Promoter Score"), (FUNNEL_CHART, "Referral funnel")]
    if scope.survey is not None:
        questions = results_service.questions_by_id(session, survey=scope.survey)
        choices += [
            (f"q{question.id}", f"Answers to “{question.prompt}”")
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
    if choice not in {value for value, _ in outcome_chart_choices(session, scope=scope)}:
        raise Invalid("Please correct the marked fields.", fields={"outcome_chart": "Choose one of the charts."})
    results = campaign_results(session, scope=scope, community=community)
    survey = results.survey
    hidden = Invalid(
        "Please correct the marked fields.",
        fields={"outcome_chart": "Fewer than 5 people answered this: the chart cannot be shown to participants."},
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
