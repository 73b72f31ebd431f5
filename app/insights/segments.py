"""Segments as they travel in URLs and forms, shared by the results pages and the JSON API.

A segment is named by a prefix ("a" or "b" when two are compared): ``a=12:keep,change_colour`` (repeatable, one
condition each), ``a_since=2026-11-01``, ``a_until=2026-11-30``. The filter builder adds a condition in two steps
that work without JavaScript: pick a question (``a_pick=12``), then its answers (``a_add=12:keep`` for choices,
``a_min`` / ``a_max`` for numbers); htmx only saves the round trips.

A campaign's segment may also name a connector (``a_connector=handle``) and hops (``a_hop=1``, repeatable).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal
from urllib.parse import quote

from babel.lists import format_list

from app.errors import Invalid
from app.i18n import _, current_locale, ngettext
from app.i18n.formatting import format_date, format_number
from app.i18n.locales import babel_locale
from app.insights.survey_results import FILTERABLE_KINDS, Condition, Segment, parse_condition
from app.surveys.models import Question
from app.surveys.questions import condition_values


@dataclass(frozen=True)
class SegmentForm:
    """A segment as typed: what the builder shows again (the typed text kept), and the parsed segment."""

    prefix: str
    tokens: list[str]
    since: str
    until: str
    pick: Question | None
    segment: Segment
    errors: list[str]

    def label(self, questions: Mapping[int, Question]) -> str:
        return describe(self.segment, questions)

    def condition_labels(self, questions: Mapping[int, Question]) -> list[str]:
        return [describe_condition(condition, questions) for condition in self.segment.conditions]

    def params(self) -> list[tuple[str, str]]:
        """The segment as it is read back: its conditions and dates, without the builder's steps."""
        pairs = [(self.prefix, token) for token in self.tokens]
        if self.segment.since is not None:
            pairs.append((f"{self.prefix}_since", self.segment.since.isoformat()))
        if self.segment.until is not None:
            pairs.append((f"{self.prefix}_until", self.segment.until.isoformat()))
        return pairs

    @property
    def query(self) -> str:
        """The segment as extra query parameters ("&a=12%3Akeep&a_since=..."), for links that keep it."""
        return "".join(f"&{name}={quote(value)}" for name, value in self.params())


def _date(raw: str, message: str, errors: list[str]) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        errors.append(message)
        return None


def joined(parts: Sequence[str], style: Literal["standard", "or"] = "standard") -> str:
    """Words joined the language's way: "A, B and C" ("standard") or "A, B or C" ("or")."""
    return format_list(list(parts), style=style, locale=babel_locale(current_locale()))


def read_segment(params: Mapping[str, Sequence[str]], prefix: str, questions: Mapping[int, Question]) -> SegmentForm:
    """The segment named by ``prefix`` in query parameters; unreadable parts become messages, never a 500."""

    def one(name: str) -> str:
        values = params.get(f"{prefix}_{name}") or [""]
        return values[-1]

    errors: list[str] = []
    tokens = [token for token in params.get(prefix, []) if token]
    added = one("add")
    if added:
        tokens.append(added)
    numeric = one("num")
    if numeric and (one("min") or one("max")):
        tokens.append(f"{numeric}:{one('min')}..{one('max')}")
    conditions: list[Condition] = []
    kept: list[str] = []
    for token in tokens:
        try:
            condition = parse_condition(token, questions)
        except Invalid as error:
            errors.append(error.message)
            continue
        if condition.token not in kept:
            conditions.append(condition)
            kept.append(condition.token)
    since, until = one("since"), one("until")
    since_date = _date(since, _("The start is not a date (YYYY-MM-DD)."), errors)
    until_date = _date(until, _("The end is not a date (YYYY-MM-DD)."), errors)
    if since_date and until_date and since_date > until_date:
        errors.append(_("The date range ends before it starts."))
        since_date = until_date = None
    pick_raw = one("pick")
    pick = questions.get(int(pick_raw)) if pick_raw.isdigit() else None
    if pick is not None and pick.kind not in FILTERABLE_KINDS:
        pick = None
    return SegmentForm(
        prefix=prefix,
        tokens=kept,
        since=since,
        until=until,
        pick=pick,
        segment=Segment(since=since_date, until=until_date, conditions=tuple(conditions)),
        errors=errors,
    )


