"""Scoring as a stack of cards: the next unscored design in a member's stable shuffle, and their progress."""

import pytest
from sqlmodel import Session

from app.accounts.models import User
from app.challenges import gallery as challenge_gallery
from app.challenges import scores as challenge_scores
from app.challenges import scoring
from app.challenges.models import Challenge, Design, DesignStatus
from app.communities.models import Community
from app.errors import Conflict
from tests.factories import add_member, make_challenge, make_community, make_design, make_user


def _member(session: Session, community: Community) -> User:
    user = make_user(session)
    add_member(session, community, user)
    return user


def _stack(session: Session, challenge: Challenge, member: User) -> list[int]:
    """The order in which the member meets the designs by scoring each one they are sent to."""
    order = []
    while (design := scoring.next_unscored_design(session, challenge=challenge, member=member)) is not None:
        order.append(design.id or 0)
        challenge_scores.cast_score(session, voter=member, design=design, value=3, would_buy=False)
    return order


def test_the_stack_is_a_stable_shuffle_of_its_own_for_each_member(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="scoring")
    designs = [make_design(session, challenge) for _ in range(12)]
    ada, bo = _member(session, community), _member(session, community)

    first = scoring.next_unscored_design(session, challenge=challenge, member=ada)
    assert first is not None
    assert scoring.next_unscored_design(session, challenge=challenge, member=ada) is first  # stable

    ada_order, bo_order = _stack(session, challenge, ada), _stack(session, challenge, bo)
    assert sorted(ada_order) == sorted(bo_order) == sorted(design.id or 0 for design in designs)
    assert ada_order[0] == first.id
    assert ada_order != bo_order  # each member has an order of their own
    assert ada_order != sorted(ada_order)  # shuffled, not in submission order
    # The stack follows the gallery's "Shuffled for you" order for that member.
    gallery = challenge_gallery.list_gallery(session, challenge=challenge, viewer=ada, sort="shuffled")
    assert [design.id for design, _ in gallery.designs] == ada_order


def test_the_stack_skips_own_hidden_withdrawn_and_scored_designs(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="scoring")
    member = _member(session, community)
    make_design(session, challenge, member)
    make_design(session, challenge, status=DesignStatus.hidden)
    make_design(session, challenge, status=DesignStatus.withdrawn)
    scored = make_design(session, challenge)
    challenge_scores.cast_score(session, voter=member, design=scored, value=4, would_buy=True)
    other_challenge = make_challenge(session, community, phase="scoring")
    make_design(session, other_challenge)
    left = make_design(session, challenge)

    assert scoring.next_unscored_design(session, challenge=challenge, member=member) == left
    assert scoring.scoring_progress(session, challenge=challenge, member=member) == scoring.ScoringProgress(1, 2)


def test_next_after_a_design_moves_on_and_wraps_round_to_skipped_ones(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="scoring")
    for _ in range(5):
        make_design(session, challenge)
    member = _member(session, community)
    order = [
        design.id for design, _ in challenge_gallery.list_gallery(session, challenge=challenge, viewer=member).designs
    ]

    def after(design_id: int | None) -> int | None:
        design = session.get(Design, design_id)
        found = scoring.next_unscored_design(session, challenge=challenge, member=member, after=design)
        return found.id if found else None

    # Skipping (looking without scoring) walks the shuffle, and the last one leads back to the first.
    assert [after(design_id) for design_id in order] == [*order[1:], order[0]]
    # A scored design is passed over; the only one left is offered again even after itself.
    for design_id in order[1:]:
        design = session.get(Design, design_id)
        assert design is not None
        challenge_scores.cast_score(session, voter=member, design=design, value=1, would_buy=False)
    assert after(order[0]) == order[0]
    assert after(order[2]) == order[0]


def test_progress_counts_and_says_when_every_design_is_scored(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="scoring")
    member = _member(session, community)
    nothing = scoring.scoring_progress(session, challenge=challenge, member=member)
    assert (nothing.scored, nothing.total, nothing.all_scored) == (0, 0, False)  # nothing to score is not "all"

    designs = [make_design(session, challenge) for _ in range(3)]
    make_design(session, challenge, member)  # their own does not count
    for done, design in enumerate(designs, start=1):
        challenge_scores.cast_score(session, voter=member, design=design, value=5, would_buy=False)
        # Changing a score does not count it twice.
        challenge_scores.cast_score(session, voter=member, design=design, value=2, would_buy=True)
        progress = scoring.scoring_progress(session, challenge=challenge, member=member)
        assert (progress.scored, progress.total) == (done, 3)
    assert progress.all_scored
    assert scoring.next_unscored_design(session, challenge=challenge, member=member) is None
    # Another member's scores are theirs alone.
    other = _member(session, community)
    assert scoring.scoring_progress(session, challenge=challenge, member=other) == scoring.ScoringProgress(0, 4)


def test_my_scores_and_the_not_scored_yet_filter_of_the_gallery(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="scoring")
    member = _member(session, community)
    own = make_design(session, challenge, member)
    scored, unscored = make_design(session, challenge), make_design(session, challenge)
    challenge_scores.cast_score(session, voter=member, design=scored, value=4, would_buy=True)

    marks = scoring.my_scores(session, member=member, designs=[own, scored, unscored])
    assert list(marks) == [scored.id] and (marks[scored.id or 0].value, marks[scored.id or 0].would_buy) == (4, True)
    assert scoring.my_scores(session, member=member, designs=[]) == {}

    page = challenge_gallery.list_gallery(session, challenge=challenge, viewer=member, unscored=True)
    assert page.unscored and [design for design, _ in page.designs] == [unscored]
    everything = challenge_gallery.list_gallery(session, challenge=challenge, viewer=member)
    assert not everything.unscored and len(everything.designs) == 3
    # A visitor has nothing to filter by.
    visitor_page = challenge_gallery.list_gallery(session, challenge=challenge, viewer=None, unscored=True)
    assert not visitor_page.unscored and len(visitor_page.designs) == 3


def test_there_is_no_next_design_outside_the_scoring_window(session: Session) -> None:
    community = make_community(session)
    member = _member(session, community)
    for phase, message in (("submissions_open", "Scoring opens on"), ("closed", "Scoring closed on")):
        challenge = make_challenge(session, community, phase=phase)
        make_design(session, challenge)
        with pytest.raises(Conflict, match=message):
            scoring.next_unscored_design(session, challenge=challenge, member=member)
