"""Sampling campaigns: the lifecycle and windows, applications and households, kit inventory, fulfilment by CSV,
share links with their attribution counters, the connector's dashboard, roundtables and the outcome.

Windows follow one another: applications (apply_opens_at to apply_closes_at), shipping (to ship_closes_at), sharing
(to share_closes_at) and feedback (to feedback_closes_at); then the campaign is closed. Managers decide on
applications while applications are open and during shipping; friends answer from shipping to the end of feedback.

Kit inventory is one conditional UPDATE (``kits_accepted < kit_count``) in the accepting transaction, so concurrent
accepts never take more kits than exist; the counters of share links and connectors are increments in SQL (an
UPSERT for the per-hop rows), exact under concurrent requests.
"""

import csv
import hashlib
import io
import itertools
import re
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import segno
from sqlalchemy import ColumnElement, or_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select, update

from app import rate_limits
from app.accounts.models import User
from app.brands.models import Brand
from app.campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignPhase,
    CampaignResponse,
    CampaignStatus,
    ConnectorReach,
    KitShipment,
    RoundtableInvitation,
    Rsvp,
    ShareLink,
    ShipmentStatus,
)
from app.columns import id_of, utcnow
from app.communities import service as communities_service
from app.communities.models import Community, CommunityKind, MemberRole, Membership
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.insights import suppression
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.rewards import points as rewards_points
from app.rewards.models import PointsAction
from app.slugs import is_valid_slug, slugify
from app.surveys import service as surveys_service
from app.surveys.models import Question, Survey

