"""Challenge services: phases and windows, submissions and their limit, scoring and its counters, ranking, winners."""

import io
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps
from sqlalchemy import Integer, event
from sqlalchemy import cast as sql_cast
from sqlmodel import Session, col, func, select

from app.challenges import designs as challenge_designs
from app.challenges import gallery as challenge_gallery
from app.challenges import phases as challenge_phases
from app.challenges import scores as challenge_scores
from app.challenges import service as challenges_service
from app.challenges import winners as challenge_winners
from app.challenges.models import (
    SCORE_SHARDS,
    Challenge,
    ChallengeScoreShard,
    ChallengeStatus,
    Design,
    DesignStatus,
    Phase,
    Product,
    ProductStatus,
    Score,
)
from app.columns import utcnow
from app.communities.models import MemberRole
from app.errors import Conflict, Forbidden, Invalid
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from tests.factories import add_member, make_challenge, make_community, make_design, make_user, png_bytes


def _fields(**overrides: object) -> challenges_service.ChallengeFields:
    now = utcnow()
    values: dict[str, object] = {
        "title": "Summer Tees",
        "submissions_open_at": now + timedelta(days=1),
        "submissions_close_at": now + timedelta(days=8),
        "scoring_close_at": now + timedelta(days=15),
    }
    values.update(overrides)
    return challenges_service.ChallengeFields(**values)  # type: ignore[arg-type]


def _member(session: Session, community: object) -> object:
    user = make_user(session)
    add_member(session, community, user)  # type: ignore[arg-type]
    return user


# --- Phases and the challenge lifecycle -----------------------------------------------------------------------


def test_phase_follows_status_and_windows(session: Session) -> None:
    challenge = make_challenge(session, phase="submissions_open")
    opens, closes, ends = challenge.submissions_open_at, challenge.submissions_close_at, challenge.scoring_close_at
    second = timedelta(seconds=1)
    assert challenge_phases.phase(challenge, opens - second) == Phase.upcoming
    assert challenge_phases.phase(challenge, opens) == Phase.submissions_open
    assert challenge_phases.phase(challenge, closes - second) == Phase.submissions_open
    assert challenge_phases.phase(challenge, closes) == Phase.scoring
    assert challenge_phases.phase(challenge, ends - second) == Phase.scoring
    assert challenge_phases.phase(challenge, ends) == Phase.closed
    challenge.status = ChallengeStatus.draft
    assert challenge_phases.phase(challenge, closes) == Phase.draft
    challenge.status = ChallengeStatus.winners_announced
    assert challenge_phases.phase(challenge, closes) == Phase.winners_announced


def test_create_publish_and_update_a_challenge(session: Session) -> None:
    community = make_community(session)
    manager = make_user(session)
    challenge = challenges_service.create_challenge(session, community=community, created_by=manager, fields=_fields())
    assert (challenge.slug, challenge.status, challenge.max_designs_per_member) == ("summer-tees", "draft", 3)
    assert challenges_service.list_challenges(session, community=community) == []
    challenges_service.publish_challenge(session, challenge=challenge)
    assert challenges_service.list_challenges(session, community=community) == [challenge]
    with pytest.raises(Conflict):
        challenges_service.publish_challenge(session, challenge=challenge)
    challenges_service.update_challenge(session, challenge=challenge, fields=_fields(title="Winter Tees"))
    assert (challenge.title, challenge.slug) == ("Winter Tees", "summer-tees")
    with pytest.raises(Invalid) as taken:
        challenges_service.create_challenge(session, community=community, created_by=manager, fields=_fields())
    assert "slug" in taken.value.fields


