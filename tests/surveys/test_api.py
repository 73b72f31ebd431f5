"""The surveys JSON API: the same services as the pages, with a bearer token as brand systems use it."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts import tokens as accounts_tokens
from app.brands.models import Brand, StaffRole
from tests.factories import add_staff, field_errors, make_brand, make_user


def _token(session: Session, brand: Brand, role: StaffRole = StaffRole.manager) -> dict[str, str]:
    person = make_user(session)
    add_staff(session, brand, person, role)
    _, plain = accounts_tokens.create_api_token(session, user=person, name="crm")
    return {"Authorization": f"Bearer {plain}"}


def test_create_build_answer_and_read_tallies(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    auth = _token(session, brand)
    created = client.post(
        f"/api/v1/brands/{brand.slug}/surveys", json={"title": "Soap", "template": True}, headers=auth
    )
    assert created.status_code == 201
    survey = created.json()
    assert survey["version"] == 1 and len(survey["questions"]) == 7
    codes = {question["code"]: question for question in survey["questions"]}
    assert codes["outcome"]["options"][0] == {"key": "keep", "label": "Keep it as it is"}
    assert codes["recommended_count"]["show_if_question_id"] == codes["recommended"]["id"]

    base = f"/api/v1/surveys/{survey['id']}"
    added = client.post(
        f"{base}/questions",
        json={"kind": "multiple_choice", "prompt": "Where?", "options": [{"label": "Shop"}, {"label": "Online"}]},
        headers=auth,
    )
    assert added.status_code == 201 and [o["key"] for o in added.json()["options"]] == ["shop", "online"]
    answers = {
        str(codes["overall"]["id"]): "5",
        str(codes["outcome"]["id"]): "keep",
        str(codes["recommend_intent"]["id"]): "10",
        str(codes["recommended"]["id"]): "yes",
        str(codes["recommended_count"]["id"]): "4",
        str(added.json()["id"]): ["shop", "online"],
    }
    response = client.post(f"{base}/responses", json={"answers": answers}, headers=auth)
    assert response.status_code == 201
    assert response.json()["survey_version"] == 1 and len(response.json()["answers"]) == 7  # two for the choices
    read = client.get(f"{base}/responses/{response.json()['id']}", headers=auth)
    assert read.json() == response.json()

    # The retired tallies answer with the one JSON of a survey's results, where a single response shows nothing.
    moved = client.get(f"{base}/tallies", headers=auth, follow_redirects=False)
    insights = f"/api/v1/brands/{brand.slug}/surveys/{survey['id']}/insights"
    assert moved.status_code == 308 and moved.headers["location"] == insights
    results = client.get(f"{base}/tallies", headers=auth).json()
    assert results == client.get(insights, headers=auth).json() and results["respondents"] == 1
    questions = {row["code"] or row["prompt"]: row for row in results["questions"]}
    assert questions["overall"]["suppressed"] and questions["overall"]["answered"] is None
    assert questions["overall"]["mean"] is None and questions["Where?"]["options"] == []


def test_bad_answers_get_422_with_errors_per_question(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    auth = _token(session, brand)
    survey = client.post(f"/api/v1/brands/{brand.slug}/surveys", json={"title": "S", "template": True}, headers=auth)
    codes = {question["code"]: question for question in survey.json()["questions"]}
    refused = client.post(
        f"/api/v1/surveys/{survey.json()['id']}/responses",
        json={"answers": {str(codes["overall"]["id"]): "7"}},
        headers=auth,
    )
    assert refused.status_code == 422
    body = refused.json()
    assert body["detail"] == "Please correct the marked answers."
    assert field_errors(refused)[f"q{codes['overall']['id']}"] == "Choose from 1 to 5."
    assert field_errors(refused)[f"q{codes['outcome']['id']}"] == "Please answer this question."


def test_edits_after_responses_follow_the_rules(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    auth = _token(session, brand)
    survey = client.post(f"/api/v1/brands/{brand.slug}/surveys", json={"title": "S"}, headers=auth).json()
    base = f"/api/v1/surveys/{survey['id']}"
    question = client.post(f"{base}/questions", json={"kind": "rating", "prompt": "How good?"}, headers=auth).json()
    assert (
        client.post(f"{base}/responses", json={"answers": {str(question["id"]): "4"}}, headers=auth).status_code == 201
    )
    changed = {"kind": "nps", "prompt": "How good?"}
    refused = client.put(f"{base}/questions/{question['id']}", json=changed, headers=auth)
    assert refused.status_code == 422 and "kind" in field_errors(refused)
    reworded = client.put(
        f"{base}/questions/{question['id']}", json={"kind": "rating", "prompt": "How good is it?"}, headers=auth
    )
    assert reworded.status_code == 200 and reworded.json()["prompt"] == "How good is it?"
    assert client.get(base, headers=auth).json()["version"] == 2
    assert client.delete(f"{base}/questions/{question['id']}", headers=auth).status_code == 204
    assert client.get(base, headers=auth).json()["questions"] == []
    assert client.delete(base, headers=auth).status_code == 409
    (question,) = client.get(f"{base}/tallies", headers=auth).json()["questions"]
    assert question["retired"] is True and question["suppressed"] and question["answered"] is None


def test_move_update_and_delete(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    auth = _token(session, brand)
    survey = client.post(f"/api/v1/brands/{brand.slug}/surveys", json={"title": "S"}, headers=auth).json()
    base = f"/api/v1/surveys/{survey['id']}"
    first = client.post(f"{base}/questions", json={"kind": "text", "prompt": "One"}, headers=auth).json()
    second = client.post(f"{base}/questions", json={"kind": "text", "prompt": "Two"}, headers=auth).json()
    moved = client.post(f"{base}/questions/{second['id']}/move", json={"offset": -1}, headers=auth)
    assert [question["prompt"] for question in moved.json()] == ["Two", "One"]
    assert first["position"] == 1
    renamed = client.patch(base, json={"title": "Better"}, headers=auth)
    assert renamed.json()["title"] == "Better" and renamed.json()["version"] == 1
    listed = client.get(f"/api/v1/brands/{brand.slug}/surveys", headers=auth).json()
    assert [item["title"] for item in listed] == ["Better"]
    assert client.delete(base, headers=auth).status_code == 204
    assert client.get(base, headers=auth).status_code == 404


def test_analysts_read_but_do_not_write_and_other_brands_get_404(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    manager = _token(session, brand)
    analyst = _token(session, brand, StaffRole.analyst)
    outsider = _token(session, make_brand(session))
    survey = client.post(f"/api/v1/brands/{brand.slug}/surveys", json={"title": "S"}, headers=manager).json()
    base = f"/api/v1/surveys/{survey['id']}"
    assert client.get(base, headers=analyst).status_code == 200
    assert client.get(f"{base}/tallies", headers=analyst).status_code == 200  # through the redirect
    assert client.post(f"{base}/questions", json={"kind": "text", "prompt": "?"}, headers=analyst).status_code == 403
    for method, url in (("GET", base), ("GET", f"{base}/tallies"), ("POST", f"{base}/responses")):
        assert client.request(method, url, json={"answers": {}}, headers=outsider).status_code == 404
    assert client.get("/api/v1/surveys/999999", headers=manager).status_code == 404
    assert client.get(base).status_code == 401
