"""Campaign pages: full pages and htmx fragments, forms that keep what was typed, the managers' review table and
fulfilment, the connector's page, and who sees addresses."""

import re

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from app.accounts.models import User
from app.brands.models import StaffRole
from app.campaigns import connectors as campaign_connectors
from app.campaigns import kits as campaign_kits
from app.campaigns import links as share_links
from app.campaigns.models import ApplicationStatus, Campaign, CampaignApplication, CampaignStatus, ShipmentStatus
from app.communities.models import Community, CommunityKind
from tests.campaigns.factories import accept, apply, make_applicant, make_campaign, move_to, windows
from tests.factories import add_staff, csrf_token, log_in, make_brand, make_community, make_user

HTMX = {"HX-Request": "true"}


def _post(client: TestClient, url: str, data: dict[str, str] | None = None, **kwargs: object) -> Response:
    return client.post(url, data={**(data or {}), "csrftoken": csrf_token(client)}, **kwargs)  # type: ignore[arg-type]


def _url(community: Community, campaign: Campaign, tail: str = "") -> str:
    return f"/c/{community.slug}/campaigns/{campaign.slug}{tail}"


def _team(session: Session) -> tuple[Community, User, User]:
    brand = make_brand(session)
    community = make_community(session, brand, kind=CommunityKind.feedback)
    manager, analyst = make_user(session), make_user(session)
    add_staff(session, brand, manager)
    add_staff(session, brand, analyst, StaffRole.analyst)
    return community, manager, analyst


def _time(moment: object) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")  # type: ignore[attr-defined]


def test_manager_creates_and_publishes_a_campaign(client: TestClient, session: Session) -> None:
    community, manager, _ = _team(session)
    log_in(client, session, manager)
    assert client.get(f"/c/{community.slug}/campaigns/new").status_code == 200
    form = {
        "title": "Fizz summer",
        "product_name": "Fizz Lemonade",
        "kit_contents": "One bottle plus 10 samples",
        "kit_count": "40",
        "samples_per_kit": "10",
        "target_network_size": "25",
        "eligibility": "Do you drink soda? | yes",
        **{name: _time(moment) for name, moment in windows("applying").items()},
    }
    bad = _post(client, f"/c/{community.slug}/campaigns/new", {**form, "kit_count": "many", "title": ""})
    assert bad.status_code == 422
    assert "Use a whole number." in bad.text and 'value="Fizz Lemonade"' in bad.text
    assert session.exec(select(Campaign)).all() == []
    created = _post(client, f"/c/{community.slug}/campaigns/new", form, follow_redirects=False)
    assert created.status_code == 303
    campaign = session.exec(select(Campaign)).one()
    assert created.headers["location"] == _url(community, campaign)
    assert campaign.status == CampaignStatus.draft
    client.cookies.clear()
    assert client.get(_url(community, campaign)).status_code == 404  # drafts: staff only
    log_in(client, session, manager)
    _post(client, _url(community, campaign, "/publish"))
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.published
    client.cookies.clear()
    page = client.get(_url(community, campaign))
    assert page.status_code == 200 and "Fizz Lemonade" in page.text and "Log in to apply" in page.text


def test_applying_keeps_what_was_typed_and_then_lands_on_my_page(client: TestClient, session: Session) -> None:
    community, manager, _ = _team(session)
    campaign = make_campaign(session, community)
    member = make_applicant(session, community)
    log_in(client, session, member)
    page = client.get(_url(community, campaign))
    assert "Apply to be a connector" in page.text
    form = {
        "network_size": "30",
        "recipient_name": "Mia",
        "address_line1": "12 Main St., Apt 3",
        "city": "Leeds",
        "postcode": "LS1",
        "country": "Great Britain",
        "answer_q1": "yes",
    }
    bad = _post(client, _url(community, campaign, "/apply"), form)
    assert bad.status_code == 422
    assert "two-letter country code" in bad.text
    assert 'value="12 Main St., Apt 3"' in bad.text and 'value="yes" checked' in bad.text
    done = _post(client, _url(community, campaign, "/apply"), {**form, "country": "gb"}, follow_redirects=False)
    assert done.headers["location"] == _url(community, campaign, "/mine")
    mine = client.get(_url(community, campaign, "/mine"))
    assert "applied" in mine.text and 'value="GB"' in mine.text
    # Someone else at the same address learns nothing of the first application: theirs is taken too ...
    neighbour = make_applicant(session, community)
    log_in(client, session, neighbour)
    same = _post(
        client,
        _url(community, campaign, "/apply"),
        {**form, "recipient_name": "Sam", "address_line1": "12 main street apt 3", "country": "GB"},
        follow_redirects=True,
    )
    assert same.status_code == 200 and "applied" in same.text
    assert "household" not in same.text.replace("One kit per household", "").lower()
    assert "Mia" not in same.text and member.handle not in same.text
    # ... and the managers see the two flagged as one household on the review page.
    log_in(client, session, manager)
    review = client.get(_url(community, campaign, "/applications"))
    assert f"Same household as {neighbour.display_name} (@{neighbour.handle})" in review.text


