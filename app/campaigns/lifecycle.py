"""Campaign lifecycle: the phases and their windows, listing, creating, editing and publishing a campaign.

Windows follow one another: applications (apply_opens_at to apply_closes_at), shipping (to ship_closes_at), sharing
(to share_closes_at) and feedback (to feedback_closes_at); then the campaign is closed. Managers decide on
applications while applications are open and during shipping; friends answer from shipping to the end of feedback.
"""

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.brands.models import Brand
from app.campaigns.models import (
    Campaign,
    CampaignApplication,
    CampaignPhase,
    CampaignResponse,
    CampaignStatus,
)
from app.columns import id_of, utcnow
from app.communities.models import Community, CommunityKind
from app.errors import Conflict, Invalid, NotFound
from app.i18n import N_, _, ngettext
from app.i18n.formatting import format_number
from app.slugs import is_valid_slug, slugify
from app.surveys import building as surveys_building
from app.surveys.models import Survey

MAX_KITS = 10000
MAX_ELIGIBILITY_QUESTIONS = 10
MAX_NETWORK_SIZE = 1000
DECIDING_PHASES = frozenset({CampaignPhase.applying, CampaignPhase.shipping})
ANSWERING_PHASES = frozenset({CampaignPhase.shipping, CampaignPhase.sharing, CampaignPhase.feedback})
PASSING_ON_PHASES = frozenset({CampaignPhase.shipping, CampaignPhase.sharing})
WINDOW_FIELDS = ("apply_opens_at", "apply_closes_at", "ship_closes_at", "share_closes_at", "feedback_closes_at")
# Marked here, translated where shown (``_(phase_labels[phase])`` in templates).
PHASE_LABELS = {
    CampaignPhase.draft: N_("Draft"),
    CampaignPhase.upcoming: N_("Applications open soon"),
    CampaignPhase.applying: N_("Applications open"),
    CampaignPhase.shipping: N_("Kits shipping"),
    CampaignPhase.sharing: N_("Sharing"),
    CampaignPhase.feedback: N_("Feedback"),
    CampaignPhase.closed: N_("Closed"),
}
# The same inside a sentence ("... is at “kits shipping”").
PHASE_NAMES = {
    CampaignPhase.draft: N_("draft"),
    CampaignPhase.upcoming: N_("applications open soon"),
    CampaignPhase.applying: N_("applications open"),
    CampaignPhase.shipping: N_("kits shipping"),
    CampaignPhase.sharing: N_("sharing"),
    CampaignPhase.feedback: N_("feedback"),
    CampaignPhase.closed: N_("closed"),
}


# ------------------------------------------------------------------------------------------------------------
# Phases and windows
# ------------------------------------------------------------------------------------------------------------


def phase(campaign: Campaign, now: datetime) -> CampaignPhase:
    """Where the campaign stands at ``now``: its status first, then its windows."""
    if campaign.status == CampaignStatus.draft:
        return CampaignPhase.draft
    if now < campaign.apply_opens_at:
        return CampaignPhase.upcoming
    if now < campaign.apply_closes_at:
        return CampaignPhase.applying
    if now < campaign.ship_closes_at:
        return CampaignPhase.shipping
    if now < campaign.share_closes_at:
        return CampaignPhase.sharing
    if now < campaign.feedback_closes_at:
        return CampaignPhase.feedback
    return CampaignPhase.closed


def require_phase(campaign: Campaign, now: datetime, allowed: Iterable[CampaignPhase], refusal: str) -> None:
    """Conflict, naming the current phase, unless the campaign is in one of the allowed phases. ``refusal`` is the
    whole sentence, marked with ``N_`` by the caller ("You cannot answer now: %(campaign)s is at “%(phase)s”.")."""
    current = phase(campaign, now)
    if current not in allowed:
        raise Conflict(_(refusal, campaign=campaign.title, phase=_(PHASE_NAMES[current])))


# ------------------------------------------------------------------------------------------------------------
# Campaigns
# ------------------------------------------------------------------------------------------------------------


