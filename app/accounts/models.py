"""People, their login sessions, their second factor and their personal API tokens."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from app.columns import enum_field, timestamp_field


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    # Stored lower-cased, so uniqueness is case-insensitive on both databases.
    email: str = Field(max_length=254, unique=True)
    handle: str = Field(max_length=30, unique=True)
    display_name: str = Field(max_length=80)
    bio: str = Field(default="", max_length=2000)
    password_hash: str = Field(max_length=255)
    is_site_admin: bool = Field(default=False)
    is_active: bool = Field(default=True)
    email_confirmed_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field()
    password_changed_at: datetime = timestamp_field()
    # Two-factor sign-in with an authenticator app (TOTP, RFC 6238): the base32 secret, set only once a correct code
    # confirmed the enrolment, and the last time step a code was accepted for, so no code is accepted twice.
    totp_secret: str | None = Field(default=None, max_length=64)
    two_factor_enabled_at: datetime | None = timestamp_field(nullable=True)
    totp_last_step: int = Field(default=0)
    # The language pages, e-mails and messages speak to this person ("de"), and the time zone their times are shown
    # in ("Europe/Berlin"); empty: the browser's language (then the community's), and UTC.
    locale: str | None = Field(default=None, max_length=8)
    time_zone: str | None = Field(default=None, max_length=64)

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def has_two_factor(self) -> bool:
        return self.two_factor_enabled_at is not None and self.totp_secret is not None


class RecoveryCode(SQLModel, table=True):
    """A single-use code that signs in instead of the authenticator app; only a keyed hash of it is kept."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    code_hash: str = Field(max_length=64)
    created_at: datetime = timestamp_field()
    used_at: datetime | None = timestamp_field(nullable=True)


class UserSession(SQLModel, table=True):
    """A login: the cookie holds a signed random token whose SHA-256 is stored here, so it can be revoked.

    Where it came from is kept coarse, never as the raw address: the /24 (IPv4) or /48 (IPv6) network, which is
    what a list of one's sessions shows, and a keyed hash of the full address (``app.moderation.fingerprints``),
    which tells whether two logins came from the same address without saying which address that was.
    """

    __tablename__ = "user_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    created_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field()
    last_seen_at: datetime = timestamp_field()
    network: str = Field(default="", max_length=45)
    address_hash: str = Field(default="", max_length=32)
    user_agent: str = Field(default="", max_length=255)
    # When its owner last proved who they are here (the sign-in, or a password or code asked for since): sensitive
    # changes need this to be recent.
    authenticated_at: datetime = timestamp_field()


class TokenScope(StrEnum):
    read = "read"
    read_write = "read_write"


class ApiToken(SQLModel, table=True):
    """A personal API token, shown once; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    token_hash: str = Field(max_length=64, unique=True)
    # The first characters of the token, so its owner can tell tokens apart.
    prefix: str = Field(max_length=16)
    scope: TokenScope = enum_field(TokenScope, default=TokenScope.read_write)
    created_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field()
    last_used_at: datetime | None = timestamp_field(nullable=True)
    revoked_at: datetime | None = timestamp_field(nullable=True)
