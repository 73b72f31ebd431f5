"""Read a posted survey form (from a survey page, a campaign's share page or the JSON API's multipart variant) into
the values per input name and the photo files, in one place for every route that takes answers."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData, UploadFile

FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class SubmittedAnswers:
    """A posted survey form: the values per input name (a multiple-choice name repeats) and the uploaded files."""

    values: dict[str, list[str]]
    photos: dict[str, UploadFile]

    def single(self, name: str, default: str = "") -> str:
        """The last value sent under ``name`` (a plain field such as "email"), or ``default``."""
        sent = self.values.get(name)
        return sent[-1] if sent else default


def answers_from_form(form: FormData) -> SubmittedAnswers:
    """Text fields become values; a file field counts only when a file was chosen (browsers send an empty part
    with no filename for an empty file input)."""
    values: dict[str, list[str]] = {}
    photos: dict[str, UploadFile] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(name, []).append(value)
        # Starlette's UploadFile, which request.form() makes: FastAPI's is a subclass that no parsed form holds,
        # so testing for it turned every photo away as "Add a photo.".
        elif isinstance(value, UploadFile) and value.filename:
            photos[name] = value
    return SubmittedAnswers(values=values, photos=photos)


async def read_answers(request: Request) -> SubmittedAnswers:
    """A dependency for any page that posts the surveys/_questions.html partial (the campaign page uses it too)."""
    return answers_from_form(await request.form())


Answers = Annotated[SubmittedAnswers, Depends(read_answers)]


def posts_form(request: Request) -> bool:
    """Whether the body is a form (multipart with files, or urlencoded) rather than JSON."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type in FORM_MEDIA_TYPES


def answer_request_body(json_schema: dict[str, Any], *, form_fields: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of an answering endpoint: the JSON body, or the same as multipart/form-data
    with answers under their input names (q<question id>) and a file per photo question."""
    answer_field = {
        "oneOf": [{"type": "string"}, {"type": "string", "format": "binary"}],
        "description": "q<question id>: the value "  # i18n: ignore (OpenAPI text)
        "(repeat the field for each choice of a multiple-choice question), or a PNG, JPEG or WebP file for a photo "
        "question",
    }
    form_schema = {
        "type": "object",
        "properties": form_fields,
        "additionalProperties": answer_field,
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": json_schema},
                "multipart/form-data": {"schema": form_schema},
            },
        }
    }