@pytest.mark.parametrize(
    ("shift", "field"),
    [
        ({"submissions_close_at": 0}, "submissions_close_at"),  # close == open
        ({"scoring_close_at": 7}, "scoring_close_at"),  # scoring close == submissions close
        ({"scoring_close_at": 3}, "scoring_close_at"),  # scoring close before submissions close
    ],
)
def test_windows_must_follow_each_other(session: Session, shift: dict[str, int], field: str) -> None:
    base = utcnow() + timedelta(days=1)
    moments = {"submissions_open_at": base, "submissions_close_at": base + timedelta(days=7)}
    moments["scoring_close_at"] = base + timedelta(days=14)
    for name, days in shift.items():
        moments[name] = base + timedelta(days=days)
    with pytest.raises(Invalid) as refused:
        challenges_service.create_challenge(
            session, community=make_community(session), created_by=make_user(session), fields=_fields(**moments)
        )
    assert field in refused.value.fields


# --- Submitting -----------------------------------------------------------------------------------------------


_seeds = iter(range(10_000, 20_000))


def _upload(content: bytes | None = None) -> io.BytesIO:
    return io.BytesIO(content if content is not None else png_bytes(next(_seeds)))


def test_submit_design_within_the_window_and_the_limit(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, max_designs_per_member=2)
    designer = _member(session, community)
    first = challenge_designs.submit_design(
        session, challenge=challenge, designer=designer, upload=_upload(), title="One",
        tags="Floral, retro ,  big sky, RETRO",
    )  # fmt: skip
    assert first.tags == "big-sky,floral,retro"
    assert first.flagged_near_duplicate_of_id is None
    challenge_designs.submit_design(session, challenge=challenge, designer=designer, upload=_upload(), title="Two")
    assert challenge.design_count == 2
    with pytest.raises(Conflict, match="the most allowed"):
        challenge_designs.submit_design(
            session, challenge=challenge, designer=designer, upload=_upload(), title="Three"
        )
    # Withdrawing one frees a place.
    challenge_designs.withdraw_design(session, design=first, designer=designer)
    assert challenge.design_count == 1
    challenge_designs.submit_design(session, challenge=challenge, designer=designer, upload=_upload(), title="Three")


@pytest.mark.parametrize(("phase", "message"), [("upcoming", "open on"), ("scoring", "closed on")])
def test_submitting_outside_the_window_is_refused(session: Session, phase: str, message: str) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase=phase)
    with pytest.raises(Conflict, match=message):
        challenge_designs.submit_design(
            session, challenge=challenge, designer=_member(session, community), upload=_upload(), title="Late"
        )
    # An explicit `now` inside the window is accepted.
    designer = _member(session, community)
    inside = challenge.submissions_open_at + timedelta(hours=1)
    design = challenge_designs.submit_design(
        session, challenge=challenge, designer=designer, upload=_upload(), title="On time", now=inside
    )
    assert design.status == DesignStatus.submitted


def test_non_members_and_unconfirmed_people_cannot_submit(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community)
    with pytest.raises(Forbidden, match="Join"):
        challenge_designs.submit_design(
            session, challenge=challenge, designer=make_user(session), upload=_upload(), title="Outsider"
        )
    unconfirmed = make_user(session, email_confirmed_at=None)
    add_member(session, community, unconfirmed)
    with pytest.raises(Forbidden, match="Confirm"):
        challenge_designs.submit_design(session, challenge=challenge, designer=unconfirmed, upload=_upload(), title="X")


def test_a_near_duplicate_is_accepted_but_flagged(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community)
    moderator = make_user(session)
    add_member(session, community, moderator, MemberRole.moderator)
    original = challenge_designs.submit_design(
        session, challenge=challenge, designer=_member(session, community), upload=_upload(png_bytes(7)),
        title="Original",
    )  # fmt: skip
    assert notifications_service.unread_count(session, user=moderator) == 0
    copy = challenge_designs.submit_design(
        session, challenge=challenge, designer=_member(session, community), upload=_upload(png_bytes(7, touch=True)),
        title="Copy",
    )  # fmt: skip
    assert copy.flagged_near_duplicate_of_id == original.id
    assert copy.status == DesignStatus.submitted
    # Accepted, but not silently: the community's moderators are told.
    told = notifications_service.list_notifications(session, user=moderator)
    assert [(n.kind, n.link) for n in told] == [(NotificationKind.design_flagged, f"/designs/{copy.id}")]
    match = challenge_designs.near_duplicate_matches(session, designs=[original, copy])
    assert list(match) == [copy.id]
    assert (match[copy.id].design_id, match[copy.id].title) == (original.id, "Original")
    assert (match[copy.id].similarity or 0) > 0.8


