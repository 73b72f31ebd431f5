"""The communities JSON API: listing, joining and leaving, members, settings and invite links."""

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts import tokens as accounts_tokens
from app.accounts.models import User
from app.brands.models import Brand, StaffRole
from app.communities.models import Community, Invite, MemberRole, Membership, Visibility
from tests.factories import add_member, add_staff, field_errors, make_brand, make_community, make_user


def _bearer(session: Session, user: User) -> dict[str, str]:
    _, plain = accounts_tokens.create_api_token(session, user=user, name="tests")
    return {"Authorization": f"Bearer {plain}"}


def _manager(session: Session, brand: Brand, role: StaffRole = StaffRole.manager) -> dict[str, str]:
    user = make_user(session)
    add_staff(session, brand, user, role)
    return _bearer(session, user)


def test_list_public_communities(client: TestClient, session: Session) -> None:
    public = make_community(session, name="Open House", tagline="Come in")
    hidden = make_community(session, visibility=Visibility.invite_only)
    response = client.get("/api/v1/communities")
    assert response.status_code == 200
    slugs = [c["slug"] for c in response.json()]
    assert public.slug in slugs and hidden.slug not in slugs
    entry = next(c for c in response.json() if c["slug"] == public.slug)
    assert entry["name"] == "Open House" and entry["tagline"] == "Come in" and entry["member_count"] == 0
    assert set(entry) == {
        "slug",
        "name",
        "tagline",
        "description",
        "kind",
        "visibility",
        "member_count",
        "created_at",
        "default_locale",
    }


def test_community_detail_with_the_callers_role(client: TestClient, session: Session) -> None:
    brand = make_brand(session, name="Acme", slug="acme")
    community = make_community(session, brand)
    anonymous = client.get(f"/api/v1/communities/{community.slug}")
    assert anonymous.status_code == 200
    assert anonymous.json()["brand_slug"] == "acme" and anonymous.json()["my_role"] is None
    moderator = make_user(session)
    add_member(session, community, moderator, MemberRole.moderator)
    mine = client.get(f"/api/v1/communities/{community.slug}", headers=_bearer(session, moderator))
    assert mine.json()["my_role"] == "moderator"


def test_unknown_and_invite_only_communities_are_404(client: TestClient, session: Session) -> None:
    hidden = make_community(session, visibility=Visibility.invite_only)
    outsider = _bearer(session, make_user(session))
    for slug in ("no-such-community", hidden.slug):
        response = client.get(f"/api/v1/communities/{slug}", headers=outsider)
        assert response.status_code == 404
        assert response.json() == {"detail": "There is no such community."}
    assert client.get(f"/api/v1/communities/{hidden.slug}").status_code == 401
    staff = _manager(session, make_brand(session))
    assert client.get(f"/api/v1/communities/{hidden.slug}", headers=staff).status_code == 404
    own_staff = _manager(session, session.get(Brand, hidden.brand_id), StaffRole.analyst)  # type: ignore[arg-type]
    assert client.get(f"/api/v1/communities/{hidden.slug}", headers=own_staff).status_code == 200


def test_join_double_join_and_leave(client: TestClient, session: Session) -> None:
    community = make_community(session, name="Twice")
    user = make_user(session)
    headers = _bearer(session, user)
    joined = client.post(f"/api/v1/communities/{community.slug}/membership", headers=headers)
    assert joined.status_code == 201
    assert joined.json()["community_slug"] == community.slug and joined.json()["role"] == "member"
    assert client.get(f"/api/v1/communities/{community.slug}").json()["member_count"] == 1

    again = client.post(f"/api/v1/communities/{community.slug}/membership", headers=headers)
    assert again.status_code == 409
    assert again.json() == {"detail": "You are a member of Twice already."}
    assert client.get(f"/api/v1/communities/{community.slug}").json()["member_count"] == 1
    assert [m["community_slug"] for m in client.get("/api/v1/me/memberships", headers=headers).json()] == [
        community.slug
    ]

    left = client.delete(f"/api/v1/communities/{community.slug}/membership", headers=headers)
    assert left.status_code == 204
    assert client.get(f"/api/v1/communities/{community.slug}").json()["member_count"] == 0
    assert session.exec(select(Membership).where(Membership.user_id == user.id)).all() == []
    assert client.get("/api/v1/me/memberships", headers=headers).json() == []


