"""HTML pages of the survey builder in a brand's staff area: the list, the builder with its live preview, and the
results per question. Writes from the builder answer htmx with the builder block, browsers with a redirect."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.brands.deps import BrandAccess, brand_access
from app.columns import RowId, id_of
from app.communities import service as communities_service
from app.communities.deps import CommunityAccess, community_access
from app.db import SessionDep
from app.errors import AppError, Invalid
from app.i18n import N_, _
from app.i18n.locales import LANGUAGES
from app.moderation import enforcement
from app.permissions import Action
from app.surveys import answers as surveys_answers
from app.surveys import building as surveys_building
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys import translations as surveys_translations
from app.surveys.deps import SurveyAccess, brand_survey_access
from app.surveys.models import Question, QuestionKind, Survey
from app.surveys.submissions import Answers
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]

KIND_LABELS = {
    QuestionKind.rating: N_("Rating 1-5"),
    QuestionKind.nps: N_("Recommend 0-10 (NPS)"),
    QuestionKind.single_choice: N_("One choice"),
    QuestionKind.multiple_choice: N_("Several choices"),
    QuestionKind.text: N_("Free text"),
    QuestionKind.yes_no: N_("Yes or no"),
    QuestionKind.number: N_("Number"),
    QuestionKind.photo: N_("Photo"),
}
BLANK_OPTION_ROWS = 3


def _surveys_url(brand_slug: str) -> str:
    return f"/brands/{brand_slug}/surveys"


def _survey_url(access: SurveyAccess) -> str:
    return f"/brands/{access.brand.slug}/surveys/{access.survey.id}"


# --- The list and creating ------------------------------------------------------------------------------------


def _list_context(session: Session, access: BrandAccess, form: dict[str, str]) -> dict[str, Any]:
    return {
        "brand": access.brand,
        "access": access,
        "Action": Action,
        "surveys": surveys_building.list_surveys(session, brand=access.brand),
        "form": form,
    }


@router.get("/brands/{brand_slug}/surveys", name="surveys:list")
def list_page(
    request: Request, session: SessionDep, access: BrandAccess = brand_access(Action.view_surveys)
) -> Response:
    return render(request, "surveys/list.html", _list_context(session, access, {"start": "template"}))


@router.post("/brands/{brand_slug}/surveys")
def create(
    request: Request,
    session: SessionDep,
    title: FormText = "",
    description: FormText = "",
    start: FormText = "template",
    access: BrandAccess = brand_access(Action.manage_surveys),
) -> Response:
    form = {"title": title, "description": description, "start": start}
    try:
        survey = surveys_building.create_survey(
            session,
            brand=access.brand,
            title=title,
            description=description,
            author=access.user,
            template=start == "template",
        )
    except AppError as error:
        return form_error(request, session, "surveys/list.html", _list_context(session, access, form), error)
    response = redirect(request, f"{_surveys_url(access.brand.slug)}/{survey.id}")
    flash.add(response, request, _("“%(title)s” is ready to build.", title=survey.title))
    return response


# --- The builder ------------------------------------------------------------------------------------------------


def _controllers(
    questions: Sequence[Question], before: Question | None
) -> list[tuple[Question, list[tuple[str, str]]]]:
    """Questions another may depend on, with their answers: current, earlier than ``before`` (all, for a new one),
    and of a kind with answers to choose from."""
    return [
        (question, surveys_questions.condition_values(question))
        for question in questions
        if surveys_questions.condition_values(question)
        and (before is None or (question.position, question.id or 0) < (before.position, before.id or 0))
    ]


def _form_of(question: Question) -> dict[str, Any]:
    return {
        "kind": question.kind.value,
        "prompt": question.prompt,
        "help_text": question.help_text,
        "required": question.required,
        "code": question.code or "",
        "number_min": surveys_answers.format_number(question.number_min),
        "number_max": surveys_answers.format_number(question.number_max),
        "unit": question.unit,
        "options": [dict(option) for option in question.options],
        "show_if": [f"{question.show_if_question_id}:{value}" for value in question.show_if_values],
    }


def _blank_form() -> dict[str, Any]:
    return {"kind": QuestionKind.single_choice.value, "required": False, "options": [], "show_if": []}


def _builder_context(
    session: Session,
    access: SurveyAccess,
    *,
    form: dict[str, Any] | None = None,
    preview_values: Mapping[str, list[str]] | None = None,
    preview_checked: bool = False,
    survey_form: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    questions = surveys_questions.list_questions(session, survey=access.survey)
    return {
        "brand": access.brand,
        "survey": access.survey,
        "access": access,
        "Action": Action,
        "questions": questions,
        "kinds": {kind: _(label) for kind, label in KIND_LABELS.items()},
        "form": form or _blank_form(),
        "controllers": _controllers(questions, None),
        "blank_rows": BLANK_OPTION_ROWS,
        "preview_values": preview_values or {},
        "preview_checked": preview_checked,
        "survey_form": survey_form or {"title": access.survey.title, "description": access.survey.description},
        "has_photo": any(question.kind == QuestionKind.photo for question in questions),
        "communities": communities_service.list_brand_communities(session, brand=access.brand),
        **extra,
    }


@router.get("/brands/{brand_slug}/surveys/{survey_id}", name="surveys:builder")
def builder_page(
    request: Request, session: SessionDep, access: SurveyAccess = brand_survey_access(Action.view_surveys)
) -> Response:
    return render(request, "surveys/builder.html", _builder_context(session, access), block="builder")


@router.post("/brands/{brand_slug}/surveys/{survey_id}")
def update_survey(
    request: Request,
    session: SessionDep,
    title: FormText = "",
    description: FormText = "",
    access: SurveyAccess = brand_survey_access(Action.manage_surveys),
) -> Response:
    survey_form = {"title": title, "description": description}
    try:
        surveys_building.update_survey(session, survey=access.survey, title=title, description=description)
    except AppError as error:
        context = _builder_context(session, access, survey_form=survey_form)
        return form_error(request, session, "surveys/builder.html", context, error, block="builder")
    return _builder_saved(request, session, access, _("The survey is saved."))


@router.post("/brands/{brand_slug}/surveys/{survey_id}/delete", name="surveys:delete")
def delete_survey(
    request: Request, session: SessionDep, access: SurveyAccess = brand_survey_access(Action.manage_surveys)
) -> Response:
    title = access.survey.title
    try:
        surveys_building.delete_survey(session, survey=access.survey)
    except AppError as error:
        return form_error(request, session, "surveys/builder.html", _builder_context(session, access), error)
    response = redirect(request, _surveys_url(access.brand.slug))
    flash.add(response, request, _("“%(title)s” is deleted.", title=title), "info")
    return response


def _builder_saved(request: Request, session: Session, access: SurveyAccess, message: str) -> Response:
    """After a builder write: htmx gets the builder block again (and a toast); a browser is sent back to it."""
    if is_htmx(request):
        session.refresh(access.survey)
        # The question editor posts from inside a question's row: the answer replaces the whole builder.
        headers = {"HX-Trigger": _toast(message), "HX-Retarget": "#builder", "HX-Reswap": "outerHTML"}
        return render(
            request, "surveys/builder.html", _builder_context(session, access), block="builder", headers=headers
        )
    response = redirect(request, _survey_url(access))
    flash.add(response, request, message)
    return response


def _toast(message: str) -> str:
    return json.dumps({"chorus:toast": {"message": message, "level": "success"}})


# --- Questions ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionForm:
    """The builder's question form as typed: kept whole so a refused form comes back as it was."""

    kind: str
    prompt: str
    help_text: str
    required: bool
    code: str
    number_min: str
    number_max: str
    unit: str
    option_keys: list[str]
    option_labels: list[str]
    show_if: list[str]

    def as_context(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "prompt": self.prompt,
            "help_text": self.help_text,
            "required": self.required,
            "code": self.code,
            "number_min": self.number_min,
            "number_max": self.number_max,
            "unit": self.unit,
            "options": [
                {"key": key, "label": label}
                for key, label in zip(self.option_keys, self.option_labels, strict=False)
                if key or label.strip()
            ],
            "show_if": self.show_if,
        }

    def fields(self) -> surveys_questions.QuestionFields:
        """The service's fields; unreadable numbers and mixed conditions become field errors for it to report."""
        errors: dict[str, str] = {}
        numbers: dict[str, float | None] = {}
        for name in ("number_min", "number_max"):
            raw = getattr(self, name).strip().replace(",", ".")
            try:
                numbers[name] = float(raw) if raw else None
            except ValueError:
                errors[name] = _("Use a number.")
                numbers[name] = None
        controllers: dict[int, list[str]] = {}
        for pair in self.show_if:
            question_id, _sep, value = pair.partition(":")
            if question_id.isdigit() and value:
                controllers.setdefault(int(question_id), []).append(value)
        if len(controllers) > 1:
            errors["show_if_values"] = _("Choose answers of one question only.")
        controller, values = next(iter(controllers.items())) if len(controllers) == 1 else (None, [])
        return surveys_questions.QuestionFields(
            kind=self.kind,
            prompt=self.prompt,
            help_text=self.help_text,
            required=self.required,
            options=[
                {"key": key, "label": label} for key, label in zip(self.option_keys, self.option_labels, strict=False)
            ],
            number_min=numbers["number_min"],
            number_max=numbers["number_max"],
            unit=self.unit,
            show_if_question_id=controller,
            show_if_values=values,
            code=self.code,
            errors=errors,
        )