MAX_KITS = 10000
MAX_ELIGIBILITY_QUESTIONS = 10
MAX_NETWORK_SIZE = 1000
MAX_SAMPLES = 1000
DECIDING_PHASES = frozenset({CampaignPhase.applying, CampaignPhase.shipping})
ANSWERING_PHASES = frozenset({CampaignPhase.shipping, CampaignPhase.sharing, CampaignPhase.feedback})
PASSING_ON_PHASES = frozenset({CampaignPhase.shipping, CampaignPhase.sharing})
DECISIONS = {
    "accept": ApplicationStatus.accepted,
    "waitlist": ApplicationStatus.waitlisted,
    "decline": ApplicationStatus.declined,
}
# A connector hears about responses through their links at these counts, not at every one.
RESPONSE_MILESTONES = frozenset({1, 5, 10, 25, 50, 100, 250, 500, 1000})
WINDOW_FIELDS = ("apply_opens_at", "apply_closes_at", "ship_closes_at", "share_closes_at", "feedback_closes_at")
PHASE_LABELS = {
    CampaignPhase.draft: "Draft",
    CampaignPhase.upcoming: "Applications open soon",
    CampaignPhase.applying: "Applications open",
    CampaignPhase.shipping: "Kits shipping",
    CampaignPhase.sharing: "Sharing",
    CampaignPhase.feedback: "Feedback",
    CampaignPhase.closed: "Closed",
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


def _when(moment: datetime) -> str:
    return moment.strftime("%d %B %Y, %H:%M UTC")


def _require_phase(campaign: Campaign, now: datetime, allowed: Iterable[CampaignPhase], doing: str) -> None:
    current = phase(campaign, now)
    if current not in allowed:
        raise Conflict(f"You cannot {doing} now: {campaign.title} is at “{PHASE_LABELS[current].lower()}”.")


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
        question, _, required = line.partition("|")
        question, required = question.strip(), required.strip().lower()
        if not question:
            continue
        if required not in {"", "yes", "no"}:
            raise Invalid(
                "Please correct the marked fields.",
                fields={"eligibility": f"After “|” write yes or no (in “{line.strip()[:60]}”)."},
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
        errors["title"] = "Enter a title (up to 120 characters)."
    if not fields.product_name.strip() or len(fields.product_name.strip()) > 120:
        errors["product_name"] = "Name the product being sampled (up to 120 characters)."
    for name, limit in _TEXT_LIMITS.items():
        if len(getattr(fields, name)) > limit:
            errors[name] = f"Use at most {limit:,} characters."
    if "kit_count" not in errors and not 1 <= fields.kit_count <= MAX_KITS:
        errors["kit_count"] = f"Offer between 1 and {MAX_KITS:,} kits."
    if "samples_per_kit" not in errors and not 0 <= fields.samples_per_kit <= 100:
        errors["samples_per_kit"] = "Put between 0 and 100 samples in a kit."
    if "target_network_size" not in errors and not 1 <= fields.target_network_size <= MAX_NETWORK_SIZE:
        errors["target_network_size"] = f"Aim for a network of 1 to {MAX_NETWORK_SIZE:,} people."
    questions: list[dict[str, str]] = []
    try:
        questions = parse_eligibility(fields.eligibility)
    except Invalid as error:
        errors.update(error.fields)
    if len(questions) > MAX_ELIGIBILITY_QUESTIONS:
        errors["eligibility"] = f"Ask at most {MAX_ELIGIBILITY_QUESTIONS} eligibility questions."
    if not any(name in errors for name in WINDOW_FIELDS):
        moments = [getattr(fields, name) for name in WINDOW_FIELDS]
        if any(moment.tzinfo is None for moment in moments):
            errors["apply_opens_at"] = "Give times with their time zone."
        else:
            for earlier, later in itertools.pairwise(WINDOW_FIELDS):
                if not getattr(fields, earlier) < getattr(fields, later):
                    errors[later] = "Each window must end after the one before it."
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
        raise Conflict(f"{community.name} is a design community: sampling campaigns run in feedback communities.")
    slug = slug.strip().lower() or slugify(fields.title)
    errors, questions = _validate_campaign(fields)
    if not is_valid_slug(slug):
        errors["slug"] = "Use 2 to 60 lower-case letters, digits and single hyphens."
    elif session.exec(select_campaign(community, slug)).first() is not None:
        errors["slug"] = "Another campaign in this community uses this address; choose another."
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    survey = _chosen_survey(session, brand=brand, survey_id=fields.survey_id, errors=errors)
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    if survey is None:
        survey = surveys_service.create_survey(
            session, brand=brand, title=f"{fields.title.strip()[:180]}: feedback", author=created_by, template=True
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
        raise Conflict("Another campaign just took this address; choose another.") from error
    return campaign


def _chosen_survey(session: Session, *, brand: Brand, survey_id: int | None, errors: dict[str, str]) -> Survey | None:
    """The brand's survey a manager picked (None: make one from the template); another brand's is an error."""
    if survey_id is None:
        return None
    survey = session.get(Survey, survey_id)
    if survey is None or survey.brand_id != brand.id:
        errors["survey_id"] = "Choose one of your brand's surveys."
        return None
    return survey


def brand_surveys(session: Session, *, community: Community) -> Sequence[Survey]:
    """The surveys a campaign in this community may use: its brand's."""
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    return surveys_service.list_surveys(session, brand=brand)


def update_campaign(session: Session, *, campaign: Campaign, fields: CampaignFields) -> Campaign:
    """Change a campaign's texts, kits, windows or survey; never to fewer kits than are accepted already, nor to
    another survey once friends have answered."""
    errors, questions = _validate_campaign(fields)
    locked = _lock_campaign(session, campaign)
    community = session.get(Community, campaign.community_id)
    assert community is not None
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    if fields.survey_id is not None and fields.survey_id != campaign.survey_id:
        _chosen_survey(session, brand=brand, survey_id=fields.survey_id, errors=errors)
        answered = session.exec(select(CampaignResponse.id).where(CampaignResponse.campaign_id == campaign.id)).first()
        if answered is not None:
            errors["survey_id"] = "Friends have answered already: the survey can no longer change."
    if "kit_count" not in errors and fields.kit_count < locked.kits_accepted:
        errors["kit_count"] = f"{locked.kits_accepted} kits are accepted already: offer at least that many."
    if campaign.application_count and questions != campaign.eligibility_questions:
        errors["eligibility"] = "Members have applied already: the eligibility questions can no longer change."
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    _apply_fields(campaign, fields, questions)
    if fields.survey_id is not None:
        campaign.survey_id = fields.survey_id
    session.add(campaign)
    session.flush()
    return campaign


def _lock_campaign(session: Session, campaign: Campaign) -> Campaign:
    """The campaign's row, locked until the transaction ends (PostgreSQL; SQLite writers are serialised)."""
    locked = session.exec(
        select(Campaign).where(Campaign.id == campaign.id).with_for_update().execution_options(populate_existing=True)
    ).one()
    return locked


def publish_campaign(session: Session, *, campaign: Campaign) -> Campaign:
    """Make a draft campaign visible to the community; its windows then apply."""
    if campaign.status != CampaignStatus.draft:
        raise Conflict("This campaign is published already.")
    campaign.status = CampaignStatus.published
    session.add(campaign)
    session.flush()
    return campaign


def campaign_url(campaign: Campaign, community: Community) -> str:
    return f"/c/{community.slug}/campaigns/{campaign.slug}"


# ------------------------------------------------------------------------------------------------------------
# Applications and households
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    recipient_name: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    postcode: str = ""
    country: str = ""


ADDRESS_FIELDS = ("recipient_name", "address_line1", "address_line2", "city", "postcode", "country")
_ADDRESS_LIMITS = {"recipient_name": 120, "address_line1": 200, "address_line2": 200, "city": 100, "postcode": 20}
# Spellings of the same thing in street addresses, each mapped to one token.
_ADDRESS_WORDS = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "lane": "ln",
    "boulevard": "blvd",
    "court": "ct",
    "place": "pl",
    "square": "sq",
    "terrace": "ter",
    "highway": "hwy",
    "apartment": "apt",
    "apt": "apt",
    "flat": "apt",
    "unit": "apt",
    "suite": "apt",
    "ste": "apt",
    "no": "",
    "number": "",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


def _address_tokens(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    # "#3" is an apartment number; other punctuation only separates words.
    ascii_text = re.sub(r"#\s*", " apt ", ascii_text)
    words = re.sub(r"[^a-z0-9]+", " ", ascii_text).split()
    tokens = [_ADDRESS_WORDS.get(word, word) for word in words]
    return [token for token in tokens if token]


def normalise_address(address: Address) -> str:
    """The address as one canonical string: "12 Main St., Apt 3" and "12 main street apt 3" read the same."""
    street = " ".join(_address_tokens(f"{address.address_line1} {address.address_line2}"))
    city = " ".join(_address_tokens(address.city))
    postcode = re.sub(r"[^a-z0-9]", "", address.postcode.lower())
    return f"{street}|{city}|{postcode}|{address.country.strip().lower()}"


def household_key(address: Address) -> str:
    """A hash of the normalised address: enough to spot a second application from one household, and no more."""
    return hashlib.sha256(normalise_address(address).encode()).hexdigest()


def _validate_address(address: Address) -> dict[str, str]:
    errors = {}
    for name, limit in _ADDRESS_LIMITS.items():
        if len(getattr(address, name).strip()) > limit:
            errors[name] = f"Use at most {limit} characters."
    for name, message in (
        ("recipient_name", "Enter the name to ship to."),
        ("address_line1", "Enter the street address."),
        ("city", "Enter the town or city."),
    ):
        if not getattr(address, name).strip():
            errors[name] = message
    if not re.fullmatch(r"[A-Za-z]{2}", address.country.strip()):
        errors["country"] = "Use the two-letter country code, e.g. GB or US."
    return errors


def _set_address(application: CampaignApplication, address: Address) -> None:
    application.recipient_name = address.recipient_name.strip()
    application.address_line1 = address.address_line1.strip()
    application.address_line2 = address.address_line2.strip()
    application.city = address.city.strip()
    application.postcode = address.postcode.strip().upper()
    application.country = address.country.strip().upper()
    application.household_key = household_key(address)


def address_of(application: CampaignApplication) -> Address:
    return Address(**{name: getattr(application, name) for name in ADDRESS_FIELDS})


def get_application(session: Session, *, campaign: Campaign, user: User | None) -> CampaignApplication | None:
    if user is None:
        return None
    return session.exec(
        select(CampaignApplication).where(
            CampaignApplication.campaign_id == campaign.id, CampaignApplication.user_id == user.id
        )
    ).first()


def apply_to_campaign(
    session: Session,
    *,
    campaign: Campaign,
    community: Community,
    user: User,
    network_size: int | None,
    answers: Mapping[str, str],
    address: Address,
    motivation: str = "",
    now: datetime | None = None,
) -> CampaignApplication:
    """Apply to be a connector: eligibility answers, declared network size and the shipping address.

    One application per member (a unique constraint). One kit per household is the managers' to keep: a second
    application from the same address is taken like any other, and the review table flags both as the same
    household (``household_mates``); accepting the second while the first is accepted is refused. Refusing it
    here instead would tell the applicant that someone at that address applied, which is another person's
    business: any address typed in would confirm or deny it. Flatmates, or a member who moved in with another,
    are also left for a person to judge.
    """
    now = now or utcnow()
    _require_phase(campaign, now, {CampaignPhase.applying}, "apply")
    _require_member(session, community=community, user=user, doing="apply")
    rate_limits.hit(
        get_settings().campaign_apply_rate_per_account,
        "campaign-apply",
        str(id_of(user)),
        message="You have sent many applications just now; try again later.",
    )
    if get_application(session, campaign=campaign, user=user) is not None:
        raise Conflict(f"You have applied to {campaign.title} already.")
    errors = _validate_address(address)
    if network_size is None or not 1 <= network_size <= MAX_NETWORK_SIZE:
        errors["network_size"] = f"Say how many people you could pass samples on to (1 to {MAX_NETWORK_SIZE:,})."
    if len(motivation) > 1000:
        errors["motivation"] = "Use at most 1,000 characters."
    clean_answers: dict[str, str] = {}
    eligible = True
    for question in campaign.eligibility_questions:
        answer = answers.get(question["key"], "").strip().lower()
        if answer not in {"yes", "no"}:
            errors[f"answer_{question['key']}"] = "Answer yes or no."
            continue
        clean_answers[question["key"]] = answer
        if question.get("required") and answer != question["required"]:
            eligible = False
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    application = CampaignApplication(
        campaign_id=id_of(campaign),
        user_id=id_of(user),
        network_size=network_size or 0,
        eligibility_answers=clean_answers,
        eligible=eligible,
        motivation=motivation.strip(),
    )
    _set_address(application, address)
    try:
        with session.begin_nested():
            session.add(application)
            session.flush()
    except IntegrityError as error:  # the same member applying twice at once
        raise Conflict(f"You have applied to {campaign.title} already.") from error
    session.execute(
        update(Campaign).where(col(Campaign.id) == campaign.id).values(application_count=Campaign.application_count + 1)
    )
    session.refresh(campaign)
    return application


def _require_member(session: Session, *, community: Community, user: User, doing: str) -> Membership:
    """The one place that decides whether someone may take part in a community's campaigns."""
    if not user.is_confirmed:
        raise Forbidden(f"Confirm your e-mail address before you {doing}.")
    membership = communities_service.get_membership(session, community=community, user=user)
    if membership is None:
        raise Forbidden(f"Join {community.name} to {doing}.")
    return membership


def _own_application(session: Session, *, campaign: Campaign, user: User) -> CampaignApplication:
    application = get_application(session, campaign=campaign, user=user)
    if application is None:
        raise Conflict(f"You have not applied to {campaign.title}.")
    return application


def withdraw_application(
    session: Session, *, campaign: Campaign, user: User, now: datetime | None = None
) -> CampaignApplication:
    """Withdraw one's application (an accepted one only before its kit ships); the kit goes back to the pool."""
    now = now or utcnow()
    application = _own_application(session, campaign=campaign, user=user)
    if application.status == ApplicationStatus.withdrawn:
        raise Conflict("Your application is withdrawn already.")
    if application.status == ApplicationStatus.accepted:
        _release_kit(session, campaign=campaign, application=application)
    application.status = ApplicationStatus.withdrawn
    application.household_key = None
    application.decided_at = now
    session.add(application)
    session.flush()
    return application


def update_address(
    session: Session, *, campaign: Campaign, user: User, address: Address, now: datetime | None = None
) -> CampaignApplication:
    """Correct one's shipping address, until the kit has shipped (a shared household is flagged, not refused:
    see ``apply_to_campaign``)."""
    now = now or utcnow()
    _require_phase(campaign, now, DECIDING_PHASES, "change your address")
    application = _own_application(session, campaign=campaign, user=user)
    if application.status == ApplicationStatus.withdrawn:
        raise Conflict("Your application is withdrawn.")
    shipment = get_shipment(session, application=application)
    if shipment is not None and shipment.status != ShipmentStatus.pending:
        raise Conflict("Your kit has shipped: the address can no longer change.")
    errors = _validate_address(address)
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    _set_address(application, address)
    session.add(application)
    session.flush()
    return application


def household_mates(session: Session, *, campaign: Campaign) -> dict[int, list[User]]:
    """For the review table: each application that shares its household (normalised address) with others in the
    campaign, mapped to those others' applicants. Withdrawn applications have no household and never count."""
    mate = aliased(CampaignApplication)
    rows = session.exec(
        select(CampaignApplication.id, User)
        .join(mate, col(mate.household_key) == CampaignApplication.household_key)
        .join(User, col(User.id) == mate.user_id)
        .where(
            CampaignApplication.campaign_id == campaign.id,
            mate.campaign_id == campaign.id,
            col(mate.id) != CampaignApplication.id,
            col(CampaignApplication.household_key).is_not(None),
        )
        .order_by(col(CampaignApplication.id), col(mate.id))
    ).all()
    mates: dict[int, list[User]] = defaultdict(list)
    for application_id, user in rows:
        mates[application_id or 0].append(user)  # ids of stored rows are never None
    return dict(mates)


APPLICATION_SORTS: dict[str, list[Any]] = {
    "newest": [col(CampaignApplication.created_at).desc(), col(CampaignApplication.id).desc()],
    "oldest": [col(CampaignApplication.created_at).asc(), col(CampaignApplication.id).asc()],
    "network": [col(CampaignApplication.network_size).desc(), col(CampaignApplication.id).asc()],
    "name": [func.lower(User.display_name).asc(), col(CampaignApplication.id).asc()],
}


# A review filter beside the statuses: accepted connectors whose kit has not shipped yet (the brand home counts
# them with the same conditions, ``kit_to_ship_conditions``).
KIT_TO_SHIP = "kit_to_ship"
REVIEW_FILTERS = (*(status.value for status in ApplicationStatus), KIT_TO_SHIP)


def kit_to_ship_conditions() -> tuple[ColumnElement[bool], ...]:
    """Applications accepted whose kit is still to be sent (over applications joined to their shipment)."""
    return (
        col(CampaignApplication.status) == ApplicationStatus.accepted,
        col(KitShipment.status) == ShipmentStatus.pending,
    )


def list_applications(
    session: Session,
    *,
    campaign: Campaign,
    status: str = "",
    eligible: str = "",
    sort: str = "newest",
    search: str = "",
) -> Sequence[tuple[CampaignApplication, User, KitShipment | None]]:
    """The review table: filtered by status, eligibility and a name search, sorted by a known key."""
    conditions: list[ColumnElement[bool]] = [col(CampaignApplication.campaign_id) == campaign.id]
    if status == KIT_TO_SHIP:
        conditions.extend(kit_to_ship_conditions())
    elif status:
        if status not in ApplicationStatus.__members__:
            raise Invalid("Unknown status.", fields={"status": "Choose a status from the list."})
        conditions.append(col(CampaignApplication.status) == ApplicationStatus(status))
    if eligible in {"yes", "no"}:
        conditions.append(col(CampaignApplication.eligible).is_(eligible == "yes"))
    if search.strip():
        term = search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(func.lower(User.display_name).like(f"%{term}%", escape="\\"))
    order = APPLICATION_SORTS.get(sort) or APPLICATION_SORTS["newest"]
    rows = session.exec(
        select(CampaignApplication, User, KitShipment)
        .join(User, col(User.id) == CampaignApplication.user_id)
        .outerjoin(KitShipment, col(KitShipment.application_id) == CampaignApplication.id)
        .where(*conditions)
        .order_by(*order)
    ).all()
    return rows


@dataclass
class DecisionResult:
    """What a bulk decision did: the applications changed, and why others were not (by application id)."""

    changed: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def decide_applications(
    session: Session,
    *,
    campaign: Campaign,
    community: Community,
    application_ids: Sequence[int],
    decision: str,
    decided_by: User,
    now: datetime | None = None,
) -> DecisionResult:
    """Accept, waitlist or decline applications; each is its own savepoint, so one refusal leaves the rest done.

    Accepting takes a kit by a conditional UPDATE: never more kits accepted than exist, under concurrency too.
    """
    now = now or utcnow()
    if decision not in DECISIONS:
        raise Invalid("Choose accept, waitlist or decline.", fields={"decision": "Choose accept, waitlist or decline."})
    if not application_ids:
        raise Invalid("Tick at least one application.", fields={"application_ids": "Tick at least one application."})
    _require_phase(campaign, now, DECIDING_PHASES, "decide on applications")
    target = DECISIONS[decision]
    result = DecisionResult()
    for application_id in dict.fromkeys(application_ids):
        application = session.get(CampaignApplication, application_id)
        if application is None or application.campaign_id != campaign.id:
            result.refused[application_id] = "There is no such application in this campaign."
            continue
        try:
            with session.begin_nested():
                _decide(
                    session, campaign=campaign, community=community, application=application, target=target, now=now
                )
        except (Conflict, Invalid) as error:
            session.refresh(application)
            result.refused[application_id] = error.message
            continue
        result.changed.append(application_id)
        _tell_decision(session, campaign=campaign, community=community, application=application, actor=decided_by)
    session.refresh(campaign)
    return result


def _decide(
    session: Session,
    *,
    campaign: Campaign,
    community: Community,
    application: CampaignApplication,
    target: ApplicationStatus,
    now: datetime,
) -> None:
    previous = application.status
    if previous == target:
        raise Conflict(f"This application is {target.value} already.")
    if previous == ApplicationStatus.withdrawn:
        raise Conflict("This application was withdrawn.")
    # Claim the application in its current state, so two managers deciding at once cannot both act on it.
    claimed = session.exec(
        update(CampaignApplication)
        .where(col(CampaignApplication.id) == application.id, col(CampaignApplication.status) == previous)
        .values(status=target, decided_at=now)
    )
    if claimed.rowcount != 1:
        raise Conflict("Someone else decided on this application just now.")
    if previous == ApplicationStatus.accepted:
        _release_kit(session, campaign=campaign, application=application)
    if target == ApplicationStatus.accepted:
        _take_kit(session, campaign=campaign, community=community, application=application)
        # After the kit's UPDATE, which holds the campaign's row: two household mates accepted at once queue here.
        _refuse_second_kit_for_household(session, campaign=campaign, application=application)
    session.refresh(application)


def _refuse_second_kit_for_household(session: Session, *, campaign: Campaign, application: CampaignApplication) -> None:
    if application.household_key is None:
        return
    accepted = session.exec(
        select(User)
        .join(CampaignApplication, col(CampaignApplication.user_id) == User.id)
        .where(
            CampaignApplication.campaign_id == campaign.id,
            CampaignApplication.household_key == application.household_key,
            CampaignApplication.status == ApplicationStatus.accepted,
            CampaignApplication.id != application.id,
        )
    ).first()
    if accepted is not None:
        raise Conflict(
            f"Same household as {accepted.display_name} (@{accepted.handle}), whose application is accepted: "
            "one kit per household."
        )


def _take_kit(session: Session, *, campaign: Campaign, community: Community, application: CampaignApplication) -> None:
    taken = session.exec(
        update(Campaign)
        .where(col(Campaign.id) == campaign.id, col(Campaign.kits_accepted) < col(Campaign.kit_count))
        .values(kits_accepted=Campaign.kits_accepted + 1)
    )
    if taken.rowcount != 1:
        raise Conflict(f"All {campaign.kit_count} kits are taken: waitlist this application or add kits.")
    if get_shipment(session, application=application) is None:
        session.add(KitShipment(campaign_id=id_of(campaign), application_id=id_of(application)))
    if _root_link(session, campaign_id=id_of(campaign), connector_id=application.user_id) is None:
        session.add(ShareLink(code=_new_code(), campaign_id=id_of(campaign), connector_id=application.user_id, hop=1))
    # Accepting makes a plain member a connector of the community (moderators keep their role).
    session.execute(
        update(Membership)
        .where(
            col(Membership.community_id) == community.id,
            col(Membership.user_id) == application.user_id,
            col(Membership.role) == MemberRole.member,
        )
        .values(role=MemberRole.connector)
    )
    session.flush()


def _release_kit(session: Session, *, campaign: Campaign, application: CampaignApplication) -> None:
    """Give an accepted application's kit back, unless it has left the warehouse."""
    shipment = get_shipment(session, application=application)
    if shipment is not None and shipment.status != ShipmentStatus.pending:
        raise Conflict("This kit has shipped already: the connector keeps it.")
    if shipment is not None:
        session.delete(shipment)
    session.execute(
        update(Campaign)
        .where(col(Campaign.id) == campaign.id, col(Campaign.kits_accepted) > 0)
        .values(kits_accepted=Campaign.kits_accepted - 1)
    )
    session.flush()


def _tell_decision(
    session: Session, *, campaign: Campaign, community: Community, application: CampaignApplication, actor: User
) -> None:
    user = session.get(User, application.user_id)
    assert user is not None
    link = f"{campaign_url(campaign, community)}/mine"
    texts = {
        ApplicationStatus.accepted: f"You are a connector for {campaign.title}! Check your shipping address.",
        ApplicationStatus.waitlisted: f"You are on the waiting list for {campaign.title}.",
        ApplicationStatus.declined: f"Your application to {campaign.title} was not selected this time.",
    }
    text = texts[application.status]
    # notify() also e-mails them, now or in a digest, as they chose for the kind.
    notifications_service.notify(
        session,
        user=user,
        kind=NotificationKind.campaign_decision,
        text=text,
        link=link,
        actor=actor,
        community=community,
        email_subject=f"{campaign.title}: your application",
    )


@dataclass(frozen=True)
class SelectionRules:
    """Auto-selection: eligible applicants with at least this network, largest networks first, then earliest."""

    min_network_size: int = 1
    waitlist_the_rest: bool = True


def auto_select(
    session: Session,
    *,
    campaign: Campaign,
    community: Community,
    rules: SelectionRules,
    decided_by: User,
    now: datetime | None = None,
) -> DecisionResult:
    """Accept the best-fitting open applications up to the kits left, one per household; waitlist the other
    fitting ones."""
    now = now or utcnow()
    _require_phase(campaign, now, DECIDING_PHASES, "select connectors")
    candidates = session.exec(
        select(CampaignApplication.id, CampaignApplication.household_key)
        .where(
            CampaignApplication.campaign_id == campaign.id,
            col(CampaignApplication.status).in_([ApplicationStatus.applied, ApplicationStatus.waitlisted]),
            col(CampaignApplication.eligible).is_(True),
            CampaignApplication.network_size >= rules.min_network_size,
        )
        .order_by(col(CampaignApplication.network_size).desc(), col(CampaignApplication.created_at).asc())
    ).all()
    left = _lock_campaign(session, campaign)
    room = left.kit_count - left.kits_accepted
    households = set(
        session.exec(
            select(CampaignApplication.household_key).where(
                CampaignApplication.campaign_id == campaign.id,
                CampaignApplication.status == ApplicationStatus.accepted,
                col(CampaignApplication.household_key).is_not(None),
            )
        ).all()
    )
    chosen: list[int] = []
    rest: list[int] = []
    for application_id, key in candidates:
        if application_id is None:
            continue
        if len(chosen) < room and (key is None or key not in households):
            chosen.append(application_id)
            households.add(key)
        else:
            rest.append(application_id)
    result = DecisionResult()
    if chosen:
        accepted = decide_applications(
            session,
            campaign=campaign,
            community=community,
            application_ids=chosen,
            decision="accept",
            decided_by=decided_by,
            now=now,
        )
        result.changed += accepted.changed
        result.refused.update(accepted.refused)
    if rules.waitlist_the_rest:
        open_rest = [
            application_id
            for application_id in rest
            if (found := session.get(CampaignApplication, application_id)) is not None
            and found.status == ApplicationStatus.applied
        ]
        if open_rest:
            waitlisted = decide_applications(
                session,
                campaign=campaign,
                community=community,
                application_ids=open_rest,
                decision="waitlist",
                decided_by=decided_by,
                now=now,
            )
            result.changed += waitlisted.changed
            result.refused.update(waitlisted.refused)
    return result


# ------------------------------------------------------------------------------------------------------------
# Fulfilment: the kit list out, tracking numbers in, receipt
# ------------------------------------------------------------------------------------------------------------

KIT_CSV_COLUMNS = (
    "kit_id",
    "campaign",
    "connector",
    "recipient_name",
    "address_line1",
    "address_line2",
    "city",
    "postcode",
    "country",
    "kit_contents",
    "status",
    "carrier",
    "tracking_number",
)
TRACKING_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{2,79}")


def get_shipment(session: Session, *, application: CampaignApplication) -> KitShipment | None:
    return session.exec(select(KitShipment).where(KitShipment.application_id == application.id)).first()


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ (or tab, CR) would start a formula, so it gets a '."""
    text = str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def export_kits_csv(session: Session, *, campaign: Campaign) -> str:
    """The accepted kits with their shipping addresses, for the fulfilment house (managers only)."""
    if campaign.status == CampaignStatus.draft:
        raise Conflict("Publish the campaign and accept connectors before exporting kits.")
    rows = session.exec(
        select(KitShipment, CampaignApplication, User)
        .join(CampaignApplication, col(CampaignApplication.id) == KitShipment.application_id)
        .join(User, col(User.id) == CampaignApplication.user_id)
        .where(KitShipment.campaign_id == campaign.id)
        .order_by(col(KitShipment.id))
    ).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(KIT_CSV_COLUMNS)
    for shipment, application, user in rows:
        values = [
            shipment.id,
            campaign.slug,
            user.handle,
            application.recipient_name,
            application.address_line1,
            application.address_line2,
            application.city,
            application.postcode,
            application.country,
            campaign.kit_contents,
            shipment.status.value,
            shipment.carrier,
            shipment.tracking_number,
        ]
        writer.writerow([csv_cell(value) for value in values])
    return buffer.getvalue()


@dataclass
class TrackingImport:
    """The outcome of an import: kits newly shipped, tracking corrected, rows already as the file says."""

    shipped: int = 0
    corrected: int = 0
    unchanged: int = 0


MAX_IMPORT_BYTES = 2_000_000


def import_tracking(
    session: Session, *, campaign: Campaign, community: Community, content: bytes, now: datetime | None = None
) -> TrackingImport:
    """Read kit_id, carrier and tracking_number per row and mark those kits shipped.

    Every row is checked first; if any is wrong, nothing changes and each bad row is reported (Invalid, its
    ``fields`` keyed "row 3" and so on). Importing the same file again changes nothing.
    """
    now = now or utcnow()
    if phase(campaign, now) in {CampaignPhase.draft, CampaignPhase.upcoming, CampaignPhase.closed}:
        raise Conflict("Tracking numbers can be imported while the campaign runs, not now.")
    if len(content) > MAX_IMPORT_BYTES:
        raise Invalid("The file is too large (2 MB at most).", fields={"file": "The file is too large."})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid("The file is not UTF-8 text.", fields={"file": "Save the CSV as UTF-8."}) from error
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in ("kit_id", "tracking_number") if name not in header]
    if missing:
        raise Invalid(
            f"The file has no {' or '.join(missing)} column.",
            fields={"file": "The first row must name the columns: kit_id, carrier, tracking_number."},
        )
    reader.fieldnames = header
    shipments = {
        shipment.id: shipment
        for shipment in session.exec(
            select(KitShipment).where(KitShipment.campaign_id == campaign.id).with_for_update()
        ).all()
    }
    errors: dict[str, str] = {}
    planned: dict[int, tuple[str, str]] = {}
    for number, row in enumerate(reader, start=2):
        kit_text = (row.get("kit_id") or "").strip()
        tracking = (row.get("tracking_number") or "").strip()
        carrier = (row.get("carrier") or "").strip()
        if not kit_text and not tracking and not carrier:
            continue
        label = f"row {number}"
        if not kit_text.isdigit() or int(kit_text) not in shipments:
            errors[label] = f"kit_id “{kit_text[:20]}” is not a kit of this campaign."
            continue
        kit_id = int(kit_text)
        if not TRACKING_PATTERN.fullmatch(tracking):
            errors[label] = "tracking_number must be 3 to 80 letters, digits, spaces or hyphens."
            continue
        if len(carrier) > 60:
            errors[label] = "carrier is longer than 60 characters."
            continue
        if kit_id in planned and planned[kit_id] != (carrier, tracking):
            errors[label] = f"kit {kit_id} appears twice with different tracking."
            continue
        shipment = shipments[kit_id]
        if shipment.status == ShipmentStatus.delivered and shipment.tracking_number != tracking:
            errors[label] = f"kit {kit_id} is delivered already; its tracking can no longer change."
            continue
        planned[kit_id] = (carrier, tracking)
    if errors:
        count = len(errors)
        raise Invalid(f"{count} row{'s' if count != 1 else ''} could not be read; nothing was imported.", fields=errors)
    result = TrackingImport()
    for kit_id, (carrier, tracking) in planned.items():
        shipment = shipments[kit_id]
        if shipment.tracking_number == tracking and shipment.carrier == carrier:
            result.unchanged += 1
            continue
        newly_shipped = shipment.status == ShipmentStatus.pending
        shipment.carrier, shipment.tracking_number = carrier, tracking
        if newly_shipped:
            shipment.status, shipment.shipped_at = ShipmentStatus.shipped, now
            result.shipped += 1
        else:
            result.corrected += 1
        session.add(shipment)
        if newly_shipped:
            _tell_shipped(session, campaign=campaign, community=community, shipment=shipment)
    session.flush()
    return result


def _tell_shipped(session: Session, *, campaign: Campaign, community: Community, shipment: KitShipment) -> None:
    application = session.get(CampaignApplication, shipment.application_id)
    assert application is not None
    user = session.get(User, application.user_id)
    assert user is not None
    link = f"{campaign_url(campaign, community)}/mine"
    text = f"Your {campaign.title} kit is on its way ({shipment.carrier or 'tracking'} {shipment.tracking_number})."
    notifications_service.notify(
        session,
        user=user,
        kind=NotificationKind.kit_shipped,
        text=text,
        link=link,
        community=community,
        email_subject=f"{campaign.title}: your kit has shipped",
    )


def confirm_receipt(
    session: Session, *, campaign: Campaign, user: User, problem: str = "", now: datetime | None = None
) -> KitShipment:
    """The connector says their kit arrived, or reports a problem with it."""
    now = now or utcnow()
    if phase(campaign, now) == CampaignPhase.closed:
        raise Conflict(f"{campaign.title} is closed.")
    application = _own_application(session, campaign=campaign, user=user)
    shipment = get_shipment(session, application=application)
    if application.status != ApplicationStatus.accepted or shipment is None:
        raise Conflict("You have no kit in this campaign.")
    if shipment.status == ShipmentStatus.pending:
        raise Conflict("Your kit has not shipped yet.")
    problem = problem.strip()
    if len(problem) > 500:
        raise Invalid("Please correct the marked fields.", fields={"problem": "Use at most 500 characters."})
    if problem:
        shipment.status, shipment.problem = ShipmentStatus.problem, problem
    else:
        if shipment.status == ShipmentStatus.delivered:
            raise Conflict("You confirmed your kit's arrival already.")
        shipment.status, shipment.delivered_at = ShipmentStatus.delivered, now
    session.add(shipment)
    session.flush()
    return shipment


# ------------------------------------------------------------------------------------------------------------
# Sharing: links, QR codes, counters
# ------------------------------------------------------------------------------------------------------------


def _new_code() -> str:
    return secrets.token_urlsafe(9)


def _root_link(session: Session, *, campaign_id: int, connector_id: int) -> ShareLink | None:
    return session.exec(
        select(ShareLink).where(
            ShareLink.campaign_id == campaign_id,
            ShareLink.connector_id == connector_id,
            col(ShareLink.parent_id).is_(None),
        )
    ).first()


def connector_link(session: Session, *, campaign: Campaign, user: User) -> ShareLink | None:
    """The connector's own share link: there once their application is accepted."""
    application = get_application(session, campaign=campaign, user=user)
    if application is None or application.status != ApplicationStatus.accepted:
        return None
    return _root_link(session, campaign_id=id_of(campaign), connector_id=id_of(user))


def get_link(session: Session, *, code: str) -> tuple[ShareLink, Campaign, Community]:
    """The link behind a code, with its campaign and community; unknown codes and drafts are not found."""
    found = session.exec(
        select(ShareLink, Campaign, Community)
        .join(Campaign, col(Campaign.id) == ShareLink.campaign_id)
        .join(Community, col(Community.id) == Campaign.community_id)
        .where(ShareLink.code == code)
    ).first()
    if found is None or found[1].status == CampaignStatus.draft:
        raise NotFound("This share link does not exist.")
    return found


def share_url(link: ShareLink) -> str:
    return f"{get_settings().base_url}/s/{link.code}"


def qr_svg(url: str) -> str:
    """The link as a QR code in SVG (black on white, a quiet zone of four modules)."""
    qr = segno.make(url, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=6, border=4, light="#fff", xmldecl=False, title="QR code of " + url)
    svg = buffer.getvalue().decode()
    # A viewBox, so the code scales with its box (CSS shrinks it on a phone) instead of being cropped.
    width, height = qr.symbol_size(scale=6, border=4)
    return svg.replace("<svg ", f'<svg viewBox="0 0 {width} {height}" role="img" ', 1)


def _bump(session: Session, *, link: ShareLink, counter: str, by: int = 1) -> None:
    """Add one (or ``by``) to a counter of the link, of every link it came through, and of the connector's row for
    its hop.

    The link's ancestors count it too, so each person who passed the link on sees everything that came after.
    """
    chain = [id_of(link)]
    parent_id = link.parent_id
    while parent_id is not None:
        chain.append(parent_id)
        parent = session.get(ShareLink, parent_id)
        parent_id = parent.parent_id if parent is not None else None
    column = getattr(ShareLink, counter)
    session.execute(update(ShareLink).where(col(ShareLink.id).in_(chain)).values({counter: column + by}))
    _bump_reach(
        session, campaign_id=link.campaign_id, connector_id=link.connector_id, hop=link.hop, counter=counter, by=by
    )


def _bump_reach(session: Session, *, campaign_id: int, connector_id: int, hop: int, counter: str, by: int) -> None:
    table = ConnectorReach.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).values(campaign_id=campaign_id, connector_id=connector_id, hop=hop, **{counter: by})
    statement = statement.on_conflict_do_update(
        index_elements=["campaign_id", "connector_id", "hop"],
        set_={counter: table.c[counter] + by},
    )
    session.execute(statement)


def count_response_shown(session: Session, *, survey_response_id: int, shown: bool) -> None:
    """A moderator hid a campaign's response (or showed it again): it leaves (or rejoins) the response counters of
    its link, the links it came through and its connector's hop, so reach and response rates count shown answers.
    The caller moves it only when the response's hidden state really flipped (once, also under concurrency)."""
    answer = session.exec(
        select(CampaignResponse).where(CampaignResponse.survey_response_id == survey_response_id)
    ).first()
    link = session.get(ShareLink, answer.share_link_id) if answer is not None else None
    if link is not None:
        _bump(session, link=link, counter="response_count", by=1 if shown else -1)


def record_open(session: Session, *, link: ShareLink) -> None:
    """Someone opened a share link (the survey page): counted on the link, its senders' and its connector's hop.

    Best effort: the page is a GET, whose transaction SQLite may refuse the write lock at once when another writer
    holds it; an uncounted open is better than a failed page. (Responses, sign-ups and shares are always counted.)
    """
    try:
        with session.begin_nested():
            _bump(session, link=link, counter="open_count")
    except OperationalError:
        pass


def pass_link_on(
    session: Session, *, parent: ShareLink, campaign: Campaign, response_id: int | None, now: datetime | None = None
) -> ShareLink:
    """A link of one's own for someone who answered through ``parent``: one hop further, the same connector."""
    now = now or utcnow()
    _require_phase(campaign, now, PASSING_ON_PHASES, "pass the link on")
    if response_id is not None:
        existing = session.exec(select(ShareLink).where(ShareLink.created_by_response_id == response_id)).first()
        if existing is not None:
            return existing
    link = ShareLink(
        code=_new_code(),
        campaign_id=parent.campaign_id,
        connector_id=parent.connector_id,
        parent_id=id_of(parent),
        hop=parent.hop + 1,
        created_by_response_id=response_id,
    )
    session.add(link)
    session.flush()
    _bump(session, link=parent, counter="share_count")
    return link


def _brand_id_of(session: Session, campaign: Campaign) -> int:
    community = session.get(Community, campaign.community_id)
    if community is None:
        raise NotFound("There is no such campaign.")
    return community.brand_id


def record_samples_passed_on(
    session: Session, *, campaign: Campaign, user: User, count: int, now: datetime | None = None
) -> CampaignApplication:
    """The connector says how many samples they have passed on so far (a running total they may correct)."""
    now = now or utcnow()
    _require_phase(campaign, now, ANSWERING_PHASES, "record samples passed on")
    application = _own_application(session, campaign=campaign, user=user)
    if application.status != ApplicationStatus.accepted:
        raise Conflict("Only connectors with a kit pass samples on.")
    limit = max(campaign.samples_per_kit, 1) * 10
    if not 0 <= count <= min(limit, MAX_SAMPLES):
        raise Invalid(
            "Please correct the marked fields.",
            fields={"samples_passed_on": f"Enter a number from 0 to {min(limit, MAX_SAMPLES)}."},
        )
    application.samples_passed_on = count
    session.add(application)
    session.flush()
    if count > 0:
        # Once per campaign: correcting the running total must not earn again.
        rewards_points.award_points(
            session,
            user_id=id_of(user),
            brand_id=_brand_id_of(session, campaign),
            action=PointsAction.samples_passed,
            source_key=f"campaign:{id_of(campaign)}",
            now=now,
        )
    return application


@dataclass(frozen=True)
class ReachTotals:
    opens: int = 0
    responses: int = 0
    signups: int = 0
    shares: int = 0


@dataclass(frozen=True)
class ConnectorDashboard:
    application: CampaignApplication | None
    shipment: KitShipment | None
    link: ShareLink | None
    hops: Sequence[ConnectorReach]
    totals: ReachTotals
    invitation: RoundtableInvitation | None

    @property
    def reach(self) -> int:
        """People reached through the connector's links, all hops: everyone who answered."""
        return self.totals.responses

    @property
    def response_rate(self) -> float | None:
        passed = self.application.samples_passed_on if self.application else 0
        return self.totals.responses / passed if passed else None


def _totals(rows: Sequence[ConnectorReach]) -> ReachTotals:
    return ReachTotals(
        opens=sum(row.open_count for row in rows),
        responses=sum(row.response_count for row in rows),
        signups=sum(row.signup_count for row in rows),
        shares=sum(row.share_count for row in rows),
    )


def connector_dashboard(session: Session, *, campaign: Campaign, user: User) -> ConnectorDashboard:
    """One person's own view of a campaign: their application, kit, link and the network it reached."""
    application = get_application(session, campaign=campaign, user=user)
    shipment = get_shipment(session, application=application) if application else None
    hops = session.exec(
        select(ConnectorReach)
        .where(ConnectorReach.campaign_id == campaign.id, ConnectorReach.connector_id == user.id)
        .order_by(col(ConnectorReach.hop))
    ).all()
    invitation = session.exec(
        select(RoundtableInvitation).where(
            RoundtableInvitation.campaign_id == campaign.id, RoundtableInvitation.user_id == user.id
        )
    ).first()
    return ConnectorDashboard(
        application=application,
        shipment=shipment,
        link=connector_link(session, campaign=campaign, user=user),
        hops=hops,
        totals=_totals(hops),
        invitation=invitation,
    )


# ------------------------------------------------------------------------------------------------------------
# Progress and standings (staff)
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectorStanding:
    """An accepted connector's reach; ``shown_responses`` is their responses as the progress page may show them
    (``app.insights.suppression``: hidden below 5, with another to protect it), set by ``campaign_progress``."""

    user: User
    application: CampaignApplication
    shipment: KitShipment | None
    totals: ReachTotals
    shown_responses: int | None = None

    @property
    def response_rate(self) -> float | None:
        passed = self.application.samples_passed_on
        return self.totals.responses / passed if passed else None

    @property
    def shown_rate(self) -> float | None:
        """The response rate as it may be shown: it goes with the responses."""
        return self.response_rate if self.shown_responses is not None else None


@dataclass(frozen=True)
class CampaignProgress:
    """The progress page's counts. Responses are people who answered: ``responses`` (in all), ``hop_responses``
    (by_hop's, in order) and each connector's ``shown_responses`` follow the one suppression rule, while opens,
    shares and sign-ups count the links' events and stay shown, as on the campaign's results page."""

    applications: dict[str, int]
    shipments: dict[str, int]
    totals: ReachTotals
    by_hop: list[tuple[int, ReachTotals]]
    samples_passed_on: int
    connectors: list[ConnectorStanding]
    responses: int | None
    hop_responses: list[int | None]


def connector_standings(session: Session, *, campaign: Campaign) -> list[ConnectorStanding]:
    """Accepted connectors, best first: by reach (responses through all hops), then response rate."""
    rows = session.exec(
        select(CampaignApplication, User, KitShipment)
        .join(User, col(User.id) == CampaignApplication.user_id)
        .outerjoin(KitShipment, col(KitShipment.application_id) == CampaignApplication.id)
        .where(
            CampaignApplication.campaign_id == campaign.id,
            CampaignApplication.status == ApplicationStatus.accepted,
        )
    ).all()
    reach: dict[int, list[ConnectorReach]] = {}
    for row in session.exec(select(ConnectorReach).where(ConnectorReach.campaign_id == campaign.id)).all():
        reach.setdefault(row.connector_id, []).append(row)
    standings = [
        ConnectorStanding(user=user, application=application, shipment=shipment, totals=_totals(reach.get(user.id, [])))
        for application, user, shipment in rows
        if user.id is not None
    ]
    standings.sort(key=lambda s: (-s.totals.responses, -(s.response_rate or 0.0), s.application.id or 0))
    return standings


def reach_by_hop(
    session: Session, *, campaign: Campaign, connector_id: int | None = None
) -> list[tuple[int, ReachTotals]]:
    """Opens, responses, sign-ups and shares per hop, from the counters (one connector's, or everyone's)."""
    query = sa_select(
        col(ConnectorReach.hop),
        func.sum(ConnectorReach.open_count),
        func.sum(ConnectorReach.response_count),
        func.sum(ConnectorReach.signup_count),
        func.sum(ConnectorReach.share_count),
    ).where(col(ConnectorReach.campaign_id) == campaign.id)
    if connector_id is not None:
        query = query.where(col(ConnectorReach.connector_id) == connector_id)
    rows = session.execute(query.group_by(col(ConnectorReach.hop)).order_by(col(ConnectorReach.hop))).all()
    return [
        (hop, ReachTotals(int(opens or 0), int(responses or 0), int(signups or 0), int(shares or 0)))
        for hop, opens, responses, signups, shares in rows
    ]


@dataclass(frozen=True)
class ConnectorReachRow:
    """One accepted connector's samples passed on and reach over every hop, without their application's details."""

    handle: str
    display_name: str
    samples_passed_on: int
    totals: ReachTotals

    @property
    def response_rate(self) -> float | None:
        return self.totals.responses / self.samples_passed_on if self.samples_passed_on else None


def connector_reach(session: Session, *, campaign: Campaign) -> list[ConnectorReachRow]:
    """Every accepted connector's reach, in one query that sums the counters per connector: a results page lists
    thousands of connectors, which ``connector_standings`` (whole applications and users) would load slowly."""
    reach = (
        sa_select(
            col(ConnectorReach.connector_id).label("connector_id"),
            func.sum(ConnectorReach.open_count).label("opens"),
            func.sum(ConnectorReach.response_count).label("responses"),
            func.sum(ConnectorReach.signup_count).label("signups"),
            func.sum(ConnectorReach.share_count).label("shares"),
        )
        .where(col(ConnectorReach.campaign_id) == campaign.id)
        .group_by(col(ConnectorReach.connector_id))
        .subquery()
    )
    rows = session.execute(
        sa_select(
            col(User.handle),
            col(User.display_name),
            col(CampaignApplication.samples_passed_on),
            reach.c.opens,
            reach.c.responses,
            reach.c.signups,
            reach.c.shares,
        )
        .join(User, col(User.id) == CampaignApplication.user_id)
        .outerjoin(reach, reach.c.connector_id == CampaignApplication.user_id)
        .where(
            col(CampaignApplication.campaign_id) == campaign.id,
            col(CampaignApplication.status) == ApplicationStatus.accepted,
        )
        .order_by(col(CampaignApplication.id))
    ).all()
    return [
        ConnectorReachRow(
            handle=handle,
            display_name=display_name,
            samples_passed_on=samples,
            totals=ReachTotals(int(opens or 0), int(responses or 0), int(signups or 0), int(shares or 0)),
        )
        for handle, display_name, samples, opens, responses, signups, shares in rows
    ]


def kit_counts(session: Session, *, campaign: Campaign) -> dict[str, int]:
    """The campaign's kits by shipment status (every status present, 0 when none)."""
    shipments = dict.fromkeys((status.value for status in ShipmentStatus), 0)
    for status, count in session.exec(
        select(KitShipment.status, func.count())
        .where(KitShipment.campaign_id == campaign.id)
        .group_by(KitShipment.status)
    ).all():
        shipments[ShipmentStatus(status).value] = count
    return shipments


def declared_network_size(session: Session, *, campaign: Campaign) -> int:
    """The network sizes the accepted connectors declared when they applied, added up: whom the campaign may reach."""
    total = session.exec(
        select(func.coalesce(func.sum(CampaignApplication.network_size), 0)).where(
            CampaignApplication.campaign_id == campaign.id,
            CampaignApplication.status == ApplicationStatus.accepted,
        )
    ).one()
    return int(total)


def campaign_progress(session: Session, *, campaign: Campaign) -> CampaignProgress:
    """Counts for the staff's progress page: applications and kits by status, reach per hop, connectors."""
    applications = dict.fromkeys((status.value for status in ApplicationStatus), 0)
    for status, count in session.exec(
        select(CampaignApplication.status, func.count())
        .where(CampaignApplication.campaign_id == campaign.id)
        .group_by(CampaignApplication.status)
    ).all():
        applications[ApplicationStatus(status).value] = count
    shipments = kit_counts(session, campaign=campaign)
    by_hop = reach_by_hop(session, campaign=campaign)
    standings = connector_standings(session, campaign=campaign)
    shown = suppression.suppress_partition([standing.totals.responses for standing in standings])
    shown_standings = [
        replace(standing, shown_responses=responses) for standing, responses in zip(standings, shown, strict=True)
    ]
    # Hidden responses sort below every shown one, by name, so that a place tells nothing of a hidden count.
    shown_standings.sort(
        key=lambda s: (
            s.shown_responses is None,
            -(s.shown_responses or 0),
            -(s.shown_rate or 0.0),
            s.user.display_name.casefold() if s.shown_responses is None else "",
            s.application.id or 0,
        )
    )
    total_responses = sum(t.responses for _, t in by_hop)
    samples = session.exec(
        select(func.coalesce(func.sum(CampaignApplication.samples_passed_on), 0)).where(
            CampaignApplication.campaign_id == campaign.id,
            CampaignApplication.status == ApplicationStatus.accepted,
        )
    ).one()
    return CampaignProgress(
        applications=applications,
        shipments=shipments,
        totals=ReachTotals(
            opens=sum(t.opens for _, t in by_hop),
            responses=total_responses,
            signups=sum(t.signups for _, t in by_hop),
            shares=sum(t.shares for _, t in by_hop),
        ),
        by_hop=by_hop,
        samples_passed_on=int(samples),
        connectors=shown_standings,
        responses=suppression.shown(total_responses),
        hop_responses=suppression.suppress_partition([t.responses for _, t in by_hop]),
    )


# ------------------------------------------------------------------------------------------------------------
# Roundtable and outcome
# ------------------------------------------------------------------------------------------------------------


def invite_to_roundtable(
    session: Session,
    *,
    campaign: Campaign,
    community: Community,
    when: datetime,
    details: str,
    count: int,
    invited_by: User,
    now: datetime | None = None,
) -> list[RoundtableInvitation]:
    """Set the results roundtable and invite the ``count`` best connectors (those not invited yet)."""
    now = now or utcnow()
    _require_phase(campaign, now, {CampaignPhase.feedback, CampaignPhase.closed}, "invite to the roundtable")
    errors = {}
    if when.tzinfo is None or when <= now:
        errors["roundtable_at"] = "Choose a date and time in the future."
    if len(details) > 2000:
        errors["roundtable_details"] = "Use at most 2,000 characters."
    if not 1 <= count <= 100:
        errors["count"] = "Invite between 1 and 100 connectors."
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    campaign.roundtable_at, campaign.roundtable_details = when, details.strip()
    session.add(campaign)
    invited = {
        user_id
        for user_id in session.exec(
            select(RoundtableInvitation.user_id).where(RoundtableInvitation.campaign_id == campaign.id)
        ).all()
    }
    chosen = [s for s in connector_standings(session, campaign=campaign) if s.user.id not in invited][:count]
    invitations = []
    link = f"{campaign_url(campaign, community)}/mine"
    for standing in chosen:
        invitation = RoundtableInvitation(campaign_id=id_of(campaign), user_id=id_of(standing.user), invited_at=now)
        session.add(invitation)
        invitations.append(invitation)
        text = f"You are invited to the {campaign.title} results roundtable on {_when(when)}. Will you come?"
        notifications_service.notify(
            session,
            user=standing.user,
            kind=NotificationKind.roundtable_invite,
            text=f"{text} {details.strip()}".strip(),
            link=link,
            actor=invited_by,
            community=community,
            email_subject=f"{campaign.title}: results roundtable",
        )
    session.flush()
    return invitations


def answer_rsvp(
    session: Session, *, campaign: Campaign, user: User, attending: bool, now: datetime | None = None
) -> RoundtableInvitation:
    """Say whether one will come to the roundtable one is invited to (changeable until it starts)."""
    now = now or utcnow()
    invitation = session.exec(
        select(RoundtableInvitation).where(
            RoundtableInvitation.campaign_id == campaign.id, RoundtableInvitation.user_id == user.id
        )
    ).first()
    if invitation is None:
        raise Conflict("You are not invited to this campaign's roundtable.")
    if campaign.roundtable_at is not None and campaign.roundtable_at <= now:
        raise Conflict("The roundtable has taken place.")
    invitation.rsvp = Rsvp.attending if attending else Rsvp.declined
    invitation.answered_at = now
    session.add(invitation)
    session.flush()
    return invitation


def list_invitations(session: Session, *, campaign: Campaign) -> Sequence[tuple[RoundtableInvitation, User]]:
    return session.exec(
        select(RoundtableInvitation, User)
        .join(User, col(User.id) == RoundtableInvitation.user_id)
        .where(RoundtableInvitation.campaign_id == campaign.id)
        .order_by(col(RoundtableInvitation.id))
    ).all()


def post_outcome(
    session: Session,
    *,
    campaign: Campaign,
    community: Community,
    text: str,
    posted_by: User,
    chart: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Campaign:
    """Tell every participant what the brand decided ("you told us X, we are doing Y"); editable afterwards.

    ``chart`` is a snapshot of results shown with it (``app.insights`` makes it and applies k-anonymity)."""
    now = now or utcnow()
    _require_phase(campaign, now, {CampaignPhase.feedback, CampaignPhase.closed}, "post the outcome")
    text = text.strip()
    if not text or len(text) > 20000:
        raise Invalid("Please correct the marked fields.", fields={"outcome": "Write the outcome (Markdown)."})
    first_time = campaign.outcome_posted_at is None
    campaign.outcome, campaign.outcome_posted_at = text, campaign.outcome_posted_at or now
    campaign.outcome_chart = chart
    session.add(campaign)
    session.flush()
    if first_time:
        link = campaign_url(campaign, community)
        participants = session.exec(
            select(User)
            .join(CampaignApplication, col(CampaignApplication.user_id) == User.id)
            .where(
                CampaignApplication.campaign_id == campaign.id,
                CampaignApplication.status == ApplicationStatus.accepted,
            )
        ).all()
        for user in participants:
            notifications_service.notify(
                session,
                user=user,
                kind=NotificationKind.campaign_outcome,
                text=f"{campaign.title}: the brand tells you what it is doing with your feedback.",
                link=link,
                actor=posted_by,
                community=community,
            )
        # Friends who answered and agreed to be contacted were promised this e-mail (see answer_campaign).
        addresses = session.exec(
            select(CampaignResponse.email).where(
                CampaignResponse.campaign_id == campaign.id,
                col(CampaignResponse.consent).is_(True),
                col(CampaignResponse.email).is_not(None),
            )
        ).all()
        for address in addresses:
            notifications_service.queue_email(
                session,
                to_address=address or "",
                subject=f"{campaign.product_name}: what we are doing with your feedback",
                body_text=f"Thank you again for answering about {campaign.product_name}.\n\n{text}\n\n"
                f"{get_settings().base_url}{link}\n",
            )
    return campaign


# ------------------------------------------------------------------------------------------------------------
# Answering through a share link (friends, no account needed)
# ------------------------------------------------------------------------------------------------------------

EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ALREADY_ANSWERED = "You have answered this survey already. Thank you!"


def device_hash(token: str) -> str:
    """What is stored of a device token: its SHA-256, so the database never holds the cookie's secret."""
    return hashlib.sha256(token.encode()).hexdigest()


def campaign_survey(session: Session, *, campaign: Campaign) -> Survey:
    survey = session.get(Survey, campaign.survey_id) if campaign.survey_id is not None else None
    if survey is None:
        raise Conflict(f"{campaign.title} has no feedback survey yet.")
    return survey


def survey_questions(session: Session, *, campaign: Campaign) -> list[Question]:
    """The campaign survey's current questions, in order (what the answering page shows)."""
    return surveys_service.list_questions(session, survey=campaign_survey(session, campaign=campaign))


def find_response(
    session: Session, *, campaign: Campaign, device_token: str | None = None, email: str = ""
) -> CampaignResponse | None:
    """This device's (or this e-mail address's) response to the campaign, if any."""
    conditions = []
    if device_token:
        conditions.append(col(CampaignResponse.device_hash) == device_hash(device_token))
    if email.strip():
        conditions.append(col(CampaignResponse.email) == email.strip().lower())
    if not conditions:
        return None
    return session.exec(
        select(CampaignResponse).where(CampaignResponse.campaign_id == campaign.id, or_(*conditions))
    ).first()


def answer_campaign(
    session: Session,
    *,
    link: ShareLink,
    campaign: Campaign,
    form: Mapping[str, Sequence[str]],
    device_token: str | None,
    email: str = "",
    consent: bool = False,
    photos: Mapping[str, surveys_service.PhotoUpload] | None = None,
    user: User | None = None,
    now: datetime | None = None,
) -> CampaignResponse:
    """Someone's answers through a share link: stored by the survey service, attributed to the link (and every link
    it came through) and to its connector's hop, with the counters moved in this same transaction.

    One response per person and campaign (per device token and per e-mail address). Invalid names every wrong
    input (answers as q<id>, and "email"); nothing is stored then.
    """
    now = now or utcnow()
    _require_phase(campaign, now, ANSWERING_PHASES, "answer")
    survey = campaign_survey(session, campaign=campaign)
    email = email.strip().lower()
    errors: dict[str, str] = {}
    if email and (len(email) > 254 or not EMAIL_PATTERN.fullmatch(email)):
        errors["email"] = "Enter an e-mail address like name@example.com, or leave it empty."
    elif consent and not email:
        errors["email"] = "Give your e-mail address if we may contact you."
    if not device_token and not email:
        raise Invalid("A device token or an e-mail address is needed to answer.", fields={"email": "Enter one."})
    if find_response(session, campaign=campaign, device_token=device_token, email=email) is not None:
        raise Conflict(ALREADY_ANSWERED)
    try:
        with session.begin_nested():
            try:
                # Given in the campaign's community, whatever community the survey may also be published to.
                response = surveys_service.record_response(
                    session,
                    survey=survey,
                    form=form,
                    photos=photos,
                    user=user,
                    community_id=campaign.community_id,
                    now=now,
                )
            except Invalid as error:
                raise Invalid(error.message, fields={**error.fields, **errors}) from error
            if errors:
                raise Invalid("Please correct the marked fields.", fields=errors)
            answer = CampaignResponse(
                campaign_id=id_of(campaign),
                survey_response_id=id_of(response),
                share_link_id=id_of(link),
                connector_id=link.connector_id,
                hop=link.hop,
                email=email or None,
                consent=consent and bool(email),
                device_hash=device_hash(device_token) if device_token else None,
                user_id=user.id if user is not None else None,
                created_at=now,
            )
            session.add(answer)
            session.flush()
    except IntegrityError as error:
        raise Conflict(ALREADY_ANSWERED) from error
    _bump(session, link=link, counter="response_count")
    _tell_connector_at_milestones(session, campaign=campaign, link=link)
    if user is not None:
        rewards_points.award_points(
            session,
            user_id=id_of(user),
            brand_id=_brand_id_of(session, campaign),
            action=PointsAction.survey_answered,
            source_key=f"survey:{id_of(survey)}",
            now=now,
        )
    if answer.consent and answer.email:
        notifications_service.queue_email(
            session,
            to_address=answer.email,
            subject=f"Thanks for your feedback on {campaign.product_name}",
            body_text=f"Thank you for answering about {campaign.product_name}. You said we may contact you: "
            "we will write when the brand tells everyone what it is doing with the feedback.\n",
        )
    return answer


def _tell_connector_at_milestones(session: Session, *, campaign: Campaign, link: ShareLink) -> None:
    total = session.exec(
        select(func.coalesce(func.sum(ConnectorReach.response_count), 0)).where(
            ConnectorReach.campaign_id == campaign.id, ConnectorReach.connector_id == link.connector_id
        )
    ).one()
    if int(total) not in RESPONSE_MILESTONES:
        return
    connector = session.get(User, link.connector_id)
    community = session.get(Community, campaign.community_id)
    if connector is None or community is None:
        return
    people = "person has" if total == 1 else "people have"
    text = f"{total} {people} answered about {campaign.product_name} through your links."
    notifications_service.notify(
        session,
        user=connector,
        kind=NotificationKind.network_response,
        text=text,
        link=f"{campaign_url(campaign, community)}/mine",
        community=community,
        # Milestones passed on one day: the line gives the latest total.
        rollup=notifications_service.Rollup(subject=f"campaign:{campaign.id}", text=text),
    )


def friend_link(
    session: Session, *, campaign: Campaign, response: CampaignResponse, now: datetime | None = None
) -> ShareLink:
    """A link of their own for someone who answered: one hop further than the link they came through, still the
    same connector's. Asking again gives the same link."""
    parent = session.get(ShareLink, response.share_link_id)
    assert parent is not None
    return pass_link_on(session, parent=parent, campaign=campaign, response_id=id_of(response), now=now)


def own_link(session: Session, *, response: CampaignResponse) -> ShareLink | None:
    """The link someone got after answering (``friend_link``), if they asked for one."""
    return session.exec(select(ShareLink).where(ShareLink.created_by_response_id == response.id)).first()


def join_through_link(
    session: Session, *, link: ShareLink, campaign: Campaign, community: Community, user: User
) -> Membership:
    """Join the campaign's community from a share link: a sign-up counted for the link, its senders and connector."""
    membership = communities_service.join_community(session, community=community, user=user)
    _bump(session, link=link, counter="signup_count")
    return membership
