"""Reading a posted survey form: the files a browser sends are Starlette's UploadFile, whichever name routes import."""

import io

from starlette.datastructures import FormData, Headers, UploadFile

from app.surveys.submissions import answers_from_form


def test_chosen_files_are_photos_and_empty_file_inputs_are_not() -> None:
    chosen = UploadFile(io.BytesIO(b"\x89PNG"), filename="shelf.png", headers=Headers({"content-type": "image/png"}))
    empty = UploadFile(io.BytesIO(b""), filename="")
    form = FormData([("q1", "red"), ("q1", "green"), ("q2", chosen), ("q3", empty), ("email", "a@example.com")])
    answers = answers_from_form(form)
    assert answers.values == {"q1": ["red", "green"], "email": ["a@example.com"]}
    assert answers.photos == {"q2": chosen}
    assert answers.single("q1") == "green" and answers.single("consent", "false") == "false"
