"""What can be reported: a small registry from a subject kind to how to find, describe, hide and show it.

A domain plugs in with a few lines: ``register(SubjectType(kind=..., describe=..., hide=..., restore=...))``, where
``describe(session, subject_id, community_id)`` answers None for something that is not in that community (or does
not exist), and ``hide``/``restore`` are that domain's own service calls. A kind without ``hide`` cannot be hidden
(a profile: its owner is warned, suspended or banned instead). A kind members never see (a survey response: only the
brand's staff read answers) is not ``members_report``: the members' report form and API answer it as missing.
``announce(session, subject_id)`` tells, once a post held for review is approved, whom posting it would have told.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.campaigns import service as campaigns_service
from app.challenges import service as challenges_service
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
class SubjectType:
    kind: SubjectKind
    label: str
    describe: Callable[[Session, int, int], SubjectInfo | None]
    hide: Callable[[Session, int], None] | None = None
    restore: Callable[[Session, int], None] | None = None
    announce: Callable[[Session, int], None] | None = None
    members_report: bool = True


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


def _set_design_hidden(hidden: bool) -> Callable[[Session, int], None]:
    def apply(session: Session, design_id: int) -> None:
        design = challenges_service.get_design(session, design_id=design_id)
        challenges_service.set_design_hidden(session, design=design, hidden=hidden)

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
    )
)
register(SubjectType(kind=SubjectKind.profile, label="profile", describe=_describe_profile))
register(
    SubjectType(
        kind=SubjectKind.idea,
        label="idea",
        describe=_describe_idea,
        hide=_set_idea_hidden(True),
        restore=_set_idea_hidden(False),
        announce=lambda session, idea_id: ideas_service.announce_idea(session, idea_id=idea_id),
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
    )
)
