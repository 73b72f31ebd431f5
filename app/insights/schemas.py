"""The figures of the results pages, as the services return them and the JSON API sends them.

A segment below the k-anonymity threshold reads as ``suppressed: true`` with its numbers null.
"""

from datetime import datetime

from pydantic import BaseModel, Field

from app.columns import PageNumber, RowId
from app.i18n import N_
from app.insights.stats import HistogramBin, NetPromoterScore, Proportion, Summary


class DayCount(BaseModel):
    day: str = Field(description="UTC day, YYYY-MM-DD")
    scores: int
    designs: int


class DesignResult(BaseModel):
    rank: int
    design_id: RowId
    title: str
    designer_handle: str
    score_count: int
    mean: float | None = Field(description="Null when fewer than 5 people scored the design")
    distribution: list[int | None] | None = Field(
        description="How many scored 0, 1, ... 5; null when suppressed; a null count is hidden for privacy"
    )
    would_buy: Proportion


class ChallengeResults(BaseModel):
    community_slug: str
    challenge_slug: str
    title: str
    scores_shown: bool = Field(description="Scores stay hidden until scoring closes")
    scoring_closes_at: datetime
    design_count: int
    score_count: int
    voter_count: int
    mean: float | None = None
    distribution: list[int | None] | None = Field(
        default=None, description="Scores 0-5 over the designs with at least 5 scores; a null count is hidden"
    )
    would_buy: Proportion | None = None
    designs: list[DesignResult] = []
    participation: list[DayCount]


class MonthCount(BaseModel):
    month: str = Field(description="UTC month, YYYY-MM")
    count: int


class Cohort(BaseModel):
    month: str = Field(description="The month its members joined")
    members: int | None = Field(description="Null when fewer than 5 (suppressed)")
    retained: list[Proportion] = Field(description="Share active in the joining month, the next, ... (up to 6)")


class Contributor(BaseModel):
    handle: str
    display_name: str
    count: int


class SurveyAnswering(BaseModel):
    """Surveys and campaigns answered logged in, counted only: a survey promises its respondents that no answer is
    tied to them, so no member is named for answering (the top lists name public acts and counts of taking part)."""

    members: int | None = Field(description="Members who answered at least once; null when fewer than 5")
    responses: int | None = Field(description="Their responses; null when fewer than 5")


class CommunityResults(BaseModel):
    community_slug: str
    name: str
    member_count: int
    active_members: Proportion = Field(
        description="Members who lately designed, scored, commented, posted or voted on an idea, or answered a survey "
        "or campaign logged in"
    )
    active_days: int
    joins: list[MonthCount]
    cohorts: list[Cohort]
    top_designers: list[Contributor]
    top_scorers: list[Contributor]
    top_commenters: list[Contributor]
    top_idea_authors: list[Contributor] = Field(default=[], description="Ideas posted")
    top_idea_voters: list[Contributor] = Field(default=[], description="Votes on ideas")
    survey_answering: SurveyAnswering


# --- Surveys ------------------------------------------------------------------------------------------------


class OptionResult(BaseModel):
    key: str
    label: str
    share: Proportion = Field(description="Of the respondents who answered the question")


class QuestionResult(BaseModel):
    question_id: RowId
    code: str | None = Field(description="Stable code of a template question (outcome, pay, recommend_intent, ...)")
    kind: str
    prompt: str
    retired: bool = False
    answered: int | None = Field(description="Null when fewer than 5 answered (suppressed)")
    suppressed: bool = False
    options: list[OptionResult] = Field(default=[], description="Choices, yes/no and scale points, in order")
    mean: float | None = None
    nps: NetPromoterScore | None = None
    summary: Summary | None = Field(default=None, description="Number questions: mean and quartiles")
    histogram: list[HistogramBin] = Field(
        default=[],
        description="Number questions: 5-15 bins of a round width, open-ended tails; a null count is hidden",
    )


class SurveyResults(BaseModel):
    survey_id: RowId
    title: str
    respondents: int | None = Field(description="Null when the segment is suppressed")
    suppressed: bool = Field(description="Fewer than 5 respondents in the segment, or fewer than 5 outside it")
    questions: list[QuestionResult]
    outcome: QuestionResult | None = None
    pay: Summary | None = None
    nps: NetPromoterScore | None = None


CROSSTAB_SUPPRESSION = N_(
    "A null cell has fewer than 5 respondents, or would let such a cell be worked out from the totals shown "
    "elsewhere (it may then hold many)."
)


class QuestionRef(BaseModel):
    question_id: RowId
    prompt: str


class CrossTab(BaseModel):
    row_question: QuestionRef
    column_question: QuestionRef
    row_labels: list[str]
    column_labels: list[str]
    cells: list[list[int | None]] = Field(
        description="Respondents per (row, column) answer; null when suppressed (see ``suppression``)"
    )
    suppression: str = Field(
        default=CROSSTAB_SUPPRESSION, description="Why a cell is null: the same for every hidden cell, on purpose"
    )


class KeywordResult(BaseModel):
    phrase: str
    answers: int
    examples: list[str]


class TextAnswers(BaseModel):
    question_id: RowId
    prompt: str
    suppressed: bool = False
    search: str = ""
    page: PageNumber = 1
    answers: list[str] = []
    response_ids: list[RowId] = Field(
        default=[], description="The response of each answer, in the same order (to report one to the moderators)"
    )
    more: bool = False
    keywords: list[KeywordResult] = []


# --- Campaigns ----------------------------------------------------------------------------------------------


