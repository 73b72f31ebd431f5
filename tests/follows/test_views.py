"""The follow button on portfolios and design pages (htmx and without JavaScript) and the follows API."""

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from app.follows import service as follows_service
from tests.factories import csrf_token, log_in, make_challenge, make_community, make_design, make_user

HTMX = {"HX-Request": "true"}


def _post(client: TestClient, url: str, data: dict[str, str] | None = None, **kwargs: object) -> Response:
    return client.post(url, data={**(data or {}), "csrftoken": csrf_token(client)}, **kwargs)  # type: ignore[arg-type]


def test_following_from_a_design_page_with_htmx_and_without(client: TestClient, session: Session) -> None:
    designer = make_user(session, display_name="Rosa Marsh")
    design = make_design(session, make_challenge(session, make_community(session)), designer)
    fan = make_user(session)

    visitor_page = client.get(f"/designs/{design.id}")
    assert "0 followers" in visitor_page.text and "Log in to follow" in visitor_page.text
    log_in(client, session, fan)
    page = client.get(f"/designs/{design.id}")
    assert f'action="/u/{designer.handle}/follow"' in page.text and 'aria-pressed="false"' in page.text

    swapped = _post(client, f"/u/{designer.handle}/follow", {"next": f"/designs/{design.id}"}, headers=HTMX)
    assert swapped.status_code == 200 and "<html" not in swapped.text
    assert "1 follower<" in swapped.text and "Following ✓" in swapped.text
    assert f'action="/u/{designer.handle}/unfollow"' in swapped.text
    assert follows_service.is_following(session, follower=fan, designer=designer)

    # Without JavaScript: back to the page the form was on, with a message.
    plain = _post(client, f"/u/{designer.handle}/unfollow", {"next": f"/designs/{design.id}"}, follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == f"/designs/{design.id}"
    assert not follows_service.is_following(session, follower=fan, designer=designer)
    # A next address off the site is not followed.
    away = _post(client, f"/u/{designer.handle}/follow", {"next": "//evil.example.com/"}, follow_redirects=False)
    assert away.headers["location"] == f"/u/{designer.handle}/designs"


def test_the_portfolio_shows_followers_and_no_button_to_oneself(client: TestClient, session: Session) -> None:
    designer = make_user(session)
    for _ in range(2):
        follows_service.follow_designer(session, follower=make_user(session), designer=designer)
    log_in(client, session, designer)
    page = client.get(f"/u/{designer.handle}/designs")
    assert page.status_code == 200 and "2 followers" in page.text
    assert f"/u/{designer.handle}/follow" not in page.text
    refused = _post(client, f"/u/{designer.handle}/follow", headers=HTMX)
    assert refused.status_code == 422 and "You cannot follow yourself." in refused.text
    assert follows_service.follower_count(session, designer=designer) == 2


def test_the_follows_api(client: TestClient, session: Session) -> None:
    designer, fan = make_user(session), make_user(session)
    headers = {"x-csrftoken": csrf_token(client)}
    assert client.put(f"/api/v1/users/{designer.handle}/follow", headers=headers).status_code == 401
    log_in(client, session, fan)
    first = client.put(f"/api/v1/users/{designer.handle}/follow", headers=headers)
    again = client.put(f"/api/v1/users/{designer.handle}/follow", headers=headers)
    assert first.json() == {"designer": designer.handle, "following": True, "follower_count": 1, "changed": True}
    assert again.json()["changed"] is False and again.json()["follower_count"] == 1
    assert client.get("/api/v1/me/follows").json() == [
        {"handle": designer.handle, "display_name": designer.display_name}
    ]
    assert client.get(f"/api/v1/users/{designer.handle}/followers").json() == {
        "designer": designer.handle,
        "follower_count": 1,
    }
    gone = client.delete(f"/api/v1/users/{designer.handle}/follow", headers=headers)
    assert gone.json() == {"designer": designer.handle, "following": False, "follower_count": 0, "changed": True}
    self_follow = client.put(f"/api/v1/users/{fan.handle}/follow", headers=headers)
    assert self_follow.status_code == 422 and self_follow.json() == {"detail": "You cannot follow yourself."}
    assert client.put("/api/v1/users/nobody-here/follow", headers=headers).status_code == 404


def test_the_follow_box_and_the_api_speak_the_members_language(client: TestClient, session: Session) -> None:
    designer = make_user(session, display_name="Rosa Marsh")
    design = make_design(session, make_challenge(session, make_community(session)), designer)
    fan = make_user(session)

    visitor_page = client.get(f"/designs/{design.id}", headers={"Accept-Language": "de"})
    assert "0 Follower" in visitor_page.text and "Anmelden, um zu folgen" in visitor_page.text
    log_in(client, session, fan)
    swapped = _post(client, f"/u/{designer.handle}/follow", headers={**HTMX, "Accept-Language": "es"})
    assert "1 seguidor<" in swapped.text and "Siguiendo ✓" in swapped.text

    log_in(client, session, designer)
    myself = client.put(
        f"/api/v1/users/{designer.handle}/follow",
        headers={"x-csrftoken": csrf_token(client), "Accept-Language": "es"},
    )
    assert myself.status_code == 422 and myself.json()["detail"] == "No puedes seguirte a ti mismo."
