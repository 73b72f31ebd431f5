"""Challenge pages and API: full pages and htmx fragments, scoring by htmx and PUT, hidden scores, uploads, staff."""

import io
from datetime import timedelta

from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image, ImageOps
from sqlmodel import Session, select

from app.accounts.models import User
from app.brands.models import StaffRole
from app.challenges.models import Challenge, ChallengeStatus, Design, Product, Score
from app.columns import utcnow
from app.communities.models import Community, MemberRole, Visibility
from tests.factories import (
    add_member,
    add_staff,
    csrf_token,
    log_in,
    make_challenge,
    make_community,
    make_design,
    make_user,
    png_bytes,
)

HTMX = {"HX-Request": "true"}


def _post(client: TestClient, url: str, data: dict[str, str] | None = None, **kwargs: object) -> Response:
    return client.post(url, data={**(data or {}), "csrftoken": csrf_token(client)}, **kwargs)  # type: ignore[arg-type]


def _url(community: Community, challenge: Challenge) -> str:
    return f"/c/{community.slug}/challenges/{challenge.slug}"


def test_challenge_list_and_page_with_gallery_fragment(client: TestClient, session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, title="Sea Shirts", phase="scoring")
    make_design(session, challenge, title="Waves", tags="blue")
    make_design(session, challenge, title="Gulls", tags="white")
    draft = make_challenge(session, community, title="Secret Draft", status=ChallengeStatus.draft)
    listing = client.get(f"/c/{community.slug}/challenges")
    assert "Sea Shirts" in listing.text and "Secret Draft" not in listing.text
    assert client.get(_url(community, draft)).status_code == 404
    assert f'href="/c/{community.slug}/challenges"' in client.get(f"/c/{community.slug}").text

    full = client.get(_url(community, challenge))
    assert full.status_code == 200
    assert "<html" in full.text and "<em>shirt</em>" in full.text
    assert "Waves" in full.text and "Gulls" in full.text
    assert "Shuffled for you" in full.text and "By rank" not in full.text  # no ranking while scores are hidden

    fragment = client.get(_url(community, challenge), params={"tag": "blue"}, headers=HTMX)
    assert "<html" not in fragment.text and "<h1>" not in fragment.text
    assert "Waves" in fragment.text and "Gulls" not in fragment.text


