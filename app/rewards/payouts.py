"""Payout batches: who is owed more than the threshold after the holding period, the file for the provider, and
each line marked paid or failed."""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select, update

from app.accounts.models import User
from app.brands.models import Brand
from app.columns import id_of, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.i18n import N_, _, ngettext
from app.i18n.formatting import format_number
from app.ledger import service as ledger_service
from app.ledger.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction, TransactionKind
from app.notifications.models import NotificationKind
from app.rewards import events as rewards_events
from app.rewards import money
from app.rewards.models import (
    BatchStatus,
    LineStatus,
    PayoutBatch,
    PayoutLine,
)
from app.rewards.shared import notify_user_id, run_claim
from app.rewards.terms import get_reward_settings


@dataclass(frozen=True)
class PayoutRecipient:
    line: PayoutLine
    user: User


@dataclass(frozen=True)
class PayoutFile:
    content: bytes
    media_type: str
    filename: str


class PayoutProvider(Protocol):
    """A way to pay a batch: today a CSV for the brand's bank, later a payment service's API."""

    name: str

    def export(self, *, batch: PayoutBatch, recipients: Sequence[PayoutRecipient]) -> PayoutFile: ...


class ManualCsvProvider:
    """A CSV of the pending lines for a bank's or PayPal's mass payment upload; the staff mark lines paid after."""

    name = "manual_csv"

    def export(self, *, batch: PayoutBatch, recipients: Sequence[PayoutRecipient]) -> PayoutFile:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["line_id", "email", "name", "amount", "currency", "reference"])
        for recipient in recipients:
            if recipient.line.status != LineStatus.pending:
                continue
            writer.writerow(
                [
                    recipient.line.id,
                    recipient.user.email,
                    csv_safe(recipient.user.display_name),
                    money.plain_amount(recipient.line.amount_minor, batch.currency),
                    batch.currency,
                    f"chorus-payout-{batch.id}-{recipient.line.id}",
                ]
            )
        return PayoutFile(
            content=buffer.getvalue().encode(), media_type="text/csv", filename=f"payout-batch-{batch.id}.csv"
        )


def csv_safe(text: str) -> str:
    """No formula injection when the file is opened in a spreadsheet."""
    return "'" + text if text[:1] in {"=", "+", "-", "@"} else text


_BATCH_OPEN = N_("A payout batch in this currency is open already: settle it before opening another.")
PROVIDERS: dict[str, PayoutProvider] = {ManualCsvProvider.name: ManualCsvProvider()}


def held_minor(session: Session, *, account: LedgerAccount, cutoff: datetime) -> int:
    """Earnings still inside the holding period: the credits of sales posted after the cutoff, net of their refunds.

    A refund nets against the sale it reverses: a sale refunded while held leaves nothing held and takes nothing
    from what is available; once a sale's hold is over, its refund comes off the available balance.
    """
    return int(session.exec(held_sum(cutoff).where(LedgerEntry.account_id == account.id)).one())


def held_sum(cutoff: datetime) -> Any:
    """The sum of held entries (see ``held_minor``), for the caller to limit to some accounts."""
    reversed_sale = aliased(LedgerTransaction)
    return (
        select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0))
        .join(LedgerTransaction, col(LedgerTransaction.id) == LedgerEntry.transaction_id)
        .outerjoin(reversed_sale, col(reversed_sale.id) == LedgerTransaction.reverses_id)
        .where(
            or_(
                and_(col(LedgerTransaction.kind) == TransactionKind.sale, col(LedgerTransaction.posted_at) > cutoff),
                and_(
                    col(LedgerTransaction.kind) == TransactionKind.refund,
                    col(reversed_sale.kind) == TransactionKind.sale,
                    col(reversed_sale.posted_at) > cutoff,
                ),
            ),
        )
    )


def payable_minor(session: Session, *, account: LedgerAccount, cutoff: datetime) -> int:
    """What a batch with this cutoff may pay from an earnings account: its balance less what is still held."""
    return account.balance_minor - held_minor(session, account=account, cutoff=cutoff)


