"""Brands and their staff."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from app.columns import enum_field, timestamp_field


class StaffRole(StrEnum):
    owner = "owner"
    manager = "manager"
    analyst = "analyst"


class Brand(SQLModel, table=True):
    __tablename__ = "brands"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    slug: str = Field(max_length=60, unique=True)
    description: str = Field(default="", max_length=2000)
    # The brand's owners may require two-factor sign-in of all its staff (app.accounts.deps enforces it).
    require_staff_two_factor: bool = Field(default=False)
    created_at: datetime = timestamp_field()


class BrandStaff(SQLModel, table=True):
    __tablename__ = "brand_staff"
    __table_args__ = (UniqueConstraint("brand_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    role: StaffRole = enum_field(StaffRole)
    created_at: datetime = timestamp_field()