def _question_form(
    kind: FormText = "",
    prompt: FormText = "",
    help_text: FormText = "",
    required: FormText = "",
    code: FormText = "",
    number_min: FormText = "",
    number_max: FormText = "",
    unit: FormText = "",
    option_key: Annotated[list[str] | None, Form()] = None,
    option_label: Annotated[list[str] | None, Form()] = None,
    show_if: Annotated[list[str] | None, Form()] = None,
) -> QuestionForm:
    return QuestionForm(
        kind=kind,
        prompt=prompt,
        help_text=help_text,
        required=bool(required),
        code=code,
        number_min=number_min,
        number_max=number_max,
        unit=unit,
        option_keys=option_key or [],
        option_labels=option_label or [],
        show_if=show_if or [],
    )


PostedQuestion = Annotated[QuestionForm, Depends(_question_form)]


@router.post("/brands/{brand_slug}/surveys/{survey_id}/questions", name="surveys:add_question")
def add_question(
    request: Request,
    session: SessionDep,
    posted: PostedQuestion,
    access: SurveyAccess = brand_survey_access(Action.manage_surveys),
) -> Response:
    try:
        surveys_questions.add_question(session, survey=access.survey, fields=posted.fields())
    except AppError as error:
        context = _builder_context(session, access, form=posted.as_context())
        return form_error(request, session, "surveys/builder.html", context, error, block="builder")
    return _builder_saved(request, session, access, _("The question is added."))


