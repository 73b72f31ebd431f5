"""The money core: accounts, postings that always balance, idempotent replays, reversals and balances.

Amounts are integers in minor units (cents; points are whole points). Nothing here takes a float.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select, update

from app.columns import id_of, utcnow
from app.errors import Conflict, Invalid
from app.i18n import _
from app.ledger.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction, TransactionKind

MAX_KEY_LENGTH = 200


class UnbalancedTransaction(Invalid):
    """Entries that do not sum to zero per currency (a programming error in the caller, never user input)."""


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_postings(session: Session, _context: Any, _instances: Any) -> None:
    """Posted transactions and entries are immutable: a correction is a reversal."""
    for row in (*session.dirty, *session.deleted):
        if isinstance(row, LedgerTransaction | LedgerEntry) and (row in session.deleted or session.is_modified(row)):
            raise RuntimeError(f"{type(row).__name__} {row.id} is posted and cannot be changed or deleted")


def owner_key(*, brand_id: int, user_id: int | None, kind: AccountKind, currency: str) -> str:
    return f"{brand_id}:{user_id if user_id is not None else '-'}:{kind.value}:{currency}"


def _insert_for(session: Session) -> Any:
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def get_account(
    session: Session, *, brand_id: int, user_id: int | None, kind: AccountKind, currency: str
) -> LedgerAccount:
    """The account of this owner, kind and currency, created on first use (safe when two create it at once)."""
    currency = currency.upper()
    key = owner_key(brand_id=brand_id, user_id=user_id, kind=kind, currency=currency)
    account = session.exec(select(LedgerAccount).where(LedgerAccount.owner_key == key)).first()
    if account is not None:
        return account
    session.execute(
        _insert_for(session)(LedgerAccount)
        .values(
            brand_id=brand_id,
            user_id=user_id,
            kind=kind,
            currency=currency,
            owner_key=key,
            balance_minor=0,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["owner_key"])
    )
    return session.exec(select(LedgerAccount).where(LedgerAccount.owner_key == key)).one()


def find_account(
    session: Session, *, brand_id: int, user_id: int | None, kind: AccountKind, currency: str
) -> LedgerAccount | None:
    """The account if it exists (reads never create accounts)."""
    key = owner_key(brand_id=brand_id, user_id=user_id, kind=kind, currency=currency.upper())
    return session.exec(select(LedgerAccount).where(LedgerAccount.owner_key == key)).first()


def lock_account(session: Session, *, account: LedgerAccount) -> LedgerAccount:
    """Lock an account's row until the transaction ends (PostgreSQL; SQLite writers hold the write lock), and
    read its balance fresh: a check-then-post on it (spending points) is then safe under concurrency."""
    session.exec(select(LedgerAccount.id).where(LedgerAccount.id == account.id).with_for_update()).one()
    session.refresh(account)
    return account


@dataclass(frozen=True)
class Posting:
    transaction: LedgerTransaction
    created: bool  # False: the key was posted before, and this is that transaction


Line = tuple[LedgerAccount, int]


def _check_lines(lines: Sequence[Line]) -> None:
    if not lines:
        raise UnbalancedTransaction(_("A transaction needs entries."))
    totals: dict[str, int] = defaultdict(int)
    for account, amount in lines:
        if type(amount) is not int:
            raise UnbalancedTransaction(
                _("Amounts are integers in minor units, not %(type)s.", type=type(amount).__name__)
            )
        if amount == 0:
            raise UnbalancedTransaction(_("An entry of zero says nothing; leave it out."))
        totals[account.currency] += amount
    unbalanced = {currency: total for currency, total in totals.items() if total != 0}
    if unbalanced:
        raise UnbalancedTransaction(_("The entries do not balance: %(totals)s.", totals=unbalanced))


def _same_lines(session: Session, transaction: LedgerTransaction, lines: Sequence[Line]) -> bool:
    posted = session.exec(
        select(LedgerEntry.account_id, LedgerEntry.amount_minor).where(LedgerEntry.transaction_id == transaction.id)
    ).all()
    return sorted((account_id, amount) for account_id, amount in posted) == sorted(
        (id_of(account), amount) for account, amount in lines
    )


def find_transaction(session: Session, *, idempotency_key: str) -> LedgerTransaction | None:
    return session.exec(select(LedgerTransaction).where(LedgerTransaction.idempotency_key == idempotency_key)).first()


def post_transaction(
    session: Session,
    *,
    idempotency_key: str,
    brand_id: int,
    kind: TransactionKind,
    description: str,
    lines: Sequence[Line],
    posted_at: datetime | None = None,
    reverses: LedgerTransaction | None = None,
) -> Posting:
    """Post balanced entries once per idempotency key; a replay returns the first posting and changes nothing.

    The unique key decides between two concurrent postings: the second waits for the first (PostgreSQL's unique
    index; SQLite's write lock), then finds its row. A replay with other entries than the first is a Conflict.
    """
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        raise Invalid(_("An idempotency key has 1 to %(most)s characters.", most=MAX_KEY_LENGTH))
    _check_lines(lines)
    existing = find_transaction(session, idempotency_key=idempotency_key)
    if existing is None:
        moment = posted_at or utcnow()
        transaction = LedgerTransaction(
            idempotency_key=idempotency_key,
            brand_id=brand_id,
            kind=kind,
            description=description[:300],
            reverses_id=reverses.id if reverses is not None else None,
            posted_at=moment,
        )
        try:
            with session.begin_nested():
                session.add(transaction)
                session.flush()
        except IntegrityError:
            existing = find_transaction(session, idempotency_key=idempotency_key)
            if existing is None:  # the unique reversal, not the key, refused it
                raise Conflict(_("This transaction has been reversed already.")) from None
        else:
            for account, amount in lines:
                session.add(
                    LedgerEntry(
                        transaction_id=id_of(transaction),
                        account_id=id_of(account),
                        amount_minor=amount,
                        posted_at=moment,
                    )
                )
                session.execute(
                    update(LedgerAccount)
                    .where(col(LedgerAccount.id) == account.id)
                    .values(balance_minor=LedgerAccount.balance_minor + amount)
                    .execution_options(synchronize_session=False)
                )
            session.flush()
            for account, _amount in lines:
                session.expire(account, ["balance_minor"])
            return Posting(transaction=transaction, created=True)
    if not _same_lines(session, existing, lines):
        raise Conflict(_("The key %(key)r was posted before with other entries.", key=idempotency_key))
    return Posting(transaction=existing, created=False)


def entries_of(session: Session, *, transaction: LedgerTransaction) -> Sequence[tuple[LedgerAccount, int]]:
    rows = session.exec(
        select(LedgerAccount, LedgerEntry.amount_minor)
        .join(LedgerEntry, col(LedgerEntry.account_id) == LedgerAccount.id)
        .where(LedgerEntry.transaction_id == transaction.id)
        .order_by(col(LedgerEntry.id))
    ).all()
    return [(account, amount) for account, amount in rows]


def reverse_transaction(
    session: Session,
    *,
    transaction: LedgerTransaction,
    idempotency_key: str,
    description: str,
    kind: TransactionKind = TransactionKind.reversal,
    posted_at: datetime | None = None,
) -> Posting:
    """Post the exact opposite of a transaction (once: a transaction is reversed at most once)."""
    lines = [(account, -amount) for account, amount in entries_of(session, transaction=transaction)]
    return post_transaction(
        session,
        idempotency_key=idempotency_key,
        brand_id=transaction.brand_id,
        kind=kind,
        description=description,
        lines=lines,
        posted_at=posted_at,
        reverses=transaction,
    )


def recount(session: Session, *, account: LedgerAccount, at: datetime | None = None) -> int:
    """The account's balance summed from its entries (at a moment, if given): the truth the cache must match."""
    query = select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(LedgerEntry.account_id == account.id)
    if at is not None:
        query = query.where(LedgerEntry.posted_at <= at)
    return int(session.exec(query).one())


def balance(session: Session, *, account: LedgerAccount) -> int:
    """The cached balance, read fresh."""
    return int(session.exec(select(LedgerAccount.balance_minor).where(LedgerAccount.id == account.id)).one())


def transaction_sums(session: Session, *, brand_id: int | None = None) -> Sequence[tuple[int, str, int]]:
    """(transaction id, currency, sum of its entries) for every transaction: all zero in a sound ledger."""
    query = (
        select(LedgerEntry.transaction_id, LedgerAccount.currency, func.sum(LedgerEntry.amount_minor))
        .join(LedgerAccount, col(LedgerAccount.id) == LedgerEntry.account_id)
        .group_by(col(LedgerEntry.transaction_id), col(LedgerAccount.currency))
    )
    if brand_id is not None:
        query = query.where(LedgerAccount.brand_id == brand_id)
    return [(transaction_id, currency, int(total)) for transaction_id, currency, total in session.exec(query).all()]


def accounts_out_of_balance(session: Session, *, brand_id: int | None = None) -> list[LedgerAccount]:
    """Accounts whose cached balance differs from the sum of their entries (empty in a sound ledger)."""
    sums = (
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_minor).label("total"))
        .group_by(col(LedgerEntry.account_id))
        .subquery()
    )
    query = select(LedgerAccount).outerjoin(sums, sums.c.account_id == LedgerAccount.id)
    query = query.where(func.coalesce(sums.c.total, 0) != LedgerAccount.balance_minor)
    if brand_id is not None:
        query = query.where(LedgerAccount.brand_id == brand_id)
    return list(session.exec(query).all())
