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


class StaffTwoFactorPolicy(BaseModel):
    require_staff_two_factor: bool = Field(
        description="Whether the brand's staff must sign in with two-factor authentication to reach its staff pages "
        "and API; those without it are sent to turn it on (the API answers 403)."
    )
