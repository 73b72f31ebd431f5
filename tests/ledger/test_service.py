"""The money core: balanced postings, idempotent replays, reversals, immutability and balances that recount."""

import pytest
from sqlmodel import Session, select

from app.errors import Conflict, Invalid
from app.ledger import service as ledger_service
from app.ledger.models import POINTS, AccountKind, LedgerAccount, LedgerEntry, TransactionKind
from tests.factories import make_brand, make_user


def _accounts(session: Session) -> tuple[int, LedgerAccount, LedgerAccount, LedgerAccount]:
    brand = make_brand(session)
    member = make_user(session)
    assert brand.id is not None
    expense = ledger_service.get_account(
        session, brand_id=brand.id, user_id=None, kind=AccountKind.brand_expense, currency="EUR"
    )
    earnings = ledger_service.get_account(
        session, brand_id=brand.id, user_id=member.id, kind=AccountKind.earnings, currency="EUR"
    )
    points = ledger_service.get_account(
        session, brand_id=brand.id, user_id=member.id, kind=AccountKind.points, currency=POINTS
    )
    return brand.id, expense, earnings, points


def _post(session: Session, brand_id: int, key: str, lines: list[tuple[LedgerAccount, int]]) -> ledger_service.Posting:
    return ledger_service.post_transaction(
        session, idempotency_key=key, brand_id=brand_id, kind=TransactionKind.sale, description="test", lines=lines
    )


def test_a_balanced_posting_moves_cached_balances_and_they_recount(session: Session) -> None:
    brand_id, expense, earnings, _ = _accounts(session)
    posting = _post(session, brand_id, "sale:1", [(expense, -1234), (earnings, 1234)])
    assert posting.created
    assert ledger_service.balance(session, account=earnings) == 1234
    assert ledger_service.balance(session, account=expense) == -1234
    assert earnings.balance_minor == 1234  # the loaded object is refreshed too
    assert ledger_service.recount(session, account=earnings) == 1234
    assert ledger_service.accounts_out_of_balance(session, brand_id=brand_id) == []
    assert [total for _, _, total in ledger_service.transaction_sums(session, brand_id=brand_id)] == [0]


@pytest.mark.parametrize(
    ("amounts", "message"),
    [
        ([-100, 99], "do not balance"),
        ([], "needs entries"),
        ([0, 0], "zero"),
        ([-1.5, 1.5], "integers"),
        ([True, -1], "integers"),
    ],
)
def test_unbalanced_or_non_integer_lines_are_refused(session: Session, amounts: list[object], message: str) -> None:
    brand_id, expense, earnings, _ = _accounts(session)
    lines = list(zip([expense, earnings], amounts, strict=False))
    with pytest.raises(ledger_service.UnbalancedTransaction, match=message):
        _post(session, brand_id, "bad", lines)  # type: ignore[arg-type]
    assert session.exec(select(LedgerEntry)).all() == []


def test_each_currency_balances_on_its_own(session: Session) -> None:
    brand_id, expense, earnings, points = _accounts(session)
    with pytest.raises(ledger_service.UnbalancedTransaction):
        _post(session, brand_id, "mixed", [(expense, -100), (points, 100)])
    posting = _post(session, brand_id, "two", [(expense, -100), (earnings, 100)])
    assert posting.created


def test_a_replay_returns_the_first_posting_and_posts_nothing(session: Session) -> None:
    brand_id, expense, earnings, _ = _accounts(session)
    first = _post(session, brand_id, "sale:7", [(expense, -500), (earnings, 500)])
    again = _post(session, brand_id, "sale:7", [(expense, -500), (earnings, 500)])
    assert not again.created and again.transaction.id == first.transaction.id
    assert ledger_service.balance(session, account=earnings) == 500
    assert len(session.exec(select(LedgerEntry)).all()) == 2


def test_a_replay_with_other_entries_is_a_conflict(session: Session) -> None:
    brand_id, expense, earnings, _ = _accounts(session)
    _post(session, brand_id, "sale:8", [(expense, -500), (earnings, 500)])
    with pytest.raises(Conflict, match="other entries"):
        _post(session, brand_id, "sale:8", [(expense, -600), (earnings, 600)])


def test_a_key_is_required_and_bounded(session: Session) -> None:
    brand_id, expense, earnings, _ = _accounts(session)
    for key in ("", "k" * 201):
        with pytest.raises(Invalid):
            _post(session, brand_id, key, [(expense, -1), (earnings, 1)])


def test_a_reversal_posts_the_opposite_once(session: Session) -> None:
    brand_id, expense, earnings, _ = _accounts(session)
    original = _post(session, brand_id, "sale:9", [(expense, -700), (earnings, 700)]).transaction
    reversal = ledger_service.reverse_transaction(
        session, transaction=original, idempotency_key="refund:9", description="refund"
    )
    assert reversal.created and reversal.transaction.reverses_id == original.id
    assert ledger_service.balance(session, account=earnings) == 0
    replay = ledger_service.reverse_transaction(
        session, transaction=original, idempotency_key="refund:9", description="refund"
    )
    assert not replay.created
    with pytest.raises(Conflict, match="reversed already"):
        ledger_service.reverse_transaction(
            session, transaction=original, idempotency_key="refund:9b", description="refund again"
        )
    assert ledger_service.balance(session, account=earnings) == 0
    assert ledger_service.accounts_out_of_balance(session) == []


def test_posted_entries_cannot_be_changed(session: Session) -> None:
    brand_id, expense, earnings, _ = _accounts(session)
    posting = _post(session, brand_id, "sale:10", [(expense, -100), (earnings, 100)])
    entry = session.exec(select(LedgerEntry).where(LedgerEntry.transaction_id == posting.transaction.id)).first()
    assert entry is not None
    entry.amount_minor = 1_000_000
    with pytest.raises(RuntimeError, match="cannot be changed"):
        session.flush()


def test_posted_transactions_cannot_be_deleted(session: Session) -> None:
    brand_id, expense, earnings, _ = _accounts(session)
    posting = _post(session, brand_id, "sale:11", [(expense, -100), (earnings, 100)])
    session.delete(posting.transaction)
    with pytest.raises(RuntimeError, match="cannot be changed"):
        session.flush()


def test_accounts_are_one_per_owner_kind_and_currency(session: Session) -> None:
    brand_id, _, earnings, _ = _accounts(session)
    again = ledger_service.get_account(
        session, brand_id=brand_id, user_id=earnings.user_id, kind=AccountKind.earnings, currency="eur"
    )
    assert again.id == earnings.id
    usd = ledger_service.get_account(
        session, brand_id=brand_id, user_id=earnings.user_id, kind=AccountKind.earnings, currency="USD"
    )
    assert usd.id != earnings.id
    assert (
        ledger_service.find_account(
            session, brand_id=brand_id, user_id=earnings.user_id, kind=AccountKind.earnings, currency="GBP"
        )
        is None
    )


def test_a_recount_at_a_moment_ignores_later_entries(session: Session) -> None:
    from datetime import timedelta

    from app.columns import utcnow

    brand_id, expense, earnings, _ = _accounts(session)
    then = utcnow() - timedelta(days=3)
    ledger_service.post_transaction(
        session,
        idempotency_key="old",
        brand_id=brand_id,
        kind=TransactionKind.sale,
        description="old",
        lines=[(expense, -100), (earnings, 100)],
        posted_at=then,
    )
    _post(session, brand_id, "new", [(expense, -50), (earnings, 50)])
    assert ledger_service.recount(session, account=earnings, at=then + timedelta(days=1)) == 100
    assert ledger_service.recount(session, account=earnings) == 150