def test_review_table_fragment_filters_and_bulk_accept(client: TestClient, session: Session) -> None:
    community, manager, _ = _team(session)
    campaign = make_campaign(session, community, kit_count=1)
    first, second = apply(session, campaign, community, network_size=5), apply(session, campaign, community)
    log_in(client, session, manager)
    full = client.get(_url(community, campaign, "/applications"))
    assert "<html" in full.text and first.address_line1 in full.text
    fragment = client.get(_url(community, campaign, "/applications"), params={"sort": "network"}, headers=HTMX)
    assert "<html" not in fragment.text and "<h1>" not in fragment.text
    assert fragment.text.index(second.address_line1) < fragment.text.index(first.address_line1)
    client.post(
        _url(community, campaign, "/applications/decide"),
        data={
            "csrftoken": csrf_token(client),
            "decision": "accept",
            "application_ids": [str(first.id), str(second.id)],
        },
    )
    session.refresh(first)
    session.refresh(second)
    assert (first.status, second.status) == (ApplicationStatus.accepted, ApplicationStatus.applied)
    accepted = client.get(_url(community, campaign, "/applications"), params={"status": "accepted"}, headers=HTMX)
    assert first.address_line1 in accepted.text and second.address_line1 not in accepted.text


def test_kit_csv_and_tracking_import_pages(client: TestClient, session: Session) -> None:
    community, manager, _ = _team(session)
    campaign = make_campaign(session, community)
    application = apply(session, campaign, community)
    accept(session, campaign, community, application, manager)
    move_to(session, campaign, "shipping")
    shipment = campaign_kits.get_shipment(session, application=application)
    assert shipment is not None
    log_in(client, session, manager)
    exported = client.get(_url(community, campaign, "/kits.csv"))
    assert exported.headers["content-type"].startswith("text/csv")
    assert application.address_line1 in exported.text
    bad = client.post(
        _url(community, campaign, "/tracking"),
        data={"csrftoken": csrf_token(client)},
        files={"file": ("t.csv", b"kit_id,carrier,tracking_number\n999999,DHL,JD1\n", "text/csv")},
    )
    assert bad.status_code == 422 and "Row 2" in bad.text and "nothing was imported" in bad.text
    good = client.post(
        _url(community, campaign, "/tracking"),
        data={"csrftoken": csrf_token(client)},
        files={"file": ("t.csv", f"kit_id,carrier,tracking_number\n{shipment.id},DHL,JD0001\n".encode(), "text/csv")},
        follow_redirects=False,
    )
    assert good.status_code == 303
    session.refresh(shipment)
    assert shipment.status == ShipmentStatus.shipped


def test_connector_page_shows_link_qr_and_only_their_own_network(client: TestClient, session: Session) -> None:
    community, manager, _ = _team(session)
    campaign = make_campaign(session, community)
    mine, theirs = apply(session, campaign, community), apply(session, campaign, community)
    for application in (mine, theirs):
        accept(session, campaign, community, application, manager)
    move_to(session, campaign, "sharing")
    me = session.get(User, mine.user_id)
    other = session.get(User, theirs.user_id)
    assert me is not None and other is not None
    their_link = campaign_connectors.connector_link(session, campaign=campaign, user=other)
    my_link = campaign_connectors.connector_link(session, campaign=campaign, user=me)
    assert their_link is not None and my_link is not None
    for _ in range(3):
        share_links.record_open(session, link=their_link)
    log_in(client, session, me)
    page = client.get(_url(community, campaign, "/mine"))
    assert my_link.code in page.text and their_link.code not in page.text
    assert "<svg" in page.text and theirs.address_line1 not in page.text
    assert "<dt>Link opened</dt><dd>0</dd>" in page.text
    qr = client.get(_url(community, campaign, "/mine/qr.svg"))
    assert qr.headers["content-type"].startswith("image/svg+xml") and my_link.code in qr.text
    # The samples form swaps its own block for htmx, and keeps a bad value with its message.
    bad = client.post(
        _url(community, campaign, "/mine/samples"),
        data={"csrftoken": csrf_token(client), "samples_passed_on": "lots"},
        headers=HTMX,
    )
    assert bad.status_code == 422 and "<html" not in bad.text and 'value="lots"' in bad.text
    negative = _post(client, _url(community, campaign, "/mine/samples"), {"samples_passed_on": "-2"}, headers=HTMX)
    assert negative.status_code == 422 and "Enter a number from 0 to" in negative.text  # the range, not "whole"
    _post(client, _url(community, campaign, "/mine/samples"), {"samples_passed_on": "7"})
    session.refresh(mine)
    assert mine.samples_passed_on == 7
    # Connectors cannot open the review table or the kit list.
    assert client.get(_url(community, campaign, "/applications")).status_code == 403
    assert client.get(_url(community, campaign, "/kits.csv")).status_code == 403


