"""Results of challenges and communities for brand staff: what the pages, the JSON API and the exports show.

Challenge figures come from the counters the challenge services keep on each design (count, sum, "I'd buy it")
and from grouped queries on ``scores`` over the challenge's designs (indexed by design and time, see
``app.insights.models``); a challenge holds thousands of scores, not millions, so no extra rollup is needed.
Community figures group a member's activity by month in the database: designs, scores and comments (design
communities), ideas posted, votes on ideas and survey or campaign responses given while logged in (feedback
communities). Every segment below the
k-anonymity threshold (a design with fewer than 5 scorers, a cohort of fewer than 5 members) is suppressed
here, so no page, API answer or export can show it.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, func, select, union
from sqlmodel import Session, col

from app.accounts.models import User
from app.challenges import phases as challenge_phases
from app.challenges import winners as challenge_winners
from app.challenges.models import Challenge, Design, DesignStatus, Score
from app.columns import utcnow
from app.comments.models import Comment
from app.communities.models import Community, Membership
from app.errors import Invalid
from app.i18n import N_, _
from app.ideas.models import Idea, IdeaVote
from app.insights import schemas
from app.insights.stats import proportion
from app.insights.suppression import K_ANONYMITY, is_suppressed, shown, suppress_partition
from app.surveys.models import SurveyResponse

Unit = Literal["day", "month"]
RETENTION_MONTHS = 6
TOP_CONTRIBUTORS = 10
ACTIVE_DAYS = 30


def period_of(column: Any, *, dialect: str, unit: Unit) -> ColumnElement[str]:
    """The UTC day ("2026-11-23") or month ("2026-11") of a timestamp column, as text, on either database."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD" if unit == "day" else "YYYY-MM")
    return func.strftime("%Y-%m-%d" if unit == "day" else "%Y-%m", column)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


# --- Challenges ---------------------------------------------------------------------------------------------


def _challenge_designs(challenge: Challenge) -> Any:
    return select(col(Design.id)).where(
        col(Design.challenge_id) == challenge.id, col(Design.status) == DesignStatus.submitted
    )


def challenge_participation(session: Session, *, challenge: Challenge) -> list[schemas.DayCount]:
    """Scores cast and designs submitted per UTC day, oldest first (days with neither are left out)."""
    dialect = _dialect(session)
    score_day = period_of(col(Score.created_at), dialect=dialect, unit="day")
    design_day = period_of(col(Design.created_at), dialect=dialect, unit="day")
    scores = session.execute(
        select(score_day, func.count())
        .where(col(Score.design_id).in_(_challenge_designs(challenge)))
        .group_by(score_day)
    ).all()
    designs = session.execute(
        select(design_day, func.count())
        .where(col(Design.challenge_id) == challenge.id, col(Design.status) == DesignStatus.submitted)
        .group_by(design_day)
    ).all()
    days: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for day, count in scores:
        days[day][0] = count
    for day, count in designs:
        days[day][1] = count
    return [schemas.DayCount(day=day, scores=s, designs=d) for day, (s, d) in sorted(days.items())]


