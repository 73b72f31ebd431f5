"""Every table class, imported once so SQLModel.metadata is complete (Alembic and tests read it)."""

from app.accounts.models import ApiToken, User, UserSession
from app.brands.models import Brand, BrandStaff
from app.challenges.models import Challenge, Design, Product, Score
from app.comments.models import Comment
from app.communities.models import Community, Invite, Membership
from app.media.models import MediaImage
from app.notifications.models import Notification, OutboxEmail

__all__ = [
    "ApiToken",
    "Brand",
    "BrandStaff",
    "Challenge",
    "Comment",
    "Community",
    "Design",
    "Invite",
    "MediaImage",
    "Membership",
    "Notification",
    "OutboxEmail",
    "Product",
    "Score",
    "User",
    "UserSession",
]