def _mirrored(content: bytes) -> bytes:
    buffer = io.BytesIO()
    ImageOps.mirror(Image.open(io.BytesIO(content))).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def test_near_duplicates_are_looked_for_across_the_community_and_not_beyond(session: Session) -> None:
    community = make_community(session)
    first_challenge, second_challenge = make_challenge(session, community), make_challenge(session, community)
    elsewhere = make_community(session)
    other_challenge = make_challenge(session, elsewhere)
    picture = png_bytes(21, size=400)
    original = challenge_designs.submit_design(
        session, challenge=first_challenge, designer=_member(session, community), upload=_upload(picture), title="A"
    )
    mirrored = challenge_designs.submit_design(
        session, challenge=second_challenge, designer=_member(session, community), upload=_upload(_mirrored(picture)),
        title="A, mirrored",
    )  # fmt: skip
    assert mirrored.flagged_near_duplicate_of_id == original.id
    other_community = challenge_designs.submit_design(
        session, challenge=other_challenge, designer=_member(session, elsewhere), upload=_upload(picture), title="B"
    )
    assert other_community.flagged_near_duplicate_of_id is None


def test_a_withdrawn_design_may_be_submitted_again_unflagged(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community)
    designer = _member(session, community)
    picture = png_bytes(22)
    first = challenge_designs.submit_design(
        session, challenge=challenge, designer=designer, upload=_upload(picture), title="First try"
    )
    challenge_designs.withdraw_design(session, design=first, designer=designer)
    again = challenge_designs.submit_design(
        session, challenge=challenge, designer=designer, upload=_upload(picture), title="Again"
    )
    assert again.flagged_near_duplicate_of_id is None


def test_blank_designs_are_not_flagged_as_near_duplicates_of_each_other(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, max_designs_per_member=3)
    designer = _member(session, community)
    flags = []
    for size in ((640, 480), (1000, 1000), (300, 200)):
        buffer = io.BytesIO()
        Image.new("RGB", size, (255, 255, 255)).save(buffer, "PNG")
        design = challenge_designs.submit_design(
            session, challenge=challenge, designer=designer, upload=_upload(buffer.getvalue()), title=f"Blank {size}"
        )
        flags.append(design.flagged_near_duplicate_of_id)
    assert flags == [None, None, None]


def test_designers_edit_and_withdraw_until_scoring_opens(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community)
    designer = _member(session, community)
    design = make_design(session, challenge, designer)
    challenge_designs.edit_design(session, design=design, editor=designer, title="New", description="d", tags="A")
    assert (design.title, design.tags) == ("New", "a")
    with pytest.raises(Forbidden):
        challenge_designs.edit_design(
            session, design=design, editor=_member(session, community), title="Mine", description="", tags=""
        )
    later = challenge.submissions_close_at + timedelta(minutes=1)
    with pytest.raises(Conflict, match="scoring began"):
        challenge_designs.edit_design(
            session, design=design, editor=designer, title="Late", description="", tags="", now=later
        )
    with pytest.raises(Conflict, match="scoring began"):
        challenge_designs.withdraw_design(session, design=design, designer=designer, now=later)


# --- Scoring --------------------------------------------------------------------------------------------------


def _scoring_world(session: Session) -> tuple[Challenge, Design, object]:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="scoring")
    design = make_design(session, challenge, _member(session, community))
    return challenge, design, _member(session, community)


