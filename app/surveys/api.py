"""JSON API for surveys: the same services as the pages."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app.brands.deps import BrandAccess, brand_access
from app.columns import RowId, id_of
from app.communities import service as communities_service
from app.communities.deps import CommunityAccess, community_access
from app.db import SessionDep
from app.permissions import Action
from app.surveys import building as surveys_building
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys import schemas
from app.surveys import translations as surveys_translations
from app.surveys.deps import SurveyAccess, survey_access
from app.surveys.models import Survey, SurveyResponse
from app.surveys.submissions import SubmittedAnswers, answer_request_body, posts_form, read_answers
from app.web.requests import read_json

router = APIRouter(tags=["surveys"])


def _detail(session: Session, survey: Survey, brand_slug: str) -> schemas.SurveyDetail:
    return schemas.SurveyDetail(
        **schemas.SurveyPublic.model_validate(survey).model_dump(),
        brand_slug=brand_slug,
        questions=[
            schemas.QuestionPublic.model_validate(question)
            for question in surveys_questions.list_questions(session, survey=survey)
        ],
    )


def _fields(body: schemas.QuestionWrite) -> surveys_questions.QuestionFields:
    return surveys_questions.QuestionFields(
        kind=body.kind,
        prompt=body.prompt,
        help_text=body.help_text,
        required=body.required,
        options=[option.model_dump() for option in body.options],
        number_min=body.number_min,
        number_max=body.number_max,
        unit=body.unit,
        show_if_question_id=body.show_if_question_id,
        show_if_values=body.show_if_values,
        code=body.code,
    )


@router.get("/brands/{brand_slug}/surveys", response_model=list[schemas.SurveyPublic], summary="A brand's surveys")
def list_surveys(
    session: SessionDep, access: BrandAccess = brand_access(Action.view_surveys)
) -> list[schemas.SurveyPublic]:
    return [schemas.SurveyPublic.model_validate(s) for s in surveys_building.list_surveys(session, brand=access.brand)]


@router.post(
    "/brands/{brand_slug}/surveys",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.SurveyDetail,
    summary="Create a survey, blank or from the product template",
)
def create_survey(
    body: schemas.SurveyCreate, session: SessionDep, access: BrandAccess = brand_access(Action.manage_surveys)
) -> schemas.SurveyDetail:
    survey = surveys_building.create_survey(
        session,
        brand=access.brand,
        title=body.title,
        description=body.description,
        author=access.user,
        template=body.template,
    )
    return _detail(session, survey, access.brand.slug)


@router.get("/surveys/{survey_id}", response_model=schemas.SurveyDetail, summary="A survey and its current questions")
def get_survey(session: SessionDep, access: SurveyAccess = survey_access(Action.view_surveys)) -> schemas.SurveyDetail:
    return _detail(session, access.survey, access.brand.slug)


@router.patch("/surveys/{survey_id}", response_model=schemas.SurveyDetail, summary="Retitle or redescribe a survey")
def update_survey(
    body: schemas.SurveyUpdate, session: SessionDep, access: SurveyAccess = survey_access(Action.manage_surveys)
) -> schemas.SurveyDetail:
    surveys_building.update_survey(session, survey=access.survey, title=body.title, description=body.description)
    return _detail(session, access.survey, access.brand.slug)


@router.delete(
    "/surveys/{survey_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a survey nobody has answered"
)
def delete_survey(session: SessionDep, access: SurveyAccess = survey_access(Action.manage_surveys)) -> Response:
    surveys_building.delete_survey(session, survey=access.survey)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/surveys/{survey_id}/questions",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.QuestionPublic,
    summary="Add a question at the end (after responses: a new version)",
)
def add_question(
    body: schemas.QuestionWrite, session: SessionDep, access: SurveyAccess = survey_access(Action.manage_surveys)
) -> schemas.QuestionPublic:
    question = surveys_questions.add_question(session, survey=access.survey, fields=_fields(body))
    return schemas.QuestionPublic.model_validate(question)


@router.put(
    "/surveys/{survey_id}/questions/{question_id}",
    response_model=schemas.QuestionPublic,
    summary="Change a question (after responses: only additive or rewording edits)",
)
def update_question(
    question_id: RowId,
    body: schemas.QuestionWrite,
    session: SessionDep,
    access: SurveyAccess = survey_access(Action.manage_surveys),
) -> schemas.QuestionPublic:
    question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
    surveys_questions.update_question(session, survey=access.survey, question=question, fields=_fields(body))
    return schemas.QuestionPublic.model_validate(question)


@router.delete(
    "/surveys/{survey_id}/questions/{question_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a question (deleted before responses, retired after)",
)
def retire_question(
    question_id: RowId, session: SessionDep, access: SurveyAccess = survey_access(Action.manage_surveys)
) -> Response:
    question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
    surveys_questions.retire_question(session, survey=access.survey, question=question)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/surveys/{survey_id}/questions/{question_id}/move",
    response_model=list[schemas.QuestionPublic],
    summary="Move a question up or down; answers the new order",
)
def move_question(
    question_id: RowId,
    body: schemas.QuestionMove,
    session: SessionDep,
    access: SurveyAccess = survey_access(Action.manage_surveys),
) -> list[schemas.QuestionPublic]:
    question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
    questions = surveys_questions.move_question(session, survey=access.survey, question=question, offset=body.offset)
    return [schemas.QuestionPublic.model_validate(item) for item in questions]


def _translation_fields(body: schemas.QuestionTranslation) -> surveys_translations.TranslationFields:
    return surveys_translations.TranslationFields(prompt=body.prompt, help_text=body.help_text, options=body.options)


@router.get(
    "/surveys/{survey_id}/questions/{question_id}/translations",
    response_model=dict[str, schemas.QuestionTranslation],
    summary="A question's translations, by language",
)
def list_translations(
    question_id: RowId, session: SessionDep, access: SurveyAccess = survey_access(Action.view_surveys)
) -> dict[str, schemas.QuestionTranslation]:
    question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
    return {
        language: schemas.QuestionTranslation.model_validate(translation)
        for language, translation in surveys_translations.translations_of(question).items()
    }


@router.put(
    "/surveys/{survey_id}/questions/{question_id}/translations/{language}",
    response_model=schemas.QuestionPublic,
    summary="Write a question's translation into a language (en, es, de); all blank removes it",
    description="Respondents reading that language see the translated prompt, help text and option labels; a "
    "blank part or an option left out shows the original's. Answers stay option keys, so the results count every "
    "language together; a translation never makes a new version.",
)
def put_translation(
    question_id: RowId,
    language: str,
    body: schemas.QuestionTranslation,
    session: SessionDep,
    access: SurveyAccess = survey_access(Action.manage_surveys),
) -> schemas.QuestionPublic:
    question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
    surveys_translations.set_translation(
        session, survey=access.survey, question=question, language=language, fields=_translation_fields(body)
    )
    return schemas.QuestionPublic.model_validate(question)


@router.delete(
    "/surveys/{survey_id}/questions/{question_id}/translations/{language}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a question's translation into a language",
)
def delete_translation(
    question_id: RowId,
    language: str,
    session: SessionDep,
    access: SurveyAccess = survey_access(Action.manage_surveys),
) -> Response:
    question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
    surveys_translations.delete_translation(session, survey=access.survey, question=question, language=language)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/surveys/{survey_id}/tallies",
    status_code=308,
    response_class=RedirectResponse,
    deprecated=True,
    summary="Retired: moved to a survey's insights, where small groups are hidden (308)",
    description="Redirects to GET /api/v1/brands/{brand_slug}/surveys/{survey_id}/insights, the one JSON of a survey's "
    "results: the same figures as its page and CSV, with every group of fewer than 5 people hidden.",
)
def tallies(access: SurveyAccess = survey_access(Action.view_surveys)) -> RedirectResponse:
    return RedirectResponse(f"/api/v1/brands/{access.brand.slug}/surveys/{access.survey.id}/insights", status_code=308)


def _form(body: schemas.ResponseCreate) -> dict[str, list[str]]:
    """The JSON answers as the form a page would post (input names q<question id>)."""
    return {
        f"q{question_id}": [value] if isinstance(value, str) else value for question_id, value in body.answers.items()
    }


async def _submitted(request: Request) -> SubmittedAnswers:
    """The answers as JSON, or as the form a survey page posts (multipart/form-data, with a file per photo)."""
    if posts_form(request):
        return await read_answers(request)
    return SubmittedAnswers(values=_form(await read_json(request, schemas.ResponseCreate)), photos={})


Submitted = Annotated[SubmittedAnswers, Depends(_submitted)]
RESPONSE_BODY = answer_request_body(schemas.ResponseCreate.model_json_schema(), form_fields={})
TAKES_PHOTOS = (  # OpenAPI text
    " Photo answers need multipart/form-data: "  # i18n: ignore
    "each answer as a q<question id> field, a photo as a file (PNG, JPEG or WebP, within the upload limits); 422 "
    "names each refused answer and nothing is stored then."
)


def _response(session: Session, response: SurveyResponse) -> schemas.ResponsePublic:
    answers = surveys_responses.get_response_answers(session, response=response)
    return schemas.ResponsePublic(
        id=id_of(response),
        survey_id=response.survey_id,
        survey_version=response.survey_version,
        submitted_at=response.submitted_at,
        hidden=response.is_hidden,
        answers=[schemas.AnswerPublic.model_validate(answer) for _, rows in answers for answer in rows],
    )


@router.post(
    "/surveys/{survey_id}/responses",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.ResponsePublic,
    summary="Record a response collected by the brand's own systems (anonymous)",
    description="JSON, or multipart/form-data." + TAKES_PHOTOS,
    openapi_extra=RESPONSE_BODY,
)
def record_response(
    submitted: Submitted, session: SessionDep, access: SurveyAccess = survey_access(Action.manage_surveys)
) -> schemas.ResponsePublic:
    response = surveys_responses.record_response(
        session, survey=access.survey, form=submitted.values, photos=submitted.photos
    )
    return _response(session, response)


@router.get(
    "/surveys/{survey_id}/responses/{response_id}",
    response_model=schemas.ResponsePublic,
    summary="One response, whichever version of the survey it answered",
)
def get_response(
    response_id: RowId, session: SessionDep, access: SurveyAccess = survey_access(Action.view_surveys)
) -> schemas.ResponsePublic:
    return _response(session, surveys_responses.get_response(session, survey=access.survey, response_id=response_id))


@router.put(
    "/surveys/{survey_id}/community",
    response_model=schemas.SurveyDetail,
    summary="Publish a survey to one of the brand's communities (null withdraws it)",
)
def publish_survey(
    body: schemas.SurveyPublication, session: SessionDep, access: SurveyAccess = survey_access(Action.manage_surveys)
) -> schemas.SurveyDetail:
    community = None
    if body.community_slug is not None:
        community = communities_service.get_community_by_slug(session, slug=body.community_slug)
    surveys_building.publish_survey(session, survey=access.survey, community=community)
    return _detail(session, access.survey, access.brand.slug)


@router.get(
    "/communities/{community_slug}/surveys",
    response_model=list[schemas.CommunitySurvey],
    summary="The surveys published to a community (members)",
)
def list_community_surveys(
    session: SessionDep, access: CommunityAccess = community_access(Action.read_community_surveys)
) -> list[schemas.CommunitySurvey]:
    return [
        _community_survey(session, survey, access)
        for survey in surveys_building.list_community_surveys(session, community=access.community)
    ]


def _community_survey(session: Session, survey: Survey, access: CommunityAccess) -> schemas.CommunitySurvey:
    return schemas.CommunitySurvey(
        id=id_of(survey),
        title=survey.title,
        description=survey.description,
        answered=surveys_responses.has_answered(session, survey=survey, user=access.user),
        questions=[
            schemas.QuestionPublic.model_validate(question)
            for question in surveys_questions.list_questions(session, survey=survey)
        ],
    )


@router.post(
    "/communities/{community_slug}/surveys/{survey_id}/responses",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.ResponsePublic,
    summary="Answer a survey published to one's community (once)",
    description="JSON, or multipart/form-data." + TAKES_PHOTOS,
    openapi_extra=RESPONSE_BODY,
)
def answer_community_survey(
    survey_id: RowId,
    submitted: Submitted,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.answer_survey),
) -> schemas.ResponsePublic:
    assert access.user is not None  # answer_survey is for members, who are logged in
    survey = surveys_building.get_community_survey(session, community=access.community, survey_id=survey_id)
    response = surveys_responses.answer_community_survey(
        session,
        survey=survey,
        community=access.community,
        member=access.user,
        form=submitted.values,
        photos=submitted.photos,
    )
    return _response(session, response)
