"""Brands and their staff."""

from datetime import date, datetime
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


class BrandWeeklyReport(SQLModel, table=True):
    """The weekly results e-mail sent to one staff member of one brand: the unique key is what makes a re-run of
    the weekly task send nobody a second copy (``app.brands.weekly_results``)."""

    __tablename__ = "brand_weekly_reports"
    __table_args__ = (UniqueConstraint("brand_id", "user_id", "week_of"),)

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brands.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # The day of the week's scheduled send (UTC): one e-mail per brand, person and week.
    week_of: date
    sent_at: datetime = timestamp_field()
