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

from collections.abc import Mapping, Sequence

from sqlmodel import Session

from app.campaigns import connectors as campaign_connectors
from app.campaigns import totals as campaign_totals
from app.campaigns.models import Campaign
from app.campaigns.totals import DETRACTORS, PASSIVES, PROMOTERS
from app.columns import id_of
from app.i18n import N_, Labels, _
from app.i18n.formatting import format_number
from app.insights import schemas
from app.insights.stats import proportion
from app.insights.suppression import is_suppressed, shown, suppress_partition
from app.surveys.models import Survey

CHAIN_STEPS = Labels(
    {
        "shared": N_("Links shared"),
        "opened": N_("Opened"),
        "answered": N_("Answered"),
        "joined": N_("Brought a new member"),
    }
)
INTENT_LABELS = Labels(
    {
        PROMOTERS: N_("Said they would recommend it (9\u201310)"),
        DETRACTORS: N_("Said they would not (0\u20136)"),
    }
)

# --- Referral chain -----------------------------------------------------------------------------------------


def referral_chain(
    session: Session,
    *,
    campaign: Campaign,
    connector_id: int | None = None,
    hops: Sequence[int] = (),
    totals: Mapping[str, Mapping[str, int]] | None = None,
) -> list[schemas.FunnelStep]:
    """Links shared -> opened -> answered -> joined, of one connector's links and some hops when given (counted
    from the links), else the whole campaign's from its kept totals (``totals`` when already read); each step
    counts the links that did it and every step before, so none exceeds the step before."""
    if connector_id is None and not hops:
        chain = (totals or campaign_totals.read_totals(session, campaign_id=id_of(campaign))).get("chain", {})
        shared, opened, answered, joined = (chain.get(step, 0) for step in CHAIN_STEPS)
    else:
        shared, opened, answered, joined = campaign_totals.chain_counts(
            session, campaign_id=id_of(campaign), connector_id=connector_id, hops=hops
        )
    return [
        schemas.FunnelStep(
            key="shared",
            label=_(CHAIN_STEPS["shared"]),
            people=shared,
            note=_("connectors' own links and those passed on"),
        ),
        _step("opened", opened, shared, N_("%(count)s of %(total)s shared links were opened")),
        _step("answered", answered, opened, N_("%(count)s of %(total)s opened links were answered")),
        _step("joined", joined, answered, N_("%(count)s of %(total)s answered links brought a sign-up")),
    ]


def _step(key: str, count: int, of: int, sentence: str) -> schemas.FunnelStep:
    note = _(sentence, count=format_number(count), total=format_number(of))
    return schemas.FunnelStep(key=key, label=_(CHAIN_STEPS[key]), people=count, of=of, note=note)


# --- Intent against action ----------------------------------------------------------------------------------


def intent_action(
    session: Session, *, survey: Survey | None, totals: Mapping[str, Mapping[str, int]]
) -> schemas.IntentAction | None:
    """Promoters beside detractors, each with how many said they recommended it and how many passed a link of
    their own on that someone opened, with Wilson 95 % intervals, from the campaign's kept totals; None when the
    survey does not ask both."""
    ids = campaign_totals.intent_question_ids(session, survey_id=survey.id if survey is not None else None)
    if set(ids) != {"recommend_intent", "recommended"}:
        return None
    respondents, said_yes, link_opened = (totals.get(figure, {}) for figure in ("intent", "said_yes", "link_opened"))
    answered = sum(respondents.values())
    groups = []
    for key in (PROMOTERS, DETRACTORS):
        total = respondents.get(key, 0)
        groups.append(
            schemas.IntentGroup(
                key=key,
                label=_(INTENT_LABELS[key]),
                respondents=shown(total),
                said_recommended=proportion(said_yes.get(key, 0), total),
                link_opened=proportion(link_opened.get(key, 0), total),
            )
        )
    return schemas.IntentAction(
        groups=groups, passives=shown(respondents.get(PASSIVES, 0)), suppressed=is_suppressed(answered)
    )


# --- The outcome at a glance --------------------------------------------------------------------------------


def responses_over_time(totals: Mapping[str, Mapping[str, int]]) -> list[schemas.ResponsesOnDay]:
    """Shown responses per UTC day, oldest first (days without any left out), small days suppressed."""
    days = sorted(totals.get("day", {}).items())
    shown_counts = suppress_partition([count for _, count in days])
    return [
        schemas.ResponsesOnDay(day=day, responses=count) for (day, _), count in zip(days, shown_counts, strict=True)
    ]


def campaign_headline(
    session: Session,
    *,
    campaign: Campaign,
    survey: Survey | None,
    reach: Sequence[tuple[int, campaign_connectors.ReachTotals]],
    figures: schemas.SurveyResults | None,
    kept: Mapping[str, Mapping[str, int]],
) -> schemas.CampaignHeadline:
    """The whole campaign's outcome: respondents, reach against the declared networks, kits, the recommended
    action, NPS, responses over time, intent against action and the referral chain.

    ``reach`` is the whole campaign's per hop, ``figures`` its survey's results for everyone, ``kept`` its kept
    totals (``campaigns.totals.read_totals``)."""
    respondents = sum(totals.responses for _, totals in reach)
    reached = sum(totals.opens for hop, totals in reach if hop == 1)
    network = kept.get("network", {}).get("", 0)
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
        responses_over_time=responses_over_time(kept),
        intent_action=intent_action(session, survey=survey, totals=kept),
        referral_chain=referral_chain(session, campaign=campaign, totals=kept),
    )