def _recount(session: Session, design: Design) -> tuple[int, int, int]:
    buys_sum = func.coalesce(func.sum(sql_cast(col(Score.would_buy), Integer)), 0)
    count, total, buys = session.exec(
        select(func.count(), func.coalesce(func.sum(Score.value), 0), buys_sum).where(Score.design_id == design.id)
    ).one()
    return int(count), int(total), int(buys)


def test_scoring_and_changing_a_score_moves_the_counters_by_the_difference(session: Session) -> None:
    challenge, design, voter = _scoring_world(session)
    score = challenge_scores.cast_score(session, voter=voter, design=design, value=4, would_buy=True)
    assert (score.value, score.would_buy) == (4, True)
    assert (design.score_count, design.score_sum, design.buy_count) == (1, 4, 1)
    assert (challenge.score_count, challenge.score_sum) == (1, 4)
    changed = challenge_scores.cast_score(session, voter=voter, design=design, value=1, would_buy=False)
    assert changed.id == score.id
    assert (design.score_count, design.score_sum, design.buy_count) == (1, 1, 0)
    assert (challenge.score_count, challenge.score_sum) == (1, 1)
    assert _recount(session, design) == (1, 1, 0)
    # The stored Bayesian score: (C * m + sum) / (C + n) with m = 1 (the only score) and C = 5.
    assert design.bayesian_score == pytest.approx((5 * 1 + 1) / (5 + 1))


def test_a_score_writes_its_voters_shard_of_the_challenge_totals_not_the_challenge_row(session: Session) -> None:
    challenge, design, voter = _scoring_world(session)
    statements: list[str] = []

    def record(_connection: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        challenge_scores.cast_score(session, voter=voter, design=design, value=3, would_buy=False)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # Concurrent scorers of one challenge then lock different rows (on PostgreSQL they queued on the challenge's).
    assert not [statement for statement in statements if statement.startswith("UPDATE challenges ")]
    assert len([statement for statement in statements if "INTO challenge_score_shards" in statement]) == 1
    shards = session.exec(select(ChallengeScoreShard).where(ChallengeScoreShard.challenge_id == challenge.id)).all()
    assert [(shard.shard, shard.score_count, shard.score_sum) for shard in shards] == [(voter.id % SCORE_SHARDS, 1, 3)]
    assert (challenge.score_count, challenge.score_sum) == (1, 3)


def test_scoring_outside_the_window_is_refused(session: Session) -> None:
    challenge, design, voter = _scoring_world(session)
    before = challenge.submissions_close_at - timedelta(seconds=1)
    after = challenge.scoring_close_at
    with pytest.raises(Conflict, match="Scoring opens on"):
        challenge_scores.cast_score(session, voter=voter, design=design, value=3, would_buy=False, now=before)
    with pytest.raises(Conflict, match="Scoring closed on"):
        challenge_scores.cast_score(session, voter=voter, design=design, value=3, would_buy=False, now=after)
    assert _recount(session, design) == (0, 0, 0)


def test_self_scoring_non_members_and_bad_values_are_refused(session: Session) -> None:
    challenge, design, _voter = _scoring_world(session)
    designer = session.get(type(_voter), design.designer_id)  # type: ignore[arg-type]
    with pytest.raises(Forbidden, match="your own design"):
        challenge_scores.cast_score(session, voter=designer, design=design, value=5, would_buy=True)
    with pytest.raises(Forbidden, match="Join"):
        challenge_scores.cast_score(session, voter=make_user(session), design=design, value=5, would_buy=True)
    with pytest.raises(Invalid):
        challenge_scores.cast_score(session, voter=_voter, design=design, value=6, would_buy=False)
    assert (design.score_count, challenge.score_count) == (0, 0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 5), st.booleans()), max_size=30))