def _member_accounts(session: Session, *, brand_id: int, kind: AccountKind, currency: str) -> Sequence[LedgerAccount]:
    return session.exec(
        select(LedgerAccount)
        .where(
            LedgerAccount.brand_id == brand_id,
            LedgerAccount.kind == kind,
            LedgerAccount.currency == currency,
            col(LedgerAccount.user_id).is_not(None),
        )
        .order_by(col(LedgerAccount.user_id))
    ).all()


@dataclass(frozen=True)
class PayoutCurrency:
    """A currency a payout batch may be opened in, with what members are owed in it outside open batches."""

    currency: str
    current: bool  # the brand's currency now
    balance_minor: int  # the members' earnings balances in it (some may still be inside the holding period)


def payout_currencies(session: Session, *, brand: Brand) -> list[PayoutCurrency]:
    """The brand's currency now, then each older one in which members still have earnings, by code.

    Money earned before a change of currency stays owed in the currency it was earned in (the ledger never
    converts), so each such currency gets batches of its own: one batch, and each of its lines, in one currency.
    """
    current = get_reward_settings(session, brand=brand).currency
    balances = dict(
        session.exec(
            select(LedgerAccount.currency, func.sum(LedgerAccount.balance_minor))
            .where(
                LedgerAccount.brand_id == brand.id,
                LedgerAccount.kind == AccountKind.earnings,
                col(LedgerAccount.user_id).is_not(None),
                LedgerAccount.balance_minor > 0,
            )
            .group_by(col(LedgerAccount.currency))
        ).all()
    )
    codes = [current, *sorted(code for code in balances if code != current)]
    return [
        PayoutCurrency(currency=code, current=code == current, balance_minor=int(balances.get(code) or 0))
        for code in codes
    ]


def _payout_currency(session: Session, *, brand: Brand, currency: str | None) -> PayoutCurrency:
    choices = payout_currencies(session, brand=brand)
    if not currency:
        return choices[0]
    try:
        code = money.parse_currency(currency)
    except money.MoneyError as error:
        raise Invalid(str(error), fields={"currency": str(error)}) from None
    for choice in choices:
        if choice.currency == code:
            return choice
    if session.exec(select(PayoutBatch.id).where(PayoutBatch.open_key == f"{brand.id}:{code}")).first() is not None:
        raise Conflict(_(_BATCH_OPEN))  # what was owed in it is locked in that batch
    message = _(
        "No member is owed anything in %(currency)s; choose one of %(choices)s.",
        currency=code,
        choices=", ".join(c.currency for c in choices),
    )
    raise Invalid(message, fields={"currency": message})


