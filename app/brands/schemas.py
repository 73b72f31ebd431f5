"""Request and response shapes of the brands API."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.brands.models import StaffRole


class BrandPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str
    description: str
    require_staff_two_factor: bool
    created_at: datetime


class StaffedBrand(BrandPublic):
    my_role: StaffRole


class BrandCreate(BaseModel):
    name: str = Field(max_length=200)
    slug: str = Field(default="", max_length=60, description="Made from the name when empty")
    description: str = Field(default="", max_length=5000)
    first_manager_email: str = Field(max_length=254, description="Becomes the brand's owner; invited if new")
    first_manager_name: str = Field(default="", max_length=80)


class StaffAdd(BaseModel):
    email: str = Field(max_length=254)
    role: StaffRole
    display_name: str = Field(default="", max_length=80, description="Used if the person has no account yet")


class StaffMember(BaseModel):
    handle: str
    display_name: str
    email: str
    role: StaffRole


class FigurePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str = Field(description="members, active_members, designs, scores, responses or nps")
    label: str
    value: int | float | None = Field(description="None when there is nothing to show yet (too few answers for NPS)")
    previous: int | float | None = Field(description="The same figure for the period before")
    change: int | float | None = Field(description="value - previous, when both are known")
    compared_with: str = Field(description='What "previous" is, in words: "vs the week before"')
    kind: str = Field(description="count or score")


class MoneyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    currency: str
    owed_minor: int = Field(description="What the brand owes its members (available, held and in payout), minor units")
    held_minor: int = Field(description="Of which still inside the refund hold")


class TimelineEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str = Field(description="challenge or campaign")
    title: str
    community_name: str
    url: str
    phase: str
    phase_label: str
    next_label: str | None = Field(description='What comes next: "Submissions close"')
    next_at: datetime | None
    finished: bool


class AttentionItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str = Field(description="applications, kits, reports, appeals, payouts, ideas or webhooks")
    label: str
    where: str = Field(description="The campaign, community or payout batch it is about")
    count: int = Field(description="What the linked page lists")
    url: str | None = Field(description="The page that lists them; null when the caller's role may not open it")


class BrandOverviewPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str
    now: datetime = Field(description="The moment the figures were taken")
    figures: list[FigurePublic]
    money: MoneyPublic
    timeline: list[TimelineEntryPublic]
    attention: list[AttentionItemPublic]


class StaffTwoFactorPolicy(BaseModel):
    require_staff_two_factor: bool = Field(
        description="Whether the brand's staff must sign in with two-factor authentication to reach its staff pages "
        "and API; those without it are sent to turn it on (the API answers 403)."
    )
