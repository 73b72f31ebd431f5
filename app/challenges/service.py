"""Design challenges: the lifecycle of a challenge, designs, scores, rankings and winners.

Rankings use a Bayesian average, ``(C * m + score_sum) / (C + score_count)``: ``m`` is the challenge's mean score
(2.5 before any score) and ``C`` is ``settings.ranking_prior_weight``, so a design with few scores is pulled towards
the challenge mean and one 5 does not outrank fifty 4.8s. Ties are broken by the "I'd buy it" rate
(``buy_count / score_count``), then by the number of scores, then by the earlier submission.

That raw ranking takes every rater's scale at face value. The shortlist, and so the winners staff pick from it, is
ordered by the **calibrated** ranking (app.challenges.ranking): the same Bayesian average of scores from which each
rater's harshness and spread are taken out, shown next to the raw rank. The public gallery's "by rank" order is
still the raw one (it pages in SQL over the stored counters).
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, BinaryIO, cast

from sqlalchemy import BigInteger, ColumnElement, Float, Integer, Table, bindparam, literal
from sqlalchemy import cast as sql_cast
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, func, select, update

from app import rate_limits
from app.accounts.models import User
from app.brands import service as brands_service
from app.challenges import ranking
from app.challenges.models import (
    Challenge,
    ChallengeStatus,
    Design,
    DesignStatus,
    Phase,
    Product,
    ProductStatus,
    Score,
)
from app.columns import id_of, utcnow
from app.communities import service as communities_service
from app.communities.models import Community, MemberRole, Membership, Visibility
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.media import service as media_service
from app.media.models import MediaImage
from app.media.storage import NotStored
from app.moderation import service as moderation_service
from app.moderation.models import SubjectKind
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.rewards import points as rewards_points
from app.rewards.models import PointsAction, Sale
from app.slugs import is_valid_slug, slugify

DEFAULT_MEAN = 2.5
GALLERY_PAGE_SIZE = 24
SHORTLIST_SIZE = 200
MAX_TAGS = 10
SCORE_VALUES = range(0, 6)
# Gallery orders: "shuffled" during scoring (a stable order per member, so early designs get no advantage),
# "rank" only once scores are public, "newest" always.
GALLERY_SORTS = ("shuffled", "rank", "newest")


# ------------------------------------------------------------------------------------------------------------
# Phases and windows
# ------------------------------------------------------------------------------------------------------------


def phase(challenge: Challenge, now: datetime) -> Phase:
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


def _when(moment: datetime) -> str:
    return moment.strftime("%d %B %Y, %H:%M UTC")


def _require_submission_window(challenge: Challenge, now: datetime) -> None:
    current = phase(challenge, now)
    if current == Phase.submissions_open:
        return
    if current in {Phase.draft, Phase.upcoming}:
        raise Conflict(f"Submissions to {challenge.title} open on {_when(challenge.submissions_open_at)}.")
    raise Conflict(f"Submissions to {challenge.title} closed on {_when(challenge.submissions_close_at)}.")


def _require_before_scoring(challenge: Challenge, now: datetime) -> None:
    if phase(challenge, now) in {Phase.draft, Phase.upcoming, Phase.submissions_open}:
        return
    raise Conflict(f"Designs can no longer be changed: scoring began on {_when(challenge.submissions_close_at)}.")


def require_scoring_window(challenge: Challenge, now: datetime) -> None:
    """Refuse, saying when, unless the challenge is in its scoring window."""
    current = phase(challenge, now)
    if current == Phase.scoring:
        return
    if current in {Phase.draft, Phase.upcoming, Phase.submissions_open}:
        raise Conflict(f"Scoring opens on {_when(challenge.submissions_close_at)}, when submissions close.")
    raise Conflict(f"Scoring closed on {_when(challenge.scoring_close_at)}.")


def _require_participant(session: Session, *, community: Community, user: User, doing: str) -> Membership:
    """The one place that decides whether someone may take part (submit, score) in a community's challenges.

    Suspensions and bans (app/moderation, not built yet) belong here, so every use case honours them.
    """
    if not user.is_confirmed:
        raise Forbidden(f"Confirm your e-mail address before you {doing}.")
    membership = communities_service.get_membership(session, community=community, user=user)
    if membership is None:
        raise Forbidden(f"Join {community.name} to {doing}.")
    return membership


# ------------------------------------------------------------------------------------------------------------
# Challenges
# ------------------------------------------------------------------------------------------------------------


def select_challenge(community: Community, slug: str) -> Any:
    return select(Challenge).where(Challenge.community_id == community.id, Challenge.slug == slug)


def get_challenge(session: Session, *, community: Community, slug: str) -> Challenge:
    challenge = session.exec(select_challenge(community, slug)).first()
    if challenge is None:
        raise NotFound("There is no such challenge.")
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
        errors["title"] = "Enter a title (up to 120 characters)."
    for name, limit in _TEXT_LIMITS.items():
        if len(getattr(fields, name)) > limit:
            errors[name] = f"Use at most {limit:,} characters."
    per_member = fields.max_designs_per_member
    if per_member is not None and not 1 <= per_member <= 50:
        errors["max_designs_per_member"] = "Allow between 1 and 50 designs per member."
    moments = (fields.submissions_open_at, fields.submissions_close_at, fields.scoring_close_at)
    if not any(name in errors for name in ("submissions_open_at", "submissions_close_at", "scoring_close_at")):
        if any(moment.tzinfo is None for moment in moments):
            errors["submissions_open_at"] = "Give times with their time zone."
        elif not fields.submissions_open_at < fields.submissions_close_at:
            errors["submissions_close_at"] = "Submissions must close after they open."
        elif not fields.submissions_close_at < fields.scoring_close_at:
            errors["scoring_close_at"] = "Scoring must close after submissions close (scoring runs in between)."
    return errors


def create_challenge(
    session: Session, *, community: Community, created_by: User, fields: ChallengeFields, slug: str = ""
) -> Challenge:
    """Draft a new challenge in a community; it stays invisible to members until published."""
    slug = slug.strip().lower() or slugify(fields.title)
    errors = _validate_challenge(fields)
    if not is_valid_slug(slug):
        errors["slug"] = "Use 2 to 60 lower-case letters, digits and single hyphens."
    elif session.exec(select_challenge(community, slug)).first() is not None:
        errors["slug"] = "Another challenge in this community uses this address; choose another."
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
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
        raise Conflict("Another challenge just took this address; choose another.") from error
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
        raise Conflict("The winners of this challenge are announced: it can no longer be changed.")
    errors = _validate_challenge(fields)
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    _apply_fields(challenge, fields)
    session.add(challenge)
    session.flush()
    return challenge


def publish_challenge(session: Session, *, challenge: Challenge) -> Challenge:
    """Make a draft challenge visible to the community; its windows then apply."""
    if challenge.status != ChallengeStatus.draft:
        raise Conflict("This challenge is published already.")
    challenge.status = ChallengeStatus.published
    session.add(challenge)
    session.flush()
    return challenge


def challenge_mean(challenge: Challenge) -> float:
    """The mean of every score in the challenge, the prior of the Bayesian average (2.5 before any score)."""
    return challenge.score_sum / challenge.score_count if challenge.score_count else DEFAULT_MEAN


def bayesian_average(*, score_sum: int, score_count: int, mean: float, weight: float | None = None) -> float:
    """(C * m + sum) / (C + n): the design's mean pulled towards the challenge mean while it has few scores."""
    prior_weight = get_settings().ranking_prior_weight if weight is None else weight
    if prior_weight + score_count == 0:
        return mean
    return (prior_weight * mean + score_sum) / (prior_weight + score_count)


