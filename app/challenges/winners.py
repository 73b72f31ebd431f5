"""Winners: the shortlist staff pick from (by the calibrated ranking), picking and taking back wins, announcing
them."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select, update

from app.accounts.models import User
from app.challenges import events as challenge_events
from app.challenges import ranking
from app.challenges.models import (
    Challenge,
    ChallengeStatus,
    Design,
    DesignStatus,
    Phase,
    Product,
    ProductStatus,
    Score,
)
from app.challenges.phases import phase, scores_are_public
from app.challenges.scores import bayesian_average, challenge_mean, refresh_bayesian_scores
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.errors import Conflict, NotFound
from app.follows import service as follows_service
from app.i18n import N_, _
from app.i18n.formatting import format_datetime
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.rewards.models import Sale

SHORTLIST_SIZE = 200

# ------------------------------------------------------------------------------------------------------------
# Shortlist, winners and portfolios
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShortlistEntry:
    rank: int  # by the adjusted (calibrated) score: the shortlist's order
    raw_rank: int  # by the raw Bayesian average
    design: Design
    designer: User
    mean: float | None
    bayesian: float
    adjusted: float
    distribution: tuple[int, ...]  # how many scores of 0, 1, 2, 3, 4 and 5

    @property
    def peak(self) -> int:
        return max(self.distribution) or 1


def _require_closed(challenge: Challenge, now: datetime, message: str) -> None:
    """``message``: a sentence marked with ``N_`` whose ``%(moment)s`` is when scoring closes."""
    if not scores_are_public(challenge, now):
        raise Conflict(_(message, moment=format_datetime(challenge.scoring_close_at, style="short")))


def shortlist(session: Session, *, challenge: Challenge, now: datetime | None = None) -> list[ShortlistEntry]:
    """The designs of a closed challenge by their calibrated rank, with the raw rank beside it and their score
    distributions, for staff to pick winners.

    Both rankings are computed here from the scores (discounted voters left out) and the designs' counters, in a
    handful of queries whatever the number of designs; ties in either go to the higher "I'd buy it" rate, then the more
    scores, then the earlier design.
    """
    now = now or utcnow()
    _require_closed(challenge, now, N_("The shortlist is ready once scoring closes on %(moment)s."))
    calibration = ranking.calibrate_challenge(session, challenge=challenge)
    counters = session.exec(
        select(Design.id, Design.score_sum, Design.score_count, Design.buy_count).where(
            Design.challenge_id == challenge.id, Design.status == DesignStatus.submitted
        )
    ).all()
    mean = challenge_mean(challenge)
    bayesian: dict[int, float] = {}
    ties: dict[int, tuple[float, int, int]] = {}
    for design_id, score_sum, score_count, buy_count in counters:
        assert design_id is not None
        bayesian[design_id] = bayesian_average(score_sum=score_sum, score_count=score_count, mean=mean)
        ties[design_id] = (-(buy_count / score_count if score_count else 0.0), -score_count, design_id)
    adjusted = {design_id: calibration.adjusted.get(design_id, calibration.mean) for design_id in bayesian}
    raw_order = sorted(bayesian, key=lambda design_id: (-bayesian[design_id], *ties[design_id]))
    raw_rank = {design_id: position for position, design_id in enumerate(raw_order, start=1)}
    shown = sorted(adjusted, key=lambda design_id: (-adjusted[design_id], *ties[design_id]))[:SHORTLIST_SIZE]
    loaded = {
        id_of(design): (design, designer)
        for design, designer in session.exec(
            select(Design, User).join(User, col(User.id) == Design.designer_id).where(col(Design.id).in_(shown))
        ).all()
    }
    # The distribution is a staff-only figure of a closed challenge, grouped in one query for the whole page.
    counts: dict[int, list[int]] = {design_id: [0] * 6 for design_id in shown}
    if counts:
        grouped = session.exec(
            select(Score.design_id, Score.value, func.count())
            .where(col(Score.design_id).in_(counts))
            .group_by(col(Score.design_id), col(Score.value))
        ).all()
        for design_id, value, number in grouped:
            counts[design_id][value] = number
    return [
        ShortlistEntry(
            rank=position,
            raw_rank=raw_rank[design_id],
            design=loaded[design_id][0],
            designer=loaded[design_id][1],
            mean=loaded[design_id][0].mean_score,
            bayesian=bayesian[design_id],
            adjusted=adjusted[design_id],
            distribution=tuple(counts[design_id]),
        )
        for position, design_id in enumerate(shown, start=1)
    ]


def pick_winner(session: Session, *, challenge: Challenge, design: Design, now: datetime | None = None) -> Product:
    """Pick a design as a winner (staff choose freely; the shortlist suggests by the calibrated rank); it becomes a
    draft product of the brand."""
    now = now or utcnow()
    _require_closed(challenge, now, N_("Winners can be picked once scoring closes on %(moment)s."))
    if design.challenge_id != challenge.id or design.status != DesignStatus.submitted:
        raise NotFound(_("There is no such design in this challenge."))
    if design.won_at is not None:
        raise Conflict(_("%(design)s is a winner already.", design=design.title))
    community = session.get(Community, challenge.community_id)
    assert community is not None
    design.won_at = now
    session.add(design)
    product = Product(
        brand_id=community.brand_id,
        name=design.title,
        status=ProductStatus.draft,
        design_id=id_of(design),
        designer_id=design.designer_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(product)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_("%(design)s is a winner already.", design=design.title)) from error
    refresh_bayesian_scores(session, challenge=challenge)
    return product


def withdraw_win(session: Session, *, challenge: Challenge, design: Design, now: datetime | None = None) -> None:
    """Take back a pick made by mistake, while the winners are not announced: the design is no longer a winner and
    its draft product goes. Refused once the product is live or has sales (money may hang on it)."""
    _require_closed(challenge, now or utcnow(), N_("Winners can be changed once scoring closes on %(moment)s."))
    if challenge.status == ChallengeStatus.winners_announced:
        raise Conflict(_("The winners are announced: a win can no longer be taken back."))
    if design.challenge_id != challenge.id:
        raise NotFound(_("There is no such design in this challenge."))
    if design.won_at is None:
        raise Conflict(_("%(design)s is not a winner.", design=design.title))
    product = session.exec(select(Product).where(Product.design_id == design.id).with_for_update()).first()
    if product is not None:
        if product.status != ProductStatus.draft:
            raise Conflict(
                _(
                    "The %(design)s product is live: set it back to draft before taking the win back.",
                    design=design.title,
                )
            )
        if session.exec(select(Sale.id).where(Sale.product_id == product.id).limit(1)).first() is not None:
            raise Conflict(
                _("The %(design)s product has sales: the win can no longer be taken back.", design=design.title)
            )
        session.delete(product)
    design.won_at = None
    session.add(design)
    session.flush()
    refresh_bayesian_scores(session, challenge=challenge)


def announce_winners(session: Session, *, challenge: Challenge, now: datetime | None = None) -> Challenge:
    """Announce the picked winners to the community; the challenge is then final."""
    now = now or utcnow()
    if challenge.status == ChallengeStatus.winners_announced:
        raise Conflict(_("The winners are announced already."))
    _require_closed(challenge, now, N_("Winners can be announced once scoring closes on %(moment)s."))
    winners = list_winners(session, challenge=challenge)
    if not winners:
        raise Conflict(_("Pick at least one winner before announcing."))
    # Claimed by a conditional UPDATE, so two announcements at once announce (and tell the webhooks) once.
    claimed = session.exec(
        update(Challenge)
        .where(col(Challenge.id) == challenge.id, col(Challenge.status) != ChallengeStatus.winners_announced)
        .values(status=ChallengeStatus.winners_announced, winners_announced_at=now)
    )
    if claimed.rowcount != 1:
        raise Conflict(_("The winners are announced already."))
    session.refresh(challenge)
    challenge_events.emit_winners_announced(session, challenge=challenge, winners=winners, now=now)
    # Designers hear of their win when the community does: picking is the staff's private shortlist work.
    community = session.get(Community, challenge.community_id)
    for design, designer in winners:
        with notifications_service.in_language_of(designer, community):
            notifications_service.notify(
                session,
                user=designer,
                kind=NotificationKind.design_won,
                text=_("Your design %(design)s won %(challenge)s", design=design.title, challenge=challenge.title),
                link=f"/designs/{design.id}",
                community=community,
            )
        follows_service.announce_design(session, design=design, challenge=challenge, news="won")
    return challenge


def list_winners(session: Session, *, challenge: Challenge) -> Sequence[tuple[Design, User]]:
    """Every picked winner with its designer, best ranked first by the calibrated ranking (stored at each pick)."""
    return session.exec(
        select(Design, User)
        .join(User, col(User.id) == Design.designer_id)
        .where(Design.challenge_id == challenge.id, col(Design.won_at).is_not(None))
        .order_by(col(Design.adjusted_score).desc(), col(Design.bayesian_score).desc(), col(Design.id))
    ).all()


def visible_winners(
    session: Session, *, challenge: Challenge, may_manage: bool, now: datetime | None = None
) -> Sequence[tuple[Design, User]]:
    """The winners as the viewer may see them: everyone once announced, before that only the challenge's managers."""
    announced = phase(challenge, now or utcnow()) == Phase.winners_announced
    return list_winners(session, challenge=challenge) if announced or may_manage else []
