"""What can be reported: a small registry from a subject kind to how to find, describe, hide and show it.

Moderation imports no domain that it moderates (they import it, to screen their posts); each domain describes its
own subjects in its ``moderation`` module (``app/challenges/moderation.py``, ...) as ``SUBJECT_TYPES``, and
``app.wiring.connect_domains`` registers them all, once per process (the app factory, the `chorus` command, the
tests). ``describe(session, subject_id, community_id)`` answers None for something that is not in that community
(or does not exist), and ``hide``/``restore`` are that domain's own service calls. A kind without ``hide`` cannot be
hidden (a profile: its owner is warned, suspended or banned instead). A kind members never see (a survey response:
only the brand's staff read answers) is not ``members_report``: the members' report form and API answer it as
missing. ``announce(session, subject_id)`` tells, once a post held for review is approved, whom posting it would
have told. ``content(session, subject_ids)`` loads many subjects at once as members saw them (``SubjectContent``),
for the queue and its items (app.moderation.evidence renders them). ``count_posts(session, community_id,
author_ids)`` counts what each author posted in a community (the author's history in the queue).
"""

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.errors import NotFound
from app.i18n import _
from app.moderation.models import SubjectKind

EXCERPT_LENGTH = 300


@dataclass(frozen=True)
class SubjectInfo:
    community_id: int
    author_id: int | None
    excerpt: str
    link: str
    hidden: bool


@dataclass(frozen=True)
class SubjectContent:
    """A subject as its members saw it: a title (plain text), its text as written (Markdown, which members see
    rendered, unless ``markdown`` is False) and, for a design, the design whose image it is."""

    title: str
    text: str
    posted_at: datetime | None = None
    markdown: bool = True
    design_id: int | None = None


ContentLoader = Callable[[Session, Collection[int]], dict[int, SubjectContent]]
PostCounter = Callable[[Session, int, Collection[int]], Counter[int]]


@dataclass(frozen=True)
class SubjectType:
    kind: SubjectKind
    label: str
    describe: Callable[[Session, int, int], SubjectInfo | None]
    hide: Callable[[Session, int], None] | None = None
    restore: Callable[[Session, int], None] | None = None
    announce: Callable[[Session, int], None] | None = None
    members_report: bool = True
    content: ContentLoader | None = None
    count_posts: PostCounter | None = None


REGISTRY: dict[SubjectKind, SubjectType] = {}


def register(subject_type: SubjectType) -> None:
    REGISTRY[subject_type.kind] = subject_type


def subject_type(kind: SubjectKind | str) -> SubjectType:
    try:
        known = SubjectKind(kind)
    except ValueError:
        raise NotFound(_("There is no such kind of content.")) from None
    try:
        return REGISTRY[known]
    except KeyError:
        # Every kind has a domain that registers it: a miss is a process that skipped the wiring, not a bad request.
        raise RuntimeError(
            f"No moderation subject is registered for {known}: call app.wiring.connect_domains()"
        ) from None


def describe(session: Session, *, kind: SubjectKind | str, subject_id: int, community_id: int) -> SubjectInfo:
    """The subject, as seen from this community; 404 when it is not there."""
    found = subject_type(kind).describe(session, subject_id, community_id)
    if found is None:
        raise NotFound(_("There is no such content in this community."))
    return found


def describe_for_members(
    session: Session, *, kind: SubjectKind | str, subject_id: int, community_id: int
) -> SubjectInfo:
    """As ``describe``, for a member reporting: kinds that only the brand's staff see are not found either."""
    if not subject_type(kind).members_report:
        raise NotFound(_("There is no such kind of content."))
    return describe(session, kind=kind, subject_id=subject_id, community_id=community_id)


def contents(session: Session, *, kind: SubjectKind | str, subject_ids: Collection[int]) -> dict[int, SubjectContent]:
    """Many subjects of one kind as members saw them, by id, in one query (gone ones are left out)."""
    loader = subject_type(kind).content
    return loader(session, set(subject_ids)) if loader is not None and subject_ids else {}


def posts_by(session: Session, *, community_id: int, author_ids: Collection[int]) -> Counter[int]:
    """How many posts each author has in a community, over every kind that counts them (designs not withdrawn,
    ideas, comments not deleted)."""
    posts: Counter[int] = Counter()
    if not author_ids:
        return posts
    for registered in REGISTRY.values():
        if registered.count_posts is not None:
            posts.update(registered.count_posts(session, community_id, author_ids))
    return posts


def excerpt(*parts: str) -> str:
    text = " — ".join(part.strip() for part in parts if part and part.strip())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"
