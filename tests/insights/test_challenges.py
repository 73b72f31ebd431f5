"""Challenge results: service figures against the scores cast, suppression, pages, fragments, JSON and CSV."""

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.brands.models import StaffRole
from app.challenges.models import Challenge
from app.columns import utcnow
from app.communities.models import Community
from app.insights import service as insights_service
from tests.factories import add_staff, log_in, make_brand, make_challenge, make_community, make_design, make_user
from tests.insights.factories import score, scoring_moment

HTMX = {"HX-Request": "true"}


def _closed_challenge(session: Session) -> tuple[Community, Challenge, list[int]]:
    """Design A scored by 6 (4 would buy), design B by 3 (suppressed), design C by 5; scoring has closed."""
    community = make_community(session)
    challenge = make_challenge(session, community, phase="closed", title="Sea Shirts")
    designs = [make_design(session, challenge, title=title) for title in ("Waves", "Gulls", "=cmd|' /C calc'!A0")]
    for value, buy in [(5, True), (5, True), (4, True), (4, True), (3, False), (1, False)]:
        score(session, community, designs[0], value, would_buy=buy)
    for value in (0, 0, 1):
        score(session, community, designs[1], value, would_buy=True)
    for value in (2, 3, 3, 4, 5):
        score(session, community, designs[2], value)
    return community, challenge, [design.id or 0 for design in designs]


def _url(community: Community, challenge: Challenge) -> str:
    return f"/c/{community.slug}/challenges/{challenge.slug}/insights"


def test_results_count_the_scores_and_suppress_small_designs(session: Session) -> None:
    community, challenge, (waves, gulls, third) = _closed_challenge(session)
    results = insights_service.challenge_results(session, community=community, challenge=challenge)
    assert (results.design_count, results.score_count, results.voter_count) == (3, 14, 14)
    assert results.scores_shown
    # Overall figures leave out the suppressed design (Gulls), so they cannot be differenced against the rest.
    # Every count of 1-4 is hidden (and zeros shown), as is a share of 4 buyers (app.insights.suppression).
    assert results.distribution == [0, None, None, None, None, None]
    assert results.would_buy is not None and (results.would_buy.count, results.would_buy.total) == (None, 11)
    by_id = {design.design_id: design for design in results.designs}
    assert by_id[waves].distribution == [0, None, 0, None, None, None] and by_id[waves].mean == 22 / 6
    assert (by_id[waves].would_buy.count, by_id[waves].would_buy.total) == (None, 6)
    hidden = by_id[gulls]
    assert hidden.distribution is None and hidden.mean is None and hidden.would_buy.suppressed
    assert hidden.score_count == 3  # the size of a group is not secret, its answers are
    assert by_id[third].distribution == [0, 0, None, None, None, None]
    assert [design.rank for design in results.designs] == [1, 2, 3]
    # The factory's designs are made now; the scores were cast in the scoring window.
    scored_on = scoring_moment(challenge).date().isoformat()
    assert [(day.day, day.scores, day.designs) for day in results.participation] == [
        (scored_on, 14, 0),
        (utcnow().date().isoformat(), 0, 3),
    ]


def test_scores_stay_hidden_while_scoring_runs(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="scoring")
    design = make_design(session, challenge)
    for value in range(6):
        score(session, community, design, value, now=challenge.submissions_close_at + timedelta(hours=1))
    results = insights_service.challenge_results(session, community=community, challenge=challenge)
    assert not results.scores_shown and results.distribution is None and results.designs == []
    assert sum(day.scores for day in results.participation) == 6


def _analyst(session: Session, community: Community, client: TestClient) -> None:
    from app.brands.models import Brand

    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    analyst = make_user(session)
    add_staff(session, brand, analyst, StaffRole.analyst)
    log_in(client, session, analyst)


def test_page_charts_tables_and_htmx_fragment(client: TestClient, session: Session) -> None:
    community, challenge, _ = _closed_challenge(session)
    _analyst(session, community, client)
    page = client.get(_url(community, challenge))
    assert page.status_code == 200 and "<html" in page.text
    assert page.text.count('role="img"') >= 5 and "<table" in page.text
    assert "Scores of 1. Waves" in page.text and "fewer than 5" in page.text
    assert "=cmd" in page.text  # shown as text on the page; only CSV cells are neutralised
    fragment = client.get(_url(community, challenge), params={"limit": 50}, headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<h1>" not in fragment.text and 'id="design-results"' in fragment.text
    report = client.get(_url(community, challenge) + "/report")
    assert report.status_code == 200 and "Report: Results of Sea Shirts" in report.text
    assert 'class="exports' not in report.text


def test_json_api(client: TestClient, session: Session) -> None:
    community, challenge, (waves, gulls, _) = _closed_challenge(session)
    _analyst(session, community, client)
    response = client.get(
        f"/api/v1/communities/{community.slug}/challenges/{challenge.slug}/insights", params={"limit": 2}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["distribution"] == [0, None, None, None, None, None] and len(body["designs"]) == 2
    designs = {design["design_id"]: design for design in body["designs"]}
    assert designs[waves]["would_buy"]["count"] is None and designs[waves]["would_buy"]["total"] == 6
    if gulls in designs:
        assert designs[gulls]["would_buy"] == {
            "count": None,
            "total": None,
            "share": None,
            "low": None,
            "high": None,
            "suppressed": True,
        }
    too_many = client.get(
        f"/api/v1/communities/{community.slug}/challenges/{challenge.slug}/insights", params={"limit": 0}
    )
    assert too_many.status_code == 422


def test_csv_exports_neutralise_formulas(client: TestClient, session: Session) -> None:
    community, challenge, (waves, gulls, third) = _closed_challenge(session)
    _analyst(session, community, client)
    response = client.get(_url(community, challenge) + "/export.csv", params={"table": "designs"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    by_id = {int(row["design_id"]): row for row in rows}
    assert by_id[third]["title"] == "'=cmd|' /C calc'!A0"
    assert by_id[waves]["would_buy"] == "" and by_id[waves]["score_5"] == "" and by_id[waves]["score_0"] == "0"
    assert by_id[gulls]["score_0"] == "" and by_id[gulls]["would_buy"] == "" and by_id[gulls]["scores"] == "3"
    days = client.get(_url(community, challenge) + "/export.csv", params={"table": "participation"})
    assert sum(int(row["scores"]) for row in csv.DictReader(io.StringIO(days.text))) == 14
    unknown = client.get(_url(community, challenge) + "/export.csv", params={"table": "voters"})
    assert unknown.status_code == 422


def test_another_brands_analyst_gets_404_everywhere(client: TestClient, session: Session) -> None:
    community, challenge, _ = _closed_challenge(session)
    other = make_user(session)
    add_staff(session, make_brand(session), other, StaffRole.analyst)
    log_in(client, session, other)
    api = f"/api/v1/communities/{community.slug}/challenges/{challenge.slug}/insights"
    for url in (
        _url(community, challenge),
        _url(community, challenge) + "/report",
        _url(community, challenge) + "/export.csv",
        api,
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Waves" not in response.text
