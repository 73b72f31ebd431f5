"""The brand home: headline figures with trends, every challenge and campaign on one timeline, and what waits for
the staff. One dataclass serves the page, the JSON API and the weekly results e-mail (``app.brands.weekly_results``).

Each figure compares this period with the one before it (the last 7 days with the 7 before, the last 30 with the
30 before). Every "needs attention" count uses the conditions of the page it links to (the review filter of a
campaign's applications, the moderation queue's "waiting", the ideas board's "waiting for an answer", a payout
batch's pending lines, the webhook endpoints marked failing), so the number on the home is what that page lists.
Everything is a grouped aggregate over the brand's communities: a few queries whatever the brand's size.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, func, union_all
from sqlmodel import Session, col, select

from app.brands.models import Brand
from app.campaigns import applications as campaign_applications
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignPhase,
    CampaignStatus,
    KitShipment,
)
from app.challenges import phases as challenge_phases
from app.challenges.models import Challenge, Design, DesignStatus, Phase, Score
from app.columns import id_of, utcnow
from app.communities.models import Community, Membership
from app.i18n import N_, _
from app.ideas import reading as ideas_reading
from app.ideas.models import Idea
from app.insights import campaign_results as campaign_insights
from app.insights import service as insights_service
from app.insights import survey_results
from app.insights.segments import CampaignSegmentForm
from app.insights.survey_results import Segment
from app.moderation.models import Appeal, AppealStatus, ItemStatus, ModerationItem
from app.permissions import Action, Role, can
from app.rewards import statements as rewards_statements
from app.rewards.models import BatchStatus, LineStatus, PayoutBatch, PayoutLine
from app.surveys.models import Survey, SurveyResponse
from app.webhooks import service as webhooks_service

WEEK = timedelta(days=7)
MONTH = timedelta(days=30)
FigureKind = Literal["count", "score"]

CHALLENGE_PHASE_LABELS = {
    Phase.draft: N_("Draft"),
    Phase.upcoming: N_("Opens soon"),
    Phase.submissions_open: N_("Submissions open"),
    Phase.scoring: N_("Scoring"),
    Phase.closed: N_("Closed: pick the winners"),
    Phase.winners_announced: N_("Winners announced"),
}
# What comes next in each phase (marked for translation), and the moment it comes.
CHALLENGE_NEXT = {
    Phase.draft: (N_("Submissions would open"), "submissions_open_at"),
    Phase.upcoming: (N_("Submissions open"), "submissions_open_at"),
    Phase.submissions_open: (N_("Submissions close"), "submissions_close_at"),
    Phase.scoring: (N_("Scoring closes"), "scoring_close_at"),
}
CAMPAIGN_NEXT = {
    CampaignPhase.draft: (N_("Applications would open"), "apply_opens_at"),
    CampaignPhase.upcoming: (N_("Applications open"), "apply_opens_at"),
    CampaignPhase.applying: (N_("Applications close"), "apply_closes_at"),
    CampaignPhase.shipping: (N_("Shipping closes"), "ship_closes_at"),
    CampaignPhase.sharing: (N_("Sharing closes"), "share_closes_at"),
    CampaignPhase.feedback: (N_("Feedback closes"), "feedback_closes_at"),
}
FINISHED = {Phase.winners_announced.value, CampaignPhase.closed.value}


@dataclass(frozen=True)
class Figure:
    key: str
    label: str  # in the language of the request (or e-mail) that built the overview
    value: int | float | None  # None: nothing to show yet (no campaign answered, or too few answers)
    previous: int | float | None
    compared_with: str  # "vs the week before"
    kind: FigureKind = "count"

    @property
    def change(self) -> int | float | None:
        if self.value is None or self.previous is None:
            return None
        return round(self.value - self.previous, 1) if self.kind == "score" else self.value - self.previous


@dataclass(frozen=True)
class Money:
    currency: str
    owed_minor: int
    held_minor: int


@dataclass(frozen=True)
class TimelineEntry:
    kind: Literal["challenge", "campaign"]
    title: str
    community_name: str
    url: str
    phase: str
    phase_label: str
    next_label: str | None
    next_at: datetime | None
    finished: bool


@dataclass(frozen=True)
class AttentionItem:
    key: str  # applications, kits, reports, appeals, payouts, ideas, webhooks
    label: str  # "Applications to review"
    where: str  # the campaign, community or batch it is about
    count: int
    url: str | None  # None when the viewer may not open the page (an analyst and the moderation queue, say)


@dataclass(frozen=True)
class BrandOverview:
    brand: Brand
    now: datetime
    figures: list[Figure]
    money: Money
    timeline: list[TimelineEntry]
    attention: list[AttentionItem] = field(default_factory=list)

    @property
    def attention_total(self) -> int:
        return sum(item.count for item in self.attention)


def _window(column: Any, start: datetime, end: datetime) -> ColumnElement[int]:
    """1 for a row whose ``column`` is in [start, end), for a conditional COUNT."""
    return case((and_(column >= start, column < end), 1))


def _members(session: Session, community_ids: list[int], now: datetime) -> Figure:
    """Distinct people in any of the brand's communities, now and 30 days ago (of those still members)."""
    total, before = session.exec(
        select(
            func.count(func.distinct(Membership.user_id)),
            func.count(func.distinct(case((col(Membership.joined_at) < now - MONTH, Membership.user_id)))),
        ).where(col(Membership.community_id).in_(community_ids))
    ).one()
    return Figure("members", _("Members"), total, before, _("vs 30 days ago"))


