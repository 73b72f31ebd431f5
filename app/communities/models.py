"""Communities, memberships and invite links."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from app.columns import enum_field, timestamp_field


class CommunityKind(StrEnum):
    design = "design"
    feedback = "feedback"
    both = "both"


class Visibility(StrEnum):
    public = "public"
    invite_only = "invite_only"


class MemberRole(StrEnum):
    member = "member"
    connector = "connector"
    moderator = "moderator"


class Community(SQLModel, table=True):
    __tablename__ = "communities"

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    slug: str = Field(max_length=60, unique=True)
    tagline: str = Field(default="", max_length=160)
    description: str = Field(default="", max_length=5000)
    kind: CommunityKind = enum_field(CommunityKind)
    visibility: Visibility = enum_field(Visibility, default=Visibility.public)
    member_count: int = Field(default=0)
    created_at: datetime = timestamp_field()
    # The language for visitors whose browser names none of Chorus's (a person's own setting comes first).
    default_locale: str = Field(default="en", max_length=8, sa_column_kwargs={"server_default": "en"})


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("community_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    role: MemberRole = enum_field(MemberRole, default=MemberRole.member)
    joined_at: datetime = timestamp_field()


class Invite(SQLModel, table=True):
    """An invite link to an invite-only community. The code is kept readable so staff can copy the link again."""

    __tablename__ = "invites"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=64, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore (SQL)
    note: str = Field(default="", max_length=120)
    max_uses: int | None = Field(default=None)
    use_count: int = Field(default=0)
    created_at: datetime = timestamp_field()
    expires_at: datetime | None = timestamp_field(nullable=True)
    revoked_at: datetime | None = timestamp_field(nullable=True)
