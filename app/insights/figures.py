"""The charts of each results page, drawn from the same results the JSON API returns."""

from dataclasses import dataclass

from app.i18n import _, ngettext
from app.i18n.formatting import format_number
from app.insights import schemas
from app.insights.campaign_headline import CHAIN_STEPS, PROMOTERS
from app.insights.charts import (
    Bar,
    Chart,
    bar_chart,
    funnel_chart,
    grouped_bar_chart,
    histogram,
    line_chart,
    nps_chart,
    percent,
)
from app.insights.stats import Proportion
from app.insights.suppression import hidden_label, suppressed_label


def _bar(label: str, share: Proportion) -> Bar:
    return Bar(
        label=label,
        value=share.share,
        low=share.low,
        high=share.high,
        note=suppressed_label() if share.total is None and share.suppressed else format_number(share.total or 0),
    )


def challenge_charts(results: schemas.ChallengeResults) -> dict[str, Chart]:
    charts = {
        "participation": line_chart(
            _("Scores cast per day"),
            [(day.day, day.scores) for day in results.participation],
            category_label=_("Day"),
            value_label=_("Scores"),
        ),
        "submissions": line_chart(
            _("Designs submitted per day"),
            [(day.day, day.designs) for day in results.participation],
            category_label=_("Day"),
            value_label=_("Designs"),
        ),
    }
    if results.distribution is not None and results.would_buy is not None:
        charts["distribution"] = histogram(
            _("All scores, 0 to 5"),
            [(str(value), count) for value, count in enumerate(results.distribution)],
            category_label=_("Score"),
            value_label=_("Scores cast"),
        )
        charts["would_buy"] = bar_chart(
            _("“I'd buy it” by design"),
            [_bar(_("All designs"), results.would_buy)]
            + [
                _bar(_("%(rank)s. %(title)s", rank=design.rank, title=design.title), design.would_buy)
                for design in results.designs
            ],
            category_label=_("Design"),
        )
    return charts


def design_chart(design: schemas.DesignResult) -> Chart:
    distribution: list[int | None] = [*design.distribution] if design.distribution else [None] * 6
    return histogram(
        _("Scores of %(rank)s. %(title)s", rank=design.rank, title=design.title),
        [(str(value), count) for value, count in enumerate(distribution)],
        category_label=_("Score"),
        value_label=_("Scores cast"),
    )


def community_charts(results: schemas.CommunityResults) -> dict[str, Chart]:
    return {
        "joins": line_chart(
            _("Members joining per month"),
            [(entry.month, entry.count) for entry in results.joins],
            category_label=_("Month"),
            value_label=_("Joins"),
        ),
        "active": bar_chart(
            ngettext(
                "Members active in the last %(num)s day", "Members active in the last %(num)s days", results.active_days
            ),
            [_bar(_("Active"), results.active_members)],
            category_label=_("Members"),
        ),
    }


@dataclass(frozen=True)
class SurveyFigures:
    """The charts of one survey segment: headline figures, then one chart per question (None: nothing to draw)."""

    nps: Chart | None
    outcome: Chart | None
    questions: list[tuple[schemas.QuestionResult, Chart | None]]


def question_chart(question: schemas.QuestionResult, *, ident: str = "") -> Chart | None:
    if question.suppressed:
        return bar_chart(
            question.prompt,
            [Bar(label=_("All answers"), value=None, note=suppressed_label())],
            category_label=_("Answer"),
            ident=ident,
        )
    if question.kind == "nps" and question.nps is not None:
        return nps_chart(question.prompt, question.nps, ident=ident)
    if question.kind in {"rating"}:
        return histogram(
            question.prompt,
            [(option.label, option.share.count) for option in question.options],
            category_label=_("Rating"),
            value_label=_("Answers"),
            ident=ident,
        )
    if question.histogram:
        return number_chart(question, ident=ident)
    if question.options:
        return bar_chart(
            question.prompt,
            [_bar(option.label, option.share) for option in question.options],
            category_label=_("Answer"),
            ident=ident,
        )
    return None


def number_chart(question: schemas.QuestionResult, *, ident: str = "") -> Chart:
    """A number question's histogram as horizontal bars, so that range labels stay legible at phone width."""
    answered = question.answered or 0
    return bar_chart(
        question.prompt,
        [
            Bar(
                label=bin_.label,
                value=bin_.count,
                note=hidden_label() if bin_.count is None else percent(bin_.count / answered if answered else None),
            )
            for bin_ in question.histogram
        ],
        category_label=_("Answer"),
        in_percent=False,
        value_label=_("Answers"),
        intervals=False,
        note_label=_("Share"),
        ident=ident,
    )


def survey_figures(results: schemas.SurveyResults, *, scope: str = "") -> SurveyFigures:
    """The figures of one segment; ``scope`` (its letter when segments are compared) keeps their ids apart."""
    outcome = results.outcome
    prefix = f"{scope}-" if scope else ""
    return SurveyFigures(
        nps=nps_chart(_("Net Promoter Score"), results.nps, ident=f"{prefix}nps") if results.nps is not None else None,
        outcome=bar_chart(
            _("What should we do with it?"),
            [_bar(option.label, option.share) for option in outcome.options],
            category_label=_("Answer"),
            ident=f"{prefix}outcome",
        )
        if outcome is not None and outcome.options
        else None,
        questions=[
            (question, question_chart(question, ident=f"{prefix}q{question.question_id}"))
            for question in results.questions
        ],
    )


