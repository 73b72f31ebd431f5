"""Designs: submitting one to a challenge (with the near-duplicate check), editing, withdrawing and hiding it, and
its images and original file."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlmodel import Session, col, func, select, update

from app import rate_limits
from app.accounts.models import User
from app.challenges import events as challenge_events
from app.challenges.models import (
    Challenge,
    Design,
    DesignStatus,
)
from app.challenges.phases import require_before_scoring, require_submission_window
from app.challenges.service import MAX_TAGS, normalise_tags, require_participant
from app.columns import id_of, utcnow
from app.communities.models import Community, MemberRole, Membership
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.follows import service as follows_service
from app.i18n import _, ngettext
from app.i18n.formatting import format_number
from app.media import service as media_service
from app.media.models import MediaImage
from app.media.storage import NotStored
from app.moderation import screening as moderation_screening
from app.moderation.models import SubjectKind
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.rewards import points as rewards_points
from app.rewards.models import PointsAction
from app.slugs import slugify


def _validate_design(*, title: str, description: str, tags: str) -> dict[str, str]:
    errors = {}
    if not title.strip() or len(title.strip()) > 120:
        errors["title"] = _("Give the design a title (up to %(max)s characters).", max=120)
    if len(description) > 5000:
        errors["description"] = _("Use at most %(max)s characters.", max=format_number(5000))
    if len(normalise_tags(tags).split(",")) > MAX_TAGS:
        errors["tags"] = _("Use at most %(max)s tags.", max=MAX_TAGS)
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
    require_submission_window(challenge, now)
    doing = "submit designs"  # i18n: ignore (the use case require_participant words its refusal for)
    membership = require_participant(session, community=community, user=designer, doing=doing)
    rate_limits.hit(
        get_settings().upload_rate_per_account,
        "upload",
        str(designer.id),
        message=_("You have uploaded a lot in a short time; wait a while before the next design."),
    )
    errors = _validate_design(title=title, description=description, tags=tags)
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    # Serialise one member's submissions (PostgreSQL; SQLite writers hold the write lock already), so two
    # uploads at once cannot both pass the limit.
    session.exec(select(Membership.id).where(Membership.id == membership.id).with_for_update()).one()
    if count_member_designs(session, challenge=challenge, designer=designer) >= challenge.max_designs_per_member:
        limit = challenge.max_designs_per_member
        raise Conflict(
            ngettext(
                "You have submitted %(num)s design to this challenge, the most allowed. Withdraw it to submit another.",
                "You have submitted %(num)s designs to this challenge, the most allowed. "
                "Withdraw one to submit another.",
                limit,
            )
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
        moderation_screening.flag_near_duplicate(session, community=community, design_id=id_of(design), now=now)
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
    moderation_screening.screen_post(
        session,
        community=community,
        author=designer,
        kind=SubjectKind.design,
        subject_id=id_of(design),
        text=" ".join((design.title, design.description, design.tags.replace(",", " "))),
        now=now,
    )
    session.refresh(challenge)
    challenge_events.emit_design_submitted(session, challenge=challenge, design=design, designer=designer)
    # Followers hear of it unless it was held for review (a design shown later by a moderator is not announced).
    follows_service.announce_design(session, design=design, challenge=challenge, news="new")
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
        with notifications_service.in_language_of(moderator, community):
            notifications_service.notify(
                session,
                user=moderator,
                kind=NotificationKind.design_flagged,
                text=_(
                    "“%(title)s” by @%(handle)s looks very like an earlier design: please check it.",
                    title=design.title,
                    handle=designer.handle,
                ),
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
        raise Forbidden(_("Only its designer may change a design."))


def require_editable_design(session: Session, *, design: Design, editor: User, now: datetime | None = None) -> None:
    """Refuse unless the editor may change the design now: its designer, before scoring, not withdrawn. The edit
    form checks this too, so it is never shown to someone whose save would be refused."""
    _require_author(design, editor)
    challenge = session.get(Challenge, design.challenge_id)
    assert challenge is not None
    require_before_scoring(challenge, now or utcnow())
    if design.status != DesignStatus.submitted:
        raise Conflict(_("This design has been withdrawn."))


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
        raise Invalid(_("Please correct the marked fields."), fields=errors)
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
    require_before_scoring(challenge, now)
    if design.status != DesignStatus.submitted:
        raise Conflict(_("This design is withdrawn already."))
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
        raise NotFound(_("There is no such design."))
    return design


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
        raise NotFound(_("This design has no stored original."))
    extension = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}.get(image.format, "bin")
    slug = slugify(design.title) or "design"
    try:
        content = media_service.original_bytes(image)
    except NotStored as error:
        raise NotFound(_("The original file of this design is missing from storage.")) from error
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
