"""What can be reported: a small registry from a subject kind to how to find, describe, hide and show it.

A domain plugs in with a few lines: ``register(SubjectType(kind=..., describe=..., hide=..., restore=...))``, where
``describe(session, subject_id, community_id)`` answers None for something that is not in that community (or does
not exist), and ``hide``/``restore`` are that domain's own service calls. A kind without ``hide`` cannot be hidden
(a profile: its owner is warned, suspended or banned instead). A kind members never see (a survey response: only the
brand's staff read answers) is not ``members_report``: the members' report form and API answer it as missing.
``announce(session, subject_id)`` tells, once a post held for review is approved, whom posting it would have told.
``content(session, subject_ids)`` loads many subjects at once as members saw them (``SubjectContent``), for the
queue and its items (app.moderation.evidence renders them).
"""

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.campaigns import service as campaigns_service
from app.challenges import designs as challenge_designs
from app.challenges.models import Challenge, Design
from app.comments import service as comments_service
from app.comments.models import Comment
from app.communities.models import Membership
from app.errors import NotFound
from app.ideas import service as ideas_service
from app.ideas.models import Idea
from app.moderation.models import SubjectKind
from app.surveys import service as surveys_service
from app.surveys.models import Survey, SurveyResponse

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


REGISTRY: dict[SubjectKind, SubjectType] = {}


def register(subject_type: SubjectType) -> None:
    REGISTRY[subject_type.kind] = subject_type


def subject_type(kind: SubjectKind | str) -> SubjectType:
    try:
        return REGISTRY[SubjectKind(kind)]
    except (ValueError, KeyError):
        raise NotFound("There is no such kind of content.") from None


def describe(session: Session, *, kind: SubjectKind | str, subject_id: int, community_id: int) -> SubjectInfo:
    """The subject, as seen from this community; 404 when it is not there."""
    found = subject_type(kind).describe(session, subject_id, community_id)
    if found is None:
        raise NotFound("There is no such content in this community.")
    return found


def describe_for_members(
    session: Session, *, kind: SubjectKind | str, subject_id: int, community_id: int
) -> SubjectInfo:
    """As ``describe``, for a member reporting: kinds that only the brand's staff see are not found either."""
    if not subject_type(kind).members_report:
        raise NotFound("There is no such kind of content.")
    return describe(session, kind=kind, subject_id=subject_id, community_id=community_id)


def contents(session: Session, *, kind: SubjectKind | str, subject_ids: Collection[int]) -> dict[int, SubjectContent]:
    """Many subjects of one kind as members saw them, by id, in one query (gone ones are left out)."""
    loader = subject_type(kind).content
    return loader(session, set(subject_ids)) if loader is not None and subject_ids else {}


def posts_by(session: Session, *, community_id: int, author_ids: Collection[int]) -> Counter[int]:
    """How many designs (not withdrawn), ideas and comments (not deleted) each author has posted in a community."""
    posts: Counter[int] = Counter()
    if not author_ids:
        return posts
    queries = (
        select(Design.designer_id, func.count())
        .join(Challenge, col(Challenge.id) == Design.challenge_id)
        .where(Challenge.community_id == community_id, Design.status != "withdrawn")
        .where(col(Design.designer_id).in_(author_ids))
        .group_by(col(Design.designer_id)),
        select(Idea.author_id, func.count())
        .where(Idea.community_id == community_id, col(Idea.author_id).in_(author_ids))
        .group_by(col(Idea.author_id)),
        select(Comment.author_id, func.count())
        .outerjoin(Design, col(Design.id) == Comment.design_id)
        .outerjoin(Challenge, col(Challenge.id) == Design.challenge_id)
        .outerjoin(Idea, col(Idea.id) == Comment.idea_id)
        .where(or_(col(Challenge.community_id) == community_id, col(Idea.community_id) == community_id))
        .where(col(Comment.deleted_at).is_(None), col(Comment.author_id).in_(author_ids))
        .group_by(col(Comment.author_id)),
    )
    for query in queries:
        for author_id, number in session.exec(query).all():  # type: ignore[call-overload]
            posts[author_id] += number
    return posts


def _excerpt(*parts: str) -> str:
    text = " — ".join(part.strip() for part in parts if part and part.strip())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