def select_campaign(community: Community, slug: str) -> Any:
    return select(Campaign).where(Campaign.community_id == community.id, Campaign.slug == slug)


def list_campaigns(session: Session, *, community: Community, include_drafts: bool = False) -> Sequence[Campaign]:
    """A community's campaigns, the latest to open first; drafts only for its staff."""
    query = select(Campaign).where(Campaign.community_id == community.id)
    if not include_drafts:
        query = query.where(Campaign.status != CampaignStatus.draft)
    return session.exec(query.order_by(col(Campaign.apply_opens_at).desc(), col(Campaign.id).desc())).all()


# What a community's page offers its members: campaigns to apply to, then campaigns under way.
CURRENT_PHASES = (CampaignPhase.applying, CampaignPhase.shipping, CampaignPhase.sharing, CampaignPhase.feedback)


@dataclass(frozen=True)
class CurrentCampaign:
    campaign: Campaign
    phase: CampaignPhase
    application: CampaignApplication | None  # the viewer's own, if they applied

    @property
    def phase_ends_at(self) -> datetime:
        ends = {
            CampaignPhase.applying: self.campaign.apply_closes_at,
            CampaignPhase.shipping: self.campaign.ship_closes_at,
            CampaignPhase.sharing: self.campaign.share_closes_at,
        }
        return ends.get(self.phase, self.campaign.feedback_closes_at)


def current_campaigns(
    session: Session, *, community: Community, user: User | None, now: datetime | None = None
) -> list[CurrentCampaign]:
    """A community's published campaigns taking applications or under way at ``now``: those taking applications
    first (the soonest to close first), then the running ones; each with the user's own application, if any."""
    now = now or utcnow()
    campaigns = session.exec(
        select(Campaign).where(
            Campaign.community_id == community.id,
            Campaign.status == CampaignStatus.published,
            Campaign.apply_opens_at <= now,
            Campaign.feedback_closes_at > now,
        )
    ).all()
    applications: dict[int, CampaignApplication] = {}
    if user is not None and campaigns:
        found = session.exec(
            select(CampaignApplication).where(
                CampaignApplication.user_id == user.id,
                col(CampaignApplication.campaign_id).in_([id_of(campaign) for campaign in campaigns]),
            )
        ).all()
        applications = {application.campaign_id: application for application in found}
    rows = [
        CurrentCampaign(campaign, phase(campaign, now), applications.get(id_of(campaign))) for campaign in campaigns
    ]
    return sorted(
        rows, key=lambda row: (CURRENT_PHASES.index(row.phase), row.campaign.apply_closes_at, row.campaign.id)
    )


@dataclass(frozen=True)
class CampaignFields:
    """What a manager types about a campaign; checked together so a form shows every problem at once."""

    title: str
    product_name: str
    apply_opens_at: datetime
    apply_closes_at: datetime
    ship_closes_at: datetime
    share_closes_at: datetime
    feedback_closes_at: datetime
    kit_count: int
    brief: str = ""
    kit_contents: str = ""
    samples_per_kit: int = 10
    target_network_size: int = 25
    eligibility: str = ""
    # One of the brand's surveys; None makes a new one from the product template.
    survey_id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


def parse_eligibility(text: str) -> list[dict[str, str]]:
    """One yes/no question a line; "| yes" or "| no" at its end makes that answer a requirement.

    >>> parse_eligibility("Do you have a dog? | yes")
    [{'key': 'q1', 'text': 'Do you have a dog?', 'required': 'yes'}]
    """
    questions: list[dict[str, str]] = []
    for line in text.splitlines():
        question, _bar, required = line.partition("|")
        question, required = question.strip(), required.strip().lower()
        if not question:
            continue
        if required not in {"", "yes", "no"}:
            raise Invalid(
                _("Please correct the marked fields."),
                fields={"eligibility": _("After “|” write yes or no (in “%(line)s”).", line=line.strip()[:60])},
            )
        questions.append({"key": f"q{len(questions) + 1}", "text": question[:200], "required": required})
    return questions