class FunnelStep(BaseModel):
    """A step of the referral chain: share links that did this and every step before (so never more than the step
    before). Charts posted with an outcome before the chain was counted so hold the older steps, people per step."""

    key: str = Field(description="shared, opened, answered or joined")
    label: str
    people: int | None = Field(
        description="Share links at this step (a subset of the step before's); null when not known for this segment"
    )
    of: int | None = Field(default=None, description="The step before's count: this step's denominator")
    suppressed: bool = False
    note: str = Field(default="", description="The step with its denominator in words, or why it is missing")


class IntentGroup(BaseModel):
    """Respondents of one intent ("would you recommend it?") and how many of them acted on it."""

    key: str = Field(description="promoters (answered 9-10) or detractors (0-6)")
    label: str
    respondents: int | None = Field(description="Null when fewer than 5 (suppressed)")
    said_recommended: Proportion = Field(description="Answered yes to “Have you recommended it?”, with its interval")
    link_opened: Proportion = Field(
        description="Passed a link of their own on, and someone opened it (recorded, not said), with its interval"
    )


class IntentAction(BaseModel):
    """Intent against action: those who said they would recommend it beside those who said they would not, each
    group with its own denominator (never one chain in which a later step could outnumber an earlier one)."""

    groups: list[IntentGroup]
    passives: int | None = Field(description="Respondents who answered 7-8: in neither group; null below 5")
    suppressed: bool = Field(default=False, description="Fewer than 5 answered the intent question")


class ResponsesOnDay(BaseModel):
    day: str = Field(description="UTC day, YYYY-MM-DD")
    responses: int | None = Field(
        description="Null when suppressed: fewer than 5, or it would reveal another day's that is"
    )


class CampaignHeadline(BaseModel):
    """The outcome at a glance, always of the whole campaign whatever segment is asked for."""

    respondents: int | None = Field(description="People who answered through the share links; null below 5")
    reached: int = Field(description="Opens of the connectors' own links (hop 1): their networks reached")
    network_size: int = Field(description="The accepted connectors' declared network sizes, added up")
    reach_share: float | None = Field(description="reached / network_size (0-1); null without a declared network")
    opens: int = Field(description="Opens of every share link, every hop")
    kits_accepted: int
    kits_shipped: int = Field(description="Kits sent, delivered or not")
    kits_delivered: int = Field(description="Kits whose connector confirmed they arrived (with a problem or not)")
    kits_with_problem: int = Field(description="Of the delivered: arrived with a problem the connector reported")
    action: QuestionResult | None = Field(description="“What should we do with it?”: the recommended action split")
    nps: NetPromoterScore | None = Field(description="Net Promoter Score with its 95% interval")
    responses_over_time: list[ResponsesOnDay] = Field(description="Responses per UTC day, oldest first")
    intent_action: IntentAction | None = Field(description="Null when the survey does not ask both questions")
    referral_chain: list[FunnelStep] = Field(
        description="Links shared, opened, answered, joined: each a subset of the step before"
    )


class HopReach(BaseModel):
    hop: int = Field(description="1: through a connector's own link; 2: through a link a friend passed on; ...")
    opens: int
    shares: int = Field(description="Links passed on one hop further by people who answered at this hop")
    responses: int | None = Field(
        description="Null when suppressed: fewer than 5, or it would reveal another hop's that is"
    )
    signups: int
    suppressed: bool = Field(default=False, description="Whether ``responses`` is hidden")


class ConnectorResult(BaseModel):
    handle: str
    display_name: str
    samples_passed_on: int
    opens: int = Field(description="People who opened the connector's links, every hop")
    responses: int | None = Field(
        description="People who answered through the connector's links, every hop; null when suppressed (fewer than "
        "5, or it would reveal another connector's that is)"
    )
    signups: int
    shares: int
    response_rate: float | None = Field(
        description="Responses per sample passed on; null before any sample, or when the responses are suppressed"
    )
    suppressed: bool = Field(default=False, description="Whether ``responses`` (and the rate) are hidden")


class CampaignSegment(BaseModel):
    """The connector and hops a campaign segment is limited to, besides the survey segment's answers and dates."""

    connector: str | None = Field(default=None, description="The connector's handle")
    hops: list[int] = []


class CampaignResults(BaseModel):
    community_slug: str
    campaign_slug: str
    title: str
    product_name: str
    segment: CampaignSegment
    respondents: int | None = Field(description="Null when the segment is suppressed")
    headline: CampaignHeadline = Field(description="The whole campaign's outcome at a glance")
    survey: SurveyResults | None = Field(description="The campaign survey's results; null when it has no survey")
    funnel: list[FunnelStep] = Field(
        description="The referral chain of the segment's links: shared, opened, answered, joined (each a subset of "
        "the step before); not known for answer or date filters"
    )
    recommended_to: int | None = Field(description="How many people those who recommended it say they told")
    hops: list[HopReach] = Field(description="Reach per hop, from the counters (the segment's connector, if any)")
    connectors: list[ConnectorResult] = Field(
        description="A page of the accepted connectors, in the order asked for (``connector_page`` of "
        "``connectors_per_page``); the whole campaign's, whatever the segment"
    )
    connector_total: int = Field(description="How many connectors are accepted: every page's rows together")
    connector_page: int = Field(default=1, description="The page of connectors shown, from 1")
    connectors_per_page: int | None = Field(default=None, description="Connectors per page; null: every one")


class OutcomeChart(BaseModel):
    """A chart posted with a campaign's outcome: the figures as they stood then, drawn again on the campaign pages."""

    kind: str = Field(description="question, nps or funnel")
    title: str
    respondents: int
    taken_at: datetime
    question: QuestionResult | None = None
    nps: NetPromoterScore | None = None
    funnel: list[FunnelStep] = []