def _bayesian_expression(challenge: Challenge) -> ColumnElement[Any]:
    weight = float(get_settings().ranking_prior_weight)
    prior = literal(weight * challenge_mean(challenge), Float)
    return (prior + col(Design.score_sum)) / (literal(weight, Float) + col(Design.score_count))


def _rank_order(challenge: Challenge) -> list[Any]:
    buy_rate = func.coalesce(
        sql_cast(col(Design.buy_count), Float) / func.nullif(col(Design.score_count), 0), literal(0.0, Float)
    )
    return [
        _bayesian_expression(challenge).desc(),
        buy_rate.desc(),
        col(Design.score_count).desc(),
        col(Design.id).asc(),
    ]


def shuffle_order(seed: int) -> Any:
    """A stable pseudo-random order per member: a small hash of (design id, member id), same on both databases."""
    prime = 1000003
    design_id = sql_cast(col(Design.id), BigInteger)
    left = (design_id * 7919 + seed) % prime
    right = (design_id * 104729 + seed * 31 + 17) % prime
    return (left * right) % prime


def unscored_condition(member: User) -> Any:
    """A WHERE clause on Design: the member may score it (not their own) and has not yet."""
    scored = select(Score.design_id).where(Score.voter_id == member.id)
    return (col(Design.designer_id) != member.id) & col(Design.id).not_in(scored)


def refresh_bayesian_scores(
    session: Session, *, challenge: Challenge, excluded_voter_ids: set[int] | None = None
) -> None:
    """Recompute every design's stored Bayesian score against the current challenge mean (one UPDATE), and its
    calibrated adjusted score (discounted voters left out: these, or else those on record)."""
    session.execute(
        update(Design)
        .where(col(Design.challenge_id) == challenge.id)
        .values(bayesian_score=_bayesian_expression(challenge))
        .execution_options(synchronize_session=False)
    )
    ranking.refresh_adjusted_scores(session, challenge=challenge, excluded_voter_ids=excluded_voter_ids)


def recount_scores(session: Session, *, challenge: Challenge, excluded_voter_ids: set[int]) -> None:
    """Recompute the design and challenge score counters from the scores, leaving out these voters' (a moderator
    discounted them: app.moderation.integrity), then every design's Bayesian score. The scores themselves stay."""
    query = (
        select(Score.design_id, func.count(), func.sum(Score.value), func.sum(sql_cast(col(Score.would_buy), Integer)))
        .join(Design, col(Design.id) == Score.design_id)
        .where(Design.challenge_id == challenge.id)
        .group_by(col(Score.design_id))
    )
    if excluded_voter_ids:
        query = query.where(col(Score.voter_id).not_in(excluded_voter_ids))
    counted = {design_id: (count, total or 0, buys or 0) for design_id, count, total, buys in session.exec(query).all()}
    designs = session.exec(select(Design).where(Design.challenge_id == challenge.id).with_for_update()).all()
    for design in designs:
        design.score_count, design.score_sum, design.buy_count = counted.get(id_of(design), (0, 0, 0))
        session.add(design)
    challenge.score_count = sum(count for count, _, _ in counted.values())
    challenge.score_sum = sum(total for _, total, _ in counted.values())
    session.add(challenge)
    session.flush()
    refresh_bayesian_scores(session, challenge=challenge, excluded_voter_ids=excluded_voter_ids)


