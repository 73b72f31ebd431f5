"""What a moderator sees of a queue item before deciding: the content rendered as its members saw it, a design's
image, the earlier design a near-duplicate looks like (both images, how alike, who posted which first), and what
was decided about its author before.

A design's images reach moderators through ``design_image`` (the moderation route checks that they moderate the
design's community), never through the public rendition URLs: a hidden design stays out of sight of everyone else,
and the private original (with whatever metadata it came with) is never shown at all.
"""

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import nh3
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.challenges import designs as challenge_designs
from app.challenges.models import Challenge, Design
from app.columns import id_of
from app.communities.models import Community
from app.errors import Invalid, NotFound
from app.i18n import _
from app.media import service as media_service
from app.media.models import MediaImage
from app.media.storage import NotStored, get_storage
from app.moderation import subjects
from app.moderation.appeals import APPEALABLE
from app.moderation.models import AuditAction, AuditEntry
from app.moderation.queue import QueueEntry
from app.web.markdown import render_markdown

SUMMARY_LENGTH = 240
AUTHOR_DECISIONS_SHOWN = 10
ImageSize = Literal["thumbnail", "full"]
IMAGE_SIZES: tuple[ImageSize, ...] = ("thumbnail", "full")
_CONTENT_TYPES = {"jpg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class DesignImage:
    """A design's image for its moderators: the 400 px thumbnail and the 1600 px display rendition."""

    design_id: int
    thumbnail_url: str
    full_url: str


@dataclass(frozen=True)
class DesignSide:
    """One design of a near-duplicate pair: what it is, who posted it and when."""

    design_id: int
    title: str
    designer_handle: str | None
    posted_at: datetime
    image: DesignImage


@dataclass(frozen=True)
class NearDuplicatePair:
    """A design flagged as looking like an earlier one: ``earlier`` came first. ``similarity`` is 0-1 (1: the same
    picture; app.media.similarity), None when either image has no fingerprint."""

    earlier: DesignSide
    later: DesignSide
    similarity: float | None

    @property
    def percent_alike(self) -> int | None:
        return round(self.similarity * 100) if self.similarity is not None else None


@dataclass
class Evidence:
    """A queue item's subject as its members saw it: ``body_html`` is the text rendered and sanitised by the same
    renderer members see it through; ``summary`` is the same text as plain words, shortened, for the queue."""

    title: str = ""
    body_html: str = ""
    summary: str = ""
    image: DesignImage | None = None
    near_duplicate: NearDuplicatePair | None = None
    # About the author in this community, newest first (decisions about this very subject are in the item's own
    # history, not here).
    author_decisions: list[AuditEntry] = field(default_factory=list)


def design_image_url(community: Community, design_id: int, size: ImageSize) -> str:
    return f"/c/{community.slug}/moderation/designs/{design_id}/image?size={size}"


def _design_image(community: Community, design_id: int) -> DesignImage:
    return DesignImage(
        design_id=design_id,
        thumbnail_url=design_image_url(community, design_id, "thumbnail"),
        full_url=design_image_url(community, design_id, "full"),
    )


def _render(content: subjects.SubjectContent) -> tuple[str, str]:
    """The content's text as HTML (Markdown rendered and sanitised; plain text escaped) and as a short summary."""
    if content.markdown:
        body_html = render_markdown(content.text) if content.text.strip() else ""
        words = html.unescape(nh3.clean(body_html, tags=set()))
    else:
        words = content.text
        body_html = "".join(f"<p>{html.escape(line)}</p>" for line in content.text.splitlines() if line.strip())
    words = " ".join(words.split())
    summary = words if len(words) <= SUMMARY_LENGTH else words[: SUMMARY_LENGTH - 1].rstrip() + "…"
    return body_html, summary


def as_seen(session: Session, *, kind: str, subject_id: int) -> Evidence | None:
    """A subject's title and text as members saw it, outside the queue (a decision page about it); None if gone."""
    content = subjects.contents(session, kind=kind, subject_ids=[subject_id]).get(subject_id)
    if content is None:
        return None
    body_html, summary = _render(content)
    return Evidence(title=content.title, body_html=body_html, summary=summary)


def for_entries(session: Session, *, community: Community, entries: Sequence[QueueEntry]) -> dict[int, Evidence]:
    """The evidence of a page of queue items, by item id: a few queries per kind of subject, none per item."""
    by_kind: dict[str, list[QueueEntry]] = {}
    for entry in entries:
        by_kind.setdefault(entry.item.subject_kind, []).append(entry)
    found: dict[int, Evidence] = {}
    for kind, kind_entries in by_kind.items():
        contents = subjects.contents(session, kind=kind, subject_ids=[e.item.subject_id for e in kind_entries])
        for entry in kind_entries:
            content = contents.get(entry.item.subject_id)
            if content is None:  # gone since it was reported: the excerpt kept with the item is all there is
                content = subjects.SubjectContent(title="", text=entry.item.excerpt, markdown=False)
            body_html, summary = _render(content)
            found[id_of(entry.item)] = Evidence(
                title=content.title,
                body_html=body_html,
                summary=summary,
                image=_design_image(community, content.design_id) if content.design_id is not None else None,
            )
    _add_near_duplicates(session, community=community, evidence=found)
    return found


def _add_near_duplicates(session: Session, *, community: Community, evidence: dict[int, Evidence]) -> None:
    """Each design flagged as a near-duplicate gets its pair: the earlier design and how alike the two look."""
    design_ids = {e.image.design_id for e in evidence.values() if e.image is not None}
    if not design_ids:
        return
    designs = {id_of(d): d for d in session.exec(select(Design).where(col(Design.id).in_(design_ids))).all()}
    flagged = [d for d in designs.values() if d.flagged_near_duplicate_of_id is not None]
    if not flagged:
        return
    earlier_ids = {d.flagged_near_duplicate_of_id for d in flagged}
    earlier = {id_of(d): d for d in session.exec(select(Design).where(col(Design.id).in_(earlier_ids))).all()}
    images = challenge_designs.images_by_id(session, designs=[*flagged, *earlier.values()])
    people = {
        id_of(u): u
        for u in session.exec(
            select(User).where(col(User.id).in_({d.designer_id for d in [*flagged, *earlier.values()]}))
        ).all()
    }

    def side(design: Design) -> DesignSide:
        designer = people.get(design.designer_id)
        return DesignSide(
            design_id=id_of(design),
            title=design.title,
            designer_handle=designer.handle if designer else None,
            posted_at=design.created_at,
            image=_design_image(community, id_of(design)),
        )

    for item_evidence in evidence.values():
        later = designs.get(item_evidence.image.design_id) if item_evidence.image is not None else None
        first = earlier.get(later.flagged_near_duplicate_of_id or 0) if later is not None else None
        if later is None or first is None:
            continue
        item_evidence.near_duplicate = NearDuplicatePair(
            earlier=side(first),
            later=side(later),
            similarity=media_service.image_similarity(images[later.image_id], images[first.image_id]),
        )


def for_item(session: Session, *, community: Community, entry: QueueEntry) -> Evidence:
    """One item's evidence, with the earlier decisions about its author in this community."""
    evidence = for_entries(session, community=community, entries=[entry])[id_of(entry.item)]
    item = entry.item
    if item.author_id is not None:
        about_this = (col(AuditEntry.subject_kind) == item.subject_kind) & (
            col(AuditEntry.subject_id) == item.subject_id
        )
        evidence.author_decisions = list(
            session.exec(
                select(AuditEntry)
                .where(AuditEntry.community_id == community.id, AuditEntry.target_user_id == item.author_id)
                .where(col(AuditEntry.action).in_(APPEALABLE | {AuditAction.restore, AuditAction.lift_sanction}))
                .where(~about_this)
                .order_by(col(AuditEntry.id).desc())
                .limit(AUTHOR_DECISIONS_SHOWN)
            ).all()
        )
    return evidence


@dataclass(frozen=True)
class ImageFile:
    content: bytes
    media_type: str


def design_image(session: Session, *, community: Community, design_id: int, size: str) -> ImageFile:
    """A rendition of a design of this community (hidden or not) for its moderators; 404 for any other design."""
    if size not in IMAGE_SIZES:
        raise Invalid(_("Ask for the thumbnail or the full size."), fields={"size": _("thumbnail or full")})
    found = session.exec(
        select(MediaImage)
        .join(Design, col(Design.image_id) == MediaImage.id)
        .join(Challenge, col(Challenge.id) == Design.challenge_id)
        .where(Design.id == design_id, Challenge.community_id == community.id)
    ).first()
    if found is None:
        raise NotFound(_("There is no such design in this community."))
    key = found.thumbnail_key if size == "thumbnail" else found.display_key
    try:
        content = get_storage().get(key)
    except NotStored:
        raise NotFound(_("The image of this design is missing from storage.")) from None
    return ImageFile(content=content, media_type=_CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "image/jpeg"))