def challenge_results(
    session: Session, *, community: Community, challenge: Challenge, limit: int = 20, now: datetime | None = None
) -> schemas.ChallengeResults:
    """Score distributions (overall and per design), "I'd buy it" rates with intervals, and participation.

    Scores stay hidden until scoring closes, as on the shortlist, so no one is swayed while it runs: before
    then only participation is shown. Designs come in shortlist order (calibrated rank), the first ``limit``.
    """
    now = now or utcnow()
    participation = challenge_participation(session, challenge=challenge)
    shown = challenge_phases.scores_are_public(challenge, now)
    voters = session.execute(
        select(func.count(func.distinct(Score.voter_id))).where(col(Score.design_id).in_(_challenge_designs(challenge)))
    ).scalar_one()
    base = schemas.ChallengeResults(
        community_slug=community.slug,
        challenge_slug=challenge.slug,
        title=challenge.title,
        scores_shown=shown,
        scoring_closes_at=challenge.scoring_close_at,
        design_count=challenge.design_count,
        score_count=challenge.score_count,
        voter_count=voters,
        participation=participation,
    )
    if not shown:
        return base
    # Only designs shown on their own count towards the overall figures: otherwise subtracting the shown designs
    # from the overall distribution would reveal the suppressed ones (differencing).
    overall = [0] * 6
    buys = 0
    grouped = session.execute(
        select(col(Score.value), func.count(), func.sum(case((col(Score.would_buy), 1), else_=0)))
        .join(Design, col(Design.id) == Score.design_id)
        .where(
            col(Design.challenge_id) == challenge.id,
            col(Design.status) == DesignStatus.submitted,
            col(Design.score_count) >= K_ANONYMITY,
        )
        .group_by(col(Score.value))
    ).all()
    for value, count, would_buy in grouped:
        overall[value] = count
        buys += would_buy or 0
    total = sum(overall)
    entries = challenge_winners.shortlist(session, challenge=challenge, now=now)[:limit]
    designs = []
    for entry in entries:
        count = entry.design.score_count
        hidden = is_suppressed(count)
        designs.append(
            schemas.DesignResult(
                rank=entry.rank,
                design_id=entry.design.id or 0,
                title=entry.design.title,
                designer_handle=entry.designer.handle,
                score_count=count,
                mean=None if hidden else entry.mean,
                distribution=None if hidden else suppress_partition(list(entry.distribution), with_mean=True),
                would_buy=proportion(entry.design.buy_count, count),
            )
        )
    return base.model_copy(
        update={
            "mean": sum(value * count for value, count in enumerate(overall)) / total if total else None,
            "distribution": suppress_partition(overall, with_mean=True),
            "would_buy": proportion(buys, total),
            "designs": designs,
        }
    )


def challenge_design_rows(
    session: Session, *, community: Community, challenge: Challenge, now: datetime | None = None
) -> Iterator[list[Any]]:
    """Every ranked design as a CSV row (a suppressed design's figures left empty), for the aggregates export."""
    results = challenge_results(
        session, community=community, challenge=challenge, limit=challenge_winners.SHORTLIST_SIZE, now=now
    )
    for design in results.designs:
        distribution: list[int | None] = [*design.distribution] if design.distribution else [None] * 6
        buy = design.would_buy
        yield [
            design.rank,
            design.design_id,
            design.title,
            design.designer_handle,
            design.score_count,
            None if design.mean is None else round(design.mean, 3),
            *distribution,
            buy.count,
            None if buy.share is None else round(buy.share, 4),
            None if buy.low is None else round(buy.low, 4),
            None if buy.high is None else round(buy.high, 4),
        ]


DESIGN_CSV_HEADER = [
    N_("rank"), N_("design_id"), N_("title"), N_("designer"), N_("scores"), N_("mean"),
    N_("score_0"), N_("score_1"), N_("score_2"), N_("score_3"), N_("score_4"), N_("score_5"),
    N_("would_buy"), N_("would_buy_share"), N_("would_buy_low"), N_("would_buy_high"),
]  # fmt: skip


# --- Communities --------------------------------------------------------------------------------------------


def _activity_sources(community: Community) -> list[tuple[str, Any, Any, list[Any]]]:
    return activity_sources([community.id or 0])


def activity_sources(community_ids: Sequence[int]) -> list[tuple[str, Any, Any, list[Any]]]:
    """What counts as a member's activity in these communities: (kind, who, when, conditions) for designs
    submitted, scores, comments, ideas posted, votes on ideas, and survey or campaign responses given logged in
    (anonymous ones have no member). Moderated-away content does not count. The brand home counts active members
    with it too (``app.brands.overview``)."""
    challenges = select(col(Challenge.id)).where(col(Challenge.community_id).in_(community_ids))
    designs = select(col(Design.id)).where(col(Design.challenge_id).in_(challenges))
    ideas = select(col(Idea.id)).where(col(Idea.community_id).in_(community_ids), col(Idea.hidden_at).is_(None))
    return [
        (
            "designs",
            col(Design.designer_id),
            col(Design.created_at),
            [col(Design.challenge_id).in_(challenges), col(Design.status) == DesignStatus.submitted],
        ),
        ("scores", col(Score.voter_id), col(Score.created_at), [col(Score.design_id).in_(designs)]),
        (
            "comments",
            col(Comment.author_id),
            col(Comment.created_at),
            [col(Comment.design_id).in_(designs), col(Comment.deleted_at).is_(None)],
        ),
        (
            "ideas",
            col(Idea.author_id),
            col(Idea.created_at),
            [
                col(Idea.community_id).in_(community_ids),
                col(Idea.hidden_at).is_(None),
                col(Idea.author_id).is_not(None),
            ],
        ),
        ("votes", col(IdeaVote.voter_id), col(IdeaVote.created_at), [col(IdeaVote.idea_id).in_(ideas)]),
        (
            "responses",
            col(SurveyResponse.user_id),
            col(SurveyResponse.submitted_at),
            [
                col(SurveyResponse.community_id).in_(community_ids),
                col(SurveyResponse.user_id).is_not(None),
                col(SurveyResponse.hidden_at).is_(None),
            ],
        ),
    ]


