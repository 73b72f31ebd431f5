"""A survey's questions in other languages: the brand writes, per question and language, the prompt, the help text
and the option labels; each respondent then reads the question in their language where a translation exists
(``Question.in_language``), else the original.

A translation only rewords: answers keep the option keys, so responses in every language count together in the
results, and a translation never makes a new version of the survey. Any of the site's languages may be written,
English too (for a survey written in another language).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session

from app.columns import utcnow
from app.errors import Conflict, Invalid
from app.i18n import _
from app.i18n.locales import LANGUAGES
from app.surveys.models import Question, Survey
from app.surveys.questions import lock_survey

MAX_PROMPT = 500
MAX_HELP_TEXT = 1000
MAX_OPTION = 200


@dataclass
class TranslationFields:
    """What a manager writes for one language: a blank prompt, help text or option label falls back to the
    original's."""

    prompt: str = ""
    help_text: str = ""
    options: dict[str, str] = field(default_factory=dict)


def translations_of(question: Question) -> dict[str, TranslationFields]:
    """A question's translations by language, in the site's order of languages."""
    found = question.translations or {}
    return {
        language: TranslationFields(
            prompt=found[language].get("prompt", ""),
            help_text=found[language].get("help_text", ""),
            options=dict(found[language].get("options") or {}),
        )
        for language in LANGUAGES
        if language in found
    }


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise Invalid(
            _("Choose one of the languages: %(languages)s.", languages=", ".join(LANGUAGES)),
            fields={"language": _("Choose a language.")},
        )


def set_translation(
    session: Session, *, survey: Survey, question: Question, language: str, fields: TranslationFields
) -> Question:
    """Write (or replace) a question's translation into ``language``; all blank removes it. Options are named by
    their keys; a key the question does not have is refused."""
    _check_language(language)
    lock_survey(session, survey)
    if question.is_retired:
        raise Conflict(_("This question is retired."))
    errors: dict[str, str] = {}
    prompt, help_text = fields.prompt.strip(), fields.help_text.strip()
    if len(prompt) > MAX_PROMPT:
        errors["prompt"] = _("Use at most %(count)s characters.", count=MAX_PROMPT)
    if len(help_text) > MAX_HELP_TEXT:
        errors["help_text"] = _("Use at most %(count)s characters.", count=MAX_HELP_TEXT)
    keys = {option["key"] for option in question.options}
    options: dict[str, str] = {}
    for key, label in fields.options.items():
        if key not in keys:
            errors["options"] = _("“%(key)s” is not an option of this question.", key=key)
        elif len(label.strip()) > MAX_OPTION:
            errors["options"] = _("Keep each option under 200 characters.")
        elif label.strip():
            options[key] = label.strip()
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    translations: dict[str, Any] = dict(question.translations or {})
    if prompt or help_text or options:
        translations[language] = {"prompt": prompt, "help_text": help_text, "options": options}
    else:
        translations.pop(language, None)
    _store(session, survey, question, translations)
    return question


def delete_translation(session: Session, *, survey: Survey, question: Question, language: str) -> Question:
    """Remove a question's translation into ``language`` (its respondents read the original again)."""
    _check_language(language)
    lock_survey(session, survey)
    translations = dict(question.translations or {})
    translations.pop(language, None)
    _store(session, survey, question, translations)
    return question


def _store(session: Session, survey: Survey, question: Question, translations: Mapping[str, Any]) -> None:
    question.translations = dict(translations)
    flag_modified(question, "translations")
    session.add(question)
    survey.updated_at = utcnow()
    session.add(survey)
    session.flush()
