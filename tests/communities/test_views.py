"""Community pages: the page and its htmx fragments, joining and leaving, members, settings, invite links."""

import re

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from app.brands.models import StaffRole
from app.communities import service as communities_service
from app.communities.models import Community, Invite, MemberRole, Membership, Visibility
from app.config import get_settings
from tests.factories import add_member, add_staff, csrf_token, log_in, make_brand, make_community, make_user

HTMX = {"HX-Request": "true"}


def _post(client: TestClient, url: str, data: dict[str, str] | None = None, **kwargs: object) -> Response:
    return client.post(url, data={**(data or {}), "csrftoken": csrf_token(client)}, **kwargs)  # type: ignore[arg-type]


def _membership(session: Session, community: Community, user_id: int | None) -> Membership | None:
    return session.exec(
        select(Membership).where(Membership.community_id == community.id, Membership.user_id == user_id)
    ).first()


# --- The community page -------------------------------------------------------------------------------------


def test_community_page_full_and_as_htmx_fragment(client: TestClient, session: Session) -> None:
    community = make_community(session, name="Linen Lab", tagline="Loose threads", description="We *weave*.")
    full = client.get(f"/c/{community.slug}")
    assert full.status_code == 200
    assert "<html" in full.text and '<header class="site-header">' in full.text
    assert "<h1>Linen Lab</h1>" in full.text
    assert "<em>weave</em>" in full.text
    assert f'href="/login?next=/c/{community.slug}"' in full.text

    fragment = client.get(f"/c/{community.slug}", headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<h1>" not in fragment.text
    assert "Log in to join" in fragment.text


def test_join_from_the_page_redirects_with_a_welcome(client: TestClient, session: Session) -> None:
    community = make_community(session, name="Joinable")
    user = make_user(session)
    log_in(client, session, user)
    page = client.get(f"/c/{community.slug}")
    assert f'hx-post="/c/{community.slug}/join"' in page.text

    response = _post(client, f"/c/{community.slug}/join", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/c/{community.slug}"
    assert _membership(session, community, user.id) is not None
    session.refresh(community)
    assert community.member_count == 1

    after = client.get(f"/c/{community.slug}")
    assert "Welcome to Joinable!" in after.text
    assert "You are a member here since" in after.text
    assert "1 member<" in after.text


def test_join_with_htmx_answers_with_a_redirect_header(client: TestClient, session: Session) -> None:
    community = make_community(session)
    user = make_user(session)
    log_in(client, session, user)
    response = _post(client, f"/c/{community.slug}/join", headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/c/{community.slug}"
    assert response.text == ""
    assert _membership(session, community, user.id) is not None


def test_refused_join_with_htmx_returns_only_the_membership_block(client: TestClient, session: Session) -> None:
    community = make_community(session, name="Twice")
    user = make_user(session)
    add_member(session, community, user)
    log_in(client, session, user)
    response = _post(client, f"/c/{community.slug}/join", headers=HTMX)
    assert response.status_code == 409
    assert "<html" not in response.text and "<h1>" not in response.text and "About" not in response.text
    assert "You are a member of Twice already." in response.text
    assert 'role="alert"' in response.text
    assert "You are a member here since" in response.text
    session.refresh(community)
    assert community.member_count == 1
    count = session.exec(select(Membership).where(Membership.community_id == community.id)).all()
    assert len(count) == 1

    # Without htmx the whole page comes back, with the same message.
    full = _post(client, f"/c/{community.slug}/join")
    assert full.status_code == 409
    assert "<html" in full.text and "You are a member of Twice already." in full.text


def test_unconfirmed_people_are_told_to_confirm_before_joining(client: TestClient, session: Session) -> None:
    community = make_community(session)
    user = make_user(session, email_confirmed_at=None)
    log_in(client, session, user)
    response = _post(client, f"/c/{community.slug}/join", headers=HTMX)
    assert response.status_code == 403
    assert "Confirm your e-mail address before joining a community." in response.text
    assert _membership(session, community, user.id) is None


def test_visitors_who_join_are_sent_to_log_in(client: TestClient, session: Session) -> None:
    community = make_community(session)
    response = _post(client, f"/c/{community.slug}/join", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/c/{community.slug}/join"
    htmx = _post(client, f"/c/{community.slug}/join", headers=HTMX)
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"] == f"/login?next=/c/{community.slug}/join"


def test_leave_from_the_page(client: TestClient, session: Session) -> None:
    community = make_community(session, name="Leavable")
    user = make_user(session)
    add_member(session, community, user)
    log_in(client, session, user)
    response = _post(client, f"/c/{community.slug}/leave", follow_redirects=False)
    assert response.status_code == 303
    assert _membership(session, community, user.id) is None
    session.refresh(community)
    assert community.member_count == 0
    assert "You have left Leavable." in client.get(f"/c/{community.slug}").text


def test_invite_only_community_is_hidden_from_outsiders(client: TestClient, session: Session) -> None:
    community = make_community(session, visibility=Visibility.invite_only)
    assert client.get(f"/c/{community.slug}", follow_redirects=False).status_code == 303  # visitors: log in first
    log_in(client, session, make_user(session))
    response = client.get(f"/c/{community.slug}")
    assert response.status_code == 404
    # The same page but for the footer's language switcher, which comes back to the address asked for.
    missing = client.get("/c/no-such-community").text
    assert response.text == missing.replace('value="/c/no-such-community"', f'value="/c/{community.slug}"')
    member = make_user(session)
    add_member(session, community, member)
    log_in(client, session, member)
    assert client.get(f"/c/{community.slug}").status_code == 200


# --- Members ------------------------------------------------------------------------------------------------


def _community_with_moderator(session: Session) -> tuple[Community, object]:
    community = make_community(session)
    moderator = make_user(session, handle="the_mod", display_name="The Moderator")
    add_member(session, community, moderator, MemberRole.moderator)
    return community, moderator


def test_members_page_search_role_filter_and_htmx(client: TestClient, session: Session) -> None:
    community, moderator = _community_with_moderator(session)
    add_member(session, community, make_user(session, handle="weaver", display_name="Wanda Weaver"))
    add_member(
        session,
        community,
        make_user(session, handle="spinner", display_name="Sam Spinner"),
        MemberRole.connector,
    )
    log_in(client, session, moderator)  # type: ignore[arg-type]

    full = client.get(f"/c/{community.slug}/members")
    assert full.status_code == 200
    assert "<html" in full.text and "3 members." in full.text

    searched = client.get(f"/c/{community.slug}/members?q=wanda", headers=HTMX)
    assert searched.status_code == 200
    assert "<html" not in searched.text and "<h1>" not in searched.text
    assert "1 member matches." in searched.text
    assert "@weaver" in searched.text and "@spinner" not in searched.text

    by_role = client.get(f"/c/{community.slug}/members?role=connector", headers=HTMX)
    assert "@spinner" in by_role.text and "@weaver" not in by_role.text

    nothing = client.get(f"/c/{community.slug}/members?q=zzz", headers=HTMX)
    assert "No members match." in nothing.text

    bad_role = client.get(f"/c/{community.slug}/members?role=king")
    assert bad_role.status_code == 422
    bad_page = client.get(f"/c/{community.slug}/members?page=abc")
    assert bad_page.status_code == 422
    assert '<header class="site-header">' in bad_page.text


def test_members_page_pagination(client: TestClient, session: Session) -> None:
    community, moderator = _community_with_moderator(session)
    for _ in range(communities_service.MEMBERS_PAGE_SIZE):
        add_member(session, community, make_user(session))
    log_in(client, session, moderator)  # type: ignore[arg-type]
    first = client.get(f"/c/{community.slug}/members")
    assert "Page 1 of 2" in first.text
    assert "page=2" in first.text and ">Previous<" not in first.text
    second = client.get(f"/c/{community.slug}/members?page=2", headers=HTMX)
    assert "Page 2 of 2" in second.text
    assert ">Previous<" in second.text and ">Next<" not in second.text
    assert len(re.findall(r'<a href="/u/', second.text)) == 1


def test_members_page_is_for_the_team_only(client: TestClient, session: Session) -> None:
    community = make_community(session)
    member = make_user(session)
    add_member(session, community, member)
    log_in(client, session, member)
    assert client.get(f"/c/{community.slug}/members").status_code == 403
    log_in(client, session, make_user(session))
    assert client.get(f"/c/{community.slug}/members").status_code == 404


def test_manager_changes_a_member_role(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand)
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    member = make_user(session, handle="rising")
    add_member(session, community, member)
    log_in(client, session, manager)
    page = client.get(f"/c/{community.slug}/members")
    assert 'action="/c/' in page.text and "/members/rising/role" in page.text
    response = _post(client, f"/c/{community.slug}/members/rising/role", {"role": "moderator"}, follow_redirects=False)
    assert response.status_code == 303
    membership = _membership(session, community, member.id)
    assert membership is not None
    session.refresh(membership)
    assert membership.role == MemberRole.moderator


# --- Settings and invites -----------------------------------------------------------------------------------


def _managed_community(client: TestClient, session: Session, **overrides: object) -> Community:
    brand = make_brand(session)
    community = make_community(session, brand, **overrides)
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    log_in(client, session, manager)
    return community


def test_settings_update_and_validation(client: TestClient, session: Session) -> None:
    community = _managed_community(client, session, name="Before")
    page = client.get(f"/c/{community.slug}/settings")
    assert page.status_code == 200 and 'value="Before"' in page.text

    bad = _post(
        client,
        f"/c/{community.slug}/settings",
        {"name": "", "tagline": "t", "description": "", "kind": "poetry", "visibility": "public"},
    )
    assert bad.status_code == 422
    assert 'id="name-error"' in bad.text and 'id="kind-error">Choose design, feedback or both.' in bad.text
    assert 'value="t"' in bad.text  # what was typed stays
    session.refresh(community)
    assert community.name == "Before"

    good = _post(
        client,
        f"/c/{community.slug}/settings",
        {
            "name": "After",
            "tagline": "New line",
            "description": "",
            "kind": "design",
            "visibility": "invite_only",
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    session.refresh(community)
    assert (community.name, community.tagline, community.visibility) == (
        "After",
        "New line",
        Visibility.invite_only,
    )


def test_settings_are_for_managers_only(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand)
    analyst = make_user(session)
    add_staff(session, brand, analyst, StaffRole.analyst)
    log_in(client, session, analyst)
    assert client.get(f"/c/{community.slug}/settings").status_code == 403
    response = _post(
        client,
        f"/c/{community.slug}/settings",
        {"name": "Hijack", "kind": "design", "visibility": "public"},
    )
    assert response.status_code == 403
    session.refresh(community)
    assert community.name != "Hijack"


def test_invite_links_are_made_and_withdrawn_through_htmx(client: TestClient, session: Session) -> None:
    community = _managed_community(client, session)
    made = _post(
        client,
        f"/c/{community.slug}/invites",
        {"note": "Newsletter", "max_uses": "3", "expires_in_days": "7"},
        headers=HTMX,
    )
    assert made.status_code == 200
    assert "<html" not in made.text
    assert "<h2>Invite links</h2>" in made.text
    invite = session.exec(select(Invite).where(Invite.community_id == community.id)).one()
    assert (invite.note, invite.max_uses) == ("Newsletter", 3)
    assert f"{get_settings().base_url}/invite/{invite.code}" in made.text
    assert "0 / 3" in made.text

    withdrawn = _post(client, f"/c/{community.slug}/invites/{invite.id}/revoke", headers=HTMX)
    assert withdrawn.status_code == 200
    assert "<html" not in withdrawn.text
    assert "No open invite links." in withdrawn.text
    session.refresh(invite)
    assert invite.revoked_at is not None

    again = _post(client, f"/c/{community.slug}/invites/{invite.id}/revoke", follow_redirects=False)
    assert again.status_code == 404


def test_withdrawing_an_invite_without_htmx_redirects(client: TestClient, session: Session) -> None:
    community = _managed_community(client, session)
    invite = communities_service.create_invite(session, community=community, created_by=make_user(session))
    response = _post(client, f"/c/{community.slug}/invites/{invite.id}/revoke", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/c/{community.slug}/settings"


def test_invalid_invite_form_comes_back_with_the_error(client: TestClient, session: Session) -> None:
    community = _managed_community(client, session)
    response = _post(
        client, f"/c/{community.slug}/invites", {"max_uses": "lots", "expires_in_days": "14"}, headers=HTMX
    )
    assert response.status_code == 422
    assert "<html" not in response.text
    assert 'id="max_uses-error">Use a whole number, or leave it empty.' in response.text
    assert 'value="lots"' in response.text
    too_many = _post(client, f"/c/{community.slug}/invites", {"max_uses": "0", "expires_in_days": "999"}, headers=HTMX)
    assert too_many.status_code == 422
    assert 'id="expires_in_days-error"' in too_many.text and 'id="max_uses-error"' in too_many.text
    assert session.exec(select(Invite).where(Invite.community_id == community.id)).all() == []


# --- The invite link ----------------------------------------------------------------------------------------


def test_invite_link_page_and_joining(client: TestClient, session: Session) -> None:
    community = make_community(session, name="Hidden Garden", visibility=Visibility.invite_only)
    invite = communities_service.create_invite(session, community=community, created_by=make_user(session), max_uses=1)
    visitor_view = client.get(f"/invite/{invite.code}")
    assert visitor_view.status_code == 200
    assert "Hidden Garden" in visitor_view.text
    assert f'href="/login?next=/invite/{invite.code}"' in visitor_view.text

    guest = make_user(session)
    log_in(client, session, guest)
    page = client.get(f"/invite/{invite.code}")
    assert f'action="/invite/{invite.code}"' in page.text
    joined = _post(client, f"/invite/{invite.code}", follow_redirects=False)
    assert joined.status_code == 303
    assert joined.headers["location"] == f"/c/{community.slug}"
    assert _membership(session, community, guest.id) is not None
    assert client.get(f"/c/{community.slug}").status_code == 200
    assert "You are a member already." in client.get(f"/invite/{invite.code}").text

    # The one use is spent: the next person is told so, on the page and on submitting.
    latecomer = make_user(session)
    log_in(client, session, latecomer)
    spent = client.get(f"/invite/{invite.code}")
    assert spent.status_code == 410
    assert "used as often as it may be" in spent.text
    refused = _post(client, f"/invite/{invite.code}")
    assert refused.status_code == 422
    assert "used as often as it may be" in refused.text
    assert _membership(session, community, latecomer.id) is None


def test_unknown_invite_code_is_404(client: TestClient) -> None:
    response = client.get("/invite/not-a-real-code")
    assert response.status_code == 404
    assert "This invite link is not valid" in response.text
