"""The campaigns API through the TestClient: the same services as the pages, errors as {"detail": ...}."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import User
from app.campaigns import kits as campaign_kits
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns.models import Campaign
from app.communities.models import Community, CommunityKind
from tests.campaigns.factories import accept, apply, make_applicant, make_campaign, move_to, windows
from tests.factories import add_staff, csrf_token, field_errors, log_in, make_brand, make_community, make_user


def _api(community: Community, campaign: Campaign | None = None, tail: str = "") -> str:
    base = f"/api/v1/communities/{community.slug}/campaigns"
    return f"{base}/{campaign.slug}{tail}" if campaign else base


def _team(session: Session) -> tuple[Community, User]:
    brand = make_brand(session)
    community = make_community(session, brand, kind=CommunityKind.feedback)
    manager = make_user(session)
    add_staff(session, brand, manager)
    return community, manager


def test_create_apply_decide_through_the_api(client: TestClient, session: Session) -> None:
    community, manager = _team(session)
    headers = {"x-csrftoken": csrf_token(client)}
    log_in(client, session, manager)
    body = {
        "title": "Fizz summer",
        "product_name": "Fizz",
        "kit_count": 1,
        "eligibility": "Do you drink soda? | yes",
        **{name: moment.isoformat() for name, moment in windows("applying").items()},
    }
    bad = client.post(_api(community), json={**body, "kit_count": 0}, headers=headers)
    assert bad.status_code == 422 and "kit_count" in field_errors(bad)
    created = client.post(_api(community), json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["phase"] == "draft"
    campaign = community_campaign(session, community, created.json()["slug"])
    assert client.post(_api(community, campaign, "/publish"), headers=headers).json()["phase"] == "applying"

    member = make_applicant(session, community)
    log_in(client, session, member)
    application = {
        "network_size": 20,
        "answers": {"q1": "yes"},
        "address": {"recipient_name": "Mia", "address_line1": "1 Elm Rd", "city": "Leeds", "country": "GB"},
    }
    mine = client.post(_api(community, campaign, "/application"), json=application, headers=headers)
    assert mine.status_code == 201, mine.text
    assert mine.json()["application"]["status"] == "applied"
    assert mine.json()["application"]["address"]["address_line1"] == "1 Elm Rd"
    again = client.post(_api(community, campaign, "/application"), json=application, headers=headers)
    assert again.status_code == 409 and "already" in again.json()["detail"]

    log_in(client, session, manager)
    listed = client.get(_api(community, campaign, "/applications"), params={"status": "applied"}).json()
    assert [row["handle"] for row in listed] == [member.handle]
    assert listed[0]["address"]["city"] == "Leeds"
    decided = client.post(
        _api(community, campaign, "/applications/decisions"),
        json={"application_ids": [listed[0]["id"], 999999], "decision": "accept"},
        headers=headers,
    ).json()
    assert decided["changed"] == [listed[0]["id"]]
    assert "999999" in decided["refused"]

    log_in(client, session, member)
    board = client.get(_api(community, campaign, "/application")).json()
    assert board["application"]["status"] == "accepted"
    assert board["share_url"].startswith("http://testserver/s/")
    assert board["shipment"]["status"] == "pending"


def community_campaign(session: Session, community: Community, slug: str) -> Campaign:
    campaign = session.exec(campaign_lifecycle.select_campaign(community, slug)).one()
    return campaign


def test_tracking_import_and_progress_through_the_api(client: TestClient, session: Session) -> None:
    community, manager = _team(session)
    campaign = make_campaign(session, community)
    application = apply(session, campaign, community)
    accept(session, campaign, community, application, manager)
    move_to(session, campaign, "shipping")
    shipment = campaign_kits.get_shipment(session, application=application)
    assert shipment is not None
    headers = {"x-csrftoken": csrf_token(client)}
    log_in(client, session, manager)
    csv_text = client.get(_api(community, campaign, "/kits.csv")).text
    assert csv_text.splitlines()[0].startswith("kit_id,campaign,connector")
    bad = client.post(
        _api(community, campaign, "/tracking"),
        files={"file": ("t.csv", f"kit_id,tracking_number\n{shipment.id},\nxyz,AB123\n".encode(), "text/csv")},
        headers=headers,
    )
    assert bad.status_code == 422
    assert set(field_errors(bad)) == {"row 2", "row 3"}
    good = client.post(
        _api(community, campaign, "/tracking"),
        files={"file": ("t.csv", f"kit_id,carrier,tracking_number\n{shipment.id},DHL,AB123\n".encode(), "text/csv")},
        headers=headers,
    )
    assert good.json() == {"shipped": 1, "corrected": 0, "unchanged": 0}
    progress = client.get(_api(community, campaign, "/progress")).json()
    assert progress["shipments"]["shipped"] == 1
    assert progress["connectors"][0]["shipment_status"] == "shipped"

    connector = session.get(User, application.user_id)
    assert connector is not None
    log_in(client, session, connector)
    received = client.post(_api(community, campaign, "/application/receipt"), json={}, headers=headers)
    assert received.json()["shipment"]["status"] == "delivered"
    samples = client.put(
        _api(community, campaign, "/application/samples"), json={"samples_passed_on": 9}, headers=headers
    )
    assert samples.json()["application"]["samples_passed_on"] == 9
