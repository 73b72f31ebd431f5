"""Finding designs, on whichever database the run uses (SQLite FTS5 or PostgreSQL tsvector): ranking, the text of
title, description, tags and designer, the filters and orders, and what is never found (hidden, withdrawn, drafts,
invite-only communities to outsiders)."""

from datetime import timedelta

import pytest
from sqlmodel import Session

from app.accounts.models import User
from app.challenges import search as design_search
from app.challenges.models import ChallengeStatus, Design, DesignStatus
from app.columns import utcnow
from app.communities.models import Community, Visibility
from tests.factories import add_member, add_staff, make_brand, make_challenge, make_community, make_design, make_user


def found(
    session: Session,
    typed: str = "",
    *,
    community: Community | None = None,
    viewer: User | None = None,
    **filters: object,
) -> list[int]:
    search = design_search.DesignSearch(typed=typed, **filters)  # type: ignore[arg-type]
    results = design_search.find_designs(session, search=search, viewer=viewer, community=community)
    return [hit.design.id or 0 for hit in results.found]


def ids(*designs: Design) -> list[int]:
    return [design.id or 0 for design in designs]


def test_title_description_tags_and_designer_are_found_and_titles_rank_first(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community)
    ines = make_user(session, display_name="Ines Quillfeather")
    in_description = make_design(session, challenge, title="Waves", description="Seashells along a pebbly shore")
    in_title = make_design(session, challenge, title="Seashell spiral", description="A quiet study")
    in_tags = make_design(session, challenge, title="Harbour", tags="nautical,seashells")
    by_designer = make_design(session, challenge, ines, title="Night owl")
    make_design(session, challenge, title="Unrelated meadow")

    assert found(session, "seashell", community=community)[0] == in_title.id  # stemmed; the title weighs most
    assert set(found(session, "seashell", community=community)) == set(ids(in_title, in_tags, in_description))
    assert found(session, "quillfeather", community=community) == ids(by_designer)
    assert found(session, "quill", community=community) == ids(by_designer)  # a prefix while typing
    assert found(session, "seashell owl", community=community) == []  # every word is needed
    assert found(session, 'NEAR("sea" OR) :* & |', community=community) == []  # operators are only words


def test_hidden_withdrawn_and_draft_designs_are_never_found(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community)
    draft = make_challenge(session, community, status=ChallengeStatus.draft)
    shown = make_design(session, challenge, title="Lantern shown")
    make_design(session, challenge, title="Lantern hidden", status=DesignStatus.hidden)
    make_design(session, challenge, title="Lantern withdrawn", status=DesignStatus.withdrawn)
    make_design(session, draft, title="Lantern draft")
    assert found(session, "lantern", community=community) == ids(shown)
    assert found(session, "lantern") == ids(shown)
    assert found(session, "", community=community) == ids(shown)


def test_the_index_follows_edits_renames_and_deletions(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community)
    designer = make_user(session, display_name="Odile Brand")
    design = make_design(session, challenge, designer, title="Citrus grove")
    design.title, design.tags = "Lemon grove", "zesty"
    session.add(design)
    session.flush()
    assert found(session, "citrus", community=community) == []
    assert found(session, "lemon zesty", community=community) == ids(design)
    designer.display_name = "Odile Vantongerloo"
    session.add(designer)
    session.flush()
    assert found(session, "vantongerloo", community=community) == ids(design)
    assert found(session, "odile brand", community=community) == []
    session.delete(design)
    session.flush()
    assert found(session, "lemon", community=community) == []


def test_invite_only_communities_are_searched_only_by_those_who_may_see_them(session: Session) -> None:
    brand = make_brand(session)
    public = make_community(session, brand)
    private = make_community(session, brand, visibility=Visibility.invite_only)
    in_public = make_design(session, make_challenge(session, public), title="Marigold public")
    in_private = make_design(session, make_challenge(session, private), title="Marigold private")
    member, staff, outsider, admin = (make_user(session) for _ in range(4))
    admin.is_site_admin = True
    add_member(session, private, member)
    add_staff(session, brand, staff)

    assert found(session, "marigold") == ids(in_public)  # a visitor
    assert found(session, "marigold", viewer=outsider) == ids(in_public)
    for insider in (member, staff, admin):
        assert set(found(session, "marigold", viewer=insider)) == set(ids(in_public, in_private))
    assert found(session, "marigold", community=public) == ids(in_public)  # one community only