def _editor_context(session: Session, access: SurveyAccess, question: Question, form: dict[str, Any]) -> dict[str, Any]:
    questions = surveys_questions.list_questions(session, survey=access.survey)
    return {
        "brand": access.brand,
        "survey": access.survey,
        "access": access,
        "question": question,
        "kinds": {kind: _(label) for kind, label in KIND_LABELS.items()},
        "form": form,
        "controllers": _controllers(questions, question),
        "blank_rows": BLANK_OPTION_ROWS,
    }


@router.get("/brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}/edit", name="surveys:edit_question")
def edit_question_page(
    request: Request,
    question_id: RowId,
    session: SessionDep,
    access: SurveyAccess = brand_survey_access(Action.manage_surveys),
) -> Response:
    question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
    context = _editor_context(session, access, question, _form_of(question))
    return render(request, "surveys/question_edit.html", context, block="editor")


@router.post("/brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}", name="surveys:update_question")
def update_question(
    request: Request,
    question_id: RowId,
    session: SessionDep,
    posted: PostedQuestion,
    access: SurveyAccess = brand_survey_access(Action.manage_surveys),
) -> Response:
    question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
    try:
        surveys_questions.update_question(session, survey=access.survey, question=question, fields=posted.fields())
    except AppError as error:
        session.rollback()
        question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
        context = _editor_context(session, access, question, posted.as_context())
        return form_error(request, session, "surveys/question_edit.html", context, error, block="editor")
    return _builder_saved(request, session, access, _("The question is saved."))


@router.post("/brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}/retire", name="surveys:retire_question")
def retire_question(
    request: Request,
    question_id: RowId,
    session: SessionDep,
    access: SurveyAccess = brand_survey_access(Action.manage_surveys),
) -> Response:
    question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
    try:
        surveys_questions.retire_question(session, survey=access.survey, question=question)
    except AppError as error:
        context = _builder_context(session, access)
        return form_error(request, session, "surveys/builder.html", context, error, block="builder")
    return _builder_saved(request, session, access, _("The question is removed."))


@router.post("/brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}/move", name="surveys:move_question")
def move_question(
    request: Request,
    question_id: RowId,
    session: SessionDep,
    direction: FormText = "",
    access: SurveyAccess = brand_survey_access(Action.manage_surveys),
) -> Response:
    question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
    try:
        if direction not in ("up", "down"):
            raise Invalid(_("Move a question up or down."))
        offset = -1 if direction == "up" else 1
        surveys_questions.move_question(session, survey=access.survey, question=question, offset=offset)
    except AppError as error:
        context = _builder_context(session, access)
        return form_error(request, session, "surveys/builder.html", context, error, block="builder")
    return _builder_saved(request, session, access, _("The order is saved."))


