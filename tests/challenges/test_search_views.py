"""Finding designs on the page (full page and htmx results, the form keeping its values, paging) and in the API
(validated filters, invite-only communities)."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.challenges import search as design_search
from app.challenges.models import DesignStatus
from app.communities.models import Visibility
from tests.factories import add_member, log_in, make_challenge, make_community, make_design, make_user

HTMX = {"HX-Request": "true"}


def test_the_search_page_and_its_results_fragment(client: TestClient, session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, title="Ocean week")
    shown = make_design(session, challenge, title="Jellyfish bloom", tags="sea")
    make_design(session, challenge, title="Jellyfish hidden", status=DesignStatus.hidden)

    page = client.get("/designs", params={"q": "jellyfish", "tag": "sea", "sort": "newest"})
    assert page.status_code == 200 and "<html" in page.text
    assert 'value="jellyfish"' in page.text and 'value="sea"' in page.text  # the form keeps what was typed
    assert '<option value="newest" selected>' in page.text
    assert f'href="/designs/{shown.id}"' in page.text and "Jellyfish hidden" not in page.text

    fragment = client.get(f"/c/{community.slug}/designs", params={"q": "jellyfish"}, headers=HTMX)
    assert "<html" not in fragment.text and 'role="search"' not in fragment.text
    assert "Jellyfish bloom" in fragment.text
    full = client.get(f"/c/{community.slug}/designs", params={"challenge": challenge.slug})
    assert f'<option value="{challenge.slug}" selected>Ocean week</option>' in full.text


def test_search_pages_link_to_the_next_page(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(design_search, "PAGE_SIZE", 1)
    community = make_community(session)
    challenge = make_challenge(session, community)
    make_design(session, challenge, title="Otter one")
    make_design(session, challenge, title="Otter two")
    first = client.get(f"/c/{community.slug}/designs", params={"q": "otter", "winners": "1"})
    assert "Next page" not in first.text and "No designs match." in first.text
    first = client.get(f"/c/{community.slug}/designs", params={"q": "otter"})
    assert "Next page" in first.text and "q=otter" in first.text and "&page=2" in first.text
    second = client.get(f"/c/{community.slug}/designs", params={"q": "otter", "page": 2})
    assert "Previous page" in second.text and "Next page" not in second.text


def test_an_invite_only_communitys_search_is_hidden_from_outsiders(client: TestClient, session: Session) -> None:
    community = make_community(session, visibility=Visibility.invite_only)
    make_design(session, make_challenge(session, community), title="Secret heron")
    log_in(client, session, make_user(session))
    assert client.get(f"/c/{community.slug}/designs").status_code == 404
    assert client.get(f"/api/v1/communities/{community.slug}/designs").status_code == 404
    assert client.get("/api/v1/designs", params={"q": "heron"}).json()["designs"] == []


def test_the_search_api(client: TestClient, session: Session) -> None:
    community = make_community(session, visibility=Visibility.invite_only)
    challenge = make_challenge(session, community, phase="scoring")
    designer = make_user(session, display_name="Nadia Fjord")
    design = make_design(session, challenge, designer, title="Puffin parade", tags="birds,coast")
    member = make_user(session)
    add_member(session, community, member)
    log_in(client, session, member)

    answer = client.get(f"/api/v1/communities/{community.slug}/designs", params={"q": "fjord", "phase": "scoring"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["page"] == 1 and body["has_more"] is False and body["sort"] == "relevance"
    (hit,) = body["designs"]
    assert hit["id"] == design.id and hit["designer_handle"] == designer.handle and hit["tags"] == ["birds", "coast"]
    assert hit["phase"] == "scoring" and hit["is_winner"] is False and hit["community_slug"] == community.slug
    assert [d["id"] for d in client.get("/api/v1/designs", params={"q": "puffin"}).json()["designs"]] == [design.id]
    for bad in ({"phase": "draft"}, {"sort": "loudest"}, {"page": 0}, {"q": "x" * 201}):
        refused = client.get("/api/v1/designs", params=bad)
        assert refused.status_code == 422 and "detail" in refused.json()
