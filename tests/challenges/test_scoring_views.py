"""Scoring as a stack of cards, through the pages and the API: the next design, moving on after a score (htmx
and plain forms), progress, the member's marks in the gallery and its "not scored yet" filter."""

import json

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from app.accounts.models import User
from app.challenges import gallery as challenge_gallery
from app.challenges.models import Challenge, Design
from app.communities.models import Community
from tests.factories import add_member, csrf_token, log_in, make_challenge, make_community, make_design, make_user

HTMX = {"HX-Request": "true"}


def _scoring_challenge(session: Session, designs: int = 3) -> tuple[Community, Challenge, User, list[Design]]:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="scoring")
    made = [make_design(session, challenge, title=f"Card {number}") for number in range(designs)]
    member = make_user(session)
    add_member(session, community, member)
    return community, challenge, member, made


def _url(community: Community, challenge: Challenge) -> str:
    return f"/c/{community.slug}/challenges/{challenge.slug}"


def _stack(session: Session, challenge: Challenge, member: User) -> list[int]:
    """The member's designs in their shuffle, as the gallery's "Shuffled for you" lists them."""
    page = challenge_gallery.list_gallery(session, challenge=challenge, viewer=member, sort="shuffled")
    return [design.id or 0 for design, _ in page.designs]


def _score(client: TestClient, design_id: int, value: str, **kwargs: object) -> Response:
    data = {"value": value, "csrftoken": csrf_token(client)}
    return client.post(f"/designs/{design_id}/score", data=data, follow_redirects=False, **kwargs)  # type: ignore[arg-type]


