"""A campaign's running totals (``CampaignTotal``) and each connector's (the reach columns of their application),
moved in the transaction of every event, so that the results for everyone read a few rows whatever the campaign's
size; and the recount that computes them all from the rows (after a bulk load, or to check them).

What is kept, by figure and key:
- ``opens``, ``responses``, ``signups``, ``shares`` by hop: the sums of the connectors' ``ConnectorReach`` rows;
- ``chain``: the referral chain's links shared, opened, answered and joined (a link's own events are its counters
  less its children's, see ``own_link_counts``);
- ``day``: shown responses per UTC day;
- ``intent``, ``said_yes``, ``link_opened`` by NPS group: intent against action (see ``intent_rows``);
- ``network``: the declared network sizes of the accepted connectors, added up;
- ``connectors``: how many are accepted, and how many of them have 1-4 responses and those responses' sum (which
  decide whether one more connector must be hidden to protect them).

Every event's change is worked out by the recount's own query limited to the one link or response it touched
(before and after), so the kept totals equal a recount by construction. The rows an event changes are locked in
one order: its share links, its connector's application, then the totals (one sorted statement).
"""

import random
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    Float,
    Integer,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignResponse,
    CampaignTotal,
    ConnectorReach,
    ShareLink,
)
from app.insights.service import period_of
from app.insights.suppression import K_ANONYMITY
from app.surveys.models import Answer, Question, SurveyResponse

TOTAL_SHARDS = 8
PROMOTERS = "promoters"
DETRACTORS = "detractors"
PASSIVES = "passives"
REACH_FIGURES = {
    "open_count": "opens",
    "response_count": "responses",
    "signup_count": "signups",
    "share_count": "shares",
}
CHAIN_COUNTERS = ("open_count", "response_count", "signup_count")
ACCEPTED, HIDDEN, HIDDEN_RESPONSES = "accepted", "hidden", "hidden_responses"

Deltas = dict[tuple[str, str], int]


def add_totals(session: Session, *, campaign_id: int, deltas: Mapping[tuple[str, str], int]) -> None:
    """Add to the campaign's totals (figure, key) -> amount, on one random shard, in one statement whose rows are
    sorted (so concurrent events lock shared rows in the same order); zeros are left out."""
    rows = [
        {"campaign_id": campaign_id, "figure": figure, "key": key, "shard": shard, "count": amount}
        for (figure, key), amount in sorted(deltas.items())
        if amount
        for shard in (random.randrange(TOTAL_SHARDS),)  # noqa: S311  (spreading writes, not a secret)
    ]
    if not rows:
        return
    session.execute(_add_totals_statement(session.get_bind().dialect.name), rows)


@cache
def _add_totals_statement(dialect: str) -> Any:
    table = cast(Table, CampaignTotal.__table__)  # type: ignore[attr-defined]
    statement = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)
    return statement.on_conflict_do_update(
        index_elements=["campaign_id", "figure", "key", "shard"],
        set_={"count": table.c["count"] + statement.excluded["count"]},
    )


def kept_totals(session: Session, *, campaign_id: int) -> Deltas:
    """Every total of the campaign as kept, in the form ``recounted_totals`` gives: zeros left out, except the
    reach of a hop that has any (every reach figure of such a hop is there, 0 when it has no row)."""
    found: Deltas = {}
    for figure, key, count in session.execute(
        select(col(CampaignTotal.figure), col(CampaignTotal.key), func.sum(CampaignTotal.count))
        .where(col(CampaignTotal.campaign_id) == campaign_id)
        .group_by(col(CampaignTotal.figure), col(CampaignTotal.key))
    ):
        if figure in REACH_FIGURES.values():
            found.update({(each, key): found.get((each, key), 0) for each in REACH_FIGURES.values()})
            found[(figure, key)] = int(count)
        elif count:
            found[(figure, key)] = int(count)
    return found


def read_totals(session: Session, *, campaign_id: int) -> dict[str, dict[str, int]]:
    """Every kept total of the campaign, by figure then key (see ``kept_totals``)."""
    found: dict[str, dict[str, int]] = {}
    for (figure, key), count in kept_totals(session, campaign_id=campaign_id).items():
        found.setdefault(figure, {})[key] = count
    return found


# --- The queries a recount makes, each also limited to one link or response for an event ----------------------


