"""Request and response shapes of the campaigns API."""

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.campaigns.models import ApplicationStatus, CampaignPhase, CampaignStatus, Rsvp, ShipmentStatus
from app.columns import RowId
from app.insights.schemas import OutcomeChart


def _aware(value: datetime) -> datetime:
    """Times without a zone are taken as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class EligibilityQuestion(BaseModel):
    key: str
    text: str
    required: str = Field(description='"yes" or "no" when that answer is required, else ""')


class CampaignWrite(BaseModel):
    title: str = Field(max_length=500)
    product_name: str = Field(max_length=500)
    brief: str = Field(default="", max_length=40000, description="Markdown")
    kit_contents: str = Field(default="", max_length=5000)
    kit_count: int = Field(ge=0, le=1_000_000)
    samples_per_kit: int = Field(default=10, ge=0, le=1000)
    target_network_size: int = Field(default=25, ge=0, le=100_000)
    eligibility: str = Field(
        default="", max_length=5000, description='One yes/no question a line; end with "| yes" or "| no" to require'
    )
    survey_id: RowId | None = Field(default=None, description="One of the brand's surveys; a new one when empty")
    apply_opens_at: datetime = Field(description="Without a time zone: UTC")
    apply_closes_at: datetime
    ship_closes_at: datetime
    share_closes_at: datetime
    feedback_closes_at: datetime

    @field_validator("apply_opens_at", "apply_closes_at", "ship_closes_at", "share_closes_at", "feedback_closes_at")
    @classmethod
    def _zone(cls, value: datetime) -> datetime:
        return _aware(value)


class CampaignCreate(CampaignWrite):
    slug: str = Field(default="", max_length=60, description="Made from the title when empty")


class CampaignPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    title: str
    product_name: str
    brief: str
    kit_contents: str
    kit_count: int
    kits_accepted: int
    samples_per_kit: int
    target_network_size: int
    eligibility_questions: list[EligibilityQuestion]
    apply_opens_at: datetime
    apply_closes_at: datetime
    ship_closes_at: datetime
    share_closes_at: datetime
    feedback_closes_at: datetime
    status: CampaignStatus
    survey_id: RowId | None
    application_count: int
    roundtable_at: datetime | None
    outcome: str
    outcome_posted_at: datetime | None
    outcome_chart: OutcomeChart | None = Field(description="The results chart posted with the outcome, if any")


class CampaignDetail(CampaignPublic):
    community_slug: str
    phase: CampaignPhase


class CurrentCampaign(BaseModel):
    """A campaign on its community's page: taking applications, or under way."""

    slug: str
    title: str
    product_name: str
    phase: CampaignPhase
    phase_ends_at: datetime
    kit_count: int
    kits_left: int
    my_application: ApplicationStatus | None = Field(description="The caller's application, if they applied")
    apply_path: str | None = Field(
        description="Where to apply (POST an application) while applications are open and the caller has not"
    )


class AddressWrite(BaseModel):
    recipient_name: str = Field(max_length=500)
    address_line1: str = Field(max_length=500)
    address_line2: str = Field(default="", max_length=500)
    city: str = Field(max_length=500)
    postcode: str = Field(default="", max_length=100)
    country: str = Field(max_length=10, description="Two-letter country code")


class ApplicationCreate(BaseModel):
    network_size: int = Field(ge=0, le=1_000_000, description="How many people the applicant could pass samples on to")
    answers: dict[str, str] = Field(default_factory=dict, description='Per eligibility question key: "yes" or "no"')
    motivation: str = Field(default="", max_length=5000)
    address: AddressWrite


