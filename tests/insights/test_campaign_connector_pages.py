"""The connectors' table of a campaign's results, sorted, suppressed and paged in SQL: every page together is the
whole table as the one rule of suppression and the sort keys make it (checked against the same rules applied in
Python to every connector), the total is right, and the unsegmented dashboard reads no row per connector."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.brands.models import Brand, StaffRole
from app.campaigns import totals as campaign_totals
from app.campaigns.models import Campaign, CampaignApplication, ConnectorReach
from app.communities.models import Community, CommunityKind
from app.insights import campaign_results as campaign_service
from app.insights.suppression import suppress_partition
from tests.campaigns.factories import accept, apply, make_campaign
from tests.factories import add_staff, log_in, make_brand, make_community, make_user

# Each connector's responses (hop 1, hop 2), samples passed on and opens: ties, zeros, 1-4 and no sample.
SPREAD = [((3, 2), 10, 7), ((0, 0), 0, 0), ((2, 0), 4, 2), ((6, 0), 6, 9), ((12, 3), 10, 9), ((1, 0), 0, 1)]


def _crowd(session: Session, count: int, spread: list[tuple[tuple[int, int], int, int]] = SPREAD) -> Campaign:
    """A campaign with ``count`` accepted connectors whose counters cycle through ``spread``; every third shares a
    display name (ties broken by handle)."""
    brand = make_brand(session)
    community = make_community(session, brand, kind=CommunityKind.feedback)
    manager = make_user(session)
    add_staff(session, brand, manager)
    campaign = make_campaign(session, community, kit_count=count)
    for number in range(count):
        application = apply(session, campaign, community)
        accept(session, campaign, community, application, manager)
        (first, second), samples, opens = spread[number % len(spread)]
        application.samples_passed_on = samples
        user = session.get(User, application.user_id)
        assert user is not None
        if number % 3 == 0:
            user.display_name = "Same Name"
        session.add_all([application, user])
        for hop, responses in ((1, first), (2, second)):
            if responses or hop == 1:
                session.add(
                    ConnectorReach(
                        campaign_id=campaign.id or 0,
                        connector_id=user.id or 0,
                        hop=hop,
                        open_count=opens if hop == 1 else 0,
                        response_count=responses,
                        signup_count=number % 2,
                        share_count=hop - 1,
                    )
                )
    session.flush()
    # The reach rows are written directly, not by events: the campaign's kept totals are recounted from them.
    campaign_totals.recount_campaign_totals(session, campaign_id=campaign.id or 0)
    session.commit()
    return campaign


def _everyone_in_python(session: Session, campaign: Campaign, sort: str, descending: bool) -> list[tuple]:
    """The whole table by the rules themselves: ``suppress_partition`` over every connector in the order they
    applied, hidden counts below every shown one, ties by name then handle."""
    connectors = []
    for application in session.exec(
        select(CampaignApplication)
        .where(CampaignApplication.campaign_id == campaign.id)
        .order_by(col(CampaignApplication.id))
    ):
        user = session.get(User, application.user_id)
        assert user is not None
        reach = session.exec(
            select(ConnectorReach).where(
                ConnectorReach.campaign_id == campaign.id, ConnectorReach.connector_id == user.id
            )
        ).all()
        connectors.append((user, application.samples_passed_on, reach))
    shown = suppress_partition([sum(row.response_count for row in reach) for _, _, reach in connectors])
    rows = []
    for (user, samples, reach), responses in zip(connectors, shown, strict=True):
        rate = responses / samples if responses is not None and samples else None
        opens = sum(row.open_count for row in reach)
        signups = sum(row.signup_count for row in reach)
        rows.append((user.handle, user.display_name, samples, opens, responses, signups, rate))
    hidden_last = lambda row: -1 if row[4] is None else row[4]  # noqa: E731
    keys = {
        "responses": lambda row: (hidden_last(row), row[6] or 0.0),
        "rate": lambda row: (row[6] is not None, row[6] or 0.0, hidden_last(row)),
        "opens": lambda row: (row[3], hidden_last(row)),
        "samples": lambda row: (row[2], hidden_last(row)),
        "signups": lambda row: (row[5], hidden_last(row)),
        "name": lambda row: (row[1].lower(), row[0]),
    }
    rows.sort(key=lambda row: (row[1].lower(), row[0]))
    rows.sort(key=keys[sort], reverse=descending)
    return rows


def _as_tuples(page: campaign_service.ConnectorPage) -> list[tuple]:
    return [
        (row.handle, row.display_name, row.samples_passed_on, row.opens, row.responses, row.signups, row.response_rate)
        for row in page.rows
    ]


@pytest.mark.parametrize(
    "spread",
    [
        SPREAD,  # many counts of 1-4: no other hidden to protect them
        [((3, 0), 10, 1), ((5, 0), 5, 2), ((5, 0), 8, 2), ((9, 1), 10, 3)],  # one 3 among 5s: the first 5 hidden too
    ],
)
def test_every_page_together_is_the_whole_table_by_the_rules_in_each_sort(session: Session, spread: list) -> None:
    campaign = _crowd(session, 23, spread)
    for sort in campaign_service.SORTS:
        for descending in (True, False):
            expected = _everyone_in_python(session, campaign, sort, descending)
            pages = [
                campaign_service.connector_results(
                    session, campaign=campaign, sort=sort, descending=descending, page=page, per_page=5
                )
                for page in range(1, 7)
            ]
            assert all(page.total == 23 for page in pages)
            assert [len(page.rows) for page in pages] == [5, 5, 5, 5, 3, 0]
            assert [row for page in pages for row in _as_tuples(page)] == expected, (sort, descending)
            everyone = campaign_service.connector_results(
                session, campaign=campaign, sort=sort, descending=descending, per_page=None
            )
            assert _as_tuples(everyone) == expected
    hidden = [row for row in _everyone_in_python(session, campaign, "name", False) if row[4] is None]
    assert len(hidden) >= 2


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    engine = session.get_bind()
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _dashboard_statements(session: Session, campaign: Campaign) -> int:
    community = session.get(Community, campaign.community_id)
    assert community is not None
    session.expire_all()
    with _statements(session) as seen:
        scope = campaign_service.campaign_scope(session, campaign=campaign)
        results = campaign_service.campaign_results(session, scope=scope, community=community)
    assert len(results.connectors) == campaign_service.CONNECTORS_PER_PAGE or results.connector_total < 20
    return len(seen)


def test_the_dashboard_for_everyone_reads_no_row_per_connector(session: Session) -> None:
    # 12 and 36 connectors: the same hiding (several counts of 1-4, none protected by another), 3 times the rows.
    few = _dashboard_statements(session, _crowd(session, 12))
    many = _dashboard_statements(session, _crowd(session, 36))
    assert few == many


def _analyst_of(session: Session, campaign: Campaign, client: TestClient) -> str:
    community = session.get(Community, campaign.community_id)
    assert community is not None
    person = make_user(session)
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    add_staff(session, brand, person, StaffRole.analyst)
    log_in(client, session, person)
    return f"{community.slug}/campaigns/{campaign.slug}/insights"


def test_the_page_and_the_json_show_the_next_connectors_and_the_total(client: TestClient, session: Session) -> None:
    campaign = _crowd(session, 23)
    path = _analyst_of(session, campaign, client)
    expected = [row[0] for row in _everyone_in_python(session, campaign, "samples", True)]
    second = client.get(f"/c/{path}/connectors", params={"sort": "samples", "connectors": 20, "page": 2})
    assert second.status_code == 200
    table = second.text[second.text.index('data-testid="connectors"') :]
    assert all(f"@{handle}<" in table for handle in expected[20:])
    assert not any(f"@{handle}<" in table for handle in expected[:20])
    assert (
        "21\u201323 of 23 connectors" in second.text and 'rel="prev"' in second.text and 'rel="next"' not in second.text
    )
    first = client.get(f"/c/{path}")
    assert "1\u201320 of 23 connectors" in first.text and 'rel="next"' in first.text

    body = client.get(f"/api/v1/communities/{path}", params={"sort": "samples", "page": 3, "per_page": 10}).json()
    assert (body["connector_total"], body["connector_page"], body["connectors_per_page"]) == (23, 3, 10)
    assert [row["handle"] for row in body["connectors"]] == expected[20:]
    refused = client.get(f"/api/v1/communities/{path}", params={"per_page": 5000})
    assert refused.status_code == 422 and "per_page" in refused.text
    csv = client.get(f"/c/{path}/export.csv", params={"table": "connectors"})
    assert csv.status_code == 200 and len(csv.text.strip().splitlines()) == 1 + 23
