"""Disclosure of material connections: the one table of rules for which connection to a brand gives which badge, and
the one function that answers the badges of many authors at once.

A member's review, comment or idea in a brand's community carries a plain-language badge for each connection they
have to that brand (the US FTC's Endorsement Guides, 16 CFR Part 255). The badges are worked out whenever content is
shown, from the records themselves, so neither the brand nor the member can turn one off. The public rules page
(``/disclosure``) is generated from ``RULES``.

Connections, per brand (a kit from brand A gives no badge in brand B):
- free sample: a kit of one of the brand's sampling campaigns was shipped to them, or they tried the product as a
  respondent through a connector's share link (``app.campaigns.samplers``);
- rewards: their own points or earnings account with the brand was ever credited by a points award or a sale
  (royalties, commissions) in the ledger; redeeming, refunds and payouts do not take the badge away;
- staff: they are on the brand's staff (owner, manager or analyst).
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, col, select

from app.brands.models import Brand, BrandStaff
from app.campaigns import samplers as campaign_samplers
from app.i18n import N_, _
from app.ledger.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction, TransactionKind


class ConnectionKind(StrEnum):
    free_sample = "free_sample"
    rewards = "rewards"
    staff = "staff"


# Who among some users has a connection to a brand: (session, brand_id, user_ids) -> those who have it.
ConnectionFinder = Callable[[Session, int, Collection[int]], set[int]]


@dataclass(frozen=True)
class Disclosure:
    """One badge on one author's post: what connection it discloses, in the words shown."""

    kind: ConnectionKind
    text: str


@dataclass(frozen=True)
class DisclosureRule:
    kind: ConnectionKind
    badge: str  # the badge's words (marked for translation), with %(brand)s for the brand's name
    connection: str  # which connection gives it, as the public rules page says (marked for translation)
    find: ConnectionFinder

    def badge_for(self, brand_name: str) -> str:
        """The badge's words in the current language, for a brand."""
        return _(self.badge, brand=brand_name)

    def connection_text(self) -> str:
        return _(self.connection)


def _free_sample(session: Session, brand_id: int, user_ids: Collection[int]) -> set[int]:
    return campaign_samplers.kit_recipients(
        session, brand_id=brand_id, user_ids=user_ids
    ) | campaign_samplers.product_testers(session, brand_id=brand_id, user_ids=user_ids)


REWARD_ACCOUNTS = (AccountKind.points, AccountKind.earnings)
REWARD_TRANSACTIONS = (TransactionKind.points_award, TransactionKind.sale)


def _rewards(session: Session, brand_id: int, user_ids: Collection[int]) -> set[int]:
    rows = session.exec(
        select(LedgerAccount.user_id)
        .join(LedgerEntry, col(LedgerEntry.account_id) == LedgerAccount.id)
        .join(LedgerTransaction, col(LedgerTransaction.id) == LedgerEntry.transaction_id)
        .where(LedgerAccount.brand_id == brand_id, col(LedgerAccount.user_id).in_(user_ids))
        .where(col(LedgerAccount.kind).in_(REWARD_ACCOUNTS), col(LedgerTransaction.kind).in_(REWARD_TRANSACTIONS))
        .where(col(LedgerEntry.amount_minor) > 0)
        .distinct()
    ).all()
    return {user_id for user_id in rows if user_id is not None}


def _staff(session: Session, brand_id: int, user_ids: Collection[int]) -> set[int]:
    rows = session.exec(
        select(BrandStaff.user_id).where(BrandStaff.brand_id == brand_id, col(BrandStaff.user_id).in_(user_ids))
    ).all()
    return set(rows)


RULES: tuple[DisclosureRule, ...] = (
    DisclosureRule(
        kind=ConnectionKind.free_sample,
        badge=N_("Received a free sample from %(brand)s"),
        connection=N_(
            "A kit of one of the brand's sampling campaigns was sent to them, or they tried the product from "
            "a sample passed on to them and rated it in the campaign's survey."
        ),
        find=_free_sample,
    ),
    DisclosureRule(
        kind=ConnectionKind.rewards,
        badge=N_("Earned rewards from %(brand)s"),
        connection=N_(
            "The brand has credited them points (for taking part: posting designs, scoring, answering "
            "surveys, passing samples on, referrals) or money (royalties on a product made from their design, "
            "commission on sales they referred). Spending the points or being paid out does not remove it."
        ),
        find=_rewards,
    ),
    DisclosureRule(
        kind=ConnectionKind.staff,
        badge=N_("%(brand)s staff"),
        connection=N_("They work for the brand: an owner, manager or analyst of its account on Chorus."),
        find=_staff,
    ),
)


def disclosures_for(session: Session, *, brand_id: int, user_ids: Collection[int]) -> dict[int, list[Disclosure]]:
    """Every author's badges for their posts in the brand's communities, in ``RULES`` order; an author without a
    connection maps to an empty list. One query per rule, whatever the number of authors."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    found: dict[int, list[Disclosure]] = {user_id: [] for user_id in wanted}
    if not wanted:
        return found
    brand = session.get(Brand, brand_id)
    if brand is None:
        return found
    for rule in RULES:
        for user_id in sorted(rule.find(session, brand_id, wanted)):
            found[user_id].append(Disclosure(kind=rule.kind, text=rule.badge_for(brand.name)))
    return found


def disclosure_texts(disclosures: Collection[Disclosure]) -> str:
    """The badges of one author as one CSV cell: their words, joined by "; " (empty when there are none)."""
    return "; ".join(disclosure.text for disclosure in disclosures)
