"""The template filters that make stored values read as sentences."""

from app.web.templating import templates


def _render(source: str, **values: object) -> str:
    return templates.env.from_string(source).render(**values)


def test_possessive_and_article_filters() -> None:
    assert _render("{{ name | possessive }} response", name="Northwind") == "Northwind&#39;s response"
    assert _render("{{ name | possessive }} managers", name="Brightleaf Home Testers") == (
        "Brightleaf Home Testers&#39; managers"
    )
    assert _render("Report {{ kind | label | with_article }}", kind="idea") == "Report an idea"
    assert _render("Report {{ kind | label | with_article }}", kind="survey_response") == "Report a survey answer"
    assert _render("{{ name | possessive }}", name="<b>Co</b>") == "&lt;b&gt;Co&lt;/b&gt;&#39;s"  # still escaped