# ------------------------------------------------------------------------------------------------------------
# Designs
# ------------------------------------------------------------------------------------------------------------

_TAG_CHARACTERS = re.compile(r"[^a-z0-9-]+")


def normalise_tags(raw: str) -> str:
    """Comma-separated tags, lower-cased, spaces as hyphens, other characters dropped, unique and sorted."""
    tags = set()
    for part in raw.split(","):
        tag = _TAG_CHARACTERS.sub("", "-".join(part.strip().lower().split())).strip("-")[:30]
        if tag:
            tags.add(tag)
    return ",".join(sorted(tags))


def _validate_design(*, title: str, description: str, tags: str) -> dict[str, str]:
    errors = {}
    if not title.strip() or len(title.strip()) > 120:
        errors["title"] = "Give the design a title (up to 120 characters)."
    if len(description) > 5000:
        errors["description"] = "Use at most 5,000 characters."
    if len(normalise_tags(tags).split(",")) > MAX_TAGS:
        errors["tags"] = f"Use at most {MAX_TAGS} tags."
    return errors


def count_member_designs(session: Session, *, challenge: Challenge, designer: User) -> int:
    return session.exec(
        select(func.count())
        .select_from(Design)
        .where(
            Design.challenge_id == challenge.id,
            Design.designer_id == designer.id,
            Design.status != DesignStatus.withdrawn,
        )
    ).one()


def submit_design(
    session: Session,
    *,
    challenge: Challenge,
    designer: User,
    upload: BinaryIO,
    title: str,
    description: str = "",
    tags: str = "",
    filename: str = "",
    content_type: str = "",
    now: datetime | None = None,
) -> Design:
    """Submit a design to a challenge during its submission window, within the per-member limit.

    A near-duplicate of an earlier design of the community (a resized, re-encoded, recoloured, mirrored, cropped
    or slightly turned copy: app.media.similarity) is accepted but flagged for the moderators.
    """
    now = now or utcnow()
    community = session.get(Community, challenge.community_id)
    assert community is not None
    _require_submission_window(challenge, now)
    membership = _require_participant(session, community=community, user=designer, doing="submit designs")
    rate_limits.hit(
        get_settings().upload_rate_per_account,
        "upload",
        str(designer.id),
        message="You have uploaded a lot in a short time; wait a while before the next design.",
    )
    errors = _validate_design(title=title, description=description, tags=tags)
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    # Serialise one member's submissions (PostgreSQL; SQLite writers hold the write lock already), so two
    # uploads at once cannot both pass the limit.
    session.exec(select(Membership.id).where(Membership.id == membership.id).with_for_update()).one()
    if count_member_designs(session, challenge=challenge, designer=designer) >= challenge.max_designs_per_member:
        limit = challenge.max_designs_per_member
        raise Conflict(
            f"You have submitted {limit} design{'s' if limit != 1 else ''} to this challenge, the most allowed. "
            "Withdraw one to submit another."
        )
    image = media_service.ingest_image(
        session,
        upload=upload,
        uploaded_by=designer,
        declared_filename=filename,
        declared_content_type=content_type,
    )
    design = Design(
        challenge_id=id_of(challenge),
        designer_id=id_of(designer),
        image_id=id_of(image),
        title=title.strip(),
        description=description.strip(),
        tags=normalise_tags(tags),
        created_at=now,
        updated_at=now,
        flagged_near_duplicate_of_id=_earlier_near_duplicate(session, image=image, community=community),
    )
    session.add(design)
    session.flush()
    if design.flagged_near_duplicate_of_id is not None:
        _tell_moderators_of_near_duplicate(session, community=community, design=design, designer=designer)
        moderation_service.flag_near_duplicate(session, community=community, design_id=id_of(design), now=now)
    rewards_points.award_points(
        session,
        user_id=id_of(designer),
        brand_id=community.brand_id,
        action=PointsAction.design_submitted,
        source_key=f"design:{design.id}",
        now=now,
    )
    session.execute(
        update(Challenge)
        .where(col(Challenge.id) == challenge.id)
        .values(design_count=Challenge.design_count + 1)
        .execution_options(synchronize_session=False)
    )
    # Held for review (pre-moderation, a blocked word): hidden, so the count above is taken back by the hiding.
    moderation_service.screen_post(
        session,
        community=community,
        author=designer,
        kind=SubjectKind.design,
        subject_id=id_of(design),
        text=" ".join((design.title, design.description, design.tags.replace(",", " "))),
        now=now,
    )
    session.refresh(challenge)
    return design


def _tell_moderators_of_near_duplicate(
    session: Session, *, community: Community, design: Design, designer: User
) -> None:
    """A near-duplicate is accepted, so the community's moderators are told in-app to look at it."""
    moderators = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.community_id == community.id, Membership.role == MemberRole.moderator)
    ).all()
    for moderator in moderators:
        notifications_service.notify(
            session,
            user=moderator,
            kind=NotificationKind.design_flagged,
            text=f"“{design.title}” by @{designer.handle} looks very like an earlier design: please check it.",
            link=f"/designs/{design.id}",
            actor=designer,
            community=community,
        )