def own_link_counts(
    campaign_id: int | BindParameter[int],
    *,
    connector_id: int | None = None,
    hops: Sequence[int] = (),
    link_id: int | BindParameter[int] | None = None,
) -> Any:
    """Each share link's own opens, responses and sign-ups (its counters less its children's), as a subquery (the
    campaign and the link may be bound parameters: ``_own_counts_of_a_link``)."""
    child = aliased(ShareLink)
    own = (
        select(
            (col(ShareLink.open_count) - func.coalesce(func.sum(child.open_count), 0)).label("opens"),
            (col(ShareLink.response_count) - func.coalesce(func.sum(child.response_count), 0)).label("responses"),
            (col(ShareLink.signup_count) - func.coalesce(func.sum(child.signup_count), 0)).label("signups"),
        )
        .select_from(ShareLink)
        .outerjoin(child, col(child.parent_id) == ShareLink.id)
        .where(col(ShareLink.campaign_id) == campaign_id)
        .group_by(col(ShareLink.id), col(ShareLink.open_count), col(ShareLink.response_count))
        .group_by(col(ShareLink.signup_count))
    )
    if connector_id is not None:
        own = own.where(col(ShareLink.connector_id) == connector_id)
    if hops:
        own = own.where(col(ShareLink.hop).in_(hops))
    if link_id is not None:
        own = own.where(col(ShareLink.id) == link_id)
    return own.subquery()


def chain_counts(
    session: Session, *, campaign_id: int, connector_id: int | None = None, hops: Sequence[int] = ()
) -> tuple[int, int, int, int]:
    """Links shared, opened, answered and joined (each a subset of the one before), of one connector's links and
    some hops when given."""
    links = own_link_counts(campaign_id, connector_id=connector_id, hops=hops)
    opened = links.c.opens > 0
    answered = and_(opened, links.c.responses > 0)
    joined = and_(answered, links.c.signups > 0)

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = session.execute(select(func.count(), count(opened), count(answered), count(joined)).select_from(links)).one()
    shared, opened_links, answered_links, joined_links = (int(value or 0) for value in row)
    return shared, opened_links, answered_links, joined_links


def _chain_state(opens: int, responses: int, signups: int) -> Deltas:
    opened = opens > 0
    answered = opened and responses > 0
    return {
        ("chain", "opened"): int(opened),
        ("chain", "answered"): int(answered),
        ("chain", "joined"): int(answered and signups > 0),
    }


def intent_question_ids(session: Session, *, survey_id: int | None) -> dict[str, int]:
    """The ids of the survey's "recommend_intent" and "recommended" questions (those it has)."""
    if survey_id is None:
        return {}
    rows = session.execute(
        select(col(Question.code), col(Question.id)).where(
            col(Question.survey_id) == survey_id, col(Question.code).in_(("recommend_intent", "recommended"))
        )
    ).all()
    return {code: question_id for code, question_id in rows if code is not None and question_id is not None}


def intent_rows(
    session: Session,
    *,
    campaign_id: int,
    ids: Mapping[str, int],
    response_id: int | None = None,
    shown_only: bool = True,
) -> dict[str, tuple[int, int, int]]:
    """Per NPS group: respondents, those who said yes to "Have you recommended it?", and those whose own passed-on
    link was opened; of the campaign's shown responses, or of one response (hidden or not when not ``shown_only``).
    Nothing when the survey does not ask both questions."""
    if set(ids) != {"recommend_intent", "recommended"}:
        return {}
    parameters = {
        "campaign_id": campaign_id,
        "intent_question_id": ids["recommend_intent"],
        "said_question_id": ids["recommended"],
        "response_id": response_id,
    }
    rows = session.execute(_intent_statement(shown_only=shown_only, one_response=response_id is not None), parameters)
    return {key: (int(total), int(said_yes or 0), int(link_opened or 0)) for key, total, said_yes, link_opened in rows}


@cache
def _intent_statement(*, shown_only: bool, one_response: bool) -> Any:
    """``intent_rows``'s query, built once per shape (each event of a campaign runs it) with bound parameters."""
    intent, said = aliased(Answer), aliased(Answer)
    group = case(
        (col(intent.number_value) >= 9, literal(PROMOTERS)),
        (col(intent.number_value) <= 6, literal(DETRACTORS)),
        else_=literal(PASSIVES),
    ).label("intent")
    yes = func.sum(case((col(said.option_key) == "yes", 1), else_=0))
    opened = func.sum(case((col(ShareLink.open_count) > 0, 1), else_=0))
    query = (
        select(group, func.count(), yes, opened)
        .select_from(CampaignResponse)
        .join(SurveyResponse, col(SurveyResponse.id) == CampaignResponse.survey_response_id)
        .join(
            intent,
            (col(intent.response_id) == CampaignResponse.survey_response_id)
            & (col(intent.question_id) == bindparam("intent_question_id", type_=Integer)),
        )
        .outerjoin(
            said,
            (col(said.response_id) == CampaignResponse.survey_response_id)
            & (col(said.question_id) == bindparam("said_question_id", type_=Integer)),
        )
        .outerjoin(ShareLink, col(ShareLink.created_by_response_id) == CampaignResponse.id)
        .where(col(CampaignResponse.campaign_id) == bindparam("campaign_id", type_=Integer))
        .group_by(group)
    )
    if shown_only:
        query = query.where(col(SurveyResponse.hidden_at).is_(None))
    if one_response:
        query = query.where(col(CampaignResponse.id) == bindparam("response_id", type_=Integer))
    return query