# --- designs ---------------------------------------------------------------------------------------------------


def _describe_design(session: Session, design_id: int, community_id: int) -> SubjectInfo | None:
    found = session.exec(
        select(Design, Challenge)
        .join(Challenge, Challenge.id == Design.challenge_id)  # type: ignore[arg-type]
        .where(Design.id == design_id, Challenge.community_id == community_id)
    ).first()
    if found is None:
        return None
    design, _challenge = found
    return SubjectInfo(
        community_id=community_id,
        author_id=design.designer_id,
        excerpt=_excerpt(design.title, design.description),
        link=f"/designs/{design.id}",
        hidden=design.status == "hidden",
    )


def _design_contents(session: Session, design_ids: Collection[int]) -> dict[int, SubjectContent]:
    return {
        design.id or 0: SubjectContent(
            title=design.title, text=design.description, posted_at=design.created_at, design_id=design.id
        )
        for design in session.exec(select(Design).where(col(Design.id).in_(design_ids)))
    }


def _set_design_hidden(hidden: bool) -> Callable[[Session, int], None]:
    def apply(session: Session, design_id: int) -> None:
        design = challenge_designs.get_design(session, design_id=design_id)
        challenge_designs.set_design_hidden(session, design=design, hidden=hidden)

    return apply


# --- comments --------------------------------------------------------------------------------------------------


def _describe_comment(session: Session, comment_id: int, community_id: int) -> SubjectInfo | None:
    """A comment on a design (its challenge's community) or on an idea (the idea's community)."""
    found = session.exec(
        select(Comment)
        .outerjoin(Design, Design.id == Comment.design_id)  # type: ignore[arg-type]
        .outerjoin(Challenge, Challenge.id == Design.challenge_id)  # type: ignore[arg-type]
        .outerjoin(Idea, Idea.id == Comment.idea_id)  # type: ignore[arg-type]
        .where(Comment.id == comment_id)
        .where(or_(col(Challenge.community_id) == community_id, col(Idea.community_id) == community_id))
    ).first()
    if found is None or found.is_deleted:
        return None
    return SubjectInfo(
        community_id=community_id,
        author_id=found.author_id,
        excerpt=_excerpt(found.body),
        link=comments_service.comment_link(found),
        hidden=found.is_hidden,
    )


def _comment_contents(session: Session, comment_ids: Collection[int]) -> dict[int, SubjectContent]:
    return {
        comment.id or 0: SubjectContent(title="", text=comment.body, posted_at=comment.created_at)
        for comment in session.exec(select(Comment).where(col(Comment.id).in_(comment_ids)))
    }


def _set_comment_hidden(hidden: bool) -> Callable[[Session, int], None]:
    def apply(session: Session, comment_id: int) -> None:
        comment = session.get(Comment, comment_id)
        if comment is not None:
            comments_service.set_comment_hidden(session, comment=comment, hidden=hidden)

    return apply


# --- ideas -----------------------------------------------------------------------------------------------------


def _describe_idea(session: Session, idea_id: int, community_id: int) -> SubjectInfo | None:
    found = session.get(Idea, idea_id)
    if found is None or found.community_id != community_id:
        return None
    return SubjectInfo(
        community_id=community_id,
        author_id=found.author_id,
        excerpt=_excerpt(found.title, found.description),
        link=f"/ideas/{found.id}",
        hidden=found.is_hidden,
    )


def _idea_contents(session: Session, idea_ids: Collection[int]) -> dict[int, SubjectContent]:
    return {
        idea.id or 0: SubjectContent(title=idea.title, text=idea.description, posted_at=idea.created_at)
        for idea in session.exec(select(Idea).where(col(Idea.id).in_(idea_ids)))
    }


def _set_idea_hidden(hidden: bool) -> Callable[[Session, int], None]:
    def apply(session: Session, idea_id: int) -> None:
        idea = session.get(Idea, idea_id)
        if idea is not None:
            ideas_service.set_hidden(session, idea=idea, hidden=hidden)

    return apply


# --- profiles --------------------------------------------------------------------------------------------------


