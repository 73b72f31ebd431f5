"""Request and response shapes of the accounts API."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SignUp(BaseModel):
    email: str = Field(max_length=254, examples=["ada@example.com"])
    handle: str = Field(max_length=30, examples=["ada"])
    password: str = Field(max_length=256)
    display_name: str = Field(default="", max_length=80)
    share_code: str = Field(
        default="",
        max_length=40,
        description="The campaign share link signed up through: confirming joins its community",
    )


class LogIn(BaseModel):
    login: str = Field(max_length=254, description="E-mail address or handle")
    password: str = Field(max_length=256)


class EmailOnly(BaseModel):
    email: str = Field(max_length=254)


class TokenOnly(BaseModel):
    token: str = Field(max_length=1000)


class PasswordReset(BaseModel):
    token: str = Field(max_length=1000)
    password: str = Field(max_length=256)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=256)
    password: str = Field(max_length=256)


class ProfileUpdate(BaseModel):
    display_name: str = Field(max_length=200)
    bio: str = Field(default="", max_length=5000)


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    handle: str
    display_name: str
    bio: str
    created_at: datetime


class UserPrivate(UserPublic):
    email: str
    is_site_admin: bool
    email_confirmed_at: datetime | None


class ApiTokenCreate(BaseModel):
    name: str = Field(max_length=200)


class ApiTokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class ApiTokenCreated(ApiTokenPublic):
    token: str = Field(description="The token itself. It is shown this once and never again.")


class Message(BaseModel):
    detail: str
