"""The brands JSON API (and the site admin's brand creation): staff area, staff management, communities."""

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts import tokens as accounts_tokens
from app.accounts.models import User
from app.brands.models import Brand, BrandStaff, StaffRole
from app.notifications.models import OutboxEmail
from tests.factories import add_staff, field_errors, make_brand, make_community, make_user


def _bearer(session: Session, user: User) -> dict[str, str]:
    _, plain = accounts_tokens.create_api_token(session, user=user, name="tests")
    return {"Authorization": f"Bearer {plain}"}


def _staff(session: Session, brand: Brand, role: StaffRole, **overrides: object) -> dict[str, str]:
    user = make_user(session, **overrides)
    add_staff(session, brand, user, role)
    return _bearer(session, user)


def test_site_admin_creates_a_brand_with_an_invited_manager(client: TestClient, session: Session) -> None:
    admin = _bearer(session, make_user(session, is_site_admin=True))
    response = client.post(
        "/api/v1/admin/brands",
        json={
            "name": "Harbour Coffee",
            "first_manager_email": "Owner@Harbour.example",
            "first_manager_name": "Olu",
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    assert response.json()["slug"] == "harbour-coffee"
    owner = session.exec(select(User).where(User.email == "owner@harbour.example")).one()
    assert owner.display_name == "Olu"
    email = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == "owner@harbour.example")).one()
    assert re.search(r"http://testserver/reset/\S+", email.body_text)

    owner_token = _bearer(session, owner)
    mine = client.get("/api/v1/brands", headers=owner_token).json()
    assert [(b["slug"], b["my_role"]) for b in mine] == [("harbour-coffee", "owner")]
    assert [b["slug"] for b in client.get("/api/v1/admin/brands", headers=admin).json()] == ["harbour-coffee"]


def test_create_brand_validation_and_admin_only(client: TestClient, session: Session) -> None:
    admin = _bearer(session, make_user(session, is_site_admin=True))
    bad = client.post("/api/v1/admin/brands", json={"name": "", "first_manager_email": "nope"}, headers=admin)
    assert bad.status_code == 422
    assert set(field_errors(bad)) >= {"name", "first_manager_email"}
    missing = client.post("/api/v1/admin/brands", json={"name": "No manager"}, headers=admin)
    assert missing.status_code == 422

    plain_user = _bearer(session, make_user(session))
    refused = client.post(
        "/api/v1/admin/brands",
        json={"name": "Sneaky", "first_manager_email": "me@example.com"},
        headers=plain_user,
    )
    assert refused.status_code == 404
    assert client.get("/api/v1/admin/brands", headers=plain_user).status_code == 404
    assert session.exec(select(Brand)).all() == []


def test_brand_is_for_its_staff_only(client: TestClient, session: Session) -> None:
    brand = make_brand(session, name="Acme", slug="acme")
    analyst = _staff(session, brand, StaffRole.analyst)
    response = client.get("/api/v1/brands/acme", headers=analyst)
    assert response.status_code == 200 and response.json()["name"] == "Acme"
    outsider = _bearer(session, make_user(session))
    for path in ("/api/v1/brands/acme", "/api/v1/brands/no-such-brand"):
        refused = client.get(path, headers=outsider)
        assert refused.status_code == 404
        assert refused.json() == {"detail": "There is no such brand."}
    assert client.get("/api/v1/brands/acme").status_code == 401


def test_owner_adds_staff_and_a_second_add_is_409(client: TestClient, session: Session) -> None:
    brand = make_brand(session, slug="acme")
    owner = _staff(session, brand, StaffRole.owner)
    make_user(session, email="known@example.com", handle="known", display_name="Known Person")
    added = client.post(
        "/api/v1/brands/acme/staff", json={"email": "known@example.com", "role": "analyst"}, headers=owner
    )
    assert added.status_code == 201
    assert added.json() == {
        "handle": "known",
        "display_name": "Known Person",
        "email": "known@example.com",
        "role": "analyst",
    }
    again = client.post(
        "/api/v1/brands/acme/staff", json={"email": "KNOWN@example.com", "role": "manager"}, headers=owner
    )
    assert again.status_code == 409
    assert again.json() == {"detail": "Known Person is on this brand's staff already, as analyst."}

    invited = client.post(
        "/api/v1/brands/acme/staff", json={"email": "new@example.com", "role": "manager"}, headers=owner
    )
    assert invited.status_code == 201
    assert session.exec(select(OutboxEmail).where(OutboxEmail.to_address == "new@example.com")).one()
    staff = client.get("/api/v1/brands/acme/staff", headers=owner).json()
    assert {(s["email"], s["role"]) for s in staff} >= {
        ("known@example.com", "analyst"),
        ("new@example.com", "manager"),
    }

    bad_role = client.post("/api/v1/brands/acme/staff", json={"email": "x@example.com", "role": "boss"}, headers=owner)
    assert bad_role.status_code == 422


def test_only_owners_manage_staff(client: TestClient, session: Session) -> None:
    brand = make_brand(session, slug="acme")
    manager = _staff(session, brand, StaffRole.manager)
    response = client.post(
        "/api/v1/brands/acme/staff", json={"email": "x@example.com", "role": "analyst"}, headers=manager
    )
    assert response.status_code == 403
    assert session.exec(select(User).where(User.email == "x@example.com")).first() is None


def test_removing_the_last_owner_is_refused(client: TestClient, session: Session) -> None:
    brand = make_brand(session, slug="acme")
    owner = _staff(session, brand, StaffRole.owner, handle="sole_owner")
    refused = client.delete("/api/v1/brands/acme/staff/sole_owner", headers=owner)
    assert refused.status_code == 409
    assert "at least one owner" in refused.json()["detail"]
    assert session.exec(select(BrandStaff).where(BrandStaff.brand_id == brand.id)).one().role == StaffRole.owner

    _staff(session, brand, StaffRole.analyst, handle="leaving")
    assert client.delete("/api/v1/brands/acme/staff/leaving", headers=owner).status_code == 204
    assert client.delete("/api/v1/brands/acme/staff/leaving", headers=owner).status_code == 404


def test_managers_open_communities(client: TestClient, session: Session) -> None:
    brand = make_brand(session, slug="acme")
    manager = _staff(session, brand, StaffRole.manager)
    created = client.post(
        "/api/v1/brands/acme/communities",
        json={"name": "Acme Lab", "kind": "design", "visibility": "invite_only"},
        headers=manager,
    )
    assert created.status_code == 201
    assert created.json()["slug"] == "acme-lab" and created.json()["visibility"] == "invite_only"
    listed = client.get("/api/v1/brands/acme/communities", headers=manager).json()
    assert [c["slug"] for c in listed] == ["acme-lab"]

    make_community(session, slug="taken-lab")
    taken = client.post(
        "/api/v1/brands/acme/communities", json={"name": "Taken Lab", "kind": "design"}, headers=manager
    )
    assert taken.status_code == 422
    assert field_errors(taken) == {"slug": "Another community uses this address; choose another."}

    analyst = _staff(session, brand, StaffRole.analyst)
    assert (
        client.post(
            "/api/v1/brands/acme/communities", json={"name": "Nope", "kind": "design"}, headers=analyst
        ).status_code
        == 403
    )
