"""What members earned and what brands owe: a member's earnings and monthly statements, the brand's liability
report and month totals."""

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.brands.models import Brand
from app.columns import id_of, utcnow
from app.errors import Invalid
from app.i18n import _
from app.ledger import service as ledger_service
from app.ledger.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction, TransactionKind
from app.rewards import money
from app.rewards.models import (
    LineStatus,
    PayoutBatch,
    PayoutLine,
)
from app.rewards.payouts import csv_safe, held_minor, held_sum
from app.rewards.terms import get_reward_settings


@dataclass(frozen=True)
class EarningsLine:
    posted_at: datetime
    brand_name: str
    description: str
    kind: TransactionKind
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class BrandBalance:
    brand: Brand
    currency: str
    available_minor: int  # in the earnings account, outside the holding period
    held_minor: int  # inside the holding period
    in_payout_minor: int  # locked in an open batch
    paid_minor: int  # paid out so far


@dataclass(frozen=True)
class MonthTotal:
    month: str  # "2026-11"
    amount_minor: int


@dataclass(frozen=True)
class Earnings:
    balances: list[BrandBalance]
    months: list[MonthTotal]  # royalties and commissions less refunds, per month, in the first balance's currency
    currency: str
    lines: list[EarningsLine]
    payouts: Sequence[tuple[PayoutLine, PayoutBatch, Brand]]


_MONEY_KINDS = (AccountKind.earnings, AccountKind.payout_pending)
# A payout lock and a failed payout's return move money between a member's own two accounts: statements skip them.
_INTERNAL = (TransactionKind.payout_lock, TransactionKind.payout_return)


def _month_start(month: str) -> datetime:
    year, number = (int(part) for part in month.split("-"))
    return datetime(year, number, 1, tzinfo=UTC)


def _next_month(moment: datetime) -> datetime:
    return datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)


