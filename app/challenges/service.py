"""Design challenges: drafting and publishing a challenge, and who may take part.

The rest of a challenge's use cases live beside this module, by use case: ``phases`` (phases and windows),
``designs`` (submitting, editing, withdrawing, hiding designs), ``gallery`` (listing designs and portfolios),
``scores`` (casting scores, the counters and the Bayesian average) and ``winners`` (the shortlist, picking and
announcing winners).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from app.accounts.models import User
from app.challenges import events as challenge_events
from app.challenges.models import (
    Challenge,
    ChallengeStatus,
)
from app.columns import id_of, utcnow
from app.communities import service as communities_service
from app.communities.models import Community, Membership
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.i18n import N_, _
from app.i18n.formatting import format_number
from app.slugs import is_valid_slug, slugify

MAX_TAGS = 10


def require_participant(session: Session, *, community: Community, user: User, doing: str) -> Membership:
    """The one place that decides whether someone may take part (submit, score) in a community's challenges.

    Suspensions and bans (app/moderation, not built yet) belong here, so every use case honours them.
    """
    membership = communities_service.get_membership(session, community=community, user=user)
    refuse_participation(
        doing=doing, is_confirmed=user.is_confirmed, is_member=membership is not None, community_name=community.name
    )
    assert membership is not None
    return membership


def refuse_participation(*, doing: str, is_confirmed: bool, is_member: bool, community_name: str) -> None:
    """``require_participant``'s refusals, for a caller that knows already whether the person is a member."""
    fallback = _PARTICIPATION_MESSAGES["take part"]  # i18n: ignore
    unconfirmed, outsider = _PARTICIPATION_MESSAGES.get(doing, fallback)
    if not is_confirmed:
        raise Forbidden(_(unconfirmed))
    if not is_member:
        raise Forbidden(_(outsider, community=community_name))


# What ``require_participant`` says to someone who may not yet do what they tried, per use case.
_PARTICIPATION_MESSAGES = {
    "submit designs": (  # i18n: ignore (the use case's name)
        N_("Confirm your e-mail address before you submit designs."),
        N_("Join %(community)s to submit designs."),
    ),
    "score designs": (  # i18n: ignore
        N_("Confirm your e-mail address before you score designs."),
        N_("Join %(community)s to score designs."),
    ),
    "take part": (  # i18n: ignore
        N_("Confirm your e-mail address before you take part."),
        N_("Join %(community)s to take part."),
    ),
}


# ------------------------------------------------------------------------------------------------------------
# Challenges
# ------------------------------------------------------------------------------------------------------------


def select_challenge(community: Community, slug: str) -> Any:
    return select(Challenge).where(Challenge.community_id == community.id, Challenge.slug == slug)


def get_challenge(session: Session, *, community: Community, slug: str) -> Challenge:
    challenge = session.exec(select_challenge(community, slug)).first()
    if challenge is None:
        raise NotFound(_("There is no such challenge."))
    return challenge


def list_challenges(session: Session, *, community: Community, include_drafts: bool = False) -> Sequence[Challenge]:
    """A community's challenges, the latest to open first; drafts only for those who manage them."""
    query = select(Challenge).where(Challenge.community_id == community.id)
    if not include_drafts:
        query = query.where(Challenge.status != ChallengeStatus.draft)
    return session.exec(query.order_by(col(Challenge.submissions_open_at).desc(), col(Challenge.id).desc())).all()


@dataclass(frozen=True)
class ChallengeFields:
    """What a manager types about a challenge; checked together so a form shows every problem at once."""

    title: str
    submissions_open_at: datetime
    submissions_close_at: datetime
    scoring_close_at: datetime
    brief: str = ""
    rules: str = ""
    product_type: str = ""
    prize: str = ""
    royalty_terms: str = ""
    max_designs_per_member: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


_TEXT_LIMITS = {"brief": 20000, "rules": 20000, "product_type": 80, "prize": 200, "royalty_terms": 2000}