def _active(session: Session, community_ids: list[int], now: datetime) -> Figure:
    """Members who did anything in the brand's communities (insights' definition of activity) in the last 30 days,
    and in the 30 before."""
    parts = [
        select(who.label("user_id"), when.label("at")).where(*where, when >= now - 2 * MONTH, when < now)
        for _source, who, when, where in insights_service.activity_sources(community_ids)
    ]
    activity = union_all(*parts).subquery()
    members = select(col(Membership.user_id)).where(col(Membership.community_id).in_(community_ids))
    recent, earlier = session.execute(
        select(
            func.count(func.distinct(case((activity.c.at >= now - MONTH, activity.c.user_id)))),
            func.count(func.distinct(case((activity.c.at < now - MONTH, activity.c.user_id)))),
        ).where(activity.c.user_id.in_(members))
    ).one()
    return Figure("active_members", _("Active in the last 30 days"), recent, earlier, _("vs the 30 days before"))


def _weekly(session: Session, community_ids: list[int], brand: Brand, now: datetime) -> list[Figure]:
    """Designs and scores in the brand's challenges, and responses to its surveys: last 7 days and the 7 before."""
    week_ago, fortnight_ago = now - WEEK, now - 2 * WEEK
    challenges = select(col(Challenge.id)).where(col(Challenge.community_id).in_(community_ids))
    designs = session.exec(
        select(
            func.count(_window(col(Design.created_at), week_ago, now)),
            func.count(_window(col(Design.created_at), fortnight_ago, week_ago)),
        ).where(
            col(Design.challenge_id).in_(challenges),
            col(Design.status) == DesignStatus.submitted,
            col(Design.created_at) >= fortnight_ago,
        )
    ).one()
    scores = session.exec(
        select(
            func.count(_window(col(Score.created_at), week_ago, now)),
            func.count(_window(col(Score.created_at), fortnight_ago, week_ago)),
        )
        .join(Design, col(Design.id) == Score.design_id)
        .where(col(Design.challenge_id).in_(challenges), col(Score.created_at) >= fortnight_ago)
    ).one()
    responses = session.exec(
        select(
            func.count(_window(col(SurveyResponse.submitted_at), week_ago, now)),
            func.count(_window(col(SurveyResponse.submitted_at), fortnight_ago, week_ago)),
        )
        .join(Survey, col(Survey.id) == SurveyResponse.survey_id)
        .where(
            col(Survey.brand_id) == brand.id,
            col(SurveyResponse.hidden_at).is_(None),
            col(SurveyResponse.submitted_at) >= fortnight_ago,
        )
    ).one()
    compared = _("vs the week before")
    return [
        Figure("designs", _("Designs in the last 7 days"), designs[0], designs[1], compared),
        Figure("scores", _("Scores in the last 7 days"), scores[0], scores[1], compared),
        Figure("responses", _("Survey responses in the last 7 days"), responses[0], responses[1], compared),
    ]


def _campaign_nps(session: Session, campaign: Campaign) -> float | None:
    """The campaign's NPS for everyone, as its results page computes it (None with no survey or too few answers),
    without the page's reach and connector tables."""
    scope = campaign_insights.campaign_scope(session, campaign=campaign)
    if scope.survey is None:
        return None
    everyone = CampaignSegmentForm(prefix="", tokens=[], since="", until="", pick=None, segment=Segment(), errors=[])
    chosen = campaign_insights.campaign_filter(session, scope=scope, form=everyone)
    results = survey_results.survey_results(
        session, survey=scope.survey, segment=chosen.segment, population=scope.population
    )
    nps = results.nps
    if nps is None or nps.suppressed or nps.score is None:
        return None
    return round(nps.score, 1)