def recent_months(now: datetime, count: int = 12) -> list[str]:
    months = []
    year, month = now.year, now.month
    for _step in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def member_earnings(session: Session, *, user: User, now: datetime | None = None) -> Earnings:
    """Someone's money with every brand: balances (available, held, in a payout, paid), earnings per month for the
    last twelve months, the latest lines and their payouts."""
    now = now or utcnow()
    accounts = session.exec(
        select(LedgerAccount, Brand)
        .join(Brand, col(Brand.id) == LedgerAccount.brand_id)
        .where(LedgerAccount.user_id == user.id, col(LedgerAccount.kind).in_(_MONEY_KINDS))
        .order_by(col(Brand.name), col(LedgerAccount.currency))
    ).all()
    grouped: dict[tuple[int, str], dict[AccountKind, LedgerAccount]] = defaultdict(dict)
    brands: dict[int, Brand] = {}
    for account, brand in accounts:
        grouped[(id_of(brand), account.currency)][account.kind] = account
        brands[id_of(brand)] = brand
    paid_totals = {
        (brand_id, currency): int(total)
        for brand_id, currency, total in session.exec(
            select(PayoutBatch.brand_id, PayoutBatch.currency, func.sum(PayoutLine.amount_minor))
            .join(PayoutBatch, col(PayoutBatch.id) == PayoutLine.batch_id)
            .where(PayoutLine.user_id == user.id, PayoutLine.status == LineStatus.paid)
            .group_by(col(PayoutBatch.brand_id), col(PayoutBatch.currency))
        ).all()
    }
    balances = []
    for (brand_id, currency), kinds in grouped.items():
        settings = get_reward_settings(session, brand=brands[brand_id])
        earnings = kinds.get(AccountKind.earnings)
        held = held_minor(session, account=earnings, cutoff=now - timedelta(days=settings.hold_days)) if earnings else 0
        balances.append(
            BrandBalance(
                brand=brands[brand_id],
                currency=currency,
                available_minor=(earnings.balance_minor if earnings else 0) - held,
                held_minor=held,
                in_payout_minor=kinds[AccountKind.payout_pending].balance_minor
                if AccountKind.payout_pending in kinds
                else 0,
                paid_minor=paid_totals.get((brand_id, currency), 0),
            )
        )
    currency = balances[0].currency if balances else "EUR"
    earnings_ids = [
        id_of(kinds[AccountKind.earnings])
        for (_, account_currency), kinds in grouped.items()
        if AccountKind.earnings in kinds and account_currency == currency
    ]
    months = recent_months(now)
    since = _month_start(months[0])
    per_month: dict[str, int] = defaultdict(int)
    for posted_at, amount in session.exec(
        select(LedgerEntry.posted_at, LedgerEntry.amount_minor)
        .join(LedgerTransaction, col(LedgerTransaction.id) == LedgerEntry.transaction_id)
        .where(
            col(LedgerEntry.account_id).in_(earnings_ids),
            LedgerEntry.posted_at >= since,
            col(LedgerTransaction.kind).in_((TransactionKind.sale, TransactionKind.refund)),
        )
    ).all():
        per_month[f"{posted_at.year:04d}-{posted_at.month:02d}"] += amount
    lines = [
        EarningsLine(
            posted_at=entry.posted_at,
            brand_name=brand.name,
            description=transaction.description,
            kind=transaction.kind,
            amount_minor=entry.amount_minor,
            currency=account.currency,
        )
        for entry, transaction, account, brand in session.exec(
            select(LedgerEntry, LedgerTransaction, LedgerAccount, Brand)
            .join(LedgerTransaction, col(LedgerTransaction.id) == LedgerEntry.transaction_id)
            .join(LedgerAccount, col(LedgerAccount.id) == LedgerEntry.account_id)
            .join(Brand, col(Brand.id) == LedgerAccount.brand_id)
            .where(
                LedgerAccount.user_id == user.id,
                col(LedgerAccount.kind).in_(_MONEY_KINDS),
                col(LedgerTransaction.kind).not_in(_INTERNAL),
            )
            .order_by(col(LedgerEntry.posted_at).desc(), col(LedgerEntry.id).desc())
            .limit(100)
        ).all()
    ]
    payouts = session.exec(
        select(PayoutLine, PayoutBatch, Brand)
        .join(PayoutBatch, col(PayoutBatch.id) == PayoutLine.batch_id)
        .join(Brand, col(Brand.id) == PayoutBatch.brand_id)
        .where(PayoutLine.user_id == user.id)
        .order_by(col(PayoutLine.id).desc())
    ).all()
    return Earnings(
        balances=balances,
        months=[MonthTotal(month=month, amount_minor=per_month.get(month, 0)) for month in months],
        currency=currency,
        lines=lines,
        payouts=payouts,
    )


@dataclass(frozen=True)
class Statement:
    user: User
    brand: Brand
    month: str
    currency: str
    opening_minor: int
    closing_minor: int
    lines: list[EarningsLine]


def parse_month(text: str, now: datetime) -> str:
    """ "2026-11" as given, or the current month when empty; anything else is Invalid."""
    text = text.strip() or f"{now.year:04d}-{now.month:02d}"
    try:
        start = _month_start(text)
    except ValueError:
        raise Invalid(_("Give the month as YYYY-MM, e.g. 2026-11."), fields={"month": _("Use YYYY-MM.")}) from None
    if not 2000 <= start.year <= 2100:
        raise Invalid(_("Give a month between 2000 and 2100."), fields={"month": _("Use YYYY-MM.")})
    return f"{start.year:04d}-{start.month:02d}"