def test_filters_by_challenge_phase_tag_and_winners(session: Session) -> None:
    community = make_community(session)
    scoring = make_challenge(session, community, phase="scoring")
    announced = make_challenge(
        session, community, phase="closed", status=ChallengeStatus.winners_announced, winners_announced_at=utcnow()
    )
    closed = make_challenge(session, community, phase="closed")
    in_scoring = make_design(session, scoring, title="Fern scoring", tags="green,leafy")
    winner = make_design(session, announced, title="Fern winner", tags="green", won_at=utcnow())
    other = make_design(session, announced, title="Fern other", tags="leafy")
    # Picked but not announced: not a winner to anyone searching.
    picked = make_design(session, closed, title="Fern picked", won_at=utcnow())

    def phase_of(value: str) -> set[int]:
        return set(found(session, "fern", community=community, phase=value))

    assert phase_of("scoring") == set(ids(in_scoring))
    assert phase_of("winners_announced") == set(ids(winner, other))
    assert phase_of("closed") == set(ids(picked))
    assert phase_of("no-such-phase") == set(ids(in_scoring, winner, other, picked))  # unknown: no filter
    assert set(found(session, "fern", community=community, tag="Leafy")) == set(ids(in_scoring, other))
    assert found(session, "fern", community=community, winners_only=True) == ids(winner)
    assert set(found(session, "", community=community, challenge=announced.slug)) == set(ids(winner, other))
    # A challenge is named by its slug within a community: across communities the filter finds nothing.
    assert found(session, "fern", challenge=announced.slug) == []


def test_orders_newest_and_top_scored_use_only_public_scores(session: Session) -> None:
    community = make_community(session)
    scoring = make_challenge(session, community, phase="scoring")
    closed = make_challenge(session, community, phase="closed")
    now = utcnow()
    hidden_high = make_design(
        session, scoring, title="Kite hidden", bayesian_score=4.9, score_count=9, created_at=now - timedelta(hours=3)
    )
    public_low = make_design(
        session, closed, title="Kite low", bayesian_score=2.0, score_count=5, created_at=now - timedelta(hours=2)
    )
    public_high = make_design(
        session, closed, title="Kite high", bayesian_score=4.1, score_count=5, created_at=now - timedelta(hours=1)
    )
    assert found(session, "kite", community=community, sort="newest") == ids(public_high, public_low, hidden_high)
    # Scores still hidden (scoring open) never lift a design: it comes after every public score.
    assert found(session, "kite", community=community, sort="top") == ids(public_high, public_low, hidden_high)


def test_relevance_without_words_is_newest_and_pages_follow(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(design_search, "PAGE_SIZE", 2)
    community = make_community(session)
    challenge = make_challenge(session, community)
    now = utcnow()
    designs = [
        make_design(session, challenge, title=f"Tulip {number}", created_at=now - timedelta(minutes=number))
        for number in range(5)
    ]
    search = design_search.DesignSearch(sort="relevance")
    first = design_search.find_designs(session, search=search, viewer=None, community=community)
    assert first.search.sort == "newest"
    assert [hit.design.id for hit in first.found] == ids(*designs[:2]) and first.has_more
    last = design_search.find_designs(
        session, search=design_search.DesignSearch(page=3), viewer=None, community=community
    )
    assert [hit.design.id for hit in last.found] == ids(designs[4]) and not last.has_more


def test_search_terms_are_normalised(session: Session) -> None:
    normal = design_search.DesignSearch(typed="  owl ", phase="bogus", sort="bogus", tag="Hand Drawn, x", page=0)
    assert normal.normalised() == design_search.DesignSearch(typed="owl", tag="hand-drawn", sort="relevance", page=1)


def test_a_nul_in_the_challenge_filter_finds_nothing_rather_than_failing(session: Session) -> None:
    community = make_community(session)
    make_design(session, make_challenge(session, community), title="Comet")
    assert found(session, "comet", community=community, challenge="x\x00y") == []
