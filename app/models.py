"""Every table class, imported once so SQLModel.metadata is complete (Alembic and tests read it)."""

from app.accounts.models import ApiToken, User, UserSession
from app.brands.models import Brand, BrandStaff
from app.campaigns.models import (
    Campaign,
    CampaignApplication,
    CampaignResponse,
    ConnectorReach,
    KitShipment,
    RoundtableInvitation,
    ShareLink,
)
from app.challenges.models import Challenge, Design, Product, Score
from app.comments.models import Comment
from app.communities.models import Community, Invite, Membership
from app.follows.models import DesignerFollow
from app.ideas.models import Idea, IdeaCategory, IdeaFollow, IdeaVote
from app.insights.models import INDEXES as INSIGHTS_INDEXES
from app.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from app.media.models import MediaImage
from app.moderation.models import (
    Appeal,
    AuditEntry,
    DiscountedVoter,
    MemberFingerprint,
    ModerationItem,
    ModerationSettings,
    Report,
    Sanction,
    ScoreDiscount,
)
from app.notifications.models import DigestItem, EmailUnsubscribe, Notification, NotificationPreference, OutboxEmail
from app.preorders.models import Pledge, Preorder
from app.questions.models import AnswerVote, CommunityAnswer, CommunityQuestion, QuestionFollow, QuestionSettings
from app.reviews.models import Review
from app.rewards.models import (
    PayoutBatch,
    PayoutLine,
    PointsAward,
    PointsRule,
    ProductTerms,
    Redemption,
    ReferralCode,
    ReferralSignup,
    RewardItem,
    RewardSettings,
    RoyaltySplit,
    Sale,
)
from app.surveys.models import Answer, AnswerTally, Question, Survey, SurveyResponse
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "INSIGHTS_INDEXES",
    "Answer",
    "AnswerTally",
    "AnswerVote",
    "ApiToken",
    "Appeal",
    "AuditEntry",
    "Brand",
    "BrandStaff",
    "Campaign",
    "CampaignApplication",
    "CampaignResponse",
    "Challenge",
    "Comment",
    "Community",
    "CommunityAnswer",
    "CommunityQuestion",
    "ConnectorReach",
    "Design",
    "DesignerFollow",
    "DigestItem",
    "DiscountedVoter",
    "EmailUnsubscribe",
    "Idea",
    "IdeaCategory",
    "IdeaFollow",
    "IdeaVote",
    "Invite",
    "KitShipment",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "MediaImage",
    "MemberFingerprint",
    "Membership",
    "ModerationItem",
    "ModerationSettings",
    "Notification",
    "NotificationPreference",
    "OutboxEmail",
    "PayoutBatch",
    "PayoutLine",
    "Pledge",
    "PointsAward",
    "PointsRule",
    "Preorder",
    "Product",
    "ProductTerms",
    "Question",
    "QuestionFollow",
    "QuestionSettings",
    "Redemption",
    "ReferralCode",
    "ReferralSignup",
    "Report",
    "Review",
    "RewardItem",
    "RewardSettings",
    "RoundtableInvitation",
    "RoyaltySplit",
    "Sale",
    "Sanction",
    "Score",
    "ScoreDiscount",
    "ShareLink",
    "Survey",
    "SurveyResponse",
    "User",
    "UserSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