class Address(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    recipient_name: str
    address_line1: str
    address_line2: str
    city: str
    postcode: str
    country: str


class ShipmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: ShipmentStatus
    carrier: str
    tracking_number: str
    shipped_at: datetime | None
    delivered_at: datetime | None


class MyApplication(BaseModel):
    """One's own application, with one's own address."""

    id: int
    status: ApplicationStatus
    network_size: int
    eligibility_answers: dict[str, str]
    eligible: bool
    samples_passed_on: int
    address: Address
    created_at: datetime


class HopCounts(BaseModel):
    hop: int
    opens: int
    responses: int | None = Field(
        description="People who answered; on the staff's progress, null when hidden (fewer than 5, or it would give "
        "such a count away)"
    )
    signups: int
    shares: int


class ConnectorDashboard(BaseModel):
    application: MyApplication | None
    shipment: ShipmentPublic | None
    share_url: str | None
    hops: list[HopCounts]
    reach: int = Field(description="People reached through the connector's links, all hops")
    response_rate: float | None = Field(description="Responses per sample passed on")
    rsvp: Rsvp | None


class ApplicationReview(BaseModel):
    """An application as the brand's managers review it (addresses included: managers only)."""

    id: int
    handle: str
    display_name: str
    status: ApplicationStatus
    network_size: int
    eligible: bool
    eligibility_answers: dict[str, str]
    motivation: str
    address: Address
    shipment: ShipmentPublic | None
    created_at: datetime


class Decisions(BaseModel):
    application_ids: list[RowId] = Field(max_length=1000)
    decision: str = Field(description="accept, waitlist or decline")


class AutoSelect(BaseModel):
    min_network_size: int = Field(default=1, ge=0, le=1_000_000)
    waitlist_the_rest: bool = True


class DecisionOutcome(BaseModel):
    changed: list[int]
    refused: dict[int, str] = Field(description="Per application id: why it was not changed")


class TrackingRow(BaseModel):
    kit_id: RowId
    carrier: str = Field(default="", max_length=500)
    tracking_number: str = Field(max_length=500)


class TrackingImportResult(BaseModel):
    shipped: int
    corrected: int
    unchanged: int


class Receipt(BaseModel):
    problem: str = Field(default="", max_length=5000, description="Empty to confirm arrival; text to report a problem")


class SamplesPassedOn(BaseModel):
    samples_passed_on: int = Field(ge=0, le=1_000_000)


class RsvpWrite(BaseModel):
    attending: bool


class ConnectorStanding(BaseModel):
    handle: str
    display_name: str
    shipment_status: ShipmentStatus | None
    samples_passed_on: int
    responses: int | None = Field(description="Null when hidden: fewer than 5, or it would give such a count away")
    signups: int
    response_rate: float | None = Field(description="Responses per sample passed on; null with hidden responses")


class CampaignProgress(BaseModel):
    applications: dict[str, int]
    shipments: dict[str, int]
    samples_passed_on: int
    hops: list[HopCounts]
    connectors: list[ConnectorStanding]


class RoundtableWrite(BaseModel):
    roundtable_at: datetime
    details: str = Field(default="", max_length=5000)
    count: int = Field(default=10, ge=0, le=1000)

    @field_validator("roundtable_at")
    @classmethod
    def _zone(cls, value: datetime) -> datetime:
        return _aware(value)


class Invitation(BaseModel):
    handle: str
    display_name: str
    rsvp: Rsvp
    invited_at: datetime


class OutcomeWrite(BaseModel):
    outcome: str = Field(max_length=40000, description="Markdown")
    chart: str = Field(
        default="",
        max_length=40,
        description='A chart of the results shown with it, as they stand now: "" (none), "nps", "funnel" or '
        '"q<question id>" (a choice or scale question of the campaign\'s survey)',
    )


class SurveyQuestion(BaseModel):
    """A question of the campaign's survey, as an API client shows it; answers go under ``input_name``."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    input_name: str
    kind: str
    code: str | None
    prompt: str
    help_text: str
    required: bool
    options: list[dict[str, str]]
    show_if_question_id: RowId | None
    show_if_values: list[str]


class SharedCampaign(BaseModel):
    """What a share link leads to: the product, whether answers are taken now, and the survey's questions."""

    campaign_title: str
    product_name: str
    community_slug: str
    hop: int
    open: bool
    questions: list[SurveyQuestion]
    outcome: str | None
    outcome_chart: OutcomeChart | None


class ResponseCreate(BaseModel):
    answers: dict[str, list[str]] = Field(description="Per input name (q<question id>): the values given")
    device_token: str = Field(
        default="", max_length=200, description="An opaque token the client keeps: one response per device"
    )
    email: str = Field(default="", max_length=500)
    consent: bool = Field(default=False, description="The brand may contact this person (needs an e-mail address)")


class ResponseCreated(BaseModel):
    id: int
    hop: int


class PassOn(BaseModel):
    device_token: str = Field(max_length=200, description="The token the response was given with")


class OwnLink(BaseModel):
    code: str
    url: str
    hop: int