def describe_condition(condition: Condition, questions: Mapping[int, Question]) -> str:
    """A condition in words: "What should we do? Keep it or Scrap it", "Overall 4 to 5"."""
    question = questions[condition.question_id]
    prompt = question.prompt
    if condition.values:
        labels = [label for value, label in condition_values(question) if value in condition.values]
        return _("%(prompt)s %(answers)s", prompt=prompt, answers=joined(labels, "or"))
    if condition.low is not None and condition.high is not None:
        low, high = format_number(condition.low), format_number(condition.high)
        return _("%(prompt)s %(low)s to %(high)s", prompt=prompt, low=low, high=high)
    if condition.low is not None:
        return _("%(prompt)s at least %(low)s", prompt=prompt, low=format_number(condition.low))
    return _("%(prompt)s at most %(high)s", prompt=prompt, high=format_number(condition.high))


def describe(segment: Segment, questions: Mapping[int, Question]) -> str:
    """The segment in words: "Everyone", or its conditions and dates joined by "and"."""
    parts = [describe_condition(condition, questions) for condition in segment.conditions]
    if segment.since:
        parts.append(_("from %(date)s", date=format_date(segment.since)))
    if segment.until:
        parts.append(_("until %(date)s", date=format_date(segment.until)))
    return joined(parts) if parts else _("Everyone")


@dataclass(frozen=True)
class CampaignSegmentForm(SegmentForm):
    """A campaign's segment as typed: the survey segment, plus the connector (a handle) and hops it is limited to.

    The connector is checked against the campaign's connectors by ``campaign_results.campaign_segment``."""

    connector: str = ""
    hops: tuple[int, ...] = field(default=())

    def label(self, questions: Mapping[int, Question]) -> str:
        parts = [] if self.segment.is_everyone else [describe(self.segment, questions)]
        if self.connector:
            parts.append(_("through @%(handle)s's links", handle=self.connector))
        if self.hops:
            parts.append(
                ngettext(
                    "at hop %(hops)s",
                    "at hops %(hops)s",
                    len(self.hops),
                    hops=joined([str(h) for h in self.hops], "or"),
                )
            )
        return joined(parts) if parts else _("Everyone")

    def params(self) -> list[tuple[str, str]]:
        pairs = super().params()
        if self.connector:
            pairs.append((f"{self.prefix}_connector", self.connector))
        pairs += [(f"{self.prefix}_hop", str(hop)) for hop in self.hops]
        return pairs


MAX_HOP = 99


def read_campaign_segment(
    params: Mapping[str, Sequence[str]], prefix: str, questions: Mapping[int, Question]
) -> CampaignSegmentForm:
    """As ``read_segment``, with ``<prefix>_connector`` (a handle, "@" optional) and ``<prefix>_hop`` (repeatable)."""
    form = read_segment(params, prefix, questions)
    connector = ((params.get(f"{prefix}_connector") or [""])[-1]).strip().removeprefix("@")
    hops: list[int] = []
    for raw in params.get(f"{prefix}_hop", []):
        if not raw.strip():
            continue
        if not raw.strip().isdigit() or not 1 <= int(raw) <= MAX_HOP:
            form.errors.append(_("The hop “%(hop)s” is not a whole number from 1 to %(max)s.", hop=raw, max=MAX_HOP))
        elif int(raw) not in hops:
            hops.append(int(raw))
    return CampaignSegmentForm(
        prefix=form.prefix,
        tokens=form.tokens,
        since=form.since,
        until=form.until,
        pick=form.pick,
        segment=form.segment,
        errors=form.errors,
        connector=connector[:60],
        hops=tuple(sorted(hops)),
    )