def test_addresses_only_for_that_brands_managers(client: TestClient, session: Session) -> None:
    community, manager, analyst = _team(session)
    campaign = make_campaign(session, community)
    application = apply(session, campaign, community)
    accept(session, campaign, community, application, manager)
    log_in(client, session, analyst)
    progress = client.get(_url(community, campaign, "/progress"))
    assert progress.status_code == 200 and application.address_line1 not in progress.text
    assert client.get(_url(community, campaign, "/applications")).status_code == 403
    assert client.get(_url(community, campaign, "/kits.csv")).status_code == 403
    assert client.get(f"/api/v1/communities/{community.slug}/campaigns/{campaign.slug}/applications").status_code == 403
    api_progress = client.get(f"/api/v1/communities/{community.slug}/campaigns/{campaign.slug}/progress")
    assert application.address_line1 not in api_progress.text
    outsider = make_user(session)
    add_staff(session, make_brand(session), outsider)
    log_in(client, session, outsider)
    for tail in ("/applications", "/kits.csv", "/progress"):
        assert client.get(_url(community, campaign, tail)).status_code == 404


def test_outcome_is_shown_to_participants(client: TestClient, session: Session) -> None:
    community, manager, _ = _team(session)
    campaign = make_campaign(session, community)
    application = apply(session, campaign, community)
    accept(session, campaign, community, application, manager)
    move_to(session, campaign, "closed")
    log_in(client, session, manager)
    bad = _post(client, _url(community, campaign, "/outcome"), {"outcome": ""})
    assert bad.status_code == 422
    _post(client, _url(community, campaign, "/outcome"), {"outcome": "You told us *fizzier*; we are doing it."})
    connector = session.get(User, application.user_id)
    assert connector is not None
    log_in(client, session, connector)
    page = client.get(_url(community, campaign))
    assert "<em>fizzier</em>" in page.text
    session.refresh(campaign)
    assert session.exec(select(CampaignApplication)).one().status == ApplicationStatus.accepted


def test_address_form_swaps_its_block_for_htmx(client: TestClient, session: Session) -> None:
    community, _, _ = _team(session)
    campaign = make_campaign(session, community)
    application = apply(session, campaign, community)
    applicant = session.get(User, application.user_id)
    assert applicant is not None
    log_in(client, session, applicant)
    form = {"recipient_name": "Mia", "address_line1": "9 Oak Lane", "city": "York", "postcode": "", "country": "X"}
    bad = client.post(
        _url(community, campaign, "/mine/address"), data={**form, "csrftoken": csrf_token(client)}, headers=HTMX
    )
    assert bad.status_code == 422 and "<html" not in bad.text
    assert 'value="9 Oak Lane"' in bad.text and "two-letter country code" in bad.text
    good = client.post(
        _url(community, campaign, "/mine/address"),
        data={**form, "country": "gb", "csrftoken": csrf_token(client)},
        headers=HTMX,
    )
    assert good.status_code == 204 and good.headers["HX-Redirect"] == _url(community, campaign, "/mine")
    session.refresh(application)
    assert (application.address_line1, application.country) == ("9 Oak Lane", "GB")


def _duplicate_ids(html: str) -> list[str]:
    ids = re.findall(r'\sid="([^"]+)"', html)
    return sorted({ident for ident in ids if ids.count(ident) > 1})


def test_progress_page_ids_are_unique_and_the_outcome_label_names_its_textarea(
    client: TestClient, session: Session
) -> None:
    community, manager, _ = _team(session)
    campaign = make_campaign(session, community)
    application = apply(session, campaign, community)
    accept(session, campaign, community, application, manager)
    move_to(session, campaign, "feedback")
    log_in(client, session, manager)
    page = client.get(_url(community, campaign, "/progress"))
    assert page.status_code == 200 and "Post the outcome" in page.text
    assert _duplicate_ids(page.text) == []
    assert '<label for="outcome">' in page.text and '<textarea id="outcome"' in page.text
    refused = _post(client, _url(community, campaign, "/outcome"), {"outcome": ""})
    assert refused.status_code == 422 and _duplicate_ids(refused.text) == []
    posted = _post(
        client, _url(community, campaign, "/outcome"), {"outcome": "We are doing it."}, follow_redirects=False
    )
    # The redirect's anchor lands on the outcome's section of the campaign's page, its only "outcome" id.
    assert posted.headers["location"].endswith(_url(community, campaign, "#outcome"))
    detail = client.get(_url(community, campaign))
    assert detail.text.count('id="outcome"') == 1 and _duplicate_ids(detail.text) == []