def _nps(session: Session, communities: dict[int, Community], now: datetime) -> Figure:
    """NPS of the latest campaign whose samples are out (sharing or later), against the campaign before."""
    latest = session.exec(
        select(Campaign)
        .where(
            col(Campaign.community_id).in_(list(communities)),
            col(Campaign.status) == CampaignStatus.published,
            col(Campaign.ship_closes_at) <= now,
        )
        .order_by(col(Campaign.ship_closes_at).desc(), col(Campaign.id).desc())
        .limit(2)
    ).all()
    scores = [_campaign_nps(session, campaign) for campaign in latest]
    label = _("NPS of %(campaign)s", campaign=latest[0].title) if latest else _("NPS of the latest campaign")
    return Figure(
        "nps",
        label,
        scores[0] if scores else None,
        scores[1] if len(scores) > 1 else None,
        _("vs the campaign before"),
        kind="score",
    )


def _timeline(session: Session, communities: dict[int, Community], now: datetime) -> list[TimelineEntry]:
    """Every challenge and campaign: those under way or to come by their next date, then the finished ones, the
    latest first."""
    entries: list[TimelineEntry] = []
    for challenge in session.exec(select(Challenge).where(col(Challenge.community_id).in_(list(communities)))).all():
        community = communities[challenge.community_id]
        phase = challenge_phases.phase(challenge, now)
        next_label, attribute = CHALLENGE_NEXT.get(phase, (None, None))
        entries.append(
            TimelineEntry(
                kind="challenge",
                title=challenge.title,
                community_name=community.name,
                url=f"/c/{community.slug}/challenges/{challenge.slug}",
                phase=phase.value,
                phase_label=_(CHALLENGE_PHASE_LABELS[phase]),
                next_label=_(next_label) if next_label else None,
                next_at=getattr(challenge, attribute) if attribute else None,
                finished=phase.value in FINISHED,
            )
        )
    for campaign in session.exec(select(Campaign).where(col(Campaign.community_id).in_(list(communities)))).all():
        community = communities[campaign.community_id]
        campaign_phase = campaign_lifecycle.phase(campaign, now)
        next_label, attribute = CAMPAIGN_NEXT.get(campaign_phase, (None, None))
        entries.append(
            TimelineEntry(
                kind="campaign",
                title=campaign.title,
                community_name=community.name,
                url=f"/c/{community.slug}/campaigns/{campaign.slug}",
                phase=campaign_phase.value,
                phase_label=_(campaign_lifecycle.PHASE_LABELS[campaign_phase]),
                next_label=_(next_label) if next_label else None,
                next_at=getattr(campaign, attribute) if attribute else None,
                finished=campaign_phase.value in FINISHED,
            )
        )
    under_way = sorted(
        (e for e in entries if not e.finished), key=lambda e: (e.next_at is None, e.next_at or now, e.title)
    )
    finished = sorted((e for e in entries if e.finished), key=lambda e: e.title)
    return under_way + finished