def test_counters_equal_a_recount_after_random_scores(
    session: Session, casts: list[tuple[int, int, int, bool]]
) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="scoring")
    designs = [make_design(session, challenge, _member(session, community)) for _ in range(3)]
    voters = [_member(session, community) for _ in range(4)]
    for voter_index, design_index, value, would_buy in casts:
        challenge_scores.cast_score(
            session, voter=voters[voter_index], design=designs[design_index], value=value, would_buy=would_buy
        )
    for design in designs:
        session.refresh(design)
        assert (design.score_count, design.score_sum, design.buy_count) == _recount(session, design)
    session.refresh(challenge)
    total = sum(_recount(session, design)[1] for design in designs)
    count = sum(_recount(session, design)[0] for design in designs)
    assert (challenge.score_count, challenge.score_sum) == (count, total)


def test_my_score_and_hidden_scores(session: Session) -> None:
    challenge, design, voter = _scoring_world(session)
    assert challenge_scores.get_my_score(session, design=design, voter=voter) is None
    challenge_scores.cast_score(session, voter=voter, design=design, value=2, would_buy=False)
    mine = challenge_scores.get_my_score(session, design=design, voter=voter)
    assert mine is not None and mine.value == 2
    assert not challenge_phases.scores_are_public(challenge, utcnow())
    assert "rank" not in challenge_gallery.gallery_sorts(challenge, utcnow())
    assert challenge_phases.scores_are_public(challenge, challenge.scoring_close_at)
    with pytest.raises(Conflict, match="once scoring closes"):
        challenge_winners.shortlist(session, challenge=challenge)


# --- Ranking, shortlist and winners -------------------------------------------------------------------------


def test_bayesian_average_maths() -> None:
    # One 5 against fifty 4.8s (sum 240), in a challenge whose mean is 3: the many 4.8s win.
    lonely = challenge_scores.bayesian_average(score_sum=5, score_count=1, mean=3.0, weight=5)
    steady = challenge_scores.bayesian_average(score_sum=240, score_count=50, mean=3.0, weight=5)
    assert lonely == pytest.approx((5 * 3 + 5) / 6)
    assert steady == pytest.approx((5 * 3 + 240) / 55)
    assert steady > lonely
    assert challenge_scores.bayesian_average(score_sum=0, score_count=0, mean=2.5, weight=5) == 2.5


def test_shortlist_raw_rank_is_the_bayesian_average_then_buy_rate(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="closed")
    lonely = make_design(session, challenge, score_count=1, score_sum=5, buy_count=1)
    steady = make_design(session, challenge, score_count=50, score_sum=240, buy_count=10)
    tie_low = make_design(session, challenge, score_count=10, score_sum=30, buy_count=1)
    tie_high = make_design(session, challenge, score_count=10, score_sum=30, buy_count=9)
    challenge_scores.set_challenge_totals(session, challenge=challenge, score_count=71, score_sum=305)
    entries = challenge_winners.shortlist(session, challenge=challenge)
    by_raw = sorted(entries, key=lambda entry: entry.raw_rank)
    assert [entry.design.id for entry in by_raw] == [steady.id, lonely.id, tie_high.id, tie_low.id]
    assert [entry.raw_rank for entry in by_raw] == [1, 2, 3, 4]
    # Only counters, no scores behind them: the calibration has nothing to tell the designs apart, so the shortlist
    # order (the adjusted rank) falls to the tie-breaks, the "I'd buy it" rate first.
    assert [entry.design.id for entry in entries] == [lonely.id, tie_high.id, steady.id, tie_low.id]
    assert [entry.rank for entry in entries] == [1, 2, 3, 4]
    gallery = challenge_gallery.list_gallery(session, challenge=challenge, viewer=None, sort="rank")
    assert [design.id for design, _ in gallery.designs] == [steady.id, lonely.id, tie_high.id, tie_low.id]


