"""The thread on the design page (full page, htmx fragment, no-JS posts), sanitising, and the comments API."""

from datetime import timedelta

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from app.accounts.models import User
from app.brands.models import Brand, StaffRole
from app.challenges.models import Design
from app.columns import utcnow
from app.comments.models import Comment
from app.communities.models import Community, MemberRole, Visibility
from tests.factories import (
    add_member,
    add_staff,
    csrf_token,
    log_in,
    make_brand,
    make_challenge,
    make_comment,
    make_community,
    make_design,
    make_user,
)

HTMX = {"HX-Request": "true"}


def _post(client: TestClient, url: str, data: dict[str, str] | None = None, **kwargs: object) -> Response:
    return client.post(url, data={**(data or {}), "csrftoken": csrf_token(client)}, **kwargs)  # type: ignore[arg-type]


def _scene(session: Session, **community: object) -> tuple[Community, Design, User, User]:
    place = make_community(session, **community)
    designer, member = make_user(session), make_user(session)
    add_member(session, place, designer)
    add_member(session, place, member)
    design = make_design(session, make_challenge(session, place, phase="scoring"), designer)
    return place, design, designer, member


def test_design_page_shows_the_thread_with_forms(client: TestClient, session: Session) -> None:
    _place, design, designer, member = _scene(session)
    root = make_comment(session, design, member, body="Love the **waves**")
    make_comment(session, design, designer, parent=root, body="Thank you")
    log_in(client, session, member)
    page = client.get(f"/designs/{design.id}")
    assert page.status_code == 200
    assert 'id="comments"' in page.text
    assert "<strong>waves</strong>" in page.text and "Thank you" in page.text
    assert f'name="parent_id" value="{root.id}"' in page.text
    assert "Add a comment" in page.text
    # A visitor reads the thread, with no forms.
    client.cookies.clear()
    public = client.get(f"/designs/{design.id}")
    assert "Thank you" in public.text and "Add a comment" not in public.text and "Log in to comment" in public.text


def test_the_rendered_thread_is_sanitised(client: TestClient, session: Session) -> None:
    _place, design, _designer, member = _scene(session)
    log_in(client, session, member)
    body = (
        "<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror=alert(3)> [ok](https://example.com)"
    )
    response = _post(client, f"/designs/{design.id}/comments", {"body": body}, headers=HTMX)
    assert response.status_code == 200
    assert "<script" not in response.text
    # Shown as text at most (the edit form's textarea holds the escaped source), never as a link or an element.
    assert 'href="javascript' not in response.text.lower()
    assert "<img" not in response.text
    assert 'href="https://example.com"' in response.text and 'rel="nofollow ugc noopener"' in response.text


def test_posting_htmx_gets_the_fragment_and_no_js_a_redirect(client: TestClient, session: Session) -> None:
    _place, design, _designer, member = _scene(session)
    log_in(client, session, member)
    fragment = _post(client, f"/designs/{design.id}/comments", {"body": "Fragment please"}, headers=HTMX)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith("<section") and "<html" not in fragment.text
    assert "Fragment please" in fragment.text

    plain = _post(client, f"/designs/{design.id}/comments", {"body": "Whole page"}, follow_redirects=False)
    assert plain.status_code == 303
    assert plain.headers["location"].startswith(f"/designs/{design.id}#comment-")
    page = client.get(f"/designs/{design.id}")
    assert "<html" in page.text and "Whole page" in page.text


def test_replies_and_errors_on_the_page(client: TestClient, session: Session) -> None:
    _place, design, _designer, member = _scene(session)
    root = make_comment(session, design, member)
    log_in(client, session, member)
    replied = _post(
        client, f"/designs/{design.id}/comments", {"body": "A reply", "parent_id": str(root.id)}, headers=HTMX
    )
    assert 'class="comment-replies"' in replied.text and "A reply" in replied.text
    empty_htmx = _post(client, f"/designs/{design.id}/comments", {"body": " "}, headers=HTMX)
    assert empty_htmx.status_code == 422
    assert "Write something first." in empty_htmx.text and "<html" not in empty_htmx.text
    empty_page = _post(client, f"/designs/{design.id}/comments", {"body": " "})
    assert empty_page.status_code == 422 and "<html" in empty_page.text and "Write something first." in empty_page.text


