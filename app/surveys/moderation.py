"""Survey responses as moderation sees them: how to describe, load, hide and restore them
(app.moderation.subjects). Members never see one, so members cannot report one: the brand's staff do."""

from collections.abc import Callable, Collection

from sqlmodel import Session, col, select

from app.campaigns import links as campaigns_links
from app.i18n import N_, _
from app.moderation.models import SubjectKind
from app.moderation.subjects import SubjectContent, SubjectInfo, SubjectType, excerpt
from app.surveys import responses as surveys_responses
from app.surveys.models import Survey, SurveyResponse


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
        excerpt=_response_excerpt(session, response=response),
        link="",
        hidden=response.is_hidden,
    )


def _response_excerpt(session: Session, *, response: SurveyResponse) -> str:
    """The survey's title and the response's free-text answers, each after its question."""
    survey = session.get(Survey, response.survey_id)
    assert survey is not None  # a survey's responses go with it
    texts = [
        f"{question.prompt} “{answer.text_value}”"
        for question, answers in surveys_responses.get_response_answers(session, response=response)
        for answer in answers
        if answer.text_value
    ]
    return excerpt(_("Answer to %(title)s", title=survey.title), *texts)


def _survey_response_contents(session: Session, response_ids: Collection[int]) -> dict[int, SubjectContent]:
    """Free-text answers are plain text where the brand's staff read them: never rendered as Markdown."""
    return {
        response.id or 0: SubjectContent(
            title="",
            text=_response_excerpt(session, response=response),
            posted_at=response.submitted_at,
            markdown=False,
        )
        for response in session.exec(select(SurveyResponse).where(col(SurveyResponse.id).in_(response_ids)))
    }


def _set_survey_response_hidden(hidden: bool) -> Callable[[Session, int], None]:
    def apply(session: Session, response_id: int) -> None:
        if surveys_responses.set_response_hidden(session, response_id=response_id, hidden=hidden):
            campaigns_links.count_response_shown(session, survey_response_id=response_id, shown=not hidden)

    return apply


SUBJECT_TYPES = (
    SubjectType(
        kind=SubjectKind.survey_response,
        label=N_("survey answer"),
        describe=_describe_survey_response,
        hide=_set_survey_response_hidden(True),
        restore=_set_survey_response_hidden(False),
        members_report=False,
        content=_survey_response_contents,
    ),
)