def test_shortlist_distribution_and_winners_become_draft_products(session: Session) -> None:
    challenge, design, voter = _scoring_world(session)
    community_id = challenge.community_id
    other = _member(session, make_community(session))
    del other
    challenge_scores.cast_score(session, voter=voter, design=design, value=4, would_buy=True)
    closed = challenge.scoring_close_at + timedelta(seconds=1)
    (entry,) = challenge_winners.shortlist(session, challenge=challenge, now=closed)
    assert entry.distribution == (0, 0, 0, 0, 1, 0)
    with pytest.raises(Conflict, match="Winners can be picked"):
        challenge_winners.pick_winner(session, challenge=challenge, design=design)
    product = challenge_winners.pick_winner(session, challenge=challenge, design=design, now=closed)
    assert (product.status, product.design_id, product.designer_id) == ("draft", design.id, design.designer_id)
    assert session.exec(select(Product).where(Product.design_id == design.id)).one().brand_id is not None
    with pytest.raises(Conflict, match="a winner already"):
        challenge_winners.pick_winner(session, challenge=challenge, design=design, now=closed)

    def visible(may_manage: bool) -> list[int | None]:
        winners = challenge_winners.visible_winners(session, challenge=challenge, may_manage=may_manage, now=closed)
        return [winner.id for winner, _ in winners]

    assert visible(may_manage=False) == []  # picked, not announced: only managers see it
    assert visible(may_manage=True) == [design.id]
    challenge_winners.announce_winners(session, challenge=challenge, now=closed)
    assert challenge.status == ChallengeStatus.winners_announced
    assert visible(may_manage=False) == [design.id]
    assert community_id == challenge.community_id


def test_a_win_can_be_taken_back_until_the_winners_are_announced(session: Session) -> None:
    challenge, design, voter = _scoring_world(session)
    challenge_scores.cast_score(session, voter=voter, design=design, value=4, would_buy=True)
    closed = challenge.scoring_close_at + timedelta(seconds=1)
    with pytest.raises(Conflict, match="is not a winner"):
        challenge_winners.withdraw_win(session, challenge=challenge, design=design, now=closed)
    product = challenge_winners.pick_winner(session, challenge=challenge, design=design, now=closed)
    product.status = ProductStatus.live
    session.add(product)
    with pytest.raises(Conflict, match="product is live"):
        challenge_winners.withdraw_win(session, challenge=challenge, design=design, now=closed)
    product.status = ProductStatus.draft
    session.add(product)
    challenge_winners.withdraw_win(session, challenge=challenge, design=design, now=closed)
    assert design.won_at is None
    assert session.exec(select(Product).where(Product.design_id == design.id)).first() is None
    with pytest.raises(Conflict, match="Pick at least one winner"):
        challenge_winners.announce_winners(session, challenge=challenge, now=closed)
    challenge_winners.pick_winner(session, challenge=challenge, design=design, now=closed)
    challenge_winners.announce_winners(session, challenge=challenge, now=closed)
    with pytest.raises(Conflict, match="announced"):
        challenge_winners.withdraw_win(session, challenge=challenge, design=design, now=closed)
    assert design.won_at is not None


def test_gallery_shuffle_is_stable_per_member_and_filters_by_tag(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, phase="scoring")
    designs = [make_design(session, challenge, tags="floral" if n % 2 else "retro") for n in range(12)]
    alice, bob = make_user(session), make_user(session)

    def order(viewer: object) -> list[int | None]:
        page = challenge_gallery.list_gallery(session, challenge=challenge, viewer=viewer)  # type: ignore[arg-type]
        assert page.sort == "shuffled"
        return [design.id for design, _ in page.designs]

    assert order(alice) == order(alice)
    assert sorted(order(alice)) == sorted(design.id for design in designs)
    assert order(alice) != order(bob)
    floral = challenge_gallery.list_gallery(session, challenge=challenge, viewer=alice, tag="Floral")
    assert {design.tags for design, _ in floral.designs} == {"floral"}
    assert len(floral.designs) == 6