# --- Translations: a question in other languages -----------------------------------------------------------------


def _translations_context(
    session: Session,
    access: SurveyAccess,
    question: Question,
    *,
    language: str = "",
    form: surveys_translations.TranslationFields | None = None,
) -> dict[str, Any]:
    """The question's translation forms, one per language; ``language``'s shows ``form`` (as typed, refused)."""
    written = surveys_translations.translations_of(question)
    texts = {code: written.get(code, surveys_translations.TranslationFields()) for code in LANGUAGES}
    if language in texts and form is not None:
        texts[language] = form
    return {
        "brand": access.brand,
        "survey": access.survey,
        "access": access,
        "question": question,
        "languages": LANGUAGES,
        "texts": texts,
        "written": written,
        "failed_language": language,
    }


def _translations_url(access: SurveyAccess, question: Question) -> str:
    return f"{_survey_url(access)}/questions/{question.id}/translations"


@router.get(
    "/brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}/translations", name="surveys:translations"
)
def translations_page(
    request: Request,
    question_id: RowId,
    session: SessionDep,
    access: SurveyAccess = brand_survey_access(Action.manage_surveys),
) -> Response:
    question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
    context = _translations_context(session, access, question)
    return render(request, "surveys/translations.html", context, block="translations")


def _translations_saved(
    request: Request, session: Session, access: SurveyAccess, question: Question, message: str
) -> Response:
    """After a translation is written or removed: htmx gets the translations again (and a toast); a browser is
    sent back to them."""
    if is_htmx(request):
        context = _translations_context(session, access, question)
        headers = {"HX-Trigger": _toast(message)}
        return render(request, "surveys/translations.html", context, block="translations", headers=headers)
    response = redirect(request, _translations_url(access, question))
    flash.add(response, request, message)
    return response


@router.post(
    "/brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}/translations/{language}",
    name="surveys:save_translation",
)
def save_translation(
    request: Request,
    question_id: RowId,
    language: str,
    session: SessionDep,
    prompt: FormText = "",
    help_text: FormText = "",
    option_key: Annotated[list[str] | None, Form()] = None,
    option_label: Annotated[list[str] | None, Form()] = None,
    access: SurveyAccess = brand_survey_access(Action.manage_surveys),
) -> Response:
    question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
    fields = surveys_translations.TranslationFields(
        prompt=prompt,
        help_text=help_text,
        options=dict(zip(option_key or [], option_label or [], strict=False)),
    )
    try:
        surveys_translations.set_translation(
            session, survey=access.survey, question=question, language=language, fields=fields
        )
    except AppError as error:
        question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
        context = _translations_context(session, access, question, language=language, form=fields)
        return form_error(request, session, "surveys/translations.html", context, error, block="translations")
    name = LANGUAGES[language]
    return _translations_saved(request, session, access, question, _("The %(language)s text is saved.", language=name))


@router.post(
    "/brands/{brand_slug}/surveys/{survey_id}/questions/{question_id}/translations/{language}/delete",
    name="surveys:delete_translation",
)
def delete_translation(
    request: Request,
    question_id: RowId,
    language: str,
    session: SessionDep,
    access: SurveyAccess = brand_survey_access(Action.manage_surveys),
) -> Response:
    question = surveys_questions.get_question(session, survey=access.survey, question_id=question_id)
    try:
        surveys_translations.delete_translation(session, survey=access.survey, question=question, language=language)
    except AppError as error:
        context = _translations_context(session, access, question)
        return form_error(request, session, "surveys/translations.html", context, error, block="translations")
    name = LANGUAGES[language]
    return _translations_saved(
        request, session, access, question, _("The %(language)s text is removed.", language=name)
    )


# --- The preview: the real form, checked but never stored --------------------------------------------------------


@router.post("/brands/{brand_slug}/surveys/{survey_id}/preview", name="surveys:preview")
def preview(
    request: Request,
    session: SessionDep,
    answers: Answers,
    access: SurveyAccess = brand_survey_access(Action.view_surveys),
) -> Response:
    survey: Survey = access.survey
    questions = surveys_questions.list_questions(session, survey=survey)
    try:
        surveys_answers.parse_answers(survey, questions, answers.values, photo_names=answers.photos.keys())
    except Invalid as error:
        context = _builder_context(session, access, preview_values=answers.values, preview_checked=True)
        return form_error(request, session, "surveys/builder.html", context, error, block="preview")
    context = _builder_context(session, access, preview_values=answers.values, preview_checked=True)
    return render(request, "surveys/builder.html", context, block="preview")


