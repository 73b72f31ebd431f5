"""Community results: joins per month, retention by cohort (suppressed below 5), active members, contributors."""

import csv
import io
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import User
from app.brands.models import Brand, StaffRole
from app.challenges.models import Score
from app.communities.models import Community, CommunityKind
from app.ideas.models import IdeaVote
from app.insights import service as insights_service
from app.surveys.models import SurveyResponse
from tests.factories import (
    add_staff,
    log_in,
    make_brand,
    make_challenge,
    make_comment,
    make_community,
    make_design,
    make_user,
)
from tests.ideas.factories import make_idea
from tests.insights.factories import join
from tests.surveys.factories import make_survey

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SEPTEMBER = datetime(2026, 9, 3, 10, 0, tzinfo=UTC)
OCTOBER = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)


def _community(session: Session) -> tuple[Community, list[User]]:
    """Six members joined in September, two in October; activity in September, October and November.

    Rows are made directly with their times (the windows of the services are not the point here).
    """
    community = make_community(session)
    people = [make_user(session) for _ in range(8)]
    for person in people[:6]:
        join(session, community, joined_at=SEPTEMBER, user=person)
    for person in people[6:]:
        join(session, community, joined_at=OCTOBER, user=person)
    challenge = make_challenge(session, community, phase="scoring")
    design = make_design(session, challenge, created_at=SEPTEMBER)  # by a designer who is not a member
    # September cohort: all six active in September (designs), three in October (scores), one in November.
    for person in people[:6]:
        make_design(session, challenge, person, created_at=SEPTEMBER)
    for person in people[:3]:
        session.add(
            Score(design_id=design.id, voter_id=person.id, value=4, created_at=datetime(2026, 10, 9, tzinfo=UTC))
        )  # type: ignore[arg-type]
    make_comment(session, design, people[0], created_at=datetime(2026, 11, 2, tzinfo=UTC))
    make_comment(session, design, people[0], created_at=datetime(2026, 11, 3, tzinfo=UTC))
    # The October cohort (two people: suppressed) is active in October.
    make_comment(session, design, people[6], created_at=OCTOBER)
    session.flush()
    return community, people


def test_joins_cohorts_and_suppression(session: Session) -> None:
    community, _ = _community(session)
    results = insights_service.community_results(session, community=community, now=NOW)
    # The design's own designer (a factory user who is not a member) is left out of members' figures.
    assert [(entry.month, entry.count) for entry in results.joins] == [("2026-09", 6), ("2026-10", 2)]
    september, october = results.cohorts
    assert september.members == 6
    # 3 of 6 and 1 of 6 are hidden: a count, or the ones left out, of fewer than 5.
    assert [(share.count, share.total) for share in september.retained] == [(6, 6), (None, 6), (None, 6)]
    assert september.retained[1].low is None and september.retained[1].suppressed
    assert october.members is None and all(share.suppressed for share in october.retained)
    assert len(october.retained) == 2  # October and November have happened; later months have not
    assert results.member_count == 8


def test_active_members_and_top_contributors(session: Session) -> None:
    community, _ = _community(session)
    results = insights_service.community_results(session, community=community, now=NOW)
    # Active in the 30 days before NOW: the one who commented in November (a share of all eight members).
    assert (results.active_members.count, results.active_members.total) == (None, 8)  # 1: hidden
    top = results.top_commenters
    assert top[0].count == 2 and len(top) == 2
    assert sorted(entry.count for entry in results.top_scorers) == [1, 1, 1]
    assert len(results.top_designers) == 7  # six members and the first design's designer


