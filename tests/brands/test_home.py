"""The brand home's page and its JSON twin: who may see it, what each role's links are, and the header's Staff link."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts import tokens as accounts_tokens
from app.accounts.models import User
from app.brands.models import Brand, StaffRole
from app.communities.models import CommunityKind
from tests.campaigns.factories import make_application, make_campaign
from tests.factories import add_member, add_staff, log_in, make_brand, make_community, make_user


def _bearer(session: Session, user: User) -> dict[str, str]:
    _, plain = accounts_tokens.create_api_token(session, user=user, name="tests")
    return {"Authorization": f"Bearer {plain}"}


def _brand_with_work(session: Session) -> Brand:
    """A brand with two applications waiting in a campaign taking them."""
    brand = make_brand(session, name="Gamma", slug="gamma")
    testers = make_community(session, brand, slug="gamma-testers", kind=CommunityKind.feedback)
    campaign = make_campaign(session, testers, phase="applying", slug="fizz", title="Fizz")
    for _ in range(2):
        make_application(session, campaign, make_user(session))
    return brand


def _staff(session: Session, brand: Brand, role: StaffRole) -> User:
    user = make_user(session)
    add_staff(session, brand, user, role)
    return user


def test_the_overview_api_for_a_manager(client: TestClient, session: Session) -> None:
    brand = _brand_with_work(session)
    headers = _bearer(session, _staff(session, brand, StaffRole.manager))
    response = client.get("/api/v1/brands/gamma/overview", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["slug"] == "gamma"
    assert {figure["key"] for figure in body["figures"]} == {"members", "active_members", "responses", "nps"}
    (item,) = body["attention"]
    assert item == {
        "key": "applications",
        "label": "Applications to review",
        "where": "Fizz",
        "count": 2,
        "url": "/c/gamma-testers/campaigns/fizz/applications?status=applied",
    }
    assert [entry["title"] for entry in body["timeline"]] == ["Fizz"]
    assert body["money"] == {"currency": "EUR", "owed_minor": 0, "held_minor": 0}


def test_an_analyst_reads_the_counts_without_links_they_cannot_use(client: TestClient, session: Session) -> None:
    brand = _brand_with_work(session)
    headers = _bearer(session, _staff(session, brand, StaffRole.analyst))
    (item,) = client.get("/api/v1/brands/gamma/overview", headers=headers).json()["attention"]
    assert (item["count"], item["url"]) == (2, None)


def test_other_brands_staff_and_members_are_refused(client: TestClient, session: Session) -> None:
    brand = _brand_with_work(session)
    other_manager = _staff(session, make_brand(session), StaffRole.manager)
    assert client.get("/api/v1/brands/gamma/overview", headers=_bearer(session, other_manager)).status_code == 404
    member = make_user(session)
    add_member(session, make_community(session, brand), member)
    refused = client.get("/api/v1/brands/gamma/overview", headers=_bearer(session, member))
    assert refused.status_code in {403, 404} and "detail" in refused.json()
    assert client.get("/api/v1/brands/gamma/overview").status_code == 401


def test_the_home_page_leads_with_what_needs_attention(client: TestClient, session: Session) -> None:
    brand = _brand_with_work(session)
    log_in(client, session, _staff(session, brand, StaffRole.manager))
    page = client.get("/brands/gamma")
    assert page.status_code == 200
    assert page.text.index("Needs attention") < page.text.index("Figures") < page.text.index("Challenges and campaigns")
    assert 'href="/c/gamma-testers/campaigns/fizz/applications?status=applied"' in page.text
    assert "Open a community" in page.text
    assert '<a href="/brands/gamma">Staff</a>' in page.text  # the header's link


def test_an_analyst_gets_no_action_buttons(client: TestClient, session: Session) -> None:
    brand = _brand_with_work(session)
    log_in(client, session, _staff(session, brand, StaffRole.analyst))
    page = client.get("/brands/gamma").text
    assert "Open a community" not in page
    assert "/applications?status=applied" not in page and "Applications to review" in page


def test_the_staff_link_leads_to_the_first_brand_which_lists_the_others(client: TestClient, session: Session) -> None:
    first = make_brand(session, name="Aardvark Co", slug="aardvark")
    second = make_brand(session, name="Zebra Co", slug="zebra")
    person = _staff(session, second, StaffRole.manager)
    add_staff(session, first, person, StaffRole.analyst)
    log_in(client, session, person)
    page = client.get("/brands/aardvark").text
    assert '<a href="/brands/aardvark">Staff</a>' in page
    assert 'You also work for <a href="/brands/zebra">Zebra Co</a>' in page


def test_members_have_no_staff_link(client: TestClient, session: Session) -> None:
    member = make_user(session)
    add_member(session, make_community(session), member)
    log_in(client, session, member)
    page = client.get("/").text
    assert ">Staff</a>" not in page
    assert client.get("/brands/gamma").status_code == 404