def test_next_opens_the_first_unscored_design_of_the_members_shuffle(client: TestClient, session: Session) -> None:
    community, challenge, member, _ = _scoring_challenge(session)
    log_in(client, session, member)
    order = _stack(session, challenge, member)

    first = client.get(f"{_url(community, challenge)}/next", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == f"/designs/{order[0]}"
    # From a design page, "Score the next design" moves on past the design being looked at.
    skipped = client.get(f"{_url(community, challenge)}/next", params={"after": order[0]}, follow_redirects=False)
    assert skipped.headers["location"] == f"/designs/{order[1]}"
    page = client.get(f"/designs/{order[0]}")
    assert f'href="{_url(community, challenge)}/next?after={order[0]}"' in page.text
    assert "Score the next design" in page.text and "Scored 0 of 3" in page.text


def test_a_plain_form_score_redirects_to_the_next_design_until_all_are_scored(
    client: TestClient, session: Session
) -> None:
    community, challenge, member, _ = _scoring_challenge(session)
    log_in(client, session, member)
    order = _stack(session, challenge, member)

    response = _score(client, order[0], "4")
    assert response.status_code == 303 and response.headers["location"] == f"/designs/{order[1]}"
    page = client.get(f"/designs/{order[1]}")
    assert "Your score of 4 for Card" in page.text and "Scored 1 of 3" in page.text
    assert '<progress id="scoring-progress-bar" max="3" value="1">' in page.text

    assert _score(client, order[1], "2").headers["location"] == f"/designs/{order[2]}"
    last = _score(client, order[2], "5")
    assert last.headers["location"] == f"/designs/{order[2]}"
    done = client.get(f"/designs/{order[2]}")
    assert "You have scored every design." in done.text and "Scored 3 of 3" in done.text
    assert f'<a href="{_url(community, challenge)}">Back to the gallery</a>' in done.text
    assert "Score the next design" not in done.text
    # Asking for the next one now goes back to the gallery, which says so too.
    finished = client.get(f"{_url(community, challenge)}/next", follow_redirects=False)
    assert finished.headers["location"] == _url(community, challenge)
    gallery = client.get(_url(community, challenge))
    assert gallery.text.count("You have scored every design.") == 2  # the flash and the progress


def test_an_htmx_score_moves_on_without_a_reload_and_the_last_one_says_done(
    client: TestClient, session: Session
) -> None:
    _, challenge, member, _ = _scoring_challenge(session, designs=2)
    log_in(client, session, member)
    order = _stack(session, challenge, member)

    response = _score(client, order[0], "3", headers=HTMX)
    assert response.status_code == 204
    location = json.loads(response.headers["HX-Location"])
    assert location == {"path": f"/designs/{order[1]}", "target": "#design", "swap": "innerHTML show:window:top"}
    toast = json.loads(response.headers["HX-Trigger"])["chorus:toast"]
    assert toast["message"].startswith("Your score of 3 for Card")

    # htmx then fetches the next design's block: a fragment with its title, not the whole page.
    fragment = client.get(location["path"], headers=HTMX)
    assert "<html" not in fragment.text and "site-header" not in fragment.text
    assert f"<title>{session.get(Design, order[1]).title} · Chorus</title>" in fragment.text  # type: ignore[union-attr]
    assert "data-score-keys" in fragment.text and "Scored 1 of 2" in fragment.text
    full = client.get(location["path"])
    assert "<html" in full.text and full.text.count("<title>") == 1 and 'id="design"' in full.text

    last = _score(client, order[1], "1", headers=HTMX)
    assert last.status_code == 200 and "HX-Location" not in last.headers
    assert "<html" not in last.text and "Saved." in last.text
    assert "You have scored every design." in last.text


def test_the_gallery_marks_my_scores_shows_progress_and_filters_to_unscored(
    client: TestClient, session: Session
) -> None:
    community, challenge, member, designs = _scoring_challenge(session)
    own = make_design(session, challenge, member, title="Mine")
    log_in(client, session, member)
    _score(client, designs[0].id or 0, "4")
    data = {"value": "2", "would_buy": "1", "csrftoken": csrf_token(client)}
    client.post(f"/designs/{designs[1].id}/score", data=data)

    page = client.get(_url(community, challenge))
    assert "Scored 2 of 3" in page.text and f'href="{_url(community, challenge)}/next"' in page.text
    assert "You scored 4</span>" in page.text and "You scored 2 · would buy</span>" in page.text
    assert 'name="unscored"' in page.text
    # The gallery comes before the folded brief.
    assert page.text.index('id="gallery"') < page.text.index("Brief and rules") < page.text.index("<em>shirt</em>")

    unscored = client.get(_url(community, challenge), params={"unscored": "true"})
    assert "Card 2" in unscored.text and "Card 0" not in unscored.text and "Card 1" not in unscored.text
    assert own.title not in unscored.text  # nobody scores their own
    assert 'name="unscored" value="true" checked' in unscored.text
    fragment = client.get(_url(community, challenge), params={"unscored": "true"}, headers=HTMX)
    assert "<html" not in fragment.text and "Card 2" in fragment.text and "Card 0" not in fragment.text

    _score(client, designs[2].id or 0, "0")
    assert "No designs left to score." in client.get(_url(community, challenge), params={"unscored": "true"}).text


def test_a_signed_in_non_member_is_told_to_join_to_score(client: TestClient, session: Session) -> None:
    community, _, _, designs = _scoring_challenge(session, designs=1)
    log_in(client, session, make_user(session))
    page = client.get(f"/designs/{designs[0].id}")
    assert f'<a class="button" href="/c/{community.slug}">Join {community.name} to score</a>' in page.text
    assert "data-score-keys" not in page.text and "Scored " not in page.text


def test_visitors_see_no_progress_and_no_filter(client: TestClient, session: Session) -> None:
    community, challenge, _, designs = _scoring_challenge(session)
    page = client.get(_url(community, challenge), params={"unscored": "true"})
    assert page.status_code == 200 and "Scored " not in page.text and 'name="unscored"' not in page.text
    assert all(design.title in page.text for design in designs)  # the filter means nothing without a member
    assert (
        client.get(f"{_url(community, challenge)}/next", follow_redirects=False)
        .headers["location"]
        .startswith("/login")
    )


def test_the_next_design_api_returns_the_design_and_progress(client: TestClient, session: Session) -> None:
    community, challenge, member, _ = _scoring_challenge(session, designs=2)
    log_in(client, session, member)
    order = _stack(session, challenge, member)
    url = f"/api/v1/communities/{community.slug}/challenges/{challenge.slug}/next-design"

    first = client.get(url).json()
    assert first["design"]["id"] == order[0] and first["progress"] == {"scored": 0, "total": 2, "all_scored": False}
    assert client.get(url, params={"after": order[0]}).json()["design"]["id"] == order[1]
    for design_id in order:
        headers = {"x-csrftoken": csrf_token(client)}
        assert client.put(f"/api/v1/designs/{design_id}/score", json={"value": 5}, headers=headers).status_code == 200
    done = client.get(url).json()
    assert done == {"design": None, "progress": {"scored": 2, "total": 2, "all_scored": True}}
    listed = client.get(f"/api/v1/communities/{community.slug}/challenges/{challenge.slug}/designs?unscored=true")
    assert listed.json()["unscored"] is True and listed.json()["designs"] == []

    closed = make_challenge(session, community, phase="closed")
    make_design(session, closed)
    refused = client.get(f"/api/v1/communities/{community.slug}/challenges/{closed.slug}/next-design")
    assert refused.status_code == 409 and "Scoring closed on" in refused.json()["detail"]
    client.cookies.clear()
    assert client.get(url).status_code == 401