def _earlier_near_duplicate(session: Session, *, image: MediaImage, community: Community) -> int | None:
    """The community's design whose image looks most like this one (the earliest of equals); withdrawn designs
    are left out, so a designer may withdraw a design and submit it again."""
    community_designs = (
        select(Design.image_id)
        .join(Challenge, col(Challenge.id) == Design.challenge_id)
        .where(Challenge.community_id == community.id, Design.status != DesignStatus.withdrawn)
    )
    matches = media_service.find_near_duplicates(session, image=image, among=community_designs)
    if not matches:
        return None
    closest = [match.image_id for match in matches if match.similarity == matches[0].similarity]
    return session.exec(
        select(Design.id).where(col(Design.image_id).in_(closest)).order_by(col(Design.id)).limit(1)
    ).first()


@dataclass(frozen=True)
class NearDuplicateMatch:
    """The earlier design a design was flagged against, and how alike their images look (None when either image
    has no fingerprint)."""

    design_id: int
    title: str
    similarity: float | None


def near_duplicate_matches(session: Session, *, designs: Sequence[Design]) -> dict[int, NearDuplicateMatch]:
    """The matches of the flagged designs among ``designs``, by design id, loaded in two queries."""
    flagged = [design for design in designs if design.flagged_near_duplicate_of_id is not None]
    if not flagged:
        return {}
    earlier_ids = {design.flagged_near_duplicate_of_id for design in flagged}
    earlier = {id_of(design): design for design in session.exec(select(Design).where(col(Design.id).in_(earlier_ids)))}
    images = images_by_id(session, designs=[*flagged, *earlier.values()])
    matches = {}
    for design in flagged:
        match = earlier.get(design.flagged_near_duplicate_of_id or 0)
        if match is None:
            continue
        matches[id_of(design)] = NearDuplicateMatch(
            design_id=id_of(match),
            title=match.title,
            similarity=media_service.image_similarity(images[design.image_id], images[match.image_id]),
        )
    return matches


def _require_author(design: Design, user: User) -> None:
    if design.designer_id != user.id:
        raise Forbidden("Only its designer may change a design.")


def require_editable_design(session: Session, *, design: Design, editor: User, now: datetime | None = None) -> None:
    """Refuse unless the editor may change the design now: its designer, before scoring, not withdrawn. The edit
    form checks this too, so it is never shown to someone whose save would be refused."""
    _require_author(design, editor)
    challenge = session.get(Challenge, design.challenge_id)
    assert challenge is not None
    _require_before_scoring(challenge, now or utcnow())
    if design.status != DesignStatus.submitted:
        raise Conflict("This design has been withdrawn.")


def edit_design(
    session: Session,
    *,
    design: Design,
    editor: User,
    title: str,
    description: str,
    tags: str,
    now: datetime | None = None,
) -> Design:
    """Change a design's title, description or tags; its designer may until scoring opens."""
    now = now or utcnow()
    require_editable_design(session, design=design, editor=editor, now=now)
    errors = _validate_design(title=title, description=description, tags=tags)
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    design.title = title.strip()
    design.description = description.strip()
    design.tags = normalise_tags(tags)
    design.updated_at = now
    session.add(design)
    session.flush()
    return design