def test_join_needs_a_login_and_a_public_community(client: TestClient, session: Session) -> None:
    community = make_community(session)
    response = client.post(f"/api/v1/communities/{community.slug}/membership")
    assert response.status_code == 401
    assert response.json() == {"detail": "Log in to continue."}
    hidden = make_community(session, visibility=Visibility.invite_only)
    refused = client.post(f"/api/v1/communities/{hidden.slug}/membership", headers=_bearer(session, make_user(session)))
    assert refused.status_code == 404


def test_join_as_unconfirmed_is_forbidden(client: TestClient, session: Session) -> None:
    community = make_community(session)
    response = client.post(
        f"/api/v1/communities/{community.slug}/membership",
        headers=_bearer(session, make_user(session, email_confirmed_at=None)),
    )
    assert response.status_code == 403
    assert "Confirm your e-mail address" in response.json()["detail"]
    assert client.get(f"/api/v1/communities/{community.slug}").json()["member_count"] == 0


def _populated(session: Session) -> tuple[Community, dict[str, str]]:
    community = make_community(session)
    moderator = make_user(session, handle="mod_maud", display_name="Maud")
    add_member(session, community, moderator, MemberRole.moderator)
    add_member(session, community, make_user(session, handle="weaver", display_name="Wanda Weaver"))
    add_member(
        session,
        community,
        make_user(session, handle="spinner", display_name="Sam Spinner"),
        MemberRole.connector,
    )
    return community, _bearer(session, moderator)


def test_members_search_role_filter_and_pages(client: TestClient, session: Session) -> None:
    community, headers = _populated(session)
    url = f"/api/v1/communities/{community.slug}/members"
    everyone = client.get(url, headers=headers).json()
    assert (everyone["total"], everyone["page"], everyone["pages"]) == (3, 1, 1)
    assert {m["handle"] for m in everyone["members"]} == {"mod_maud", "weaver", "spinner"}
    assert set(everyone["members"][0]) == {"handle", "display_name", "role", "joined_at"}

    searched = client.get(url, params={"q": "WANDA"}, headers=headers).json()
    assert [m["handle"] for m in searched["members"]] == ["weaver"] and searched["total"] == 1
    by_role = client.get(url, params={"role": "connector"}, headers=headers).json()
    assert [m["handle"] for m in by_role["members"]] == ["spinner"]
    both = client.get(url, params={"role": "member", "q": "sam"}, headers=headers).json()
    assert both["members"] == [] and both["total"] == 0

    for _ in range(50):
        add_member(session, community, make_user(session))
    first = client.get(url, headers=headers).json()
    assert (first["total"], first["pages"], len(first["members"])) == (53, 2, 50)
    second = client.get(url, params={"page": 2}, headers=headers).json()
    assert (second["page"], len(second["members"])) == (2, 3)
    assert not {m["handle"] for m in first["members"]} & {m["handle"] for m in second["members"]}


def test_members_bad_parameters_are_422(client: TestClient, session: Session) -> None:
    community, headers = _populated(session)
    url = f"/api/v1/communities/{community.slug}/members"
    for params in ({"page": "abc"}, {"page": "0"}, {"q": "q" * 101}):
        response = client.get(url, params=params, headers=headers)
        assert response.status_code == 422, params
        assert response.json()["detail"].startswith("The request is not valid")
    unknown_role = client.get(url, params={"role": "king"}, headers=headers)
    assert unknown_role.status_code == 422
    assert unknown_role.json() == {
        "detail": "Choose member, connector or moderator.",
        "errors": [{"field": "role", "message": "Unknown role."}],
    }


def test_members_are_for_the_team_only(client: TestClient, session: Session) -> None:
    community, _ = _populated(session)
    member = make_user(session)
    add_member(session, community, member)
    url = f"/api/v1/communities/{community.slug}/members"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=_bearer(session, member)).status_code == 403
    assert client.get(url, headers=_bearer(session, make_user(session))).status_code == 404


