"""The scoring API's permit (``ScoringPermit``): the caller and their standing at the design read in one Core
statement, with ``get_current_user``'s rules for the caller and ``DesignPermit``'s decision (the permission matrix
checks every role; these check what the one statement has to get right besides)."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts import tokens as accounts_tokens
from app.accounts.models import TokenScope, User
from app.challenges.models import Challenge, Design, DesignStatus, Score
from app.columns import utcnow
from app.moderation.models import Sanction, SanctionKind
from tests.factories import add_member, csrf_token, log_in, make_challenge, make_community, make_design, make_user


def _scoring_world(session: Session) -> tuple[Design, User, str]:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="scoring")
    design = make_design(session, challenge)
    voter = make_user(session, locale="de")
    add_member(session, community, voter)
    _token, plain = accounts_tokens.create_api_token(session, user=voter, name="script")
    return design, voter, plain


def _score(client: TestClient, design_id: int, plain: str | None, value: int = 4):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {plain}"} if plain else {}
    return client.put(f"/api/v1/designs/{design_id}/score", json={"value": value, "would_buy": True}, headers=headers)


def test_a_token_scores_and_a_second_score_changes_it(client: TestClient, session: Session) -> None:
    design, voter, plain = _scoring_world(session)
    assert _score(client, design.id or 0, plain, 4).json()["value"] == 4
    assert _score(client, design.id or 0, plain, 1).json()["value"] == 1
    score = session.exec(select(Score).where(Score.design_id == design.id, Score.voter_id == voter.id)).one()
    session.refresh(design)
    assert (score.value, design.score_count, design.score_sum, design.buy_count) == (1, 1, 1, 1)


def test_an_unknown_token_is_refused_before_the_design_is_looked_at(client: TestClient, session: Session) -> None:
    design, _voter, _plain = _scoring_world(session)
    for design_id in (design.id or 0, 999_999):
        response = _score(client, design_id, "not-a-token")
        assert response.status_code == 401
        assert response.json()["detail"] == "This API token is not valid: it has expired or been revoked."


def test_a_missing_design_is_404_for_a_member_and_asks_a_visitor_to_log_in(
    client: TestClient, session: Session
) -> None:
    _design, _voter, plain = _scoring_world(session)
    assert _score(client, 999_999, plain).status_code == 404
    assert _score(client, 999_999, None).status_code == 401


def test_a_read_only_token_may_not_score(client: TestClient, session: Session) -> None:
    design, voter, _plain = _scoring_world(session)
    _token, read_only = accounts_tokens.create_api_token(session, user=voter, name="reader", scope=TokenScope.read)
    response = _score(client, design.id or 0, read_only)
    assert response.status_code == 403 and "read-only" in response.json()["detail"]


def test_the_session_cookie_scores_too_and_refusals_speak_the_members_language(
    client: TestClient, session: Session
) -> None:
    design, voter, _plain = _scoring_world(session)
    log_in(client, session, voter)
    headers = {"x-csrftoken": csrf_token(client)}
    assert client.put(f"/api/v1/designs/{design.id}/score", json={"value": 5}, headers=headers).status_code == 200
    design.status = DesignStatus.withdrawn
    session.flush()
    gone = client.put(f"/api/v1/designs/{design.id}/score", json={"value": 3}, headers=headers)
    # A withdrawn design is its designer's and the moderators' only; the voter reads German (their setting).
    assert (gone.status_code, gone.json()["detail"]) == (404, "Dieses Design gibt es nicht.")


def test_unconfirmed_and_suspended_members_are_refused_and_nothing_is_written(
    client: TestClient, session: Session
) -> None:
    design, voter, plain = _scoring_world(session)
    voter.email_confirmed_at = None
    session.flush()
    assert _score(client, design.id or 0, plain).status_code == 403
    voter.email_confirmed_at = utcnow()
    challenge = session.get(Challenge, design.challenge_id)
    assert challenge is not None
    session.add(
        Sanction(
            community_id=challenge.community_id,
            user_id=voter.id or 0,
            kind=SanctionKind.suspension,
            reason="Cooling off",
            ends_at=utcnow() + timedelta(days=1),
        )
    )
    session.flush()
    suspended = _score(client, design.id or 0, plain)
    assert suspended.status_code == 403 and "Cooling off" in suspended.json()["detail"]
    assert session.exec(select(Score).where(Score.voter_id == voter.id)).first() is None