def day_rows(
    session: Session, *, campaign_id: int, response_id: int | None = None, shown_only: bool = True
) -> dict[str, int]:
    """Responses per UTC day ("2026-11-23"): the campaign's shown ones, or one response (hidden or not)."""
    statement = _day_statement(
        session.get_bind().dialect.name, shown_only=shown_only, one_response=response_id is not None
    )
    rows = session.execute(statement, {"campaign_id": campaign_id, "response_id": response_id})
    return {str(label): int(count) for label, count in rows}


@cache
def _day_statement(dialect: str, *, shown_only: bool, one_response: bool) -> Any:
    day = period_of(col(CampaignResponse.created_at), dialect=dialect, unit="day")
    query = (
        select(day, func.count())
        .select_from(CampaignResponse)
        .join(SurveyResponse, col(SurveyResponse.id) == CampaignResponse.survey_response_id)
        .where(col(CampaignResponse.campaign_id) == bindparam("campaign_id", type_=Integer))
        .group_by(day)
    )
    if shown_only:
        query = query.where(col(SurveyResponse.hidden_at).is_(None))
    if one_response:
        query = query.where(col(CampaignResponse.id) == bindparam("response_id", type_=Integer))
    return query


def _hidden(responses: int) -> bool:
    """Whether a connector's responses are hidden by themselves (1-4), before any is hidden to protect them."""
    return 1 <= responses < K_ANONYMITY


def _connector_cells(responses: int) -> Deltas:
    hidden = _hidden(responses)
    return {("connectors", HIDDEN): int(hidden), ("connectors", HIDDEN_RESPONSES): responses if hidden else 0}


def _difference(after: Mapping[tuple[str, str], int], before: Mapping[tuple[str, str], int], sign: int = 1) -> Deltas:
    return {key: sign * (after.get(key, 0) - before.get(key, 0)) for key in {*after, *before}}


def _rank_values(responses: Any, samples: Any) -> dict[str, Any]:
    """The sort keys of a connector's row (see ``CampaignApplication``) as SQL, from their responses and samples."""
    hidden = responses.between(1, K_ANONYMITY - 1)
    rate = case((hidden, None), (samples > 0, sql_cast(responses, Float) / samples), else_=None)
    return {
        "response_rank": case((hidden, -1), else_=responses),
        "response_rate": func.coalesce(rate, 0.0),
        "rate_rank": func.coalesce(rate, -1.0),
    }


# --- Events ---------------------------------------------------------------------------------------------------


def count_link_event(
    session: Session, *, link: ShareLink, counter: str, by: int, bumped: Iterable[tuple[int, int, int | None]]
) -> None:
    """A link's counter moved by ``by`` (``links.bump_link_counter``, its share links updated already; ``bumped``:
    each updated link's id, new ``open_count`` and the response that asked for it): the reach by hop, the link's
    step in the referral chain, a first open's intent against action, and its connector's totals."""
    campaign_id = link.campaign_id
    deltas: Deltas = {(REACH_FIGURES[counter], str(link.hop)): by}
    if counter in CHAIN_COUNTERS:
        opens, responses, signups = session.execute(
            _own_counts_of_a_link(), {"campaign_id": campaign_id, "link_id": link.id}
        ).one()
        after = (int(opens), int(responses), int(signups))
        before = tuple(
            value - by if name == counter else value for value, name in zip(after, CHAIN_COUNTERS, strict=True)
        )
        deltas.update(_difference(_chain_state(*after), _chain_state(*before)))
    if counter == "open_count" and by > 0:
        first_opens = [response_id for _, opens, response_id in bumped if response_id is not None and opens == by]
        if first_opens:
            campaign = session.get(Campaign, campaign_id)
            ids = intent_question_ids(session, survey_id=campaign.survey_id if campaign else None)
            for response_id in first_opens:
                for group, (_, _, link_opened) in intent_rows(
                    session, campaign_id=campaign_id, ids=ids, response_id=response_id
                ).items():
                    deltas[("link_opened", group)] = deltas.get(("link_opened", group), 0) + link_opened
    deltas.update(_count_connector_reach(session, link=link, counter=counter, by=by))
    add_totals(session, campaign_id=campaign_id, deltas=deltas)