def member_statement(session: Session, *, user: User, brand: Brand, month: str) -> Statement:
    """What a brand owed someone at the start of a month, every royalty, commission, refund and payment in it, and
    what it owed at the end (their earnings and any money in a payout batch, together)."""
    start = _month_start(month)
    end = _next_month(start)
    currency = get_reward_settings(session, brand=brand).currency
    account_ids = [
        id_of(account)
        for account in session.exec(
            select(LedgerAccount).where(
                LedgerAccount.brand_id == brand.id,
                LedgerAccount.user_id == user.id,
                col(LedgerAccount.kind).in_(_MONEY_KINDS),
                LedgerAccount.currency == currency,
            )
        ).all()
    ]
    opening = int(
        session.exec(
            select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
                col(LedgerEntry.account_id).in_(account_ids), LedgerEntry.posted_at < start
            )
        ).one()
    )
    lines = [
        EarningsLine(
            posted_at=entry.posted_at,
            brand_name=brand.name,
            description=transaction.description,
            kind=transaction.kind,
            amount_minor=entry.amount_minor,
            currency=currency,
        )
        for entry, transaction in session.exec(
            select(LedgerEntry, LedgerTransaction)
            .join(LedgerTransaction, col(LedgerTransaction.id) == LedgerEntry.transaction_id)
            .where(
                col(LedgerEntry.account_id).in_(account_ids),
                LedgerEntry.posted_at >= start,
                LedgerEntry.posted_at < end,
                col(LedgerTransaction.kind).not_in(_INTERNAL),
            )
            .order_by(col(LedgerEntry.posted_at), col(LedgerEntry.id))
        ).all()
    ]
    return Statement(
        user=user,
        brand=brand,
        month=month,
        currency=currency,
        opening_minor=opening,
        closing_minor=opening + sum(line.amount_minor for line in lines),
        lines=lines,
    )


def statement_csv(statement: Statement) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["date", "description", "kind", "amount", "currency"])
    writer.writerow(
        [
            f"{statement.month}-01",
            "Opening balance",  # i18n: ignore (the CSV is for accounting imports: the same in every language)
            "",
            money.plain_amount(statement.opening_minor, statement.currency),
            statement.currency,
        ]
    )
    for line in statement.lines:
        writer.writerow(
            [
                line.posted_at.date().isoformat(),
                csv_safe(line.description),
                line.kind.value,
                money.plain_amount(line.amount_minor, line.currency),
                line.currency,
            ]
        )
    writer.writerow(
        [
            "",
            "Closing balance",  # i18n: ignore (as the opening balance)
            "",
            money.plain_amount(statement.closing_minor, statement.currency),
            statement.currency,
        ]
    )
    return buffer.getvalue().encode()


@dataclass(frozen=True)
class LiabilityRow:
    user: User
    currency: str
    available_minor: int
    held_minor: int
    in_payout_minor: int

    @property
    def owed_minor(self) -> int:
        return self.available_minor + self.held_minor + self.in_payout_minor


@dataclass(frozen=True)
class LiabilityReport:
    brand: Brand
    currency: str  # the brand's currency now (its threshold's); rows may be in others it used before
    rows: list[LiabilityRow]  # the brand's currency first, then the others by code; in each, the largest owed first
    threshold_minor: int
    hold_days: int

    @property
    def totals(self) -> dict[str, int]:
        """What is owed per currency, for every currency with a row (the brand's currency always)."""
        totals = {self.currency: 0}
        for row in self.rows:
            totals[row.currency] = totals.get(row.currency, 0) + row.owed_minor
        return totals

    @property
    def total_minor(self) -> int:
        """What is owed in the brand's currency (see totals for the others)."""
        return self.totals[self.currency]


