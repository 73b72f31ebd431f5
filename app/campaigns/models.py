"""Sampling campaigns: applications from members, the kits shipped to connectors, share links and the reach they
bring, roundtable invitations and the outcome."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import CheckConstraint, Column, Field, SQLModel, UniqueConstraint

from app.columns import enum_field, timestamp_field


class CampaignStatus(StrEnum):
    draft = "draft"
    published = "published"


class CampaignPhase(StrEnum):
    """Where a campaign stands at a moment: derived from its status and windows by ``service.phase``."""

    draft = "draft"
    upcoming = "upcoming"
    applying = "applying"
    shipping = "shipping"
    sharing = "sharing"
    feedback = "feedback"
    closed = "closed"


class ApplicationStatus(StrEnum):
    applied = "applied"
    accepted = "accepted"
    waitlisted = "waitlisted"
    declined = "declined"
    withdrawn = "withdrawn"


class ShipmentStatus(StrEnum):
    pending = "pending"
    shipped = "shipped"
    delivered = "delivered"
    problem = "problem"


class Rsvp(StrEnum):
    pending = "pending"
    attending = "attending"
    declined = "declined"


class Campaign(SQLModel, table=True):
    __tablename__ = "campaigns"
    __table_args__ = (
        UniqueConstraint("community_id", "slug"),
        CheckConstraint("kits_accepted >= 0 AND kits_accepted <= kit_count", name="kit_inventory"),  # i18n: ignore
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=120)
    slug: str = Field(max_length=60)
    product_name: str = Field(max_length=120)
    brief: str = Field(default="", max_length=20000)
    kit_contents: str = Field(default="", max_length=2000)
    kit_count: int = Field(default=0)
    samples_per_kit: int = Field(default=10)
    target_network_size: int = Field(default=25)
    # [{"key": "q1", "text": "Do you have a dog?", "required": "yes" | "no" | ""}]: the campaign's own short list.
    eligibility_questions: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    apply_opens_at: datetime = timestamp_field()
    apply_closes_at: datetime = timestamp_field()
    ship_closes_at: datetime = timestamp_field()
    share_closes_at: datetime = timestamp_field()
    feedback_closes_at: datetime = timestamp_field()
    status: CampaignStatus = enum_field(CampaignStatus, default=CampaignStatus.draft)
    # The feedback survey friends answer through share links (app/surveys); a new one from the template by default.
    survey_id: int | None = Field(
        default=None,
        foreign_key="surveys.id",
        index=True,
        ondelete="SET NULL",  # i18n: ignore
    )
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore
    created_at: datetime = timestamp_field()
    roundtable_at: datetime | None = timestamp_field(nullable=True)
    roundtable_details: str = Field(default="", max_length=2000)
    outcome: str = Field(default="", max_length=20000)
    outcome_posted_at: datetime | None = timestamp_field(nullable=True)
    # A chart of the results shown with the outcome, as the figures stood when it was posted (an
    # ``app.insights.schemas.OutcomeChart``, k-anonymity applied); None when the manager chose none.
    outcome_chart: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Rollups kept by the services in the same statement or transaction as each change; never recounted on views.
    application_count: int = Field(default=0)
    kits_accepted: int = Field(default=0)


class CampaignApplication(SQLModel, table=True):
    """A member's application to be a connector; once accepted, it carries their kit and what they passed on.

    ``household_key`` is a hash of the normalised shipping address: applications from one household are flagged
    to the managers, who accept one kit per household (it is cleared when the application is withdrawn).
    """

    __tablename__ = "campaign_applications"
    __table_args__ = (
        UniqueConstraint("campaign_id", "user_id"),
        Index("ix_campaign_applications_campaign_id_household_key", "campaign_id", "household_key"),
        # One per sort of the results' connector table (app.insights.campaign_results.connector_results), so that
        # a page of a campaign's accepted connectors is read along an index, not sorted from every connector.
        Index("ix_campaign_applications_by_responses", "campaign_id", "status", "response_rank", "response_rate"),
        Index("ix_campaign_applications_by_rate", "campaign_id", "status", "rate_rank", "response_rank"),
        Index("ix_campaign_applications_by_opens", "campaign_id", "status", "reach_opens", "response_rank"),
        Index("ix_campaign_applications_by_samples", "campaign_id", "status", "samples_passed_on", "response_rank"),
        Index("ix_campaign_applications_by_signups", "campaign_id", "status", "reach_signups", "response_rank"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    status: ApplicationStatus = enum_field(ApplicationStatus, default=ApplicationStatus.applied)
    network_size: int = Field(default=0)
    eligibility_answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    eligible: bool = Field(default=True)
    motivation: str = Field(default="", max_length=1000)
    recipient_name: str = Field(default="", max_length=120)
    address_line1: str = Field(default="", max_length=200)
    address_line2: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    postcode: str = Field(default="", max_length=20)
    country: str = Field(default="", max_length=2)
    household_key: str | None = Field(default=None, max_length=64)
    samples_passed_on: int = Field(default=0)
    created_at: datetime = timestamp_field()
    decided_at: datetime | None = timestamp_field(nullable=True)
    # The connector's reach over every hop (the sums of their ConnectorReach rows), moved by the same events in the
    # same transaction (``app.campaigns.totals``), with the sort keys they give: ``response_rank`` is the responses,
    # or -1 when 1-4 (hidden by k-anonymity, so sorted below every shown count); ``response_rate`` responses per
    # sample passed on, 0 when hidden or nothing was passed on (how the table sorts those, and then shows no rate);
    # ``rate_rank`` the rate, or -1 when there is none to show (sorting those below every rate).
    reach_opens: int = Field(default=0)
    reach_responses: int = Field(default=0)
    reach_signups: int = Field(default=0)
    reach_shares: int = Field(default=0)
    response_rank: int = Field(default=0)
    response_rate: float = Field(default=0.0)
    rate_rank: float = Field(default=-1.0)


class KitShipment(SQLModel, table=True):
    """The kit sent to one accepted connector; made when the application is accepted."""

    __tablename__ = "kit_shipments"

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    application_id: int = Field(foreign_key="campaign_applications.id", unique=True, ondelete="CASCADE")
    status: ShipmentStatus = enum_field(ShipmentStatus, default=ShipmentStatus.pending)
    carrier: str = Field(default="", max_length=60)
    tracking_number: str = Field(default="", max_length=80)
    problem: str = Field(default="", max_length=500)
    shipped_at: datetime | None = timestamp_field(nullable=True)
    delivered_at: datetime | None = timestamp_field(nullable=True)


class ShareLink(SQLModel, table=True):
    """A personal link (and QR code) for a campaign. A connector's own link is hop 1; a friend who answered through
    it may get a link of their own (hop 2, parent = the link they came through), still attributed to the connector.

    The counters are kept in the same transaction as each open, response, sign-up and new child link.
    """

    __tablename__ = "share_links"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    connector_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    parent_id: int | None = Field(default=None, foreign_key="share_links.id", index=True, ondelete="CASCADE")
    hop: int = Field(default=1)
    # The campaign response whose author asked for this link (no foreign key: the two tables point at each other).
    created_by_response_id: int | None = Field(default=None, unique=True)
    open_count: int = Field(default=0)
    response_count: int = Field(default=0)
    signup_count: int = Field(default=0)
    share_count: int = Field(default=0)
    created_at: datetime = timestamp_field()


class ConnectorReach(SQLModel, table=True):
    """Per campaign, connector and hop: opens, responses, sign-ups and second-hop shares through their links.

    Kept by UPSERT in the transaction of each event, so dashboards read these rows and never scan responses.
    """

    __tablename__ = "connector_reach"
    __table_args__ = (UniqueConstraint("campaign_id", "connector_id", "hop"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    connector_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    hop: int
    open_count: int = Field(default=0)
    response_count: int = Field(default=0)
    signup_count: int = Field(default=0)
    share_count: int = Field(default=0)


class CampaignTotal(SQLModel, table=True):
    """One of a campaign's running totals (``figure`` and ``key``, for example responses on one day), as a part:
    the total is the sum of its shards. Kept by ``app.campaigns.totals`` in the transaction of each event, so the
    results for everyone read a few rows whatever the campaign's size; each transaction adds to one random shard,
    so that concurrent events of one campaign (opens, which lock nothing else campaign-wide) rarely wait on a row.
    """

    __tablename__ = "campaign_totals"

    campaign_id: int = Field(foreign_key="campaigns.id", primary_key=True, ondelete="CASCADE")
    figure: str = Field(primary_key=True, max_length=20)
    key: str = Field(primary_key=True, max_length=20)
    shard: int = Field(primary_key=True)
    count: int = Field(default=0)


class RoundtableInvitation(SQLModel, table=True):
    __tablename__ = "roundtable_invitations"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    rsvp: Rsvp = enum_field(Rsvp, default=Rsvp.pending)
    invited_at: datetime = timestamp_field()
    answered_at: datetime | None = timestamp_field(nullable=True)


class CampaignResponse(SQLModel, table=True):
    """One person's answers to a campaign's survey, attributed to the share link they came through, its connector
    and its hop. One per person and campaign: per device (the hash of the token in a signed cookie, or one an API
    client keeps) and per e-mail address, both by unique constraints (NULLs are never equal, so an answer without
    an e-mail address is limited by its device alone)."""

    __tablename__ = "campaign_responses"
    __table_args__ = (
        UniqueConstraint("campaign_id", "device_hash"),
        UniqueConstraint("campaign_id", "email"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    survey_response_id: int = Field(foreign_key="survey_responses.id", unique=True, ondelete="CASCADE")
    share_link_id: int = Field(foreign_key="share_links.id", index=True, ondelete="CASCADE")
    connector_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    hop: int
    email: str | None = Field(default=None, max_length=254)
    consent: bool = Field(default=False)
    device_hash: str | None = Field(default=None, max_length=64)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore
    created_at: datetime = timestamp_field()
