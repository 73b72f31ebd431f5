"""The moderation API through the TestClient: report, queue, decide, sanction, appeal, audit, settings, data."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import PASSWORD, csrf_token, log_in, make_user
from tests.moderation.factories import make_members, make_place


def test_report_queue_decide_and_the_authors_appeal(client: TestClient, session: Session) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    headers = {"x-csrftoken": csrf_token(client)}
    base = f"/api/v1/communities/{place.community.slug}"

    log_in(client, session, reporter)
    body = {"subject_kind": "comment", "subject_id": place.comment.id, "reason": "spam", "note": "a watch shop"}
    created = client.post(f"{base}/reports", json=body, headers=headers)
    assert created.status_code == 201, created.text
    again = client.post(f"{base}/reports", json=body, headers=headers)
    assert again.status_code == 409 and "already" in again.json()["detail"]
    assert client.get(f"{base}/moderation/queue").status_code == 403  # a member is no moderator

    log_in(client, session, place.moderator)
    queue = client.get(f"{base}/moderation/queue").json()
    assert [(q["subject_kind"], q["report_count"], q["reasons"]) for q in queue] == [("comment", 1, {"spam": 1})]
    item = client.get(f"{base}/moderation/items/{queue[0]['id']}").json()
    assert item["reports"][0]["note"] == "a watch shop"
    refused = client.post(
        f"{base}/moderation/decisions", json={"item_ids": [queue[0]["id"]], "decision": "hide"}, headers=headers
    )
    assert refused.status_code == 422 and refused.json()["detail"]
    decided = client.post(
        f"{base}/moderation/decisions",
        json={"item_ids": [queue[0]["id"]], "decision": "hide", "reason": "Advertising"},
        headers=headers,
    )
    assert decided.status_code == 200, decided.text
    entry_id = decided.json()[0]["id"]

    log_in(client, session, place.author)
    mine = client.get(f"{base}/decisions").json()
    assert [d["id"] for d in mine] == [entry_id]
    appeal = client.post(f"{base}/decisions/{entry_id}/appeal", json={"body": "It is my shop"}, headers=headers)
    assert appeal.status_code == 201, appeal.text
    assert client.post(f"{base}/decisions/{entry_id}/appeal", json={"body": "x"}, headers=headers).status_code == 409

    log_in(client, session, place.moderator)
    own = client.post(
        f"{base}/moderation/appeals/{appeal.json()['id']}/decision",
        json={"grant": True, "reason": "ok"},
        headers=headers,
    )
    assert own.status_code == 403
    audit = client.get(f"{base}/moderation/audit", params={"action": "hide"}).json()
    assert [(a["action"], a["reason"], a["actor_handle"]) for a in audit] == [
        ("hide", "Advertising", place.moderator.handle)
    ]


def test_sanctions_through_the_api_stop_scoring_and_commenting(client: TestClient, session: Session) -> None:
    place = make_place(session)
    headers = {"x-csrftoken": csrf_token(client)}
    base = f"/api/v1/communities/{place.community.slug}"
    log_in(client, session, place.moderator)
    bad = client.post(
        f"{base}/moderation/sanctions",
        json={"handle": place.author.handle, "kind": "suspension", "reason": "Spam"},
        headers=headers,
    )
    assert bad.status_code == 422 and "days" in str(bad.json())
    created = client.post(
        f"{base}/moderation/sanctions",
        json={"handle": place.author.handle, "kind": "suspension", "reason": "Spam", "days": 3},
        headers=headers,
    )
    assert created.status_code == 201 and created.json()["active"]
    log_in(client, session, place.author)
    refused = client.post(f"/api/v1/designs/{place.design.id}/comments", json={"body": "hi"}, headers=headers)
    assert refused.status_code == 403 and "You are suspended in" in refused.json()["detail"]
    assert client.get(f"/api/v1/designs/{place.design.id}/comments").status_code == 200  # can still read
    log_in(client, session, place.moderator)
    lifted = client.post(
        f"{base}/moderation/sanctions/{created.json()['id']}/lift", json={"reason": "Early"}, headers=headers
    )
    assert lifted.status_code == 200 and not lifted.json()["active"]


def test_settings_round_trip_and_validation(client: TestClient, session: Session) -> None:
    place = make_place(session)
    headers = {"x-csrftoken": csrf_token(client)}
    base = f"/api/v1/communities/{place.community.slug}/moderation/settings"
    log_in(client, session, place.moderator)
    assert client.get(base).json()["auto_hide_threshold"] == 3
    assert client.put(base, json={"auto_hide_threshold": 0}, headers=headers).status_code == 422
    saved = client.put(base, json={"auto_hide_threshold": 5, "blocked_words": ["casino"]}, headers=headers)
    assert saved.json() == {
        "auto_hide_threshold": 5,
        "premoderation": False,
        "premoderation_posts": 1,
        "blocked_words": ["casino"],
    }


def test_export_and_delete_my_account(client: TestClient, session: Session) -> None:
    person = make_user(session)
    headers = {"x-csrftoken": csrf_token(client)}
    log_in(client, session, person)
    exported = client.get("/api/v1/me/export")
    assert exported.json()["tables"]["users"][0]["email"] == person.email
    assert "attachment" in exported.headers["content-disposition"]
    assert client.post("/api/v1/me/delete", json={"password": "nope"}, headers=headers).status_code == 422
    assert client.post("/api/v1/me/delete", json={"password": PASSWORD}, headers=headers).status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_a_site_admin_bans_an_account_everywhere(client: TestClient, session: Session) -> None:
    admin, person = make_user(session, is_site_admin=True), make_user(session)
    headers = {"x-csrftoken": csrf_token(client)}
    log_in(client, session, person)
    assert (
        client.post("/api/v1/admin/bans", json={"handle": admin.handle, "reason": "x"}, headers=headers).status_code
        == 404
    )
    log_in(client, session, admin)
    banned = client.post("/api/v1/admin/bans", json={"handle": person.handle, "reason": "Fraud"}, headers=headers)
    assert banned.status_code == 201 and banned.json()["member_handle"] == person.handle
    # A deactivated account is no longer found by its handle.
    again = client.post("/api/v1/admin/bans", json={"handle": person.handle, "reason": "Again"}, headers=headers)
    assert again.status_code == 404
    assert "Fraud" in client.get("/admin/bans").text
    session.refresh(person)
    assert not person.is_active
    client.cookies.clear()
    refused = client.post(
        "/api/v1/auth/session",
        json={"login": person.handle, "password": PASSWORD},
        headers={"x-csrftoken": csrf_token(client)},
    )
    assert refused.status_code in (401, 403, 422)