def open_batch(
    session: Session,
    *,
    brand: Brand,
    created_by: User,
    currency: str | None = None,
    provider: str = ManualCsvProvider.name,
    now: datetime | None = None,
) -> PayoutBatch:
    """Open a payout batch in one currency (the brand's currency by default): every member balance in it at or over
    the threshold, less what is inside the holding period, is locked into it (moved to their payout_pending
    account), so no balance is in two batches.

    The threshold is set in the brand's currency now. A currency the brand used before earns nothing new, so a
    threshold would keep its small balances waiting forever: a batch in it pays every balance above zero.
    One open batch per brand and currency (a unique key): of two runs at once, the second is refused.
    """
    now = now or utcnow()
    settings = get_reward_settings(session, brand=brand)
    if provider not in PROVIDERS:
        raise Invalid(_("There is no payout provider %(provider)r.", provider=provider))
    choice = _payout_currency(session, brand=brand, currency=currency)
    code = choice.currency
    threshold_minor = settings.payout_threshold_minor if choice.current else 0
    cutoff = now - timedelta(days=settings.hold_days)
    brand_id = id_of(brand)
    open_key = f"{brand_id}:{code}"
    if session.exec(select(PayoutBatch.id).where(PayoutBatch.open_key == open_key)).first() is not None:
        raise Conflict(_(_BATCH_OPEN))
    candidates = [
        account
        for account in _member_accounts(session, brand_id=brand_id, kind=AccountKind.earnings, currency=code)
        if payable_minor(session, account=account, cutoff=cutoff) >= max(threshold_minor, 1)
    ]
    if not candidates:
        raise Conflict(
            ngettext(
                "No balance in %(currency)s is at or over %(threshold)s outside the %(num)s-day holding period: "
                "there is nothing to pay.",
                "No balance in %(currency)s is at or over %(threshold)s outside the %(num)s-day holding period: "
                "there is nothing to pay.",
                settings.hold_days,
                currency=code,
                threshold=money.format_amount(max(threshold_minor, 1), code),
                num=format_number(settings.hold_days),
            )
        )
    batch = PayoutBatch(
        brand_id=brand_id,
        currency=code,
        open_key=open_key,
        threshold_minor=threshold_minor,
        hold_days=settings.hold_days,
        cutoff_at=cutoff,
        provider=provider,
        created_by_id=created_by.id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(batch)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_(_BATCH_OPEN)) from error
    for account in candidates:
        ledger_service.lock_account(session, account=account)
        amount = payable_minor(session, account=account, cutoff=cutoff)
        if amount < max(threshold_minor, 1):
            continue
        assert account.user_id is not None
        pending = ledger_service.get_account(
            session,
            brand_id=brand_id,
            user_id=account.user_id,
            kind=AccountKind.payout_pending,
            currency=code,
        )
        posting = ledger_service.post_transaction(
            session,
            idempotency_key=f"payout:{batch.id}:lock:{account.user_id}",
            brand_id=brand_id,
            kind=TransactionKind.payout_lock,
            description=f"In payout batch {batch.id}",
            lines=[(account, -amount), (pending, amount)],
            posted_at=now,
        )
        session.add(
            PayoutLine(
                batch_id=id_of(batch),
                user_id=account.user_id,
                amount_minor=amount,
                lock_transaction_id=id_of(posting.transaction),
            )
        )
    session.flush()
    _close_if_settled(session, batch=batch, now=now)
    return batch


def list_batches(session: Session, *, brand: Brand) -> Sequence[PayoutBatch]:
    return session.exec(
        select(PayoutBatch).where(PayoutBatch.brand_id == brand.id).order_by(col(PayoutBatch.id).desc())
    ).all()


def get_batch(session: Session, *, brand: Brand, batch_id: int) -> PayoutBatch:
    batch = session.get(PayoutBatch, batch_id)
    if batch is None or batch.brand_id != brand.id:
        raise NotFound(_("There is no such payout batch."))
    return batch


def batch_recipients(session: Session, *, batch: PayoutBatch) -> list[PayoutRecipient]:
    rows = session.exec(
        select(PayoutLine, User)
        .join(User, col(User.id) == PayoutLine.user_id)
        .where(PayoutLine.batch_id == batch.id)
        .order_by(col(PayoutLine.amount_minor).desc(), col(PayoutLine.id))
    ).all()
    return [PayoutRecipient(line=line, user=user) for line, user in rows]


def export_batch(session: Session, *, batch: PayoutBatch, now: datetime | None = None) -> PayoutFile:
    """The batch's file for its provider (the pending lines); the batch remembers when it was first exported."""
    payout_file = PROVIDERS[batch.provider].export(batch=batch, recipients=batch_recipients(session, batch=batch))
    if batch.exported_at is None:
        batch.exported_at = now or utcnow()
        session.add(batch)
        session.flush()
    return payout_file


def _claim_line(session: Session, *, line: PayoutLine, status: LineStatus, now: datetime, **values: str) -> bool:
    claimed = run_claim(
        session,
        update(PayoutLine)
        .where(col(PayoutLine.id) == line.id, col(PayoutLine.status) == LineStatus.pending)
        .values(status=status, settled_at=now, **values)
        .execution_options(synchronize_session=False),
    )
    session.refresh(line)
    return bool(claimed.rowcount)


def _pending_lines(session: Session, *, batch: PayoutBatch, line_id: int | None) -> Sequence[PayoutLine]:
    query = select(PayoutLine).where(PayoutLine.batch_id == batch.id, PayoutLine.status == LineStatus.pending)
    if line_id is not None:
        query = query.where(PayoutLine.id == line_id)
    return session.exec(query.order_by(col(PayoutLine.id))).all()