def test_change_role(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand)
    member = make_user(session, handle="climber")
    add_member(session, community, member)
    url = f"/api/v1/communities/{community.slug}/members/climber"
    response = client.put(url, json={"role": "connector"}, headers=_manager(session, brand))
    assert response.status_code == 200 and response.json()["role"] == "connector"
    bad = client.put(url, json={"role": "emperor"}, headers=_manager(session, brand))
    assert bad.status_code == 422
    moderator = make_user(session)
    add_member(session, community, moderator, MemberRole.moderator)
    refused = client.put(url, json={"role": "member"}, headers=_bearer(session, moderator))
    assert refused.status_code == 403


def test_update_community(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand, name="Old")
    headers = _manager(session, brand)
    url = f"/api/v1/communities/{community.slug}"
    body = {"name": "New", "tagline": "Fresh", "description": "", "kind": "feedback", "visibility": "public"}
    response = client.patch(url, json=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["name"] == "New" and response.json()["kind"] == "feedback"

    too_long = client.patch(url, json={**body, "name": "n" * 81}, headers=headers)
    assert too_long.status_code == 422
    assert field_errors(too_long) == {"name": "Enter the community's name (up to 80 characters)."}
    wrong_kind = client.patch(url, json={**body, "kind": "poetry"}, headers=headers)
    assert wrong_kind.status_code == 422
    assert any(error["field"] == "kind" for error in wrong_kind.json()["errors"])
    session.refresh(community)
    assert community.name == "New"

    analyst = _manager(session, brand, StaffRole.analyst)
    assert client.patch(url, json=body | {"name": "Analysed"}, headers=analyst).status_code == 403


def test_invites_create_list_revoke_and_accept(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand, visibility=Visibility.invite_only)
    headers = _manager(session, brand)
    base = f"/api/v1/communities/{community.slug}/invites"

    created = client.post(base, json={"note": "Launch", "max_uses": 1}, headers=headers)
    assert created.status_code == 201
    invite = created.json()
    assert (invite["note"], invite["max_uses"], invite["use_count"]) == ("Launch", 1, 0)
    assert invite["expires_at"] is not None
    assert [i["id"] for i in client.get(base, headers=headers).json()] == [invite["id"]]

    first = make_user(session)
    accepted = client.post(f"/api/v1/invites/{invite['code']}/accept", headers=_bearer(session, first))
    assert accepted.status_code == 201
    assert accepted.json()["community_slug"] == community.slug
    member_detail = client.get(f"/api/v1/communities/{community.slug}", headers=_bearer(session, first))
    assert member_detail.status_code == 200 and member_detail.json()["member_count"] == 1

    second = make_user(session)
    used_up = client.post(f"/api/v1/invites/{invite['code']}/accept", headers=_bearer(session, second))
    assert used_up.status_code == 422
    assert "used as often as it may be" in used_up.json()["detail"]
    assert client.get(base, headers=headers).json()[0]["use_count"] == 1

    other = client.post(base, json={"expires_in_days": None}, headers=headers).json()
    assert other["expires_at"] is None and other["max_uses"] is None
    assert client.delete(f"{base}/{other['id']}", headers=headers).status_code == 204
    assert client.delete(f"{base}/{other['id']}", headers=headers).status_code == 404
    withdrawn = client.post(f"/api/v1/invites/{other['code']}/accept", headers=_bearer(session, second))
    assert withdrawn.status_code == 422 and "withdrawn" in withdrawn.json()["detail"]
    assert client.post("/api/v1/invites/nope/accept", headers=_bearer(session, second)).status_code == 404
    assert session.exec(select(Membership).where(Membership.user_id == second.id)).all() == []


def test_invite_validation_and_permissions(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand)
    base = f"/api/v1/communities/{community.slug}/invites"
    bad = client.post(base, json={"max_uses": 0, "expires_in_days": 400}, headers=_manager(session, brand))
    assert bad.status_code == 422
    assert set(field_errors(bad)) == {"max_uses", "expires_in_days"}
    moderator = make_user(session)
    add_member(session, community, moderator, MemberRole.moderator)
    assert client.post(base, json={}, headers=_bearer(session, moderator)).status_code == 403
    assert session.exec(select(Invite).where(Invite.community_id == community.id)).all() == []
