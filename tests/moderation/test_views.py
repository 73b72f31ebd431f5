"""The moderation pages: forms that keep what was typed, htmx fragments, the CSV export."""

import html
import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.brands.models import Brand
from app.communities.models import MemberRole
from app.i18n.formatting import format_datetime
from app.moderation import appeals as moderation_appeals
from app.moderation import audit as moderation_audit
from app.moderation import decisions as moderation_decisions
from app.moderation import queue as moderation_queue
from app.moderation import reports as moderation_reports
from app.moderation import sanctions as moderation_sanctions
from app.moderation import screening as moderation_screening
from app.moderation.models import SubjectKind
from tests.factories import add_member, add_staff, csrf_token, log_in, make_user
from tests.moderation.factories import make_members, make_place, score_with_a_ring


def test_report_form_keeps_the_note_when_no_reason_is_chosen(client: TestClient, session: Session) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    log_in(client, session, reporter)
    url = f"/c/{place.community.slug}/report/comment/{place.comment.id}"
    page = client.get(url)
    assert page.status_code == 200 and "Buy cheap watches" in page.text
    failed = client.post(url, data={"note": "my careful note", "csrftoken": csrf_token(client)})
    assert failed.status_code == 422 and "my careful note" in failed.text and "Choose a reason" in failed.text
    done = client.post(url, data={"reason": "spam", "csrftoken": csrf_token(client)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith(f"/designs/{place.design.id}")


def test_the_queue_is_a_page_or_an_htmx_fragment_and_decides_in_bulk(client: TestClient, session: Session) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    items = [
        moderation_reports.report_subject(
            session, community=place.community, reporter=reporter, kind=kind, subject_id=subject_id, reason="spam"
        ).item
        for kind, subject_id in (("comment", place.comment.id or 0), ("design", place.design.id or 0))
    ]
    log_in(client, session, place.moderator)
    url = f"/c/{place.community.slug}/moderation"
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.text and "Buy cheap watches" in page.text
    fragment = client.get(url, params={"kind": "comment"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "Buy cheap watches" in fragment.text
    assert f"Design {place.design.id}" not in fragment.text
    failed = client.post(
        f"{url}/decide",
        data={
            "item_ids": [str(i.id) for i in items],
            "decision": "hide",
            "reason": "",
            "csrftoken": csrf_token(client),
        },
    )
    assert failed.status_code == 422 and "Give a reason" in failed.text
    done = client.post(
        f"{url}/decide",
        data={
            "item_ids": [str(i.id) for i in items],
            "decision": "hide",
            "reason": "Spam",
            "csrftoken": csrf_token(client),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    for item in items:
        session.refresh(item)
        assert item.status == "hidden"


def test_the_author_sees_the_notice_and_others_do_not_see_the_hidden_comment(
    client: TestClient, session: Session
) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    item = moderation_reports.report_subject(
        session,
        community=place.community,
        reporter=reporter,
        kind="comment",
        subject_id=place.comment.id or 0,
        reason="spam",
    ).item
    moderation_decisions.decide(
        session,
        community=place.community,
        moderator=place.moderator,
        item_ids=[item.id or 0],
        decision="hide",
        reason="Advertising",
    )
    log_in(client, session, reporter)
    assert "Buy cheap watches" not in client.get(f"/designs/{place.design.id}").text
    log_in(client, session, place.author)
    page = client.get(f"/designs/{place.design.id}")
    assert "Buy cheap watches" in page.text and "hidden by the moderators" in page.text


def test_the_author_is_told_whether_a_post_waits_for_review_was_hidden_or_was_removed(
    client: TestClient, session: Session
) -> None:
    from app.comments import service as comments_service

    place = make_place(session)
    moderation_screening.update_settings(
        session,
        community=place.community,
        moderator=place.moderator,
        auto_hide_threshold=3,
        premoderation=False,
        premoderation_posts=1,
        blocked_words="casino",
    )
    held = comments_service.add_comment(session, design=place.design, author=place.author, body="Casino night")
    log_in(client, session, place.author)
    page = client.get(f"/designs/{place.design.id}").text
    assert "This comment of yours is waiting for review" in page
    assert page.count("hidden by the moderators") == 0  # neither the held comment nor anything else
    item = moderation_reports.report_subject(
        session,
        community=place.community,
        reporter=make_members(session, place.community, 1)[0],
        kind="design",
        subject_id=place.design.id or 0,
        reason="spam",
    ).item
    queue = moderation_queue.item_statuses(
        session, community_id=place.community.id or 0, kind=SubjectKind.comment, subject_ids=[held.id or 0]
    )
    moderation_decisions.decide(
        session,
        community=place.community,
        moderator=place.moderator,
        item_ids=[item.id or 0],
        decision="remove",
        reason="Not the brief",
    )
    page = client.get(f"/designs/{place.design.id}").text
    assert "This design of yours was removed by the moderators" in page
    assert queue == {held.id: "held"}


def test_the_audit_csv_is_filtered_and_neutralised(client: TestClient, session: Session) -> None:
    place = make_place(session)
    moderation_audit.record(
        session, community_id=place.community.id, actor=place.moderator, action="warning", reason="=cmd|' /C calc'!A0"
    )
    moderation_audit.record(
        session, community_id=place.community.id, actor=place.moderator, action="ban", reason="other"
    )
    log_in(client, session, place.moderator)
    csv_text = client.get(f"/c/{place.community.slug}/moderation/audit.csv", params={"action": "warning"}).text
    assert "'=cmd" in csv_text and "other" not in csv_text
    page = client.get(f"/c/{place.community.slug}/moderation/audit", params={"since": "not a date"})
    assert page.status_code == 422 and "2026-11-23" in page.text


def test_the_queue_page_has_unique_ids_and_each_label_has_its_control(client: TestClient, session: Session) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    moderation_reports.report_subject(
        session,
        community=place.community,
        reporter=reporter,
        kind="comment",
        subject_id=place.comment.id or 0,
        reason="spam",
    )
    log_in(client, session, place.moderator)
    page = client.get(f"/c/{place.community.slug}/moderation").text
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []
    for target in re.findall(r'<label[^>]*\bfor="([^"]+)"', page):
        assert target in ids, target


def test_the_export_link_follows_the_filters_htmx_swaps(client: TestClient, session: Session) -> None:
    place = make_place(session)
    for action, reason in (("warning", "first"), ("ban", "second")):
        moderation_audit.record(
            session, community_id=place.community.id, actor=place.moderator, action=action, reason=reason
        )
    log_in(client, session, place.moderator)
    url = f"/c/{place.community.slug}/moderation/audit"
    fragment = client.get(url, params={"action": "ban"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    href = re.search(r'href="([^"]*audit\.csv[^"]*)"', fragment.text)
    assert href is not None and "action=ban" in href.group(1)
    csv_text = client.get(html.unescape(href.group(1))).text
    assert "second" in csv_text and "first" not in csv_text


def test_the_integrity_page_shows_a_ring_and_discounts_it(client: TestClient, session: Session) -> None:
    place = make_place(session, phase="closed")
    ring = score_with_a_ring(session, place, ring_size=12)
    log_in(client, session, place.moderator)
    url = f"/c/{place.community.slug}/challenges/{place.challenge.slug}/integrity"
    page = client.get(url)
    assert page.status_code == 200 and f"12 voters boosting @{place.author.handle}" in page.text
    assert "accounts that scored little else" in page.text
    assert 'class="chart ring-picture"' in page.text and "12 from the group (filled)" in page.text
    assert "Ranking without these groups" in page.text and "(preview)" not in page.text
    ids = ",".join(str(voter.id) for voter in ring)
    failed = client.post(f"{url}/discounts", data={"voter_ids": ids, "reason": "", "csrftoken": csrf_token(client)})
    assert failed.status_code == 422
    done = client.post(
        f"{url}/discounts",
        data={"voter_ids": ids, "reason": "One hand", "csrftoken": csrf_token(client)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.refresh(place.design)
    assert place.design.score_count == 30
    after = client.get(url).text
    assert "One hand" in after and "No suspicious groups." in after
    manager = make_user(session)
    brand = session.get(Brand, place.community.brand_id)
    assert brand is not None
    add_staff(session, brand, manager)
    log_in(client, session, manager)
    shortlist = client.get(f"/c/{place.community.slug}/challenges/{place.challenge.slug}/shortlist")
    assert shortlist.status_code == 200 and "+12 discounted" in shortlist.text


def test_while_scoring_is_open_the_integrity_page_previews_the_ranking_without_the_ring(
    client: TestClient, session: Session
) -> None:
    place = make_place(session, phase="scoring")
    score_with_a_ring(session, place, ring_size=12)
    log_in(client, session, place.moderator)
    page = client.get(f"/c/{place.community.slug}/challenges/{place.challenge.slug}/integrity")
    assert page.status_code == 200 and "12 voters boosting" in page.text
    assert "Ranking without these groups (preview)" in page.text and "Discount their scores" not in page.text
    assert re.search(rf"<td>{re.escape(html.escape(place.design.title))}</td><td>\d+</td><td>\d+ \(down", page.text)


def test_the_appeals_page_offers_no_decision_to_the_moderator_who_made_it(client: TestClient, session: Session) -> None:
    place = make_place(session)
    other = make_user(session)
    add_member(session, place.community, other, MemberRole.moderator)
    moderation_sanctions.sanction_member(
        session,
        community=place.community,
        moderator=place.moderator,
        member=place.author,
        kind="warning",
        reason="Rude",
    )
    entry = moderation_appeals.my_decisions(session, community=place.community, member=place.author)[0][0]
    moderation_appeals.file_appeal(
        session, community=place.community, appellant=place.author, entry_id=entry.id or 0, body="I was not"
    )
    url = f"/c/{place.community.slug}/moderation/appeals"
    log_in(client, session, place.moderator)
    own = client.get(url).text
    assert 'value="grant"' not in own and "another moderator" in own
    log_in(client, session, other)
    theirs = client.get(url).text
    assert 'value="grant"' in theirs and 'value="reject"' in theirs


def test_a_decision_page_names_its_subject_and_a_suspensions_end(client: TestClient, session: Session) -> None:
    from sqlmodel import col, select

    from app.moderation.models import AuditEntry

    place = make_place(session)
    item = moderation_reports.report_subject(
        session,
        community=place.community,
        reporter=make_members(session, place.community, 1)[0],
        kind="comment",
        subject_id=place.comment.id or 0,
        reason="spam",
    ).item
    moderation_decisions.decide(
        session,
        community=place.community,
        moderator=place.moderator,
        item_ids=[item.id or 0],
        decision="hide",
        reason="Advertising",
    )
    sanction = moderation_sanctions.sanction_member(
        session,
        community=place.community,
        moderator=place.moderator,
        member=place.author,
        kind="suspension",
        reason="Spam again",
        days=3,
    )
    hidden, suspended = session.exec(
        select(AuditEntry).where(AuditEntry.target_user_id == place.author.id).order_by(col(AuditEntry.id))
    ).all()
    log_in(client, session, place.author)
    page = client.get(f"/c/{place.community.slug}/decisions/{hidden.id}").text
    assert f'About: <a href="/designs/{place.design.id}#comment-{place.comment.id}">Buy cheap watches here</a>' in page
    page = client.get(f"/c/{place.community.slug}/decisions/{suspended.id}").text
    assert sanction.ends_at is not None and "Until <time datetime=" in page
    assert f"{format_datetime(sanction.ends_at, style='short')}</time>." in page  # English, in UTC
