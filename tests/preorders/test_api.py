"""The pre-orders API: the manager opens a pre-order, members pledge, change and withdraw, the funded CSV; clear 4xx
for bad input; addresses only for the pledger and the brand's managers."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.columns import utcnow
from tests.factories import add_staff, csrf_token, field_errors, log_in, make_brand, make_user
from tests.preorders.factories import PreorderWorld, a_member, build_preorder_world, open_preorder

ADDRESS = {"recipient_name": "Mia Example", "address_line1": "12 Harbour Road", "city": "Leith", "country": "GB"}


@pytest.fixture
def world(session: Session) -> PreorderWorld:
    return build_preorder_world(session)


def _manage(world: PreorderWorld) -> str:
    return f"/api/v1/brands/{world.brand.slug}/products/{world.product.id}/preorder"


def _pledge(world: PreorderWorld) -> str:
    return f"/api/v1/communities/{world.community.slug}/products/{world.product.id}/pledge"


def test_a_manager_opens_a_preorder_and_downloads_the_funded_pledges(
    client: TestClient, session: Session, world: PreorderWorld
) -> None:
    log_in(client, session, world.manager)
    headers = {"x-csrftoken": csrf_token(client)}
    deadline = (utcnow() + timedelta(days=4)).isoformat()
    body = {"target_count": 2, "deadline_at": deadline, "price": "24.00", "variants": ["S", "M"], "stock_limit": 3}
    opened = client.post(_manage(world), json=body, headers=headers)
    assert opened.status_code == 201, opened.text
    assert opened.json()["summary"].startswith("0 of 2, ")
    assert [row["variant"] for row in opened.json()["variant_counts"]] == ["S", "M"]
    again = client.post(_manage(world), json=body, headers=headers)
    assert again.status_code == 409 and "detail" in again.json()
    not_yet = client.get(_manage(world) + "/pledges.csv")
    assert not_yet.status_code == 409

    member = a_member(session, world)
    log_in(client, session, member)
    pledged = client.put(_pledge(world), json={"variant": "M", "quantity": 2, **ADDRESS}, headers=headers)
    assert pledged.status_code == 200, pledged.text
    assert pledged.json()["preorder"]["status"] == "funded"
    assert client.get(_pledge(world)).json()["address_line1"] == "12 Harbour Road"
    product = client.get(f"/api/v1/communities/{world.community.slug}/products/{world.product.id}").json()
    assert product["preorder"]["pledged_count"] == 2 and product["designer_handle"] == world.designer.handle
    assert "address_line1" not in str(product)

    log_in(client, session, world.manager)
    file = client.get(_manage(world) + "/pledges.csv")
    assert file.status_code == 200 and file.headers["content-type"].startswith("text/csv")
    lines = file.text.strip().splitlines()
    assert len(lines) == 2 and member.handle in lines[1] and "12 Harbour Road" in lines[1]


def test_bad_input_is_a_clear_4xx(client: TestClient, session: Session, world: PreorderWorld) -> None:
    log_in(client, session, world.manager)
    headers = {"x-csrftoken": csrf_token(client)}
    soon = (utcnow() + timedelta(minutes=3)).isoformat()
    refused = client.post(
        _manage(world), json={"target_count": 5, "deadline_at": soon, "price": "abc"}, headers=headers
    )
    assert refused.status_code == 422
    assert set(field_errors(refused)) >= {"deadline_at", "price"}
    assert client.get(_manage(world)).status_code == 404  # nothing was opened

    open_preorder(session, world)
    member = a_member(session, world)
    log_in(client, session, member)
    wrong = client.put(_pledge(world), json={"variant": "XXL", "quantity": 1, **ADDRESS}, headers=headers)
    assert wrong.status_code == 422 and "variant" in field_errors(wrong)
    too_many = client.put(_pledge(world), json={"variant": "M", "quantity": 99, **ADDRESS}, headers=headers)
    assert too_many.status_code == 422
    assert client.get(_pledge(world)).status_code == 404
    assert client.delete(_pledge(world), headers=headers).status_code == 404


def test_change_and_withdraw(client: TestClient, session: Session, world: PreorderWorld) -> None:
    open_preorder(session, world, target_count=10)
    log_in(client, session, a_member(session, world))
    headers = {"x-csrftoken": csrf_token(client)}
    client.put(_pledge(world), json={"variant": "S", "quantity": 3, **ADDRESS}, headers=headers)
    changed = client.put(_pledge(world), json={"variant": "L", "quantity": 1, **ADDRESS}, headers=headers)
    assert (changed.json()["variant"], changed.json()["preorder"]["pledged_count"]) == ("L", 1)
    withdrawn = client.delete(_pledge(world), headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.json()["pledged_count"] == 0


def test_another_brands_manager_sees_nothing(client: TestClient, session: Session, world: PreorderWorld) -> None:
    open_preorder(session, world)
    outsider = make_user(session)
    add_staff(session, make_brand(session), outsider)
    log_in(client, session, outsider)
    assert client.get(_manage(world)).status_code == 404
    assert client.get(_manage(world) + "/pledges.csv").status_code == 404