def mark_paid(
    session: Session,
    *,
    batch: PayoutBatch,
    line_id: int | None = None,
    reference: str = "",
    now: datetime | None = None,
) -> list[PayoutLine]:
    """Mark one pending line of the batch paid, or all of them (line_id None); each is paid once."""
    now = now or utcnow()
    lines = _pending_lines(session, batch=batch, line_id=line_id)
    if line_id is not None and not lines:
        raise Conflict(_("This payout line is not pending: it was settled already."))
    brand = session.get(Brand, batch.brand_id)
    assert brand is not None
    paid_account = ledger_service.get_account(
        session, brand_id=batch.brand_id, user_id=None, kind=AccountKind.brand_paid, currency=batch.currency
    )
    done = []
    for line in lines:
        if not _claim_line(session, line=line, status=LineStatus.paid, now=now, provider_reference=reference[:120]):
            continue
        pending = ledger_service.get_account(
            session,
            brand_id=batch.brand_id,
            user_id=line.user_id,
            kind=AccountKind.payout_pending,
            currency=batch.currency,
        )
        ledger_service.post_transaction(
            session,
            idempotency_key=f"payout-line:{line.id}:paid",
            brand_id=batch.brand_id,
            kind=TransactionKind.payout_paid,
            description=f"Paid in payout batch {batch.id}",
            lines=[(pending, -line.amount_minor), (paid_account, line.amount_minor)],
            posted_at=now,
        )
        notify_user_id(
            session,
            user_id=line.user_id,
            kind=NotificationKind.payout_paid,
            text=partial(_paid_text, brand.name, line.amount_minor, batch.currency),
            link="/me/earnings",
        )
        rewards_events.emit_payout_paid(session, batch=batch, line=line, paid_at=now)
        done.append(line)
    if line_id is not None and not done:
        # Another request settled the line between our read and our claim (it waited for that one's commit).
        raise Conflict(_("This payout line is not pending: it was settled already."))
    _close_if_settled(session, batch=batch, now=now)
    return done


def _paid_text(brand_name: str, amount_minor: int, currency: str) -> str:
    return _("%(brand)s paid you %(amount)s", brand=brand_name, amount=money.format_amount(amount_minor, currency))


def mark_failed(
    session: Session, *, batch: PayoutBatch, line_id: int, reason: str, now: datetime | None = None
) -> PayoutLine:
    """A line could not be paid: its money returns to the member's earnings, and a later batch includes it again."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason or len(reason) > 300:
        raise Invalid(
            _("Say why the payment failed (up to 300 characters)."), fields={"reason": _("Say why it failed.")}
        )
    lines = _pending_lines(session, batch=batch, line_id=line_id)
    if not lines or not _claim_line(session, line=lines[0], status=LineStatus.failed, now=now, failure_reason=reason):
        raise Conflict(_("This payout line is not pending: it was settled already."))
    line = lines[0]
    pending = ledger_service.get_account(
        session, brand_id=batch.brand_id, user_id=line.user_id, kind=AccountKind.payout_pending, currency=batch.currency
    )
    earnings = ledger_service.get_account(
        session, brand_id=batch.brand_id, user_id=line.user_id, kind=AccountKind.earnings, currency=batch.currency
    )
    ledger_service.post_transaction(
        session,
        idempotency_key=f"payout-line:{line.id}:failed",
        brand_id=batch.brand_id,
        kind=TransactionKind.payout_return,
        description=f"Payout batch {batch.id} failed: back in your balance",
        lines=[(pending, -line.amount_minor), (earnings, line.amount_minor)],
        posted_at=now,
    )
    notify_user_id(
        session,
        user_id=line.user_id,
        kind=NotificationKind.payout_failed,
        text=lambda: _(
            "A payout of %(amount)s failed (%(reason)s); it is back in your balance for the next batch",
            amount=money.format_amount(line.amount_minor, batch.currency),
            reason=reason,
        ),
        link="/me/earnings",
    )
    _close_if_settled(session, batch=batch, now=now)
    return line


def _close_if_settled(session: Session, *, batch: PayoutBatch, now: datetime) -> None:
    if batch.status != BatchStatus.open or _pending_lines(session, batch=batch, line_id=None):
        return
    batch.status = BatchStatus.closed
    batch.open_key = None
    batch.closed_at = now
    session.add(batch)
    session.flush()