def _activity(community: Community, *, dialect: str, since: datetime | None = None) -> Any:
    """(user_id, month) for every kind of activity in the community (``_activity_sources``), optionally since then."""
    parts = []
    for _kind, user_column, time_column, where in _activity_sources(community):
        query: Any = select(
            user_column.label("user_id"), period_of(time_column, dialect=dialect, unit="month").label("month")
        ).where(*where)
        if since is not None:
            query = query.where(time_column >= since)
        parts.append(query)
    return union(*parts).subquery()


def _month_index(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def _month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def community_results(
    session: Session, *, community: Community, now: datetime | None = None
) -> schemas.CommunityResults:
    """Members, active members, joins per month, retention by monthly cohort and the top contributors."""
    now = now or utcnow()
    dialect = _dialect(session)
    join_month = period_of(col(Membership.joined_at), dialect=dialect, unit="month")
    joined = session.execute(
        select(col(Membership.user_id), join_month).where(col(Membership.community_id) == community.id)
    ).all()
    cohort_of = {user_id: month for user_id, month in joined}
    activity = _activity(community, dialect=dialect)
    active_months: dict[int, set[int]] = defaultdict(set)
    for user_id, month in session.execute(select(activity.c.user_id, activity.c.month)).all():
        if user_id in cohort_of:
            active_months[user_id].add(_month_index(month))
    recent = _activity(community, dialect=dialect, since=now - timedelta(days=ACTIVE_DAYS))
    active_recently = session.execute(
        select(func.count(func.distinct(recent.c.user_id))).where(
            recent.c.user_id.in_(select(col(Membership.user_id)).where(col(Membership.community_id) == community.id))
        )
    ).scalar_one()

    joins: dict[str, int] = defaultdict(int)
    for month in cohort_of.values():
        joins[month] += 1
    this_month = now.astimezone(UTC).year * 12 + now.astimezone(UTC).month - 1
    cohorts = []
    for month in sorted(joins):
        start = _month_index(month)
        members = [user_id for user_id, cohort in cohort_of.items() if cohort == month]
        size = len(members)
        retained = []
        for offset in range(min(RETENTION_MONTHS, this_month - start + 1)):
            active = sum(1 for user_id in members if start + offset in active_months[user_id])
            retained.append(proportion(active, size))
        cohorts.append(schemas.Cohort(month=month, members=None if is_suppressed(size) else size, retained=retained))
    return schemas.CommunityResults(
        community_slug=community.slug,
        name=community.name,
        member_count=community.member_count,
        active_members=proportion(active_recently, community.member_count),
        active_days=ACTIVE_DAYS,
        joins=[schemas.MonthCount(month=month, count=joins[month]) for month in sorted(joins)],
        cohorts=cohorts,
        top_designers=_top(session, community=community, kind="designs"),
        top_scorers=_top(session, community=community, kind="scores"),
        top_commenters=_top(session, community=community, kind="comments"),
        top_idea_authors=_top(session, community=community, kind="ideas"),
        top_idea_voters=_top(session, community=community, kind="votes"),
        survey_answering=_survey_answering(session, community=community),
    )


# A campaign's friends may answer logged in without joining: only members are ranked (designs, scores and comments
# are members' by the challenges' rules).
MEMBERS_ONLY = frozenset({"ideas", "votes", "responses"})


def _members_only(community: Community, kind: str) -> list[Any]:
    """The conditions of one kind of activity (a kind of ``_activity_sources``), limited to members if need be."""
    _kind, who, _when, where = next(source for source in _activity_sources(community) if source[0] == kind)
    if kind in MEMBERS_ONLY:
        where = [*where, who.in_(select(col(Membership.user_id)).where(col(Membership.community_id) == community.id))]
    return where


def _survey_answering(session: Session, *, community: Community) -> schemas.SurveyAnswering:
    """How many members answered surveys or campaigns logged in, and how often: counts only, never names."""
    members, responses = session.execute(
        select(func.count(func.distinct(SurveyResponse.user_id)), func.count()).where(
            *_members_only(community, "responses")
        )
    ).one()
    return schemas.SurveyAnswering(members=shown(members), responses=shown(responses))


def _top(session: Session, *, community: Community, kind: str) -> list[schemas.Contributor]:
    """The members with the most of one kind of activity (a kind of ``_activity_sources``) in the community.

    Named on purpose: designs, comments and ideas are public acts signed by their authors, and scores and votes are
    counted, never shown which or how. Survey answering is never ranked by name (``_survey_answering``)."""
    _kind, who, _when, _where = next(source for source in _activity_sources(community) if source[0] == kind)
    where = _members_only(community, kind)
    counted = func.count().label("n")
    rows = session.execute(
        select(col(User.handle), col(User.display_name), counted)
        .select_from(who.table)
        .join(User, col(User.id) == who)
        .where(*where)
        .group_by(col(User.id), col(User.handle), col(User.display_name))
        .order_by(counted.desc(), col(User.handle))
        .limit(TOP_CONTRIBUTORS)
    ).all()
    return [schemas.Contributor(handle=handle, display_name=name, count=n) for handle, name, n in rows]


COMMUNITY_TABLES = ("joins", "retention", "contributors")


def community_rows(results: schemas.CommunityResults, *, table: str) -> tuple[list[str], list[list[Any]]]:
    """One of the community's figures as a CSV header and rows."""
    if table == "joins":
        return [_("month"), _("joins")], [[entry.month, entry.count] for entry in results.joins]
    if table == "retention":
        header = [
            _("cohort"),
            _("members"),
            *(_("month_%(offset)s", offset=offset) for offset in range(RETENTION_MONTHS)),
        ]
        rows = [
            [
                cohort.month,
                cohort.members,
                *(None if share.share is None else round(share.share, 4) for share in cohort.retained),
            ]
            for cohort in results.cohorts
        ]
        return header, rows
    if table == "contributors":
        rows = [
            [kind, entry.handle, entry.display_name, entry.count]
            for kind, entries in (
                ("designs", results.top_designers),
                ("scores", results.top_scorers),
                ("comments", results.top_commenters),
                ("ideas", results.top_idea_authors),
                ("votes", results.top_idea_voters),
            )
            for entry in entries
        ]
        return [_("kind"), _("handle"), _("display_name"), _("count")], rows
    raise Invalid(
        _("There is no table “%(table)s”: choose one of %(tables)s.", table=table, tables=", ".join(COMMUNITY_TABLES))
    )


CHALLENGE_TABLES = ("designs", "participation")


def challenge_rows(
    session: Session, *, community: Community, challenge: Challenge, table: str, now: datetime | None = None
) -> tuple[list[str], Iterator[list[Any]] | Sequence[list[Any]]]:
    """One of the challenge's figures as a CSV header and rows."""
    if table == "designs":
        return [_(name) for name in DESIGN_CSV_HEADER], challenge_design_rows(
            session, community=community, challenge=challenge, now=now
        )
    if table == "participation":
        days = challenge_participation(session, challenge=challenge)
        return [_("day"), _("scores"), _("designs")], [[day.day, day.scores, day.designs] for day in days]
    raise Invalid(
        _("There is no table “%(table)s”: choose one of %(tables)s.", table=table, tables=", ".join(CHALLENGE_TABLES))
    )