@cache
def _own_counts_of_a_link() -> Any:
    own = own_link_counts(bindparam("campaign_id", type_=Integer), link_id=bindparam("link_id", type_=Integer))
    return select(own.c.opens, own.c.responses, own.c.signups)


def _count_connector_reach(session: Session, *, link: ShareLink, counter: str, by: int) -> Deltas:
    """Move the connector's own reach column (and with responses, their sort keys); what that changes in the
    campaign's count of hidden connectors when they are accepted."""
    row = session.execute(
        _connector_reach_statement(counter),
        {"by": by, "link_campaign_id": link.campaign_id, "connector_id": link.connector_id},
    ).one_or_none()
    if row is None or counter != "response_count" or row.status != ApplicationStatus.accepted:
        return {}
    return _difference(_connector_cells(row.reach_responses), _connector_cells(row.reach_responses - by))


@cache
def _connector_reach_statement(counter: str) -> Any:
    applications = cast(Table, CampaignApplication.__table__)  # type: ignore[attr-defined]
    column = "reach_" + REACH_FIGURES[counter]
    by = bindparam("by", type_=Integer)
    values: dict[str, Any] = {column: applications.c[column] + by}
    if counter == "response_count":
        values.update(_rank_values(applications.c.reach_responses + by, applications.c.samples_passed_on))
    return (
        update(applications)
        .where(
            applications.c.campaign_id == bindparam("link_campaign_id", type_=Integer),
            applications.c.user_id == bindparam("connector_id", type_=Integer),
        )
        .values(values)
        .returning(applications.c.status, applications.c.reach_responses)
    )


def count_new_link(session: Session, *, campaign_id: int) -> None:
    """A share link was made (a connector's own, or one passed on): one more link shared."""
    add_totals(session, campaign_id=campaign_id, deltas={("chain", "shared"): 1})


def count_response(session: Session, *, answer: CampaignResponse, sign: int) -> None:
    """A campaign's response was given or shown again (+1), or hidden (-1): its day and its intent against action.

    Its own passed-on link's row is locked first, so that a first open of that link at the same moment counts it
    once: either the open waits and then sees the response's new state, or this waits and sees the open."""
    session.execute(
        select(col(ShareLink.id))
        .where(col(ShareLink.created_by_response_id) == answer.id)
        .with_for_update(key_share=True)
    )
    campaign = session.get(Campaign, answer.campaign_id)
    ids = intent_question_ids(session, survey_id=campaign.survey_id if campaign else None)
    deltas: Deltas = {
        ("day", day): sign * count
        for day, count in day_rows(
            session, campaign_id=answer.campaign_id, response_id=answer.id, shown_only=False
        ).items()
    }
    for group, (respondents, said_yes, link_opened) in intent_rows(
        session, campaign_id=answer.campaign_id, ids=ids, response_id=answer.id, shown_only=False
    ).items():
        deltas.update({("intent", group): sign * respondents, ("said_yes", group): sign * said_yes})
        deltas[("link_opened", group)] = sign * link_opened
    add_totals(session, campaign_id=answer.campaign_id, deltas=deltas)


def count_connector(session: Session, *, application: CampaignApplication, sign: int) -> None:
    """An application was accepted (+1) or left accepted (-1): the campaign's connectors, their declared networks
    and hidden cells. Its row is locked first, so that its responses are read as no concurrent event leaves them."""
    responses = session.execute(
        select(col(CampaignApplication.reach_responses))
        .where(col(CampaignApplication.id) == application.id)
        .with_for_update()
    ).scalar_one()
    deltas = {key: sign * value for key, value in _connector_cells(responses).items()}
    deltas.update({("connectors", ACCEPTED): sign, ("network", ""): sign * application.network_size})
    add_totals(session, campaign_id=application.campaign_id, deltas=deltas)


def set_samples_rank(session: Session, *, application: CampaignApplication) -> None:
    """The connector's samples passed on changed: their response rate and its sort key follow."""
    applications = cast(Table, CampaignApplication.__table__)  # type: ignore[attr-defined]
    session.execute(
        update(applications)
        .where(applications.c.id == application.id)
        .values(_rank_values(applications.c.reach_responses, applications.c.samples_passed_on))
    )


# --- The recount ----------------------------------------------------------------------------------------------


