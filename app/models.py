"""Every table class, imported once so SQLModel.metadata is complete (Alembic and tests read it)."""

from app.accounts.models import ApiToken, User, UserSession
from app.brands.models import Brand, BrandStaff
from app.communities.models import Community, Invite, Membership
from app.notifications.models import OutboxEmail

__all__ = [
    "ApiToken",
    "Brand",
    "BrandStaff",
    "Community",
    "Invite",
    "Membership",
    "OutboxEmail",
    "User",
    "UserSession",
]
