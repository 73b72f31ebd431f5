"""Reporting a member's profile: the profile page offers it in each community the two share (never on one's own
profile, nor to visitors), the report form sends it to that community's queue, and the API takes the handle."""

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import User
from app.moderation import reports as moderation_reports
from app.moderation.models import ItemStatus, ModerationItem, Report, Sanction, SubjectKind
from app.notifications.models import Notification
from tests.factories import add_member, csrf_token, log_in, make_community, make_user
from tests.moderation.factories import Place, make_members, make_place


def test_a_profile_is_reported_in_the_communities_both_people_are_in(session: Session) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    shared_too, only_theirs = make_community(session, name="Zest club"), make_community(session)
    for community in (shared_too, only_theirs):
        add_member(session, community, place.author)
    add_member(session, shared_too, reporter)
    found = moderation_reports.profile_report_communities(session, reporter=reporter, member=place.author)
    assert found == sorted([place.community, shared_too], key=lambda community: community.name)
    assert moderation_reports.profile_report_communities(session, reporter=place.author, member=place.author) == []
    assert moderation_reports.profile_report_communities(session, reporter=None, member=place.author) == []
    assert (
        moderation_reports.profile_report_communities(session, reporter=make_user(session), member=place.author) == []
    )


def test_the_profile_page_offers_the_report_and_the_form_sends_it(client: TestClient, session: Session) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    report_url = f"/c/{place.community.slug}/report/profile/{place.author.id}"
    profile_url = f"/u/{place.author.handle}"

    assert report_url not in client.get(profile_url).text  # a visitor
    log_in(client, session, place.author)
    assert report_url not in client.get(profile_url).text  # their own profile
    log_in(client, session, make_user(session))
    assert report_url not in client.get(profile_url).text  # someone sharing no community with them

    log_in(client, session, reporter)
    page = client.get(profile_url)
    assert f'href="{report_url}"' in page.text and f"Report it to the moderators of {place.community.name}" in page.text
    form_page = client.get(report_url)
    assert (
        form_page.status_code == 200 and "Report a profile" in form_page.text and place.author.handle in form_page.text
    )
    done = client.post(
        report_url,
        data={"reason": "spam", "note": "Sells watches", "csrftoken": csrf_token(client)},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, profile_url)
    item = session.exec(select(ModerationItem).where(ModerationItem.subject_kind == SubjectKind.profile)).one()
    assert (item.community_id, item.subject_id, item.author_id) == (
        place.community.id,
        place.author.id,
        place.author.id,
    )
    report = session.exec(select(Report).where(Report.item_id == item.id)).one()
    assert (report.reporter_id, report.note) == (reporter.id, "Sells watches")


def test_the_api_reports_a_profile_by_handle(client: TestClient, session: Session) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    stranger = make_user(session)
    headers = {"x-csrftoken": csrf_token(client)}
    base = f"/api/v1/communities/{place.community.slug}/members"

    log_in(client, session, reporter)
    created = client.post(f"{base}/{place.author.handle}/reports", json={"reason": "offensive"}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["auto_hidden"] is False  # a profile is never hidden: its owner is sanctioned instead
    again = client.post(f"{base}/{place.author.handle}/reports", json={"reason": "spam"}, headers=headers)
    assert again.status_code == 409
    not_here = client.post(f"{base}/{stranger.handle}/reports", json={"reason": "spam"}, headers=headers)
    assert not_here.status_code == 404 and not_here.json()["detail"] == "There is no such content in this community."
    unknown = client.post(f"{base}/nobody_at_all/reports", json={"reason": "spam"}, headers=headers)
    assert unknown.status_code == 404
    invalid = client.post(f"{base}/{place.author.handle}/reports", json={"reason": "rude"}, headers=headers)
    assert invalid.status_code == 422
    own = client.post(f"{base}/{reporter.handle}/reports", json={"reason": "spam"}, headers=headers)
    assert own.status_code == 409 and own.json()["detail"] == "You cannot report your own content."

    log_in(client, session, place.moderator)
    queue = client.get(f"/api/v1/communities/{place.community.slug}/moderation/queue", params={"kind": "profile"})
    assert [(entry["subject_id"], entry["report_count"], entry["reasons"]) for entry in queue.json()] == [
        (place.author.id, 1, {"offensive": 1})
    ]


def _reported_profile(session: Session) -> tuple[Place, User, ModerationItem]:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    item = moderation_reports.report_subject(
        session,
        community=place.community,
        reporter=reporter,
        kind="profile",
        subject_id=place.author.id or 0,
        reason="spam",
    ).item
    return place, reporter, item


def test_a_profile_item_offers_no_hiding_but_sanctions_its_owner(client: TestClient, session: Session) -> None:
    place, reporter, item = _reported_profile(session)
    log_in(client, session, place.moderator)
    url = f"/c/{place.community.slug}/moderation/items/{item.id}"
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="hide"' not in page.text and 'value="remove"' not in page.text and 'value="restore"' in page.text
    assert f'action="{url}/sanction"' in page.text and 'id="sanction-kind"' in page.text

    failed = client.post(
        f"{url}/sanction",
        data={"kind": "suspension", "days": "0", "reason": "Spam profile", "csrftoken": csrf_token(client)},
    )
    assert failed.status_code == 422 and "A suspension lasts 1 to 365 days" in failed.text
    assert 'value="Spam profile"' in failed.text

    done = client.post(
        f"{url}/sanction",
        data={"kind": "suspension", "days": "7", "reason": "Spam profile", "csrftoken": csrf_token(client)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.refresh(item)
    assert item.status == ItemStatus.restored and item.decided_at is not None
    sanction = session.exec(select(Sanction).where(Sanction.user_id == place.author.id)).one()
    assert sanction.kind == "suspension" and sanction.ends_at is not None
    told = session.exec(select(Notification).where(Notification.user_id == reporter.id)).all()
    assert any("suspended its owner" in notice.text for notice in told)
    assert "suspension by @" in client.get(url).text  # the item's history shows the sanction


def test_the_api_lists_a_profile_items_decisions_and_sanctions_from_it(client: TestClient, session: Session) -> None:
    place, _reporter, item = _reported_profile(session)
    other = moderation_reports.report_subject(
        session,
        community=place.community,
        reporter=place.moderator,
        kind="comment",
        subject_id=place.comment.id or 0,
        reason="spam",
    ).item
    log_in(client, session, place.moderator)
    base = f"/api/v1/communities/{place.community.slug}/moderation"
    assert client.get(f"{base}/items/{item.id}").json()["decisions"] == ["restore"]
    assert client.get(f"{base}/items/{other.id}").json()["decisions"] == ["hide", "restore", "remove"]
    headers = {"x-csrftoken": csrf_token(client)}
    wrong = {"handle": place.author.handle, "kind": "warning", "reason": "Spam", "item_id": other.id}
    assert client.post(f"{base}/sanctions", json=wrong, headers=headers).status_code == 422
    created = client.post(f"{base}/sanctions", json={**wrong, "item_id": item.id}, headers=headers)
    assert created.status_code == 201, created.text
    session.refresh(item)
    assert item.status == ItemStatus.restored