def _attention(
    session: Session, brand: Brand, communities: dict[int, Community], roles: frozenset[Role], now: datetime
) -> list[AttentionItem]:
    ids = list(communities)
    items: list[AttentionItem] = []

    def add(key: str, label: str, where: str, count: int, url: str, action: Action) -> None:
        if count:
            items.append(AttentionItem(key, label, where, count, url if can(roles, action) else None))

    campaigns = {id_of(c): c for c in session.exec(select(Campaign).where(col(Campaign.community_id).in_(ids))).all()}
    deciding = [
        cid for cid, c in campaigns.items() if campaign_lifecycle.phase(c, now) in campaign_lifecycle.DECIDING_PHASES
    ]

    def campaign_url(campaign: Campaign, status: str) -> str:
        community = communities[campaign.community_id]
        return f"/c/{community.slug}/campaigns/{campaign.slug}/applications?status={status}"

    if deciding:
        for campaign_id, count in session.exec(
            select(CampaignApplication.campaign_id, func.count())
            .where(
                col(CampaignApplication.campaign_id).in_(deciding),
                col(CampaignApplication.status) == ApplicationStatus.applied,
            )
            .group_by(col(CampaignApplication.campaign_id))
        ).all():
            campaign = campaigns[campaign_id]
            url = campaign_url(campaign, ApplicationStatus.applied.value)
            add("applications", _("Applications to review"), campaign.title, count, url, Action.manage_campaign)
    if campaigns:
        for campaign_id, count in session.exec(
            select(CampaignApplication.campaign_id, func.count())
            .join(KitShipment, col(KitShipment.application_id) == CampaignApplication.id)
            .where(
                col(CampaignApplication.campaign_id).in_(list(campaigns)),
                *campaign_applications.kit_to_ship_conditions(),
            )
            .group_by(col(CampaignApplication.campaign_id))
        ).all():
            campaign = campaigns[campaign_id]
            url = campaign_url(campaign, campaign_applications.KIT_TO_SHIP)
            add("kits", _("Kits to ship"), campaign.title, count, url, Action.manage_campaign)
    for community_id, count in session.exec(
        select(ModerationItem.community_id, func.count())
        .where(
            col(ModerationItem.community_id).in_(ids),
            col(ModerationItem.status).in_((ItemStatus.open, ItemStatus.held)),
        )
        .group_by(col(ModerationItem.community_id))
    ).all():
        community = communities[community_id]
        add(
            "reports",
            _("Reports waiting"),
            community.name,
            count,
            f"/c/{community.slug}/moderation",
            Action.moderate_community,
        )
    for community_id, count in session.exec(
        select(Appeal.community_id, func.count())
        .where(col(Appeal.community_id).in_(ids), col(Appeal.status) == AppealStatus.pending)
        .group_by(col(Appeal.community_id))
    ).all():
        community = communities[community_id]
        url = f"/c/{community.slug}/moderation/appeals"
        add("appeals", _("Appeals to decide"), community.name, count, url, Action.moderate_community)
    for batch_id, count in session.exec(
        select(PayoutBatch.id, func.count())
        .join(PayoutLine, col(PayoutLine.batch_id) == PayoutBatch.id)
        .where(
            col(PayoutBatch.brand_id) == brand.id,
            col(PayoutBatch.status) == BatchStatus.open,
            col(PayoutLine.status) == LineStatus.pending,
        )
        .group_by(col(PayoutBatch.id))
    ).all():
        url = f"/brands/{brand.slug}/rewards/payouts/{batch_id}"
        add("payouts", _("Payouts to mark paid"), _("Batch %(id)s", id=batch_id), count, url, Action.view_rewards)
    for community_id, count in session.exec(
        select(Idea.community_id, func.count())
        .where(col(Idea.community_id).in_(ids), *ideas_reading.unanswered_conditions())
        .group_by(col(Idea.community_id))
    ).all():
        community = communities[community_id]
        url = f"/c/{community.slug}/ideas?status={ideas_reading.UNANSWERED}&sort=newest"
        add("ideas", _("Ideas waiting for an answer"), community.name, count, url, Action.view_ideas)
    failing = len(webhooks_service.failing_endpoint_ids(session, brand_id=id_of(brand)))
    add(
        "webhooks",
        _("Webhook endpoints failing"),
        brand.name,
        failing,
        f"/brands/{brand.slug}/webhooks",
        Action.manage_webhooks,
    )
    return items


def brand_overview(
    session: Session, *, brand: Brand, roles: frozenset[Role], now: datetime | None = None
) -> BrandOverview:
    """The brand home's figures, timeline and needs-attention list at ``now``, with links the ``roles`` may open."""
    now = now or utcnow()
    communities = {
        id_of(c): c for c in session.exec(select(Community).where(col(Community.brand_id) == brand.id)).all()
    }
    ids = list(communities) or [0]
    owed = rewards_statements.owed_totals(session, brand=brand, now=now)
    timeline = _timeline(session, communities, now)
    weekly = _weekly(session, ids, brand, now)
    if not any(entry.kind == "challenge" for entry in timeline):
        # A brand that runs no design challenges is not shown two figures that are always zero.
        weekly = [figure for figure in weekly if figure.key not in {"designs", "scores"}]
    figures = [_members(session, ids, now), _active(session, ids, now), *weekly, _nps(session, communities, now)]
    return BrandOverview(
        brand=brand,
        now=now,
        figures=figures,
        money=Money(currency=owed.currency, owed_minor=owed.owed_minor, held_minor=owed.held_minor),
        timeline=timeline,
        attention=_attention(session, brand, communities, roles, now),
    )