def funnel_figure(steps: list[schemas.FunnelStep], title: str = "", *, ident: str = "") -> Chart:
    """The referral chain (share links per step); an outcome posted before it was counted so holds people."""
    title = title or _("The referral chain")
    if steps and steps[0].key in CHAIN_STEPS:
        # The table's "of the step before" says what the notes would; only a missing count keeps its reason.
        drawn = [(step.label, step.people, step.note if step.people is None else "") for step in steps]
        return funnel_chart(title, drawn, value_label=_("Links"), ident=ident)
    return funnel_chart(title, [(step.label, step.people, step.note) for step in steps], ident=ident)


def _acted(label: str, share: Proportion) -> Bar:
    note = (
        suppressed_label()
        if share.suppressed
        else _("%(count)s of %(total)s", count=format_number(share.count or 0), total=format_number(share.total or 0))
    )
    return Bar(label=label, value=share.share, low=share.low, high=share.high, note=note)


def intent_action_chart(intent: schemas.IntentAction) -> Chart:
    """Each intent group's share that acted, with its interval and its own denominator: two groups side by side."""
    bars = []
    labels = {
        ("said_recommended", True): _("Would recommend: said they have recommended it"),
        ("said_recommended", False): _("Would not: said they have recommended it"),
        ("link_opened", True): _("Would recommend: own link opened"),
        ("link_opened", False): _("Would not: own link opened"),
    }
    for measure in ("said_recommended", "link_opened"):
        for group in intent.groups:
            bars.append(_acted(labels[measure, group.key == PROMOTERS], getattr(group, measure)))
    return bar_chart(
        _("Did they act on it? Would recommend it (9\u201310) against would not (0\u20136)"),
        bars,
        category_label=_("Group and action"),
        note_label=_("Of the group"),
    )


@dataclass(frozen=True)
class HeadlineFigures:
    """The charts of a campaign's outcome at a glance (None: nothing to draw)."""

    action: Chart | None
    nps: Chart | None
    over_time: Chart
    intent: Chart | None
    chain: Chart


def headline_figures(glance: schemas.CampaignHeadline) -> HeadlineFigures:
    action = glance.action
    return HeadlineFigures(
        action=bar_chart(
            _("What should we do with it? Every respondent"),
            [_bar(option.label, option.share) for option in action.options],
            category_label=_("Answer"),
        )
        if action is not None and action.options and not action.suppressed
        else None,
        nps=nps_chart(_("Would they recommend it? Every respondent"), glance.nps) if glance.nps is not None else None,
        over_time=line_chart(
            _("Responses per day"),
            [(day.day, day.responses) for day in glance.responses_over_time],
            category_label=_("Day (UTC)"),
            value_label=_("Responses"),
        ),
        intent=intent_action_chart(glance.intent_action) if glance.intent_action is not None else None,
        chain=funnel_figure(glance.referral_chain, _("The referral chain: every link")),
    )


@dataclass(frozen=True)
class CampaignFigures:
    """The charts of a campaign segment beyond its survey's: its referral chain and reach by hop."""

    funnel: Chart
    hops: Chart


def campaign_figures(results: schemas.CampaignResults, *, scope: str = "") -> CampaignFigures:
    """The campaign's own figures of one segment; ``scope`` as ``survey_figures``'s."""
    prefix = f"{scope}-" if scope else ""
    return CampaignFigures(
        funnel=funnel_figure(results.funnel, _("The referral chain of this segment's links"), ident=f"{prefix}funnel"),
        hops=grouped_bar_chart(
            _("People who opened a link, answered and passed it on, per hop"),
            [_("Opened"), _("Answered"), _("Passed on")],
            [(_("Hop %(hop)s", hop=row.hop), [row.opens, row.responses, row.shares]) for row in results.hops],
            category_label=_("Hop"),
            value_label=_("People"),
            ident=f"{prefix}hops",
        ),
    )


def rates_chart(connectors: list[schemas.ConnectorResult]) -> Chart:
    """Responses per sample passed on, for the connectors given who have recorded samples."""
    return bar_chart(
        _("Responses per sample passed on"),
        [
            Bar(
                label=f"{row.display_name} @{row.handle}",
                value=row.response_rate,
                note=_(
                    "%(count)s of %(total)s",
                    count=format_number(row.responses),
                    total=format_number(row.samples_passed_on),
                ),
            )
            for row in connectors
            if row.response_rate is not None and row.responses is not None
        ],
        category_label=_("Connector"),
        value_label=_("Rate"),
        intervals=False,
        note_label=_("Responses of samples"),
    )


def outcome_figure(chart: schemas.OutcomeChart) -> Chart | None:
    """The chart posted with a campaign's outcome, drawn again from its snapshot."""
    if chart.nps is not None:
        return nps_chart(chart.title, chart.nps)
    if chart.funnel:
        return funnel_figure(chart.funnel, chart.title)
    if chart.question is not None:
        return question_chart(chart.question)
    return None