def test_scoring_by_htmx_returns_the_score_fragment_and_hides_others(client: TestClient, session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="scoring")
    design = make_design(session, challenge, score_count=3, score_sum=3)
    voter = make_user(session)
    add_member(session, community, voter)
    log_in(client, session, voter)
    page = client.get(f"/designs/{design.id}")
    assert 'type="radio" name="value"' in page.text and 'name="would_buy"' in page.text
    assert "mean from" not in page.text  # scores are hidden during scoring
    log_in(client, session, session.get(User, design.designer_id))  # type: ignore[arg-type]
    own = client.get(f"/designs/{design.id}").text
    assert "Members are scoring your design now" in own and 'name="value"' not in own
    log_in(client, session, voter)

    fragment = _post(client, f"/designs/{design.id}/score", {"value": "5", "would_buy": "1"}, headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "Saved." in fragment.text and "Change my score" in fragment.text
    changed = _post(client, f"/designs/{design.id}/score", {"value": "2"}, follow_redirects=False)
    assert changed.status_code == 303
    score = session.exec(select(Score).where(Score.design_id == design.id)).one()
    assert (score.value, score.would_buy) == (2, False)
    session.refresh(design)
    assert (design.score_count, design.score_sum, design.buy_count) == (4, 5, 0)

    api = client.put(
        f"/api/v1/designs/{design.id}/score",
        json={"value": 3, "would_buy": True},
        headers={"x-csrftoken": csrf_token(client)},
    )
    assert api.status_code == 200 and api.json()["value"] == 3
    shown = client.get(f"/api/v1/designs/{design.id}").json()
    assert shown["scores"] is None and shown["my_score"]["value"] == 3
    gallery = client.get(f"/api/v1/communities/{community.slug}/challenges/{challenge.slug}/designs").json()
    assert gallery["sort"] == "shuffled" and all(entry["scores"] is None for entry in gallery["designs"])


def test_scores_show_once_scoring_closes(client: TestClient, session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="closed", score_count=2, score_sum=8)
    design = make_design(session, challenge, score_count=2, score_sum=8, buy_count=1)
    assert "4.00" in client.get(f"/designs/{design.id}").text
    shown = client.get(f"/api/v1/designs/{design.id}").json()
    assert shown["scores"]["score_count"] == 2 and shown["scores"]["mean"] == 4.0


def test_refused_score_outside_the_window_and_self_scoring(client: TestClient, session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="submissions_open")
    designer = make_user(session)
    add_member(session, community, designer)
    design = make_design(session, challenge, designer)
    log_in(client, session, designer)
    headers = {"x-csrftoken": csrf_token(client)}
    early = client.put(f"/api/v1/designs/{design.id}/score", json={"value": 5}, headers=headers)
    assert early.status_code == 409 and "Scoring opens on" in early.json()["detail"]
    challenge.submissions_open_at = utcnow() - timedelta(days=9)
    challenge.submissions_close_at = utcnow() - timedelta(days=1)
    session.add(challenge)
    session.flush()
    own = client.put(f"/api/v1/designs/{design.id}/score", json={"value": 5}, headers=headers)
    assert own.status_code == 403 and own.json()["detail"] == "You cannot score your own design."
    outsider = make_user(session)
    log_in(client, session, outsider)
    assert client.put(f"/api/v1/designs/{design.id}/score", json={"value": 5}, headers=headers).status_code == 404


def test_upload_form_and_api_submission(client: TestClient, session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, max_designs_per_member=1)
    designer = make_user(session)
    add_member(session, community, designer)
    log_in(client, session, designer)
    form = client.get(f"{_url(community, challenge)}/submit")
    assert form.text.index('name="csrftoken"') < form.text.index('type="file"')
    empty = client.post(
        f"{_url(community, challenge)}/submit", data={"csrftoken": csrf_token(client), "title": "No file"}
    )
    assert empty.status_code == 422 and "Choose an image file" in empty.text
    response = client.post(
        f"{_url(community, challenge)}/submit",
        data={"csrftoken": csrf_token(client), "title": "Sunrise", "tags": "Warm, Sky"},
        files={"image": ("sunrise.png", png_bytes(501), "image/png")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    design = session.exec(select(Design).where(Design.title == "Sunrise")).one()
    assert response.headers["location"] == f"/designs/{design.id}"
    assert design.tags == "sky,warm"
    full = client.get(f"{_url(community, challenge)}/submit").text  # 1 of 1: no form, a way out instead
    assert "That is the most this challenge takes" in full and 'type="file"' not in full
    over = client.post(
        f"/api/v1/communities/{community.slug}/challenges/{challenge.slug}/designs",
        data={"title": "Second"},
        files={"image": ("second.png", png_bytes(502), "image/png")},
        headers={"x-csrftoken": csrf_token(client)},
    )
    assert over.status_code == 409 and "the most allowed" in over.json()["detail"]
    forged = client.post(
        f"{_url(community, challenge)}/submit",
        data={"csrftoken": "forged", "title": "Forged"},
        files={"image": ("forged.png", png_bytes(503), "image/png")},
    )
    assert forged.status_code == 403


def test_manager_creates_publishes_and_picks_winners(client: TestClient, session: Session) -> None:
    community = make_community(session)
    manager = make_user(session)
    add_staff(session, _brand(session, community), manager)  # type: ignore[arg-type]
    log_in(client, session, manager)
    bad = _post(
        client,
        f"/c/{community.slug}/challenges/new",
        {
            "title": "Tees",
            "submissions_open_at": "2030-01-10T10:00",
            "submissions_close_at": "2030-01-05T10:00",
            "scoring_close_at": "2030-01-20T10:00",
        },
    )
    assert bad.status_code == 422 and "Submissions must close after they open." in bad.text
    created = _post(
        client,
        f"/c/{community.slug}/challenges/new",
        {
            "title": "Tees",
            "submissions_open_at": "2030-01-01T10:00",
            "submissions_close_at": "2030-01-10T10:00",
            "scoring_close_at": "2030-01-20T10:00",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    challenge = session.exec(select(Challenge).where(Challenge.slug == "tees")).one()
    assert challenge.status == ChallengeStatus.draft
    _post(client, f"{_url(community, challenge)}/publish", follow_redirects=False)
    session.refresh(challenge)
    assert challenge.status == ChallengeStatus.published

    closed = make_challenge(session, community, phase="closed", score_count=2, score_sum=7)
    first = make_design(session, closed, score_count=1, score_sum=5)
    second = make_design(session, closed, score_count=1, score_sum=2)
    session.add(Score(design_id=first.id or 0, voter_id=manager.id or 0, value=5))
    session.flush()
    shortlist = client.get(f"{_url(community, closed)}/shortlist")
    assert shortlist.status_code == 200 and "<svg" in shortlist.text and "5: 1" in shortlist.text
    early = _post(client, f"{_url(community, closed)}/winners/announce")  # nobody picked: the shortlist says so
    assert early.status_code == 409 and "Pick at least one winner" in early.text and "Adjusted score" in early.text
    mistake = _post(client, f"{_url(community, closed)}/winners", {"design_id": str(first.id)}, follow_redirects=False)
    assert (
        mistake.status_code == 303
        and f"Take back the win of {first.title}" in client.get(mistake.headers["location"]).text
    )
    again = _post(client, f"{_url(community, closed)}/winners", {"design_id": str(first.id)})
    assert again.status_code == 409 and "a winner already" in again.text
    taken_back = _post(client, f"{_url(community, closed)}/winners/withdraw", {"design_id": str(first.id)})
    assert taken_back.status_code == 200 and "no longer a winner" in taken_back.text
    assert session.exec(select(Product).where(Product.design_id == first.id)).first() is None
    for design in (first, second):  # each button names its design to a screen reader
        assert f'Pick as winner<span class="visually-hidden">: {design.title}</span>' in shortlist.text
    picked = _post(client, f"{_url(community, closed)}/winners", {"design_id": str(second.id)}, follow_redirects=False)
    assert picked.status_code == 303
    product = session.exec(select(Product).where(Product.design_id == second.id)).one()
    assert product.status == "draft"
    api = f"/api/v1/communities/{community.slug}/challenges/{closed.slug}/winners"
    headers = {"x-csrftoken": client.cookies.get("csrftoken") or ""}
    assert client.post(api, json={"design_id": first.id}, headers=headers).status_code == 201
    assert client.delete(f"{api}/{first.id}", headers=headers).status_code == 204
    refused = client.delete(f"{api}/{first.id}", headers=headers)
    assert refused.status_code == 409 and refused.json()["detail"] == f"{first.title} is not a winner."
    _post(client, f"{_url(community, closed)}/winners/announce", follow_redirects=False)
    winners = client.get(f"{_url(community, closed)}/winners")
    assert second.title in winners.text and first.title not in winners.text
    portfolio = client.get(f"/api/v1/users/{_handle(session, second)}/designs").json()
    assert [entry["is_winner"] for entry in portfolio] == [True]


def _brand(session: Session, community: Community) -> object:
    from app.brands.models import Brand

    return session.get(Brand, community.brand_id)


def _handle(session: Session, design: Design) -> str:
    from app.accounts.models import User

    user = session.get(User, design.designer_id)
    assert user is not None
    return user.handle


def test_analysts_see_the_shortlist_but_cannot_pick(client: TestClient, session: Session) -> None:
    community = make_community(session, visibility=Visibility.invite_only)
    challenge = make_challenge(session, community, phase="closed")
    design = make_design(session, challenge)
    analyst = make_user(session)
    add_staff(session, _brand(session, community), analyst, StaffRole.analyst)  # type: ignore[arg-type]
    log_in(client, session, analyst)
    assert client.get(f"{_url(community, challenge)}/shortlist").status_code == 200
    refused = _post(client, f"{_url(community, challenge)}/winners", {"design_id": str(design.id)})
    assert refused.status_code == 403
    stranger = make_user(session)
    log_in(client, session, stranger)
    assert client.get(f"{_url(community, challenge)}/shortlist").status_code == 404
    assert client.get(f"/designs/{design.id}").status_code == 404
    member = make_user(session)
    add_member(session, community, member)
    log_in(client, session, member)
    assert client.get(f"{_url(community, challenge)}/shortlist").status_code == 403


def test_the_api_names_the_design_a_near_duplicate_looks_like(client: TestClient, session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community)
    original = make_user(session)
    copier = make_user(session)
    other_member = make_user(session)
    for member in (original, copier, other_member):
        add_member(session, community, member)
    moderator = make_user(session)
    add_member(session, community, moderator, MemberRole.moderator)
    url = f"/api/v1/communities/{community.slug}/challenges/{challenge.slug}/designs"
    picture = png_bytes(31, size=400)
    buffer = io.BytesIO()
    ImageOps.mirror(Image.open(io.BytesIO(picture))).save(buffer, "JPEG", quality=75)

    log_in(client, session, original)
    first = client.post(
        url, data={"title": "Lighthouse"}, files={"image": ("a.png", picture, "image/png")},
        headers={"x-csrftoken": csrf_token(client)},
    )  # fmt: skip
    assert first.status_code == 201, first.text
    assert first.json()["near_duplicate_of"] is None
    log_in(client, session, copier)
    copy = client.post(
        url, data={"title": "My lighthouse"}, files={"image": ("b.jpg", buffer.getvalue(), "image/jpeg")},
        headers={"x-csrftoken": csrf_token(client)},
    )  # fmt: skip
    assert copy.status_code == 201, copy.text
    match = copy.json()["near_duplicate_of"]
    assert (match["design_id"], match["title"]) == (first.json()["id"], "Lighthouse")
    assert 0.8 < match["similarity"] <= 1.0

    # The community's moderators see the match on the design and in the gallery; other members do not.
    log_in(client, session, moderator)
    assert client.get(f"/api/v1/designs/{copy.json()['id']}").json()["near_duplicate_of"] == match
    gallery = client.get(url).json()["designs"]
    assert {design["id"]: design["near_duplicate_of"] for design in gallery} == {
        first.json()["id"]: None,
        copy.json()["id"]: match,
    }
    log_in(client, session, other_member)
    assert client.get(f"/api/v1/designs/{copy.json()['id']}").json()["near_duplicate_of"] is None


def test_the_edit_form_answers_as_its_save_does(client: TestClient, session: Session) -> None:
    """Only the designer sees the edit form, and only while the save would go through: others get the POST's 403
    (a member) or 404 (an outsider of an invite-only community), never a form they cannot send."""
    community = make_community(session)
    challenge = make_challenge(session, community, phase="submissions_open")
    designer, other_member = make_user(session), make_user(session)
    add_member(session, community, designer)
    add_member(session, community, other_member)
    design = make_design(session, challenge, designer, title="Kelp")
    edit_url = f"/designs/{design.id}/edit"

    log_in(client, session, other_member)
    page = client.get(edit_url)
    save = _post(client, edit_url, {"title": "Mine now"}, follow_redirects=False)
    assert page.status_code == save.status_code == 403
    assert "Only its designer may change a design." in page.text
    assert 'name="title"' not in page.text

    log_in(client, session, designer)
    page = client.get(edit_url)
    assert page.status_code == 200 and 'value="Kelp"' in page.text

    scoring = make_challenge(session, community, phase="scoring")
    late = make_design(session, scoring, designer, title="Late")
    page = client.get(f"/designs/{late.id}/edit")
    save = _post(client, f"/designs/{late.id}/edit", {"title": "Later"}, follow_redirects=False)
    assert page.status_code == save.status_code == 409
    assert "Designs can no longer be changed" in page.text

    hidden = make_community(session, visibility=Visibility.invite_only)
    hidden_challenge = make_challenge(session, hidden, phase="submissions_open")
    hidden_design = make_design(session, hidden_challenge, make_user(session))
    assert client.get(f"/designs/{hidden_design.id}/edit").status_code == 404