def recount_campaign_totals(session: Session, *, campaign_id: int) -> None:
    """Compute every kept total of the campaign from its rows and store them (its connectors' reach columns, and
    its ``CampaignTotal`` rows as one shard): after a bulk load, a backfill, or to repair them."""
    applications = cast(Table, CampaignApplication.__table__)  # type: ignore[attr-defined]
    reach = cast(Table, ConnectorReach.__table__)  # type: ignore[attr-defined]
    zero = literal(0)
    session.execute(
        update(applications)
        .where(applications.c.campaign_id == campaign_id)
        .values(
            reach_opens=0, reach_responses=0, reach_signups=0, reach_shares=0,
            **_rank_values(zero, applications.c.samples_passed_on),
        )
    )  # fmt: skip
    sums = (
        select(
            reach.c.connector_id,
            func.sum(reach.c.open_count).label("opens"),
            func.sum(reach.c.response_count).label("responses"),
            func.sum(reach.c.signup_count).label("signups"),
            func.sum(reach.c.share_count).label("shares"),
        )
        .where(reach.c.campaign_id == campaign_id)
        .group_by(reach.c.connector_id)
        .subquery()
    )
    session.execute(
        update(applications)
        .where(applications.c.campaign_id == campaign_id, applications.c.user_id == sums.c.connector_id)
        .values(
            reach_opens=sums.c.opens, reach_responses=sums.c.responses, reach_signups=sums.c.signups,
            reach_shares=sums.c.shares, **_rank_values(sums.c.responses, applications.c.samples_passed_on),
        )
    )  # fmt: skip
    session.execute(delete(CampaignTotal).where(col(CampaignTotal.campaign_id) == campaign_id))
    rows = recounted_totals(session, campaign_id=campaign_id)
    if rows:
        session.execute(
            cast(Table, CampaignTotal.__table__).insert(),  # type: ignore[attr-defined]
            [
                {"campaign_id": campaign_id, "figure": figure, "key": key, "shard": 0, "count": count}
                for (figure, key), count in sorted(rows.items())
            ],
        )


def recounted_totals(session: Session, *, campaign_id: int) -> Deltas:
    """Every total of the campaign as a recount from its rows gives it (the connectors' from their reach
    columns); the hops that have reach rows are all there, zeros included, as ``reach_by_hop`` lists them."""
    totals: Deltas = {}
    for hop, *sums in session.execute(
        select(
            col(ConnectorReach.hop),
            func.sum(ConnectorReach.open_count),
            func.sum(ConnectorReach.response_count),
            func.sum(ConnectorReach.signup_count),
            func.sum(ConnectorReach.share_count),
        )
        .where(col(ConnectorReach.campaign_id) == campaign_id)
        .group_by(col(ConnectorReach.hop))
    ):
        for figure, value in zip(REACH_FIGURES.values(), sums, strict=True):
            totals[(figure, str(hop))] = int(value or 0)
    shared, opened, answered, joined = chain_counts(session, campaign_id=campaign_id)
    totals.update(
        {("chain", "shared"): shared, ("chain", "opened"): opened, ("chain", "answered"): answered}
        | {("chain", "joined"): joined}
    )
    totals.update({("day", day): count for day, count in day_rows(session, campaign_id=campaign_id).items()})
    # The survey's id alone (not the ORM row): the backfill migration runs this against older schemas too.
    survey_id = session.execute(select(col(Campaign.survey_id)).where(col(Campaign.id) == campaign_id)).scalar()
    ids = intent_question_ids(session, survey_id=survey_id)
    for group, (respondents, said_yes, link_opened) in intent_rows(session, campaign_id=campaign_id, ids=ids).items():
        totals.update(
            {("intent", group): respondents, ("said_yes", group): said_yes, ("link_opened", group): link_opened}
        )
    hidden = col(CampaignApplication.reach_responses).between(1, K_ANONYMITY - 1)
    accepted, network, hidden_count, hidden_sum = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(CampaignApplication.network_size), 0),
            func.coalesce(func.sum(case((hidden, 1), else_=0)), 0),
            func.coalesce(func.sum(case((hidden, col(CampaignApplication.reach_responses)), else_=0)), 0),
        ).where(
            col(CampaignApplication.campaign_id) == campaign_id,
            col(CampaignApplication.status) == ApplicationStatus.accepted,
        )
    ).one()
    totals.update(
        {("connectors", ACCEPTED): int(accepted), ("network", ""): int(network)}
        | {("connectors", HIDDEN): int(hidden_count), ("connectors", HIDDEN_RESPONSES): int(hidden_sum)}
    )
    return {key: value for key, value in totals.items() if value or key[0] in REACH_FIGURES.values()}