def eligibility_text(questions: Sequence[Mapping[str, str]]) -> str:
    """The form's text for stored questions (the inverse of ``parse_eligibility``)."""
    return "\n".join(q["text"] + (f" | {q['required']}" if q.get("required") else "") for q in questions)


_TEXT_LIMITS = {"brief": 20000, "kit_contents": 2000}


def _validate_campaign(fields: CampaignFields) -> tuple[dict[str, str], list[dict[str, str]]]:
    errors = dict(fields.errors)
    if not fields.title.strip() or len(fields.title.strip()) > 120:
        errors["title"] = _("Enter a title (up to 120 characters).")
    if not fields.product_name.strip() or len(fields.product_name.strip()) > 120:
        errors["product_name"] = _("Name the product being sampled (up to 120 characters).")
    for name, limit in _TEXT_LIMITS.items():
        if len(getattr(fields, name)) > limit:
            errors[name] = _("Use at most %(limit)s characters.", limit=format_number(limit))
    if "kit_count" not in errors and not 1 <= fields.kit_count <= MAX_KITS:
        errors["kit_count"] = _("Offer between 1 and %(limit)s kits.", limit=format_number(MAX_KITS))
    if "samples_per_kit" not in errors and not 0 <= fields.samples_per_kit <= 100:
        errors["samples_per_kit"] = _("Put between 0 and 100 samples in a kit.")
    if "target_network_size" not in errors and not 1 <= fields.target_network_size <= MAX_NETWORK_SIZE:
        errors["target_network_size"] = _(
            "Aim for a network of 1 to %(limit)s people.", limit=format_number(MAX_NETWORK_SIZE)
        )
    questions: list[dict[str, str]] = []
    try:
        questions = parse_eligibility(fields.eligibility)
    except Invalid as error:
        errors.update(error.fields)
    if len(questions) > MAX_ELIGIBILITY_QUESTIONS:
        errors["eligibility"] = _(
            "Ask at most %(limit)s eligibility questions.", limit=format_number(MAX_ELIGIBILITY_QUESTIONS)
        )
    if not any(name in errors for name in WINDOW_FIELDS):
        moments = [getattr(fields, name) for name in WINDOW_FIELDS]
        if any(moment.tzinfo is None for moment in moments):
            errors["apply_opens_at"] = _("Give times with their time zone.")
        else:
            for earlier, later in itertools.pairwise(WINDOW_FIELDS):
                if not getattr(fields, earlier) < getattr(fields, later):
                    errors[later] = _("Each window must end after the one before it.")
                    break
    return errors, questions


def _apply_fields(campaign: Campaign, fields: CampaignFields, questions: list[dict[str, str]]) -> None:
    campaign.title = fields.title.strip()
    campaign.product_name = fields.product_name.strip()
    campaign.brief = fields.brief.strip()
    campaign.kit_contents = fields.kit_contents.strip()
    campaign.kit_count = fields.kit_count
    campaign.samples_per_kit = fields.samples_per_kit
    campaign.target_network_size = fields.target_network_size
    campaign.eligibility_questions = questions
    for name in WINDOW_FIELDS:
        setattr(campaign, name, getattr(fields, name))


