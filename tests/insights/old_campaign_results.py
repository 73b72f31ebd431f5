"""The campaign results' figures as they were computed before the kept totals (app.campaigns.totals): every
figure aggregated from the rows on each view. Copied verbatim from app/insights/campaign_headline.py and
campaign_results.py at 5a5663e, as the oracle the kept totals must equal (tests/insights/test_campaign_totals.py)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.accounts.models import User
from app.campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignResponse,
    ConnectorReach,
    ShareLink,
)
from app.insights import schemas, suppression
from app.insights.campaign_headline import CHAIN_STEPS, INTENT_LABELS
from app.insights.campaign_results import ConnectorPage
from app.insights.service import period_of
from app.insights.stats import proportion
from app.insights.suppression import K_ANONYMITY, is_suppressed, shown, suppress_partition
from app.surveys.models import Answer, Question, Survey, SurveyResponse

PROMOTERS = "promoters"
DETRACTORS = "detractors"
PASSIVES = "passives"
CONNECTORS_PER_PAGE = 20


def referral_chain(
    session: Session, *, campaign: Campaign, connector_id: int | None = None, hops: Sequence[int] = ()
) -> list[schemas.FunnelStep]:
    """Links shared -> opened -> answered -> joined, of one connector's links and some hops when given; each step
    counts the links that did it and every step before, so none exceeds the step before."""
    child = aliased(ShareLink)
    own = (
        select(
            (col(ShareLink.open_count) - func.coalesce(func.sum(child.open_count), 0)).label("opens"),
            (col(ShareLink.response_count) - func.coalesce(func.sum(child.response_count), 0)).label("responses"),
            (col(ShareLink.signup_count) - func.coalesce(func.sum(child.signup_count), 0)).label("signups"),
        )
        .select_from(ShareLink)
        .outerjoin(child, col(child.parent_id) == ShareLink.id)
        .where(col(ShareLink.campaign_id) == campaign.id)
        .group_by(col(ShareLink.id), col(ShareLink.open_count), col(ShareLink.response_count))
        .group_by(col(ShareLink.signup_count))
    )
    if connector_id is not None:
        own = own.where(col(ShareLink.connector_id) == connector_id)
    if hops:
        own = own.where(col(ShareLink.hop).in_(hops))
    links = own.subquery()
    opened = links.c.opens > 0
    answered = and_(opened, links.c.responses > 0)
    joined = and_(answered, links.c.signups > 0)

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = session.execute(select(func.count(), count(opened), count(answered), count(joined)).select_from(links)).one()
    shared, opened_links, answered_links, joined_links = (int(value or 0) for value in row)
    return [
        schemas.FunnelStep(
            key="shared", label=CHAIN_STEPS["shared"], people=shared, note="connectors' own links and those passed on"
        ),
        _step("opened", opened_links, shared, "shared links were opened"),
        _step("answered", answered_links, opened_links, "opened links were answered"),
        _step("joined", joined_links, answered_links, "answered links brought a sign-up"),
    ]


def _step(key: str, count: int, of: int, sentence: str) -> schemas.FunnelStep:
    return schemas.FunnelStep(
        key=key, label=CHAIN_STEPS[key], people=count, of=of, note=f"{count:,} of {of:,} {sentence}"
    )


# --- Intent against action ----------------------------------------------------------------------------------


def _question_ids(session: Session, survey: Survey) -> dict[str, int]:
    rows = session.execute(
        select(col(Question.code), col(Question.id)).where(
            col(Question.survey_id) == survey.id, col(Question.code).in_(("recommend_intent", "recommended"))
        )
    ).all()
    return {code: question_id for code, question_id in rows if code is not None and question_id is not None}


def intent_action(session: Session, *, campaign: Campaign, survey: Survey | None) -> schemas.IntentAction | None:
    """Promoters beside detractors, each with how many said they recommended it and how many passed a link of
    their own on that someone opened, with Wilson 95 % intervals; None when the survey does not ask both."""
    ids = _question_ids(session, survey) if survey is not None else {}
    if set(ids) != {"recommend_intent", "recommended"}:
        return None
    intent, said = aliased(Answer), aliased(Answer)
    group = case(
        (col(intent.number_value) >= 9, literal(PROMOTERS)),
        (col(intent.number_value) <= 6, literal(DETRACTORS)),
        else_=literal(PASSIVES),
    ).label("intent")
    yes = func.sum(case((col(said.option_key) == "yes", 1), else_=0))
    opened = func.sum(case((col(ShareLink.open_count) > 0, 1), else_=0))
    rows = session.execute(
        select(group, func.count(), yes, opened)
        .select_from(CampaignResponse)
        .join(SurveyResponse, col(SurveyResponse.id) == CampaignResponse.survey_response_id)
        .join(
            intent,
            (col(intent.response_id) == CampaignResponse.survey_response_id)
            & (col(intent.question_id) == ids["recommend_intent"]),
        )
        .outerjoin(
            said,
            (col(said.response_id) == CampaignResponse.survey_response_id)
            & (col(said.question_id) == ids["recommended"]),
        )
        .outerjoin(ShareLink, col(ShareLink.created_by_response_id) == CampaignResponse.id)
        .where(col(CampaignResponse.campaign_id) == campaign.id, col(SurveyResponse.hidden_at).is_(None))
        .group_by(group)
    ).all()
    counts = {
        key: (int(total), int(yes_count or 0), int(opened_count or 0)) for key, total, yes_count, opened_count in rows
    }
    answered = sum(total for total, _, _ in counts.values())
    groups = []
    for key in (PROMOTERS, DETRACTORS):
        total, yes_count, opened_count = counts.get(key, (0, 0, 0))
        groups.append(
            schemas.IntentGroup(
                key=key,
                label=INTENT_LABELS[key],
                respondents=shown(total),
                said_recommended=proportion(yes_count, total),
                link_opened=proportion(opened_count, total),
            )
        )
    return schemas.IntentAction(
        groups=groups,
        passives=shown(counts.get(PASSIVES, (0, 0, 0))[0]),
        suppressed=is_suppressed(answered),
    )


# --- The outcome at a glance --------------------------------------------------------------------------------


def responses_over_time(session: Session, *, campaign: Campaign) -> list[schemas.ResponsesOnDay]:
    """Shown responses per UTC day, oldest first (days without any left out), small days suppressed."""
    day = period_of(col(CampaignResponse.created_at), dialect=session.get_bind().dialect.name, unit="day")
    rows = session.execute(
        select(day, func.count())
        .select_from(CampaignResponse)
        .join(SurveyResponse, col(SurveyResponse.id) == CampaignResponse.survey_response_id)
        .where(col(CampaignResponse.campaign_id) == campaign.id, col(SurveyResponse.hidden_at).is_(None))
        .group_by(day)
        .order_by(day)
    ).all()
    shown = suppress_partition([int(count) for _, count in rows])
    return [
        schemas.ResponsesOnDay(day=str(label), responses=count) for (label, _), count in zip(rows, shown, strict=True)
    ]


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


def declared_network_size(session: Session, *, campaign: Campaign) -> int:
    """The network sizes the accepted connectors declared when they applied, added up: whom the campaign may reach."""
    total = session.execute(
        select(func.coalesce(func.sum(CampaignApplication.network_size), 0)).where(
            col(CampaignApplication.campaign_id) == campaign.id,
            col(CampaignApplication.status) == ApplicationStatus.accepted,
        )
    ).scalar_one()
    return int(total)
