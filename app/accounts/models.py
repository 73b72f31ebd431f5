"""People, their login sessions and their personal API tokens."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.columns import timestamp_field


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

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


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


class ApiToken(SQLModel, table=True):
    """A personal API token, shown once; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    token_hash: str = Field(max_length=64, unique=True)
    # The first characters of the token, so its owner can tell tokens apart.
    prefix: str = Field(max_length=16)
    created_at: datetime = timestamp_field()
    last_used_at: datetime | None = timestamp_field(nullable=True)
    revoked_at: datetime | None = timestamp_field(nullable=True)
