"""Results of a sampling campaign: the outcome at a glance (``campaign_headline``), its survey's results
(``survey_results``, the survey page's own code), the referral chain of its links, reach by hop and connectors'
response rates. Beside it: ``campaign_exports`` (the CSV files' rows) and ``campaign_outcome`` (the chart posted with
the outcome).

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlmodel import Session, col

from app.accounts import service as accounts_service
from app.accounts.models import User
from app.campaigns import answering as campaign_answering
from app.campaigns import applications as campaign_applications
from app.campaigns import connectors as campaign_connectors
from app.campaigns import totals as campaign_totals
from app.campaigns.models import ApplicationStatus, Campaign, CampaignApplication, CampaignResponse
from app.campaigns.totals import REACH_FIGURES
from app.columns import id_of
from app.communities.models import Community
from app.errors import Conflict, Invalid, NotFound
from app.i18n import N_, Labels, _
from app.insights import campaign_headline as headline
from app.insights import schemas, suppression
from app.insights import survey_results as results_service
from app.insights.segments import CampaignSegmentForm
from app.insights.suppression import K_ANONYMITY, suppress_partition
from app.insights.survey_results import Segment
from app.surveys.models import Survey, SurveyResponse

SORTS = Labels(
    {
        "responses": N_("Responses"),
        "rate": N_("Response rate"),
        "opens": N_("Opened"),
        "samples": N_("Samples passed on"),
        "signups": N_("Joined"),
        "name": N_("Name"),
    }
)
NOT_ATTRIBUTABLE = N_("Not known for answer or date filters: links count opens and sign-ups, not who answered what.")


@dataclass(frozen=True)
class CampaignScope:
    """What a campaign's results are read from: its survey (None when it has none), the campaign's respondents by
    the counters, and whether the survey has other responses too (a survey a brand reuses)."""

    campaign: Campaign
    survey: Survey | None
    respondents: int
    reach: list[tuple[int, campaign_connectors.ReachTotals]]
    kept: dict[str, dict[str, int]]

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
    kept = campaign_totals.read_totals(session, campaign_id=id_of(campaign))
    reach = _reach_by_hop(kept)
    return CampaignScope(
        campaign=campaign,
        survey=survey,
        respondents=sum(totals.responses for _, totals in reach),
        reach=reach,
        kept=kept,
    )


def _reach_by_hop(kept: Mapping[str, Mapping[str, int]]) -> list[tuple[int, campaign_connectors.ReachTotals]]:
    """The whole campaign's opens, responses, sign-ups and shares per hop, from its kept totals."""
    opens, responses, signups, shares = (kept.get(figure, {}) for figure in REACH_FIGURES.values())
    hops = sorted({int(hop) for hop in (*opens, *responses, *signups, *shares)})
    return [
        (
            hop,
            campaign_connectors.ReachTotals(
                opens=opens.get(str(hop), 0),
                responses=responses.get(str(hop), 0),
                signups=signups.get(str(hop), 0),
                shares=shares.get(str(hop), 0),
            ),
        )
        for hop in hops
    ]


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
        message = _(
            "This campaign has reached hop %(highest)s at most: choose hops from 1 to %(highest)s (not %(outside)s).",
            highest=scope.highest_hop,
            outside=", ".join(str(hop) for hop in outside),
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
            message = _("@%(handle)s is not a connector of this campaign.", handle=form.connector)
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


def everyone_filter(scope: CampaignScope) -> CampaignFilter:
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
            schemas.FunnelStep(key=key, label=label, people=None, note=_(NOT_ATTRIBUTABLE))
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


def _protecting(session: Session, *, campaign: Campaign, kept: Mapping[str, Mapping[str, int]]) -> int | None:
    """The application of the connector whose responses are hidden only to protect the 1-4 ones (the smallest
    shown count, the first applied on a tie, as ``suppress_partition`` picks it), None when none is needed.

    With the counts of 1-4 hidden, at most one more is ever needed: any shown count is 5 or more, so the hidden ones
    then number two and add up to more than 4. The kept count and sum of the 1-4 ones decide it, and the one to
    hide is looked for (along an index) only then."""
    connectors = kept.get("connectors", {})
    if not suppression.partition_gives_away(
        connectors.get(campaign_totals.HIDDEN, 0), connectors.get(campaign_totals.HIDDEN_RESPONSES, 0)
    ):
        return None
    return session.execute(
        select(col(CampaignApplication.id))
        .where(
            col(CampaignApplication.campaign_id) == campaign.id,
            col(CampaignApplication.status) == ApplicationStatus.accepted,
            col(CampaignApplication.response_rank) >= K_ANONYMITY,
        )
        .order_by(col(CampaignApplication.response_rank), col(CampaignApplication.id))
        .limit(1)
    ).scalar_one_or_none()


def _sort_keys(sort: str, *, hidden_last: Any, rate_key: Any, rate_rank: Any) -> tuple[Any, ...]:
    """The order of a sort (a key of SORTS): ``hidden_last`` is the responses or -1 when hidden, ``rate_key`` the
    shown rate or 0 when none, ``rate_rank`` the rate or -1 when none (which orders as "has a rate" then the rate)."""
    return {
        "responses": (hidden_last, rate_key),
        "rate": (rate_rank, hidden_last),
        "opens": (col(CampaignApplication.reach_opens), hidden_last),
        "samples": (col(CampaignApplication.samples_passed_on), hidden_last),
        "signups": (col(CampaignApplication.reach_signups), hidden_last),
        "name": (func.lower(col(User.display_name)), col(User.handle)),
    }.get(sort) or (hidden_last, rate_key)


def connector_results(
    session: Session,
    *,
    campaign: Campaign,
    sort: str = "responses",
    descending: bool = True,
    page: int = 1,
    per_page: int | None = CONNECTORS_PER_PAGE,
    kept: Mapping[str, Mapping[str, int]] | None = None,
) -> ConnectorPage:
    """A page of the accepted connectors with their samples, reach and response rate (responses per sample passed
    on, as on the progress page), sorted by ``sort`` (a key of SORTS), ties by name then handle, and their total;
    ``per_page`` None: every one (the CSV export). ``kept``: the campaign's kept totals, when already read.

    Read from each connector's kept reach and sort keys (``CampaignApplication``), along an index per sort: a
    campaign may have 600,000 connectors. Responses of fewer than 5 (and one more to protect them, ``_protecting``)
    are hidden with their rate; a hidden count sorts below every shown one (below 0 too), so its place tells nothing
    of its size. Names compare lower-cased by the database (``lower``), which folds ASCII letters at least.

    The protected connector sorts as hidden, which no stored key says: the page is read without them along the
    index (one row more before it), then that window and them are put in order together, a sort of a page."""
    kept = kept if kept is not None else campaign_totals.read_totals(session, campaign_id=id_of(campaign))
    total = kept.get("connectors", {}).get(campaign_totals.ACCEPTED, 0)
    protecting = _protecting(session, campaign=campaign, kept=kept)
    application = col(CampaignApplication.id)
    is_protecting = application == protecting
    hidden = or_(col(CampaignApplication.response_rank) == -1, is_protecting)
    rate = case(
        (hidden, None), (col(CampaignApplication.samples_passed_on) > 0, col(CampaignApplication.response_rate))
    )
    keys = _sort_keys(
        sort,
        hidden_last=case((is_protecting, -1), else_=col(CampaignApplication.response_rank)),
        rate_key=case((is_protecting, 0.0), else_=col(CampaignApplication.response_rate)),
        rate_rank=case((is_protecting, -1.0), else_=col(CampaignApplication.rate_rank)),
    )
    name, handle = func.lower(col(User.display_name)), col(User.handle)

    def ordered(query: Any, order: Sequence[Any]) -> Any:
        return query.order_by(*(key.desc() if descending else key.asc() for key in order), name, handle)

    connectors = _accepted(
        campaign,
        col(User.handle),
        col(User.display_name),
        col(CampaignApplication.samples_passed_on),
        col(CampaignApplication.reach_opens),
        case((hidden, None), else_=col(CampaignApplication.reach_responses)),
        col(CampaignApplication.reach_signups),
        col(CampaignApplication.reach_shares),
        rate,
    )
    if per_page is None:
        found = session.execute(ordered(connectors, keys)).all()
        return ConnectorPage(rows=_connector_rows(found), total=total, page=page, per_page=per_page)
    # For everyone but the protected connector the stored keys are the true ones: the order an index gives.
    stored = _sort_keys(
        sort,
        hidden_last=col(CampaignApplication.response_rank),
        rate_key=col(CampaignApplication.response_rate),
        rate_rank=col(CampaignApplication.rate_rank),
    )
    start = (page - 1) * per_page
    if protecting is None:
        found = session.execute(ordered(connectors, stored).limit(per_page).offset(start)).all()
    else:
        # The others from one row before the page to its end, then those and the protected one sorted together:
        # the protected one falls before that first row (so off the page), among the page, or after it.
        first = max(start - 1, 0)
        others = ordered(_accepted(campaign, application).where(application != protecting), stored)
        window = session.execute(others.limit(start + per_page - first).offset(first)).scalars().all()
        together = session.execute(ordered(connectors.where(application.in_([*window, protecting])), keys)).all()
        found = together[1 : 1 + per_page] if start > 0 else together[:per_page]
    return ConnectorPage(rows=_connector_rows(found), total=total, page=page, per_page=per_page)


def _accepted(campaign: Campaign, *columns: Any) -> Any:
    """A query of the campaign's accepted connectors (their applications with their users)."""
    return (
        select(*columns)
        .select_from(CampaignApplication)
        .join(User, col(User.id) == CampaignApplication.user_id)
        .where(
            col(CampaignApplication.campaign_id) == campaign.id,
            col(CampaignApplication.status) == ApplicationStatus.accepted,
        )
    )


def _connector_rows(found: Sequence[Any]) -> list[schemas.ConnectorResult]:
    return [
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
        for handle, display_name, samples, opens, responses, signups, shares, response_rate in found
    ]


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
            session, survey=scope.survey, segment=everyone_filter(scope).segment, population=scope.population
        )
    return headline.campaign_headline(
        session, campaign=scope.campaign, survey=scope.survey, reach=scope.reach, figures=figures, kept=scope.kept
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
    chosen = chosen or everyone_filter(scope)
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
        session, campaign=campaign, sort=sort, descending=descending, page=page, per_page=per_page, kept=scope.kept
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
