"""The form partial other pages include: labelled inputs named q<id>, what was typed kept, errors tied to inputs."""

from sqlmodel import Session

from app.surveys import questions as surveys_questions
from app.web.templating import templates
from tests.surveys.factories import add_question, by_code, make_survey
from tests.surveys.html import Node, parse


def _render(**context: object) -> Node:
    return parse(templates.env.get_template("surveys/_questions.html").render(**context))


def test_every_kind_renders_as_labelled_inputs_named_by_question(session: Session) -> None:
    survey = make_survey(session, template=True)
    add_question(session, survey, "multiple_choice", prompt="Which colours?")
    add_question(session, survey, "photo", prompt="Show us where it lives")
    questions = surveys_questions.list_questions(session, survey=survey)
    found = by_code(questions)
    page = _render(questions=questions, values={}, errors={})

    overall = page.find("fieldset", class_="survey-choices survey-rating")
    assert "Overall, how do you like it?" in overall.find("legend").text()
    assert [radio["value"] for radio in overall.find_all("input")] == ["1", "2", "3", "4", "5"]
    assert len(page.find_all("input", name=found["recommend_intent"].input_name)) == 11
    assert [radio["value"] for radio in page.find_all("input", name=found["outcome"].input_name)] == [
        "keep",
        "change_colour",
        "change_price",
        "change_scent",
        "scrap",
    ]
    pay = page.find("input", name=found["pay"].input_name)
    assert pay["inputmode"] == "decimal"
    checkboxes = page.find_all("input", type="checkbox")
    assert len(checkboxes) == 2 and len({box["name"] for box in checkboxes}) == 1
    assert page.find("input", type="file")["accept"] == "image/png,image/jpeg,image/webp"
    labelled_for = {label["for"] for label in page.find_all("label", **{"for": True})}
    for control in [*page.find_all("input"), *page.find_all("textarea")]:
        assert control.ancestor("label") is not None or control["id"] in labelled_for, control.attrs
    for group in page.find_all("fieldset"):
        assert group.find("legend").text()


def test_a_conditional_question_says_when_it_applies(session: Session) -> None:
    survey = make_survey(session, template=True)
    questions = surveys_questions.list_questions(session, survey=survey)
    found = by_code(questions)
    page = _render(questions=questions)
    box = page.find(id=f"{found['recommended_count'].input_name}-question")
    assert box["data-show-if"] == found["recommended"].input_name
    assert box["data-show-values"] == '["yes"]'
    note = box.find(class_="hint condition-note").text()
    assert note == "Only if you answered “Yes” to “Have you recommended it to anyone yet?”."
    assert not box.has("hidden")  # without JavaScript every question shows


def test_typed_values_and_errors_come_back(session: Session) -> None:
    survey = make_survey(session, template=True)
    questions = surveys_questions.list_questions(session, survey=survey)
    found = by_code(questions)
    values = {
        found["overall"].input_name: ["4"],
        found["pay"].input_name: ["lots"],
        found["comments"].input_name: ["<b>bold</b> claim"],
        found["outcome"].input_name: ["scrap"],
    }
    errors = {found["pay"].input_name: "Enter a number from 0 to 10000."}
    html = templates.env.get_template("surveys/_questions.html").render(
        questions=questions, values=values, errors=errors, id_prefix="preview-"
    )
    assert "<b>bold</b>" not in html
    page = parse(html)
    assert page.find("input", name=found["overall"].input_name, value="4").has("checked")
    assert not page.find("input", name=found["overall"].input_name, value="3").has("checked")
    assert page.find("input", name=found["outcome"].input_name, value="scrap").has("checked")
    pay = page.find("input", name=found["pay"].input_name)
    assert (pay["value"], pay["aria-invalid"], pay["id"]) == ("lots", "true", f"preview-{found['pay'].input_name}")
    error = page.find(id=f"preview-{found['pay'].input_name}-error")
    assert error.text() == "Enter a number from 0 to 10000."
    assert error["id"] in pay["aria-describedby"].split()
    assert page.find("textarea", name=found["comments"].input_name).text() == "<b>bold</b> claim"