# --- Results ------------------------------------------------------------------------------------------------


@router.get("/brands/{brand_slug}/surveys/{survey_id}/results", name="surveys:results")
def results_page(access: SurveyAccess = brand_survey_access(Action.view_surveys)) -> Response:
    """Retired: a survey has one results page, the insights one; old links and bookmarks land there (308)."""
    return RedirectResponse(f"/brands/{access.brand.slug}/surveys/{access.survey.id}/insights", status_code=308)


# --- Publishing to a community, and its members answering ------------------------------------------------------


@router.post("/brands/{brand_slug}/surveys/{survey_id}/publish", name="surveys:publish")
def publish(
    request: Request,
    session: SessionDep,
    community: FormText = "",
    access: SurveyAccess = brand_survey_access(Action.manage_surveys),
) -> Response:
    try:
        target = None
        if community:
            target = session.exec(communities_service.select_community_by_slug(community)).first()
            if target is None:
                raise Invalid(
                    _("Choose one of the brand's communities."), fields={"community": _("Choose a community.")}
                )
        surveys_building.publish_survey(session, survey=access.survey, community=target)
    except AppError as error:
        context = _builder_context(session, access)
        return form_error(request, session, "surveys/builder.html", context, error, block="builder")
    message = (
        _("Published to %(community)s: its members can answer it.", community=target.name)
        if target
        else _("The survey is withdrawn.")
    )
    return _builder_saved(request, session, access, message)


@router.get("/c/{community_slug}/surveys", name="surveys:community_list")
def community_surveys(
    request: Request, session: SessionDep, access: CommunityAccess = community_access(Action.read_community_surveys)
) -> Response:
    surveys = surveys_building.list_community_surveys(session, community=access.community)
    answered = {
        survey.id for survey in surveys if surveys_responses.has_answered(session, survey=survey, user=access.user)
    }
    context = {"community": access.community, "surveys": surveys, "answered": answered}
    return render(request, "surveys/community_list.html", context)


def _answer_refusal(session: Session, access: CommunityAccess) -> str:
    if access.user is None:
        return ""
    sanction = enforcement.find_active_sanction(
        session, community_id=id_of(access.community), user_id=id_of(access.user)
    )
    return enforcement.sanction_message(sanction, access.community.name) if sanction is not None else ""


def _answer_context(session: Session, access: CommunityAccess, survey: Survey, **extra: Any) -> dict[str, Any]:
    questions = surveys_questions.list_questions(session, survey=survey)
    return {
        "community": access.community,
        "survey": survey,
        "questions": questions,
        "has_photo": any(question.kind == QuestionKind.photo for question in questions),
        "answered": surveys_responses.has_answered(session, survey=survey, user=access.user),
        # A suspended or banned member reads the survey but may not answer it: say why instead of a form that fails.
        "refusal": _answer_refusal(session, access),
        "values": {},
        **extra,
    }


@router.get("/c/{community_slug}/surveys/{survey_id}", name="surveys:answer")
def answer_page(
    request: Request,
    survey_id: RowId,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.read_community_surveys),
) -> Response:
    survey = surveys_building.get_community_survey(session, community=access.community, survey_id=survey_id)
    return render(request, "surveys/answer.html", _answer_context(session, access, survey))


@router.post("/c/{community_slug}/surveys/{survey_id}")
def answer(
    request: Request,
    survey_id: RowId,
    session: SessionDep,
    answers: Answers,
    access: CommunityAccess = community_access(Action.answer_survey),
) -> Response:
    assert access.user is not None  # answer_survey is for members, who are logged in
    survey = surveys_building.get_community_survey(session, community=access.community, survey_id=survey_id)
    try:
        surveys_responses.answer_community_survey(
            session,
            survey=survey,
            community=access.community,
            member=access.user,
            form=answers.values,
            photos=answers.photos,
        )
    except AppError as error:
        context = _answer_context(session, access, survey, values=answers.values)
        return form_error(request, session, "surveys/answer.html", context, error)
    response = redirect(request, f"/c/{access.community.slug}/surveys/{survey.id}")
    flash.add(response, request, _("Thank you: your answers are in."))
    return response