def create_campaign(
    session: Session, *, community: Community, created_by: User, fields: CampaignFields, slug: str = ""
) -> Campaign:
    """Draft a sampling campaign in a feedback community; members see it once it is published."""
    if community.kind == CommunityKind.design:
        raise Conflict(
            _(
                "%(community)s is a design community: sampling campaigns run in feedback communities.",
                community=community.name,
            )
        )
    slug = slug.strip().lower() or slugify(fields.title)
    errors, questions = _validate_campaign(fields)
    if not is_valid_slug(slug):
        errors["slug"] = _("Use 2 to 60 lower-case letters, digits and single hyphens.")
    elif session.exec(select_campaign(community, slug)).first() is not None:
        errors["slug"] = _("Another campaign in this community uses this address; choose another.")
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    survey = _chosen_survey(session, brand=brand, survey_id=fields.survey_id, errors=errors)
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    if survey is None:
        survey = surveys_building.create_survey(
            session,
            brand=brand,
            title=_("%(title)s: feedback", title=fields.title.strip()[:180]),
            author=created_by,
            template=True,
        )
    campaign = Campaign(
        community_id=id_of(community),
        slug=slug,
        title=fields.title.strip(),
        product_name=fields.product_name.strip(),
        created_by_id=created_by.id,
        survey_id=survey.id,
    )
    _apply_fields(campaign, fields, questions)
    try:
        with session.begin_nested():
            session.add(campaign)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_("Another campaign just took this address; choose another.")) from error
    return campaign


def _chosen_survey(session: Session, *, brand: Brand, survey_id: int | None, errors: dict[str, str]) -> Survey | None:
    """The brand's survey a manager picked (None: make one from the template); another brand's is an error."""
    if survey_id is None:
        return None
    survey = session.get(Survey, survey_id)
    if survey is None or survey.brand_id != brand.id:
        errors["survey_id"] = _("Choose one of your brand's surveys.")
        return None
    return survey


def brand_surveys(session: Session, *, community: Community) -> Sequence[Survey]:
    """The surveys a campaign in this community may use: its brand's."""
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    return surveys_building.list_surveys(session, brand=brand)


def update_campaign(session: Session, *, campaign: Campaign, fields: CampaignFields) -> Campaign:
    """Change a campaign's texts, kits, windows or survey; never to fewer kits than are accepted already, nor to
    another survey once friends have answered."""
    errors, questions = _validate_campaign(fields)
    locked = lock_campaign(session, campaign)
    community = session.get(Community, campaign.community_id)
    assert community is not None
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    if fields.survey_id is not None and fields.survey_id != campaign.survey_id:
        _chosen_survey(session, brand=brand, survey_id=fields.survey_id, errors=errors)
        answered = session.exec(select(CampaignResponse.id).where(CampaignResponse.campaign_id == campaign.id)).first()
        if answered is not None:
            errors["survey_id"] = _("Friends have answered already: the survey can no longer change.")
    if "kit_count" not in errors and fields.kit_count < locked.kits_accepted:
        errors["kit_count"] = ngettext(
            "%(num)s kit is accepted already: offer at least that many.",
            "%(num)s kits are accepted already: offer at least that many.",
            locked.kits_accepted,
        )
    if campaign.application_count and questions != campaign.eligibility_questions:
        errors["eligibility"] = _("Members have applied already: the eligibility questions can no longer change.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    _apply_fields(campaign, fields, questions)
    if fields.survey_id is not None:
        campaign.survey_id = fields.survey_id
    session.add(campaign)
    session.flush()
    return campaign


def lock_campaign(session: Session, campaign: Campaign) -> Campaign:
    """The campaign's row, locked until the transaction ends (PostgreSQL; SQLite writers are serialised)."""
    locked = session.exec(
        select(Campaign).where(Campaign.id == campaign.id).with_for_update().execution_options(populate_existing=True)
    ).one()
    return locked


def publish_campaign(session: Session, *, campaign: Campaign) -> Campaign:
    """Make a draft campaign visible to the community; its windows then apply."""
    if campaign.status != CampaignStatus.draft:
        raise Conflict(_("This campaign is published already."))
    campaign.status = CampaignStatus.published
    session.add(campaign)
    session.flush()
    return campaign


def campaign_url(campaign: Campaign, community: Community) -> str:
    return f"/c/{community.slug}/campaigns/{campaign.slug}"


def brand_id_of(session: Session, campaign: Campaign) -> int:
    """The id of the brand whose community runs the campaign."""
    community = session.get(Community, campaign.community_id)
    if community is None:
        raise NotFound(_("There is no such campaign."))
    return community.brand_id