def liability_report(session: Session, *, brand: Brand, now: datetime | None = None) -> LiabilityReport:
    """What the brand owes whom, in every currency it has balances in: available, still held, and locked in an open
    payout batch (money earned before a change of currency is still owed in the old one)."""
    now = now or utcnow()
    settings = get_reward_settings(session, brand=brand)
    cutoff = now - timedelta(days=settings.hold_days)
    per_owner: dict[tuple[int, str], dict[AccountKind, LedgerAccount]] = defaultdict(dict)
    for account in session.exec(
        select(LedgerAccount).where(
            LedgerAccount.brand_id == brand.id,
            col(LedgerAccount.kind).in_(_MONEY_KINDS),
            col(LedgerAccount.user_id).is_not(None),
        )
    ).all():
        assert account.user_id is not None
        per_owner[(account.user_id, account.currency)][account.kind] = account
    user_ids = list({user_id for user_id, _ in per_owner})
    users = {id_of(u): u for u in session.exec(select(User).where(col(User.id).in_(user_ids)))}
    rows = []
    for (user_id, currency), kinds in per_owner.items():
        earnings = kinds.get(AccountKind.earnings)
        held = held_minor(session, account=earnings, cutoff=cutoff) if earnings else 0
        pending = kinds.get(AccountKind.payout_pending)
        row = LiabilityRow(
            user=users[user_id],
            currency=currency,
            available_minor=(earnings.balance_minor if earnings else 0) - held,
            held_minor=held,
            in_payout_minor=pending.balance_minor if pending else 0,
        )
        if row.owed_minor or row.available_minor:
            rows.append(row)
    rows.sort(key=lambda row: (row.currency != settings.currency, row.currency, -row.owed_minor, row.user.handle))
    return LiabilityReport(
        brand=brand,
        currency=settings.currency,
        rows=rows,
        threshold_minor=settings.payout_threshold_minor,
        hold_days=settings.hold_days,
    )


@dataclass(frozen=True)
class OwedTotals:
    currency: str
    owed_minor: int  # what the liability report totals in this currency: available, held and in payout
    held_minor: int  # of which still inside the refund hold


def owed_totals(session: Session, *, brand: Brand, now: datetime | None = None) -> OwedTotals:
    """The liability report's totals in the brand's currency, in two aggregate queries (the brand home)."""
    now = now or utcnow()
    settings = get_reward_settings(session, brand=brand)
    members = (
        col(LedgerAccount.brand_id) == brand.id,
        col(LedgerAccount.currency) == settings.currency,
        col(LedgerAccount.user_id).is_not(None),
    )
    owed = session.exec(
        select(func.coalesce(func.sum(LedgerAccount.balance_minor), 0)).where(
            *members, col(LedgerAccount.kind).in_(_MONEY_KINDS)
        )
    ).one()
    earnings = select(col(LedgerAccount.id)).where(*members, col(LedgerAccount.kind) == AccountKind.earnings)
    held = session.exec(
        held_sum(now - timedelta(days=settings.hold_days)).where(col(LedgerEntry.account_id).in_(earnings))
    ).one()
    return OwedTotals(currency=settings.currency, owed_minor=int(owed), held_minor=int(held))


def liability_csv(report: LiabilityReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["handle", "email", "available", "held", "in_payout", "owed", "currency"])
    for row in report.rows:
        writer.writerow(
            [
                row.user.handle,
                row.user.email,
                *(
                    money.plain_amount(value, row.currency)
                    for value in (row.available_minor, row.held_minor, row.in_payout_minor, row.owed_minor)
                ),
                row.currency,
            ]
        )
    return buffer.getvalue().encode()


def brand_month_totals(session: Session, *, brand: Brand, now: datetime | None = None) -> list[MonthTotal]:
    """Royalties and commissions the brand owed per month (less refunds), for the last twelve months."""
    now = now or utcnow()
    months = recent_months(now)
    since = _month_start(months[0])
    expense = ledger_service.find_account(
        session,
        brand_id=id_of(brand),
        user_id=None,
        kind=AccountKind.brand_expense,
        currency=get_reward_settings(session, brand=brand).currency,
    )
    per_month: dict[str, int] = defaultdict(int)
    if expense is not None:
        for posted_at, amount in session.exec(
            select(LedgerEntry.posted_at, LedgerEntry.amount_minor).where(
                LedgerEntry.account_id == expense.id, LedgerEntry.posted_at >= since
            )
        ).all():
            per_month[f"{posted_at.year:04d}-{posted_at.month:02d}"] -= amount
    return [MonthTotal(month=month, amount_minor=per_month.get(month, 0)) for month in months]
