"""The comment thread and its errors in the member's language, with local dates."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import (
    add_member,
    csrf_token,
    log_in,
    make_challenge,
    make_comment,
    make_community,
    make_design,
    make_user,
)


def test_the_thread_in_german_with_a_german_date(client: TestClient, session: Session) -> None:
    place = make_community(session)
    designer, member = make_user(session), make_user(session)
    add_member(session, place, designer)
    add_member(session, place, member)
    design = make_design(session, make_challenge(session, place, phase="scoring"), designer)
    comment = make_comment(session, design, member, body="Schöne Wellen")
    comment.created_at = datetime(2026, 3, 4, 9, 5, tzinfo=UTC)
    session.add(comment)
    session.flush()
    log_in(client, session, member)
    page = client.get(f"/designs/{design.id}", headers={"Accept-Language": "de"}).text
    assert "Kommentar schreiben" in page and ">Kommentieren</button>" in page
    assert "04.03.26, 09:05" in page  # German short date and time (UTC for someone without a time zone)
    assert "Add a comment" not in page


def test_a_json_error_in_spanish(client: TestClient, session: Session) -> None:
    place = make_community(session)
    designer, member = make_user(session), make_user(session)
    add_member(session, place, designer)
    add_member(session, place, member)
    design = make_design(session, make_challenge(session, place, phase="scoring"), designer)
    log_in(client, session, member)
    refused = client.post(
        f"/api/v1/designs/{design.id}/comments",
        json={"body": "   "},
        headers={"x-csrftoken": csrf_token(client), "Accept-Language": "es"},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Corrige los campos marcados."