def _validate_challenge(fields: ChallengeFields) -> dict[str, str]:
    errors = dict(fields.errors)
    if not fields.title.strip() or len(fields.title.strip()) > 120:
        errors["title"] = _("Enter a title (up to 120 characters).")
    for name, limit in _TEXT_LIMITS.items():
        if len(getattr(fields, name)) > limit:
            errors[name] = _("Use at most %(count)s characters.", count=format_number(limit))
    per_member = fields.max_designs_per_member
    if per_member is not None and not 1 <= per_member <= 50:
        errors["max_designs_per_member"] = _("Allow between 1 and 50 designs per member.")
    moments = (fields.submissions_open_at, fields.submissions_close_at, fields.scoring_close_at)
    if not any(name in errors for name in ("submissions_open_at", "submissions_close_at", "scoring_close_at")):
        if any(moment.tzinfo is None for moment in moments):
            errors["submissions_open_at"] = _("Give times with their time zone.")
        elif not fields.submissions_open_at < fields.submissions_close_at:
            errors["submissions_close_at"] = _("Submissions must close after they open.")
        elif not fields.submissions_close_at < fields.scoring_close_at:
            errors["scoring_close_at"] = _("Scoring must close after submissions close (scoring runs in between).")
    return errors


def create_challenge(
    session: Session, *, community: Community, created_by: User, fields: ChallengeFields, slug: str = ""
) -> Challenge:
    """Draft a new challenge in a community; it stays invisible to members until published."""
    slug = slug.strip().lower() or slugify(fields.title)
    errors = _validate_challenge(fields)
    if not is_valid_slug(slug):
        errors["slug"] = _("Use 2 to 60 lower-case letters, digits and single hyphens.")
    elif session.exec(select_challenge(community, slug)).first() is not None:
        errors["slug"] = _("Another challenge in this community uses this address; choose another.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    challenge = Challenge(
        community_id=id_of(community),
        slug=slug,
        title=fields.title.strip(),
        created_by_id=created_by.id,
        max_designs_per_member=fields.max_designs_per_member or get_settings().challenge_max_designs_per_member,
    )
    _apply_fields(challenge, fields)
    try:
        with session.begin_nested():
            session.add(challenge)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_("Another challenge just took this address; choose another.")) from error
    return challenge


def _apply_fields(challenge: Challenge, fields: ChallengeFields) -> None:
    challenge.title = fields.title.strip()
    challenge.brief = fields.brief.strip()
    challenge.rules = fields.rules.strip()
    challenge.product_type = fields.product_type.strip()
    challenge.prize = fields.prize.strip()
    challenge.royalty_terms = fields.royalty_terms.strip()
    challenge.submissions_open_at = fields.submissions_open_at
    challenge.submissions_close_at = fields.submissions_close_at
    challenge.scoring_close_at = fields.scoring_close_at
    if fields.max_designs_per_member is not None:
        challenge.max_designs_per_member = fields.max_designs_per_member


def update_challenge(session: Session, *, challenge: Challenge, fields: ChallengeFields) -> Challenge:
    """Change a challenge's texts, windows or limit (its address stays); not once winners are announced."""
    if challenge.status == ChallengeStatus.winners_announced:
        raise Conflict(_("The winners of this challenge are announced: it can no longer be changed."))
    errors = _validate_challenge(fields)
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    _apply_fields(challenge, fields)
    session.add(challenge)
    session.flush()
    return challenge


def publish_challenge(session: Session, *, challenge: Challenge, now: datetime | None = None) -> Challenge:
    """Make a draft challenge visible to the community; its windows then apply (and the webhooks hear of its
    phase)."""
    if challenge.status != ChallengeStatus.draft:
        raise Conflict(_("This challenge is published already."))
    # Claimed by a conditional UPDATE, so publishing twice at once publishes (and tells the webhooks) once.
    claimed = session.exec(
        update(Challenge)
        .where(col(Challenge.id) == challenge.id, col(Challenge.status) == ChallengeStatus.draft)
        .values(status=ChallengeStatus.published)
    )
    if claimed.rowcount != 1:
        raise Conflict(_("This challenge is published already."))
    session.refresh(challenge)
    challenge_events.emit_phase_changed(session, challenge=challenge, now=now or utcnow())
    return challenge


_TAG_CHARACTERS = re.compile(r"[^a-z0-9-]+")


def normalise_tags(raw: str) -> str:
    """Comma-separated tags, lower-cased, spaces as hyphens, other characters dropped, unique and sorted."""
    tags = set()
    for part in raw.split(","):
        tag = _TAG_CHARACTERS.sub("", "-".join(part.strip().lower().split())).strip("-")[:30]
        if tag:
            tags.add(tag)
    return ",".join(sorted(tags))
