"""A campaign's outcome at a glance (the head of its results page and the ``headline`` of its JSON), intent against
action, and the referral chain.

Intent against action compares two groups, each over its own denominator: respondents who said they would recommend
it (9-10, the NPS promoters) and those who said they would not (0-6, the detractors), and how many of each did:
said yes to "Have you recommended it?", and (recorded, not said) passed a link of their own on that someone opened.
It is never drawn as one chain, where "did" could outnumber "would" and read as 175 % of the step before.

The referral chain counts share links, each step a subset of the one before: links shared, of those the opened
ones, of those the answered ones, of those the ones that brought someone into the community. A link's counters
include the links passed on from it (``campaigns.links.bump_link_counter``), so a link's own events are its counters
less its children's; a link answered without a recorded open is not an opened link and so is not counted as answered.

Suppression: every count of respondents shown here goes through ``suppression.shown`` or ``suppress_partition``
(the one place, so the rule can change in one place): 1-4 is hidden. Counts of links and their opens and sign-ups
are the links' events, not who answered what, and stay shown, as on the rest of the campaign's results.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.campaigns import connectors as campaign_connectors
from app.campaigns.models import Campaign, CampaignResponse, ShareLink
from app.insights import schemas
from app.insights.service import period_of
from app.insights.stats import proportion
from app.insights.suppression import is_suppressed, shown, suppress_partition
from app.surveys.models import Answer, Question, Survey, SurveyResponse

PROMOTERS = "promoters"
DETRACTORS = "detractors"
PASSIVES = "passives"
CHAIN_STEPS = {
    "shared": "Links shared",
    "opened": "Opened",
    "answered": "Answered",
    "joined": "Brought a new member",
}
INTENT_LABELS = {
    PROMOTERS: "Said they would recommend it (9\u201310)",
    DETRACTORS: "Said they would not (0\u20136)",
}

# --- Suppression: the one place -----------------------------------------------------------------------------


# --- Referral chain -----------------------------------------------------------------------------------------


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


def campaign_headline(
    session: Session,
    *,
    campaign: Campaign,
    survey: Survey | None,
    reach: Sequence[tuple[int, campaign_connectors.ReachTotals]],
    figures: schemas.SurveyResults | None,
) -> schemas.CampaignHeadline:
    """The whole campaign's outcome: respondents, reach against the declared networks, kits, the recommended
    action, NPS, responses over time, intent against action and the referral chain.

    ``reach`` is the whole campaign's per hop (from the counters), ``figures`` its survey's results for everyone."""
    respondents = sum(totals.responses for _, totals in reach)
    reached = sum(totals.opens for hop, totals in reach if hop == 1)
    network = campaign_connectors.declared_network_size(session, campaign=campaign)
    kits = campaign_connectors.kit_counts(session, campaign=campaign)
    answers = figures if figures is not None and not figures.suppressed else None
    return schemas.CampaignHeadline(
        respondents=shown(respondents),
        reached=reached,
        network_size=network,
        reach_share=reached / network if network else None,
        opens=sum(totals.opens for _, totals in reach),
        kits_accepted=campaign.kits_accepted,
        kits_shipped=kits["shipped"] + kits["delivered"] + kits["problem"],
        kits_delivered=kits["delivered"] + kits["problem"],
        kits_with_problem=kits["problem"],
        action=answers.outcome if answers is not None else None,
        nps=answers.nps if answers is not None else None,
        responses_over_time=responses_over_time(session, campaign=campaign),
        intent_action=intent_action(session, campaign=campaign, survey=survey),
        referral_chain=referral_chain(session, campaign=campaign),
    )