def test_edit_and_delete_from_the_page(client: TestClient, session: Session) -> None:
    _place, design, _designer, member = _scene(session)
    comment = make_comment(session, design, member, body="Typo hree")
    log_in(client, session, member)
    edited = _post(client, f"/comments/{comment.id}/edit", {"body": "Typo here"}, headers=HTMX)
    assert edited.status_code == 200 and "Typo here" in edited.text and "edited" in edited.text
    deleted = _post(client, f"/comments/{comment.id}/delete", follow_redirects=False)
    assert deleted.status_code == 303
    page = client.get(f"/designs/{design.id}")
    assert "comment deleted" in page.text and "Typo here" not in page.text
    assert f'name="parent_id" value="{comment.id}"' not in page.text  # nothing to reply to


def test_edit_after_the_window_is_refused(client: TestClient, session: Session) -> None:
    _place, design, _designer, member = _scene(session)
    comment = make_comment(session, design, member, body="Old", created_at=utcnow() - timedelta(minutes=20))
    log_in(client, session, member)
    page = client.get(f"/designs/{design.id}")
    assert f'action="/comments/{comment.id}/edit"' not in page.text
    response = client.patch(
        f"/api/v1/comments/{comment.id}", json={"body": "New"}, headers={"x-csrftoken": csrf_token(client)}
    )
    assert response.status_code == 409


def test_delete_rights_over_http(client: TestClient, session: Session) -> None:
    place, design, designer, member = _scene(session, visibility=Visibility.invite_only)
    headers = {"x-csrftoken": csrf_token(client)}
    moderator = make_user(session)
    add_member(session, place, moderator, MemberRole.moderator)
    other_brand_manager = make_user(session)
    add_staff(session, make_brand(session), other_brand_manager, StaffRole.manager)

    first, second = make_comment(session, design, member), make_comment(session, design, member)
    # Another member: 403 (they are inside the community); another brand's staff: 404 (they cannot see it).
    log_in(client, session, designer)
    assert client.delete(f"/api/v1/comments/{first.id}", headers=headers).status_code == 403
    log_in(client, session, other_brand_manager)
    assert client.delete(f"/api/v1/comments/{first.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/designs/{design.id}/comments").status_code == 404
    assert session.get(Comment, first.id).deleted_at is None  # type: ignore[union-attr]
    # The author and a moderator may.
    log_in(client, session, member)
    assert client.delete(f"/api/v1/comments/{first.id}", headers=headers).status_code == 204
    log_in(client, session, moderator)
    assert client.delete(f"/api/v1/comments/{second.id}", headers=headers).status_code == 204
    # And the brand's own managers, who are not members.
    third = make_comment(session, design, member)
    manager = make_user(session)
    brand = session.get(Brand, place.brand_id)
    assert brand is not None
    add_staff(session, brand, manager, StaffRole.manager)
    log_in(client, session, manager)
    assert client.delete(f"/api/v1/comments/{third.id}", headers=headers).status_code == 204


def test_comments_api(client: TestClient, session: Session) -> None:
    _place, design, designer, member = _scene(session)
    headers = {"x-csrftoken": csrf_token(client)}
    log_in(client, session, member)
    created = client.post(f"/api/v1/designs/{design.id}/comments", json={"body": "Nice *lines*"}, headers=headers)
    assert created.status_code == 201, created.text
    root = created.json()
    assert root["body"] == "Nice *lines*" and root["parent_id"] is None and root["author_handle"] == member.handle

    log_in(client, session, designer)
    reply = client.post(
        f"/api/v1/designs/{design.id}/comments", json={"body": "Ta", "parent_id": root["id"]}, headers=headers
    )
    assert reply.status_code == 201 and reply.json()["parent_id"] == root["id"]
    assert client.patch(f"/api/v1/comments/{root['id']}", json={"body": "Mine"}, headers=headers).status_code == 403

    log_in(client, session, member)
    patched = client.patch(f"/api/v1/comments/{root['id']}", json={"body": "Nice lines"}, headers=headers)
    assert patched.status_code == 200 and patched.json()["edited_at"] is not None
    assert client.delete(f"/api/v1/comments/{root['id']}", headers=headers).status_code == 204

    listed = client.get(f"/api/v1/designs/{design.id}/comments").json()
    assert len(listed) == 1
    assert listed[0]["deleted"] is True and listed[0]["body"] is None
    assert [entry["body"] for entry in listed[0]["replies"]] == ["Ta"]

    # Outsiders: a visitor must log in; a logged-in non-member of a public community is refused.
    client.cookies.clear()
    headers = {"x-csrftoken": csrf_token(client)}
    assert client.post(f"/api/v1/designs/{design.id}/comments", json={"body": "x"}, headers=headers).status_code == 401
    log_in(client, session, make_user(session))
    assert client.post(f"/api/v1/designs/{design.id}/comments", json={"body": "x"}, headers=headers).status_code == 404