def _describe_profile(session: Session, user_id: int, community_id: int) -> SubjectInfo | None:
    found = session.exec(
        select(User)
        .join(Membership, Membership.user_id == User.id)  # type: ignore[arg-type]
        .where(User.id == user_id, Membership.community_id == community_id)
    ).first()
    if found is None:
        return None
    return SubjectInfo(
        community_id=community_id,
        author_id=found.id,
        excerpt=_excerpt(f"{found.display_name} (@{found.handle})", found.bio),
        link=f"/u/{found.handle}",
        hidden=False,
    )


def _profile_contents(session: Session, user_ids: Collection[int]) -> dict[int, SubjectContent]:
    """A profile as members see it: the name and handle, and the bio (Markdown)."""
    return {
        user.id or 0: SubjectContent(title=f"{user.display_name} (@{user.handle})", text=user.bio)
        for user in session.exec(select(User).where(col(User.id).in_(user_ids)))
    }


# --- survey responses ------------------------------------------------------------------------------------------


def _describe_survey_response(session: Session, response_id: int, community_id: int) -> SubjectInfo | None:
    """A response to a brand's survey, in the community it was given in (``SurveyResponse.community_id``).

    Its respondent stays anonymous here as on the results pages, where nobody consented to be named: no author
    (nobody to tell, warn or sanction; hiding the response is the remedy), and no link, as moderators have no page
    of the brand's results; the excerpt carries its free-text answers, the only part anyone can write abuse in.
    """
    response = session.get(SurveyResponse, response_id)
    if response is None or response.community_id != community_id:
        return None
    return SubjectInfo(
        community_id=community_id,
        author_id=None,
        excerpt=survey_response_excerpt(session, response=response),
        link="",
        hidden=response.is_hidden,
    )


def survey_response_excerpt(session: Session, *, response: SurveyResponse) -> str:
    """The survey's title and the response's free-text answers, each after its question."""
    survey = session.get(Survey, response.survey_id)
    assert survey is not None  # a survey's responses go with it
    texts = [
        f"{question.prompt} “{answer.text_value}”"
        for question, answers in surveys_service.get_response_answers(session, response=response)
        for answer in answers
        if answer.text_value
    ]
    return _excerpt(f"Answer to {survey.title}", *texts)


def _survey_response_contents(session: Session, response_ids: Collection[int]) -> dict[int, SubjectContent]:
    """Free-text answers are plain text where the brand's staff read them: never rendered as Markdown."""
    return {
        response.id or 0: SubjectContent(
            title="",
            text=survey_response_excerpt(session, response=response),
            posted_at=response.submitted_at,
            markdown=False,
        )
        for response in session.exec(select(SurveyResponse).where(col(SurveyResponse.id).in_(response_ids)))
    }


def _set_survey_response_hidden(hidden: bool) -> Callable[[Session, int], None]:
    def apply(session: Session, response_id: int) -> None:
        if surveys_service.set_response_hidden(session, response_id=response_id, hidden=hidden):
            campaigns_service.count_response_shown(session, survey_response_id=response_id, shown=not hidden)

    return apply


register(
    SubjectType(
        kind=SubjectKind.design,
        label="design",
        describe=_describe_design,
        hide=_set_design_hidden(True),
        restore=_set_design_hidden(False),
        content=_design_contents,
    )
)
register(
    SubjectType(
        kind=SubjectKind.comment,
        label="comment",
        describe=_describe_comment,
        hide=_set_comment_hidden(True),
        restore=_set_comment_hidden(False),
        announce=lambda session, comment_id: comments_service.announce_comment(session, comment_id=comment_id),
        content=_comment_contents,
    )
)
register(SubjectType(kind=SubjectKind.profile, label="profile", describe=_describe_profile, content=_profile_contents))
register(
    SubjectType(
        kind=SubjectKind.idea,
        label="idea",
        describe=_describe_idea,
        hide=_set_idea_hidden(True),
        restore=_set_idea_hidden(False),
        announce=lambda session, idea_id: ideas_service.announce_idea(session, idea_id=idea_id),
        content=_idea_contents,
    )
)
register(
    SubjectType(
        kind=SubjectKind.survey_response,
        label="survey answer",
        describe=_describe_survey_response,
        hide=_set_survey_response_hidden(True),
        restore=_set_survey_response_hidden(False),
        members_report=False,
        content=_survey_response_contents,
    )
)
