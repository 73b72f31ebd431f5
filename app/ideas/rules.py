"""What holds for every idea: who may take part, the statuses and their transitions, trending weights, the row lock.

**Trending** ranks by votes weighted by recency: a vote cast ``d`` days ago counts ``0.5 ** (d / 7)`` (a half-life
of a week). Kept up to date without touching every idea every day: each idea stores
``trending_score = sum over its votes of 2 ** ((voted_at - TRENDING_EPOCH) / half-life)``, which changes only when a
vote comes or goes (by that vote's weight). At any moment ``now`` the decayed sum is ``trending_score *
2 ** -((now - TRENDING_EPOCH) / half-life)``, the same factor for every idea, so ordering by the stored column
(indexed per community) is ordering by the decayed sum. Doubling every week, the stored values stay within a
float's range for about 19 years after the epoch; moving the epoch forward is one UPDATE scaling every score.

**Statuses** (``TRANSITIONS``): open → under review → planned → in progress → done, with declined reachable from
the early ones; managers may also step back one stage (a plan that slips, a "done" reopened). Followers hear of each
change; when an idea is done its voters hear of it too (and it joins the changelog).
"""

from datetime import UTC, datetime

from sqlmodel import Session, select

from app.accounts.models import User
from app.communities import service as communities_service
from app.communities.models import Community, Membership
from app.errors import Forbidden
from app.i18n import N_, _, pgettext
from app.ideas.models import (
    Idea,
    IdeaStatus,
)

TRENDING_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
TRENDING_HALF_LIFE_DAYS = 7.0
# A status on its own (a badge, a column, a choice); status_labels() gives them in the current language.
STATUS_LABELS = {
    IdeaStatus.open: N_("Open"),
    IdeaStatus.under_review: N_("Under review"),
    IdeaStatus.planned: N_("Planned"),
    IdeaStatus.in_progress: N_("In progress"),
    IdeaStatus.done: N_("Done"),
    IdeaStatus.declined: N_("Declined"),
}
TRANSITIONS: dict[IdeaStatus, frozenset[IdeaStatus]] = {
    IdeaStatus.open: frozenset({IdeaStatus.under_review, IdeaStatus.planned, IdeaStatus.declined}),
    IdeaStatus.under_review: frozenset({IdeaStatus.open, IdeaStatus.planned, IdeaStatus.declined}),
    IdeaStatus.planned: frozenset({IdeaStatus.under_review, IdeaStatus.in_progress, IdeaStatus.declined}),
    IdeaStatus.in_progress: frozenset({IdeaStatus.planned, IdeaStatus.done}),
    IdeaStatus.done: frozenset({IdeaStatus.in_progress}),
    IdeaStatus.declined: frozenset({IdeaStatus.open, IdeaStatus.under_review}),
}
# Ideas members may still vote for: a done or declined idea is settled.
VOTABLE = frozenset({IdeaStatus.open, IdeaStatus.under_review, IdeaStatus.planned, IdeaStatus.in_progress})
FIX_MARKED_FIELDS = N_("Please correct the marked fields.")


def status_labels() -> dict[IdeaStatus, str]:
    """Each status as a label, in the current language."""
    return {status: _(label) for status, label in STATUS_LABELS.items()}


def status_phrase(status: IdeaStatus | str) -> str:
    """A status inside a sentence ("… is now planned"), in the current language."""
    phrases = {
        IdeaStatus.open: pgettext("idea status in a sentence", "open"),
        IdeaStatus.under_review: pgettext("idea status in a sentence", "under review"),
        IdeaStatus.planned: pgettext("idea status in a sentence", "planned"),
        IdeaStatus.in_progress: pgettext("idea status in a sentence", "in progress"),
        IdeaStatus.done: pgettext("idea status in a sentence", "done"),
        IdeaStatus.declined: pgettext("idea status in a sentence", "declined"),
    }
    return phrases[IdeaStatus(status)]


# ------------------------------------------------------------------------------------------------------------
# Trending
# ------------------------------------------------------------------------------------------------------------


def _half_lives_since_epoch(moment: datetime) -> float:
    return (moment - TRENDING_EPOCH).total_seconds() / 86400 / TRENDING_HALF_LIFE_DAYS


def trending_weight(voted_at: datetime) -> float:
    """What one vote cast at ``voted_at`` adds to ``Idea.trending_score`` (see the module docstring)."""
    return float(2.0 ** _half_lives_since_epoch(voted_at))


def trending_now(idea: Idea, now: datetime) -> float:
    """The idea's votes weighted by recency at ``now``: each counts 0.5 ** (its age in days / 7)."""
    return idea.trending_score * float(2.0 ** -_half_lives_since_epoch(now))


# ------------------------------------------------------------------------------------------------------------
# Who may take part
# ------------------------------------------------------------------------------------------------------------


def require_member(session: Session, *, community: Community, user: User, doing: str) -> Membership:
    """The one place that decides whether someone may take part in a community's ideas (post, vote, comment).

    A confirmed member of the community; sanctions (app/moderation) belong here too when they arrive.
    """
    unconfirmed, outsider = _REFUSALS.get(doing, _REFUSALS[""])
    if not user.is_confirmed:
        raise Forbidden(_(unconfirmed))
    membership = communities_service.get_membership(session, community=community, user=user)
    if membership is None:
        raise Forbidden(_(outsider, community=community.name))
    return membership


# Why someone may not take part, a whole sentence per thing they tried (``doing``: "post ideas", "vote", "comment").
_REFUSALS = {
    "post ideas": (  # i18n: ignore (a key)
        N_("Confirm your e-mail address before you post ideas."),
        N_("Join %(community)s to post ideas."),
    ),
    "vote": (N_("Confirm your e-mail address before you vote."), N_("Join %(community)s to vote.")),
    "comment": (N_("Confirm your e-mail address before you comment."), N_("Join %(community)s to comment.")),
    "": (N_("Confirm your e-mail address first."), N_("Join %(community)s to take part.")),
}


def idea_link(idea: Idea) -> str:
    return f"/ideas/{idea.id}"


def community_of(session: Session, idea: Idea) -> Community:
    """The idea's community."""
    community = session.get(Community, idea.community_id)
    assert community is not None
    return community


# ------------------------------------------------------------------------------------------------------------
# Votes and follows
# ------------------------------------------------------------------------------------------------------------


def lock_idea(session: Session, idea: Idea) -> Idea:
    """Lock the idea's row (PostgreSQL; SQLite writers hold the write lock) and read its current state."""
    session.exec(select(Idea.id).where(Idea.id == idea.id).with_for_update()).one()
    session.refresh(idea)
    return idea
