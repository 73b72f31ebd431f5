"""Request and response shapes of the communities API."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.campaigns.schemas import CurrentCampaign
from app.communities.models import CommunityKind, MemberRole, Visibility


class CommunityPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str
    tagline: str
    description: str
    kind: CommunityKind
    visibility: Visibility
    member_count: int
    created_at: datetime
    default_locale: str = Field(description="The language for visitors whose browser names none of Chorus's.")


class CommunityDetail(CommunityPublic):
    brand_slug: str
    brand_name: str
    my_role: MemberRole | None = Field(description="The caller's role in the community, if a member")
    current_campaigns: list[CurrentCampaign] = Field(
        description="Sampling campaigns taking applications (first) or under way, as the community's page lists them"
    )


class CommunityCreate(BaseModel):
    name: str = Field(max_length=200)
    slug: str = Field(default="", max_length=60, description="Made from the name when empty")
    tagline: str = Field(default="", max_length=500)
    description: str = Field(default="", max_length=10000, description="Markdown")
    kind: CommunityKind
    visibility: Visibility = Visibility.public


class CommunityUpdate(BaseModel):
    name: str = Field(max_length=200)
    tagline: str = Field(default="", max_length=500)
    description: str = Field(default="", max_length=10000)
    kind: CommunityKind
    visibility: Visibility
    default_locale: str | None = Field(
        default=None, description="`en`, `es` or `de`: for visitors whose browser names none of these; null keeps it."
    )


class MemberPublic(BaseModel):
    handle: str
    display_name: str
    role: MemberRole
    joined_at: datetime


class MembersPage(BaseModel):
    members: list[MemberPublic]
    total: int
    page: int
    pages: int


class RoleChange(BaseModel):
    role: MemberRole


class MembershipPublic(BaseModel):
    community_slug: str
    role: MemberRole
    joined_at: datetime


class InviteCreate(BaseModel):
    note: str = Field(default="", max_length=500)
    max_uses: int | None = Field(default=None, description="Empty for no limit")
    expires_in_days: int | None = Field(default=14, description="Empty for no expiry")


class InvitePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    note: str
    max_uses: int | None
    use_count: int
    created_at: datetime
    expires_at: datetime | None