def _feedback_community(session: Session) -> tuple[Community, list[User]]:
    """A feedback community (no challenge): six members joined in September posted ideas then, three voted on one in
    October, one answered a survey logged in in November; anonymous answers and a non-member's count for nobody."""
    brand = make_brand(session)
    community = make_community(session, brand, kind=CommunityKind.feedback)
    people = [make_user(session) for _ in range(6)]
    for person in people:
        join(session, community, joined_at=SEPTEMBER, user=person)
    ideas = [make_idea(session, community, person, created_at=SEPTEMBER) for person in people]
    for person in people[:3]:
        session.add(IdeaVote(idea_id=ideas[5].id, voter_id=person.id, created_at=datetime(2026, 10, 9, tzinfo=UTC)))  # type: ignore[arg-type]
    survey = make_survey(session, brand)
    outsider = make_user(session)
    for user in (people[0], None, None, outsider):
        session.add(
            SurveyResponse(
                survey_id=survey.id,  # type: ignore[arg-type]
                survey_version=1,
                user_id=user.id if user else None,
                community_id=community.id,
                submitted_at=datetime(2026, 11, 2, tzinfo=UTC),
                answer_keys="",
            )
        )
    session.flush()
    return community, people


def test_ideas_votes_and_responses_count_as_activity(session: Session) -> None:
    community, people = _feedback_community(session)
    results = insights_service.community_results(session, community=community, now=NOW)
    (september,) = results.cohorts
    # 6 of 6 is shown; 3 of 6 and 1 of 6 are hidden (a count, or the ones left out, under 5).
    assert [(share.count, share.total) for share in september.retained] == [(6, 6), (None, 6), (None, 6)]
    assert results.active_members.suppressed  # 1 of 6
    assert sorted(entry.handle for entry in results.top_idea_authors) == sorted(person.handle for person in people)
    assert sorted(entry.count for entry in results.top_idea_voters) == [1, 1, 1]
    # One member answered once: counted, hidden as under 5, and never named.
    assert results.survey_answering.members is None and results.survey_answering.responses is None
    assert results.top_designers == [] and results.top_scorers == [] and results.top_commenters == []
    _, rows = insights_service.community_rows(results, table="contributors")
    assert {row[0] for row in rows} == {"ideas", "votes"}


def test_the_page_explains_and_lists_every_kind_of_activity(client: TestClient, session: Session) -> None:
    community, _ = _feedback_community(session)
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    log_in(client, session, manager)
    page = client.get(f"/c/{community.slug}/insights").text
    assert "posted an idea or voted on one" in page and "answered a survey or campaign" in page
    for caption in ("Ideas posted", "Votes on ideas"):
        assert f"<caption>{caption}</caption>" in page
    # Answering surveys is counted, never a named list (ideas, public acts, still name their authors).
    assert "<caption>Surveys answered</caption>" not in page
    assert "Fewer than 5 members answered surveys or campaigns logged in" in page


def test_pages_json_and_csv(client: TestClient, session: Session) -> None:
    community, _ = _community(session)
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    log_in(client, session, manager)
    page = client.get(f"/c/{community.slug}/insights")
    assert page.status_code == 200 and "Retention by monthly cohort" in page.text and 'role="img"' in page.text
    assert "heat-" in page.text and "fewer than 5" in page.text
    assert client.get(f"/c/{community.slug}/insights/report").status_code == 200
    body = client.get(f"/api/v1/communities/{community.slug}/insights").json()
    assert body["cohorts"][0]["members"] == 6 and body["cohorts"][1]["members"] is None
    retention = client.get(f"/c/{community.slug}/insights/export.csv", params={"table": "retention"})
    rows = list(csv.reader(io.StringIO(retention.text)))
    assert rows[0][:3] == ["cohort", "members", "month_0"]
    assert rows[2][1] == "" and rows[2][2] == ""  # the suppressed cohort
    for table in ("joins", "contributors"):
        assert client.get(f"/c/{community.slug}/insights/export.csv", params={"table": table}).status_code == 200


def test_another_brands_staff_and_members_are_refused(client: TestClient, session: Session) -> None:
    community, users = _community(session)
    outsider = make_user(session)
    add_staff(session, make_brand(session), outsider, StaffRole.owner)
    log_in(client, session, outsider)
    for url in (f"/c/{community.slug}/insights", f"/api/v1/communities/{community.slug}/insights"):
        assert client.get(url).status_code == 404
    log_in(client, session, users[0])
    assert client.get(f"/c/{community.slug}/insights").status_code == 403  # an insider without the role
