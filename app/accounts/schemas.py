"""Request and response shapes of the accounts API."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.accounts.models import TokenScope

REAUTHENTICATION_FIELD = Field(
    default="",
    max_length=256,
    description="Your current password or a code from your authenticator app. Needed unless this browser session "
    "signed in (or confirmed it) within the last 10 minutes; always needed with an API token.",
)


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
    two_factor_code: str = Field(
        default="",
        max_length=32,
        description="For an account with two-factor authentication: the 6-digit code from the authenticator app, "
        "or one of the recovery codes (each works once).",
    )


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
    scope: TokenScope = Field(
        default=TokenScope.read_write,
        description="`read`: GET requests only (others are refused with 403); `read_write`: everything you may do.",
    )
    lifetime_days: int = Field(default=90, description="How long the token works: 7, 30, 90 or 365 days.")
    current_password_or_code: str = REAUTHENTICATION_FIELD


class ApiTokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None = Field(description="Recorded at most once a minute.")


class ApiTokenCreated(ApiTokenPublic):
    token: str = Field(description="The token itself. It is shown this once and never again.")


class Message(BaseModel):
    detail: str


class PasswordChanged(BaseModel):
    detail: str
    revoked_tokens: int = Field(description="How many API tokens the change revoked.")


class Reauthentication(BaseModel):
    current_password_or_code: str = REAUTHENTICATION_FIELD


class TwoFactorStatus(BaseModel):
    enabled: bool
    enabled_at: datetime | None
    recovery_codes_left: int
    required_because: str | None = Field(description="Why this account must use two-factor, if it must.")


class TwoFactorSetupPublic(BaseModel):
    secret: str = Field(description="The base32 secret, to type into an authenticator app by hand.")
    otpauth_uri: str = Field(description="The same as an otpauth:// URI (what the QR code on the page holds).")
    setup_token: str = Field(description="Send it back with a code to switch two-factor on; it works for 30 minutes.")


class TwoFactorEnable(Reauthentication):
    setup_token: str = Field(max_length=1000)
    code: str = Field(max_length=32, description="The 6-digit code the app shows now.")


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(description="Ten single-use codes, shown this once. Keep them somewhere safe.")
