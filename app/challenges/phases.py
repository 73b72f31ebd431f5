"""Where a challenge stands in time: its phase at a moment, and the windows its use cases require.

Apart from ``service`` so that ``events`` (which tells the webhooks of phase changes) and ``service`` (which publishes
and so emits events) both read it without importing each other.
"""

from datetime import datetime
from typing import Protocol

from app.challenges.models import Challenge, ChallengeStatus, Phase
from app.errors import Conflict
from app.i18n import _, formatting


class Windows(Protocol):
    """What a phase is read from: a ``Challenge``, or its columns read without the ORM (the scoring API's permit)."""

    @property
    def status(self) -> ChallengeStatus: ...

    @property
    def submissions_open_at(self) -> datetime: ...

    @property
    def submissions_close_at(self) -> datetime: ...

    @property
    def scoring_close_at(self) -> datetime: ...


def phase(challenge: Windows, now: datetime) -> Phase:
    """Where the challenge stands at ``now``: from its status first, then its windows."""
    if challenge.status == ChallengeStatus.draft:
        return Phase.draft
    if challenge.status == ChallengeStatus.winners_announced:
        return Phase.winners_announced
    if now < challenge.submissions_open_at:
        return Phase.upcoming
    if now < challenge.submissions_close_at:
        return Phase.submissions_open
    if now < challenge.scoring_close_at:
        return Phase.scoring
    return Phase.closed


def scores_are_public(challenge: Challenge, now: datetime) -> bool:
    """Scores stay hidden (pages and API) until the scoring window has closed."""
    return phase(challenge, now) in {Phase.closed, Phase.winners_announced}


def format_moment(moment: datetime) -> str:
    return formatting.format_moment(moment)


def require_submission_window(challenge: Challenge, now: datetime) -> None:
    current = phase(challenge, now)
    if current == Phase.submissions_open:
        return
    if current in {Phase.draft, Phase.upcoming}:
        raise Conflict(
            _(
                "Submissions to %(title)s open on %(moment)s.",
                title=challenge.title,
                moment=format_moment(challenge.submissions_open_at),
            )
        )
    raise Conflict(
        _(
            "Submissions to %(title)s closed on %(moment)s.",
            title=challenge.title,
            moment=format_moment(challenge.submissions_close_at),
        )
    )


def require_before_scoring(challenge: Challenge, now: datetime) -> None:
    if phase(challenge, now) in {Phase.draft, Phase.upcoming, Phase.submissions_open}:
        return
    raise Conflict(
        _(
            "Designs can no longer be changed: scoring began on %(moment)s.",
            moment=format_moment(challenge.submissions_close_at),
        )
    )


def require_scoring_window(challenge: Windows, now: datetime) -> None:
    """Refuse, saying when, unless the challenge is in its scoring window."""
    current = phase(challenge, now)
    if current == Phase.scoring:
        return
    if current in {Phase.draft, Phase.upcoming, Phase.submissions_open}:
        raise Conflict(
            _(
                "Scoring opens on %(moment)s, when submissions close.",
                moment=format_moment(challenge.submissions_close_at),
            )
        )
    raise Conflict(_("Scoring closed on %(moment)s.", moment=format_moment(challenge.scoring_close_at)))
