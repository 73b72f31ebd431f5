"""The gallery's page and API load a page of designs with their designers, thumbnails and the viewer's own scores
in a fixed number of queries, whatever the number of designs on the page (no query per design)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from app.accounts.models import User
from app.challenges import scores as challenge_scores
from app.challenges.models import Challenge, Design
from app.columns import utcnow
from app.communities.models import Community
from tests.factories import add_member, log_in, make_challenge, make_community, make_design, make_user


@contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    connection = session.connection()

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split())[:120])

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


def _gallery(session: Session, designs: int) -> tuple[Community, Challenge, User]:
    """A challenge in scoring with this many designs (each by its own designer), the viewer having scored them."""
    community = make_community(session)
    challenge = make_challenge(session, community, phase="scoring")
    viewer = make_user(session)
    add_member(session, community, viewer)
    made: list[Design] = [make_design(session, challenge, title=f"Card {number}") for number in range(designs)]
    for design in made:
        challenge_scores.cast_score(session, voter=viewer, design=design, value=3, would_buy=False, now=utcnow())
    return community, challenge, viewer


def _statements_per_page(
    client: TestClient, session: Session, designs: int, url: Callable[[Community, Challenge], str]
) -> list[str]:
    community, challenge, viewer = _gallery(session, designs)
    log_in(client, session, viewer)
    address = url(community, challenge)
    client.get(address)  # once before counting: the login's "last seen" and caches
    session.expire_all()
    with counted(session) as statements:
        response = client.get(address)
    assert response.status_code == 200
    assert response.text.count("Card ") >= designs
    client.cookies.clear()
    return statements


def _page(community: Community, challenge: Challenge) -> str:
    return f"/c/{community.slug}/challenges/{challenge.slug}"


def _api(community: Community, challenge: Challenge) -> str:
    return f"/api/v1/communities/{community.slug}/challenges/{challenge.slug}/designs"


def test_the_gallery_page_takes_as_many_queries_for_twelve_designs_as_for_two(
    client: TestClient, session: Session
) -> None:
    few = _statements_per_page(client, session, 2, _page)
    many = _statements_per_page(client, session, 12, _page)
    assert len(many) == len(few), many
    # The permit (the community, the viewer's roles, the challenge), the progress, the page's ids, its designs and
    # designers, their images, the viewer's count and scores, the tags, the menu's brands.
    assert len(many) <= 16, "\n".join(many)


def test_the_gallery_api_takes_as_many_queries_for_twelve_designs_as_for_two(
    client: TestClient, session: Session
) -> None:
    few = _statements_per_page(client, session, 2, _api)
    many = _statements_per_page(client, session, 12, _api)
    assert len(many) == len(few), many
    assert len(many) <= 12, "\n".join(many)