def withdraw_design(session: Session, *, design: Design, designer: User, now: datetime | None = None) -> Design:
    """Take a design out of its challenge; its designer may until scoring opens (it frees a submission)."""
    now = now or utcnow()
    _require_author(design, designer)
    challenge = session.get(Challenge, design.challenge_id)
    assert challenge is not None
    _require_before_scoring(challenge, now)
    if design.status != DesignStatus.submitted:
        raise Conflict("This design is withdrawn already.")
    design.status = DesignStatus.withdrawn
    design.updated_at = now
    session.add(design)
    session.flush()
    session.execute(
        update(Challenge)
        .where(col(Challenge.id) == challenge.id)
        .values(design_count=Challenge.design_count - 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(challenge)
    return design


def set_design_hidden(session: Session, *, design: Design, hidden: bool, now: datetime | None = None) -> Design:
    """Hide a design from its challenge (moderation), or show it again; the challenge's design count follows.

    Only a shown design is hidden and only a hidden one shown again: a withdrawn design stays withdrawn.
    """
    before, after = (
        (DesignStatus.submitted, DesignStatus.hidden) if hidden else (DesignStatus.hidden, DesignStatus.submitted)
    )
    if design.status != before:
        return design
    design.status = after
    design.updated_at = now or utcnow()
    session.add(design)
    session.flush()
    session.execute(
        update(Challenge)
        .where(col(Challenge.id) == design.challenge_id)
        .values(design_count=Challenge.design_count + (-1 if hidden else 1))
        .execution_options(synchronize_session=False)
    )
    return design


def get_design(session: Session, *, design_id: int) -> Design:
    design = session.get(Design, design_id)
    if design is None:
        raise NotFound("There is no such design.")
    return design


@dataclass(frozen=True)
class GalleryPage:
    designs: Sequence[tuple[Design, User]]
    page: int
    has_more: bool
    sort: str
    tag: str
    unscored: bool = False


def gallery_sorts(challenge: Challenge, now: datetime) -> tuple[str, ...]:
    """The orders offered at this phase: never by rank while scores are hidden."""
    current = phase(challenge, now)
    if scores_are_public(challenge, now):
        return ("rank", "newest")
    if current == Phase.scoring:
        return ("shuffled", "newest")
    return ("newest",)


def list_gallery(
    session: Session,
    *,
    challenge: Challenge,
    viewer: User | None,
    tag: str = "",
    sort: str = "",
    page: int = 1,
    unscored: bool = False,
    now: datetime | None = None,
) -> GalleryPage:
    """One page of a challenge's designs, filtered by a tag (and, for a viewer, to those they may score and have
    not scored yet), in an order allowed at this phase."""
    now = now or utcnow()
    offered = gallery_sorts(challenge, now)
    sort = sort if sort in offered else offered[0]
    tag = normalise_tags(tag).split(",")[0]
    page = max(page, 1)
    # The page's ids first, sorted over the design rows alone; then those designs and their designers. Sorting
    # the join instead carried every designer row through the sort (about 3 times slower with 10,000 designs).
    query = select(Design.id).where(Design.challenge_id == challenge.id, Design.status == DesignStatus.submitted)
    if tag:
        query = query.where((literal(",") + col(Design.tags) + literal(",")).contains(f",{tag},"))
    unscored = unscored and viewer is not None
    if unscored and viewer is not None:
        query = query.where(unscored_condition(viewer))
    if sort == "rank":
        query = query.order_by(*_rank_order(challenge))
    elif sort == "shuffled":
        query = query.order_by(shuffle_order(viewer.id or 0 if viewer else 0), col(Design.id))
    else:
        query = query.order_by(col(Design.created_at).desc(), col(Design.id).desc())
    ids = session.exec(query.offset((page - 1) * GALLERY_PAGE_SIZE).limit(GALLERY_PAGE_SIZE + 1)).all()
    loaded = {
        id_of(design): (design, designer)
        for design, designer in session.exec(
            select(Design, User).join(User, col(User.id) == Design.designer_id).where(col(Design.id).in_(ids))
        ).all()
    }
    rows = [loaded[design_id] for design_id in ids if design_id in loaded]
    return GalleryPage(
        designs=rows[:GALLERY_PAGE_SIZE],
        page=page,
        has_more=len(rows) > GALLERY_PAGE_SIZE,
        sort=sort,
        tag=tag,
        unscored=unscored,
    )


def list_challenge_tags(session: Session, *, challenge: Challenge) -> list[str]:
    """Every tag used in the challenge, for the gallery's filter."""
    # DISTINCT: the database folds the designs' tag lists into the few different ones, so a page with 10,000
    # designs fetches dozens of rows, not 10,000.
    rows = session.exec(
        select(Design.tags)
        .where(Design.challenge_id == challenge.id, Design.status == DesignStatus.submitted)
        .distinct()
    ).all()
    return sorted({tag for tags in rows for tag in tags.split(",") if tag})


# ------------------------------------------------------------------------------------------------------------
# Scores
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ScoreStatements:
    claim: Any
    previous: Any
    change: Any
    challenge_counters: Any
    design_counters: Any


@lru_cache
def _score_statements(dialect: str) -> _ScoreStatements:
    """cast_score's statements, built once per dialect with bound parameters (building them was most of its CPU)."""
    scores = cast(Table, Score.__table__)  # type: ignore[attr-defined]
    challenges = cast(Table, Challenge.__table__)  # type: ignore[attr-defined]
    designs = cast(Table, Design.__table__)  # type: ignore[attr-defined]
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    names = ("design_id", "voter_id", "value", "would_buy", "created_at", "updated_at")
    pair = (scores.c.design_id == bindparam("design_id"), scores.c.voter_id == bindparam("voter_id"))
    delta_sum, delta_count = bindparam("delta_sum", type_=Integer), bindparam("delta_count", type_=Integer)
    return _ScoreStatements(
        claim=insert(scores)
        .values({name: bindparam(name, type_=scores.c[name].type) for name in names})
        .on_conflict_do_nothing(index_elements=["design_id", "voter_id"])
        .returning(*scores.c),
        previous=sa_select(scores.c.id, scores.c.value, scores.c.would_buy).where(*pair).with_for_update(),
        change=sa_update(scores)
        .where(scores.c.id == bindparam("score_id"))
        .values(
            value=bindparam("value", type_=scores.c.value.type),
            would_buy=bindparam("would_buy", type_=scores.c.would_buy.type),
            updated_at=bindparam("updated_at", type_=scores.c.updated_at.type),
        )
        .returning(*scores.c),
        challenge_counters=sa_update(challenges)
        .where(challenges.c.id == bindparam("challenge_id"))
        .values(score_sum=challenges.c.score_sum + delta_sum, score_count=challenges.c.score_count + delta_count)
        .returning(challenges.c.score_sum, challenges.c.score_count),
        design_counters=sa_update(designs)
        .where(designs.c.id == bindparam("design_id"))
        .values(
            score_sum=designs.c.score_sum + delta_sum,
            score_count=designs.c.score_count + delta_count,
            buy_count=designs.c.buy_count + bindparam("delta_buy", type_=Integer),
            bayesian_score=(bindparam("prior", type_=Float) + designs.c.score_sum + delta_sum)
            / (bindparam("weight", type_=Float) + designs.c.score_count + delta_count),
        )
        .returning(designs.c.score_sum, designs.c.score_count, designs.c.buy_count, designs.c.bayesian_score),
    )


def cast_score(
    session: Session,
    *,
    voter: User,
    design: Design,
    value: int,
    would_buy: bool,
    now: datetime | None = None,
    challenge: Challenge | None = None,
    community: Community | None = None,
    membership: Membership | None = None,
) -> Score:
    """Score a design 0-5 (and say whether one would buy it) during scoring; a second call changes the score.

    One score per member and design, and the rollups move by the difference, in this transaction: an INSERT ...
    ON CONFLICT DO NOTHING claims the (design, voter) pair; when it exists already, its row is locked (FOR UPDATE
    on PostgreSQL; SQLite writers hold the database's write lock) and its old value gives the deltas.

    A caller that has loaded the design's challenge and community, and the voter's membership there (a permit
    has), may pass them to save their queries; the checks are the same. A membership passed is trusted only if it
    is the voter's in that community; without one, it is looked up.
    """
    now = now or utcnow()
    if value not in SCORE_VALUES:
        raise Invalid("Choose a score from 0 to 5.", fields={"value": "Choose a score from 0 to 5."})
    if challenge is None or challenge.id != design.challenge_id:
        challenge = session.get(Challenge, design.challenge_id)
        assert challenge is not None
    if community is None or community.id != challenge.community_id:
        community = session.get(Community, challenge.community_id)
        assert community is not None
    require_scoring_window(challenge, now)
    if design.status != DesignStatus.submitted:
        raise Conflict("This design is no longer in the challenge.")
    if design.designer_id == voter.id:
        raise Forbidden("You cannot score your own design.")
    if (
        membership is None
        or not voter.is_confirmed
        or membership.community_id != community.id
        or membership.user_id != voter.id
    ):
        _require_participant(session, community=community, user=voter, doing="score designs")
    rate_limits.hit(
        get_settings().score_rate_per_account,
        "score",
        str(voter.id),
        message="You are scoring very fast; take a moment before the next score.",
    )

    statements = _score_statements(session.get_bind().dialect.name)
    pair = {"design_id": id_of(design), "voter_id": id_of(voter)}
    row = session.execute(
        statements.claim, {**pair, "value": value, "would_buy": would_buy, "created_at": now, "updated_at": now}
    ).one_or_none()
    if row is not None:
        delta_sum, delta_count, delta_buy = value, 1, int(would_buy)
        # A member's first score of this design may earn points: one SELECT when the brand has no rule for it.
        rewards_points.award_points(
            session,
            user_id=pair["voter_id"],
            brand_id=community.brand_id,
            action=PointsAction.first_score,
            source_key=f"score:{pair['design_id']}",
            now=now,
        )
    else:
        previous = session.execute(statements.previous, pair).one()
        row = session.execute(
            statements.change, {"score_id": previous.id, "value": value, "would_buy": would_buy, "updated_at": now}
        ).one()
        delta_sum, delta_count, delta_buy = value - previous.value, 0, int(would_buy) - int(previous.would_buy)

    if delta_sum or delta_count or delta_buy:
        deltas = {"delta_sum": delta_sum, "delta_count": delta_count}
        challenge_sum, challenge_count = session.execute(
            statements.challenge_counters, {"challenge_id": challenge.id, **deltas}
        ).one()
        weight = float(get_settings().ranking_prior_weight)
        mean = challenge_sum / challenge_count if challenge_count else DEFAULT_MEAN
        counters = session.execute(
            statements.design_counters,
            {"design_id": design.id, "delta_buy": delta_buy, "prior": weight * mean, "weight": weight, **deltas},
        ).one()
        # The loaded objects take the new counters from RETURNING: no SELECT to refresh them.
        set_committed_value(challenge, "score_sum", challenge_sum)
        set_committed_value(challenge, "score_count", challenge_count)
        for name, counter in zip(("score_sum", "score_count", "buy_count", "bayesian_score"), counters, strict=True):
            set_committed_value(design, name, counter)
    return _score_from_row(session, row._mapping)


def _score_from_row(session: Session, values: Mapping[Any, Any]) -> Score:
    """The Score of a row that RETURNING gave, in the session as if loaded (no SELECT); a loaded one is updated."""
    columns = {column.name: values[column] for column in cast(Table, Score.__table__).c}  # type: ignore[attr-defined]
    score = session.identity_map.get(identity_key(Score, columns["id"]))
    if isinstance(score, Score):
        for name, column_value in columns.items():
            set_committed_value(score, name, column_value)
        return score
    score = Score(**columns)
    make_transient_to_detached(score)
    session.add(score)
    return score


def get_my_score(session: Session, *, design: Design, voter: User | None) -> Score | None:
    """The caller's own score of a design (always visible to them), if any."""
    if voter is None:
        return None
    return session.exec(select(Score).where(Score.design_id == design.id, Score.voter_id == voter.id)).first()


# ------------------------------------------------------------------------------------------------------------
# Shortlist, winners and portfolios
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShortlistEntry:
    rank: int  # by the adjusted (calibrated) score: the shortlist's order
    raw_rank: int  # by the raw Bayesian average
    design: Design
    designer: User
    mean: float | None
    bayesian: float
    adjusted: float
    distribution: tuple[int, ...]  # how many scores of 0, 1, 2, 3, 4 and 5

    @property
    def peak(self) -> int:
        return max(self.distribution) or 1


def _require_closed(challenge: Challenge, now: datetime, doing: str) -> None:
    if not scores_are_public(challenge, now):
        raise Conflict(f"{doing} once scoring closes on {_when(challenge.scoring_close_at)}.")


def shortlist(session: Session, *, challenge: Challenge, now: datetime | None = None) -> list[ShortlistEntry]:
    """The designs of a closed challenge by their calibrated rank, with the raw rank beside it and their score
    distributions, for staff to pick winners.

    Both rankings are computed here from the scores (discounted voters left out) and the designs' counters, in a
    handful of queries whatever the number of designs; ties in either go to the higher "I'd buy it" rate, then the more
    scores, then the earlier design.
    """
    now = now or utcnow()
    _require_closed(challenge, now, "The shortlist is ready")
    calibration = ranking.calibrate_challenge(session, challenge=challenge)
    counters = session.exec(
        select(Design.id, Design.score_sum, Design.score_count, Design.buy_count).where(
            Design.challenge_id == challenge.id, Design.status == DesignStatus.submitted
        )
    ).all()
    mean = challenge_mean(challenge)
    bayesian: dict[int, float] = {}
    ties: dict[int, tuple[float, int, int]] = {}
    for design_id, score_sum, score_count, buy_count in counters:
        assert design_id is not None
        bayesian[design_id] = bayesian_average(score_sum=score_sum, score_count=score_count, mean=mean)
        ties[design_id] = (-(buy_count / score_count if score_count else 0.0), -score_count, design_id)
    adjusted = {design_id: calibration.adjusted.get(design_id, calibration.mean) for design_id in bayesian}
    raw_order = sorted(bayesian, key=lambda design_id: (-bayesian[design_id], *ties[design_id]))
    raw_rank = {design_id: position for position, design_id in enumerate(raw_order, start=1)}
    shown = sorted(adjusted, key=lambda design_id: (-adjusted[design_id], *ties[design_id]))[:SHORTLIST_SIZE]
    loaded = {
        id_of(design): (design, designer)
        for design, designer in session.exec(
            select(Design, User).join(User, col(User.id) == Design.designer_id).where(col(Design.id).in_(shown))
        ).all()
    }
    # The distribution is a staff-only figure of a closed challenge, grouped in one query for the whole page.
    counts: dict[int, list[int]] = {design_id: [0] * 6 for design_id in shown}
    if counts:
        grouped = session.exec(
            select(Score.design_id, Score.value, func.count())
            .where(col(Score.design_id).in_(counts))
            .group_by(col(Score.design_id), col(Score.value))
        ).all()
        for design_id, value, number in grouped:
            counts[design_id][value] = number
    return [
        ShortlistEntry(
            rank=position,
            raw_rank=raw_rank[design_id],
            design=loaded[design_id][0],
            designer=loaded[design_id][1],
            mean=loaded[design_id][0].mean_score,
            bayesian=bayesian[design_id],
            adjusted=adjusted[design_id],
            distribution=tuple(counts[design_id]),
        )
        for position, design_id in enumerate(shown, start=1)
    ]


def pick_winner(session: Session, *, challenge: Challenge, design: Design, now: datetime | None = None) -> Product:
    """Pick a design as a winner (staff choose freely; the shortlist suggests by the calibrated rank); it becomes a
    draft product of the brand."""
    now = now or utcnow()
    _require_closed(challenge, now, "Winners can be picked")
    if design.challenge_id != challenge.id or design.status != DesignStatus.submitted:
        raise NotFound("There is no such design in this challenge.")
    if design.won_at is not None:
        raise Conflict(f"{design.title} is a winner already.")
    community = session.get(Community, challenge.community_id)
    assert community is not None
    design.won_at = now
    session.add(design)
    product = Product(
        brand_id=community.brand_id,
        name=design.title,
        status=ProductStatus.draft,
        design_id=id_of(design),
        designer_id=design.designer_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(product)
            session.flush()
    except IntegrityError as error:
        raise Conflict(f"{design.title} is a winner already.") from error
    refresh_bayesian_scores(session, challenge=challenge)
    return product


def withdraw_win(session: Session, *, challenge: Challenge, design: Design, now: datetime | None = None) -> None:
    """Take back a pick made by mistake, while the winners are not announced: the design is no longer a winner and
    its draft product goes. Refused once the product is live or has sales (money may hang on it)."""
    _require_closed(challenge, now or utcnow(), "Winners can be changed")
    if challenge.status == ChallengeStatus.winners_announced:
        raise Conflict("The winners are announced: a win can no longer be taken back.")
    if design.challenge_id != challenge.id:
        raise NotFound("There is no such design in this challenge.")
    if design.won_at is None:
        raise Conflict(f"{design.title} is not a winner.")
    product = session.exec(select(Product).where(Product.design_id == design.id).with_for_update()).first()
    if product is not None:
        if product.status != ProductStatus.draft:
            raise Conflict(f"{design.title}'s product is live: set it back to draft before taking the win back.")
        if session.exec(select(Sale.id).where(Sale.product_id == product.id).limit(1)).first() is not None:
            raise Conflict(f"{design.title}'s product has sales: the win can no longer be taken back.")
        session.delete(product)
    design.won_at = None
    session.add(design)
    session.flush()
    refresh_bayesian_scores(session, challenge=challenge)


def announce_winners(session: Session, *, challenge: Challenge, now: datetime | None = None) -> Challenge:
    """Announce the picked winners to the community; the challenge is then final."""
    now = now or utcnow()
    if challenge.status == ChallengeStatus.winners_announced:
        raise Conflict("The winners are announced already.")
    _require_closed(challenge, now, "Winners can be announced")
    winners = list_winners(session, challenge=challenge)
    if not winners:
        raise Conflict("Pick at least one winner before announcing.")
    challenge.status = ChallengeStatus.winners_announced
    challenge.winners_announced_at = now
    session.add(challenge)
    session.flush()
    # Designers hear of their win when the community does: picking is the staff's private shortlist work.
    community = session.get(Community, challenge.community_id)
    for design, designer in winners:
        notifications_service.notify(
            session,
            user=designer,
            kind=NotificationKind.design_won,
            text=f"Your design {design.title} won {challenge.title}",
            link=f"/designs/{design.id}",
            community=community,
        )
    return challenge


def list_winners(session: Session, *, challenge: Challenge) -> Sequence[tuple[Design, User]]:
    """Every picked winner with its designer, best ranked first by the calibrated ranking (stored at each pick)."""
    return session.exec(
        select(Design, User)
        .join(User, col(User.id) == Design.designer_id)
        .where(Design.challenge_id == challenge.id, col(Design.won_at).is_not(None))
        .order_by(col(Design.adjusted_score).desc(), col(Design.bayesian_score).desc(), col(Design.id))
    ).all()


def visible_winners(
    session: Session, *, challenge: Challenge, may_manage: bool, now: datetime | None = None
) -> Sequence[tuple[Design, User]]:
    """The winners as the viewer may see them: everyone once announced, before that only the challenge's managers."""
    announced = phase(challenge, now or utcnow()) == Phase.winners_announced
    return list_winners(session, challenge=challenge) if announced or may_manage else []


@dataclass(frozen=True)
class PortfolioEntry:
    design: Design
    challenge: Challenge
    community: Community
    scores_public: bool
    bayesian: float | None


def _visible_community_ids(session: Session, *, viewer: User | None) -> set[int] | None:
    """The invite-only communities a viewer may see (None: every one, for site admins)."""
    if viewer is None:
        return set()
    if viewer.is_site_admin:
        return None
    ids = {id_of(community) for _, community in communities_service.list_memberships(session, user=viewer)}
    for brand, _role in brands_service.list_staffed_brands(session, user=viewer):
        ids.update(id_of(community) for community in communities_service.list_brand_communities(session, brand=brand))
    return ids


def list_portfolio(
    session: Session, *, designer: User, viewer: User | None, now: datetime | None = None
) -> list[PortfolioEntry]:
    """A designer's designs in published challenges the viewer may see, with final scores once public."""
    now = now or utcnow()
    visible = _visible_community_ids(session, viewer=viewer)
    rows = session.exec(
        select(Design, Challenge, Community)
        .join(Challenge, col(Challenge.id) == Design.challenge_id)
        .join(Community, col(Community.id) == Challenge.community_id)
        .where(
            Design.designer_id == designer.id,
            Design.status == DesignStatus.submitted,
            Challenge.status != ChallengeStatus.draft,
        )
        .order_by(col(Design.created_at).desc(), col(Design.id).desc())
    ).all()
    entries = []
    for design, challenge, community in rows:
        if community.visibility != Visibility.public and visible is not None and community.id not in visible:
            continue
        public = scores_are_public(challenge, now)
        bayesian = (
            bayesian_average(score_sum=design.score_sum, score_count=design.score_count, mean=challenge_mean(challenge))
            if public
            else None
        )
        entries.append(
            PortfolioEntry(
                design=design, challenge=challenge, community=community, scores_public=public, bayesian=bayesian
            )
        )
    return entries


def images_by_id(session: Session, *, designs: Sequence[Design]) -> dict[int, MediaImage]:
    """The images of a page of designs, loaded in one query (templates never load them one by one)."""
    image_ids = {design.image_id for design in designs}
    if not image_ids:
        return {}
    return {id_of(image): image for image in session.exec(select(MediaImage).where(col(MediaImage.id).in_(image_ids)))}


@dataclass(frozen=True)
class OriginalFile:
    content: bytes
    media_type: str
    filename: str


def design_original(session: Session, *, design: Design) -> OriginalFile:
    """The file the designer uploaded, for staff (production needs it; members only ever see renditions)."""
    image = session.get(MediaImage, design.image_id)
    if image is None:
        raise NotFound("This design has no stored original.")
    extension = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}.get(image.format, "bin")
    slug = slugify(design.title) or "design"
    try:
        content = media_service.original_bytes(image)
    except NotStored as error:
        raise NotFound("The original file of this design is missing from storage.") from error
    return OriginalFile(
        content=content,
        media_type=f"image/{'jpeg' if extension == 'jpg' else extension}",
        filename=f"design-{design.id}-{slug}.{extension}",
    )


def rendition_urls(image: MediaImage) -> dict[str, str]:
    return {
        "thumbnail": media_service.rendition_url(image, "thumbnail"),
        "display": media_service.rendition_url(image, "display"),
    }
