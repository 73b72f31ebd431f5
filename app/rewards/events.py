"""Telling the brand's webhooks about money: sales recorded and refunded, payouts paid.

Amounts are given as the ledger stores them: integers in minor units beside their currency. Each is emitted in the
transaction of its write, after the write's claim (a sale's unique natural key, the refund's and the payout line's
conditional UPDATEs), so a replayed import or a repeated request never tells it twice.
"""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.accounts.models import User
from app.challenges.models import Product
from app.rewards.models import PayoutBatch, PayoutLine, ReferralCode, Sale
from app.webhooks import service as webhooks_service
from app.webhooks.models import WebhookEvent


def _sale(session: Session, sale: Sale) -> dict[str, Any]:
    product = session.get(Product, sale.product_id)
    referral = session.get(ReferralCode, sale.referral_code_id) if sale.referral_code_id is not None else None
    return {
        "id": sale.id,
        "order_id": sale.order_id,
        "product": {"id": sale.product_id, "name": product.name if product is not None else ""},
        "quantity": sale.quantity,
        "unit_price_minor": sale.unit_price_minor,
        "net_minor": sale.net_minor,
        "currency": sale.currency,
        "royalty_minor": sale.royalty_minor,
        "commission_minor": sale.commission_minor,
        "referral_code": referral.code if referral is not None else None,
        "source": sale.source.value,
        "sold_at": sale.sold_at.isoformat(),
        "refunded_at": sale.refunded_at.isoformat() if sale.refunded_at else None,
    }


def emit_sale_recorded(session: Session, *, sale: Sale) -> None:
    """``sale_recorded``, with what the sale earned members (royalties, commission)."""
    webhooks_service.emit_event(
        session, brand_id=sale.brand_id, event=WebhookEvent.sale_recorded, payload={"sale": _sale(session, sale)}
    )


def emit_sale_refunded(session: Session, *, sale: Sale) -> None:
    """``sale_refunded``: the sale as it now stands, with its refund time."""
    webhooks_service.emit_event(
        session, brand_id=sale.brand_id, event=WebhookEvent.sale_refunded, payload={"sale": _sale(session, sale)}
    )


def emit_payout_paid(session: Session, *, batch: PayoutBatch, line: PayoutLine, paid_at: datetime) -> None:
    """``payout_paid``: one member's line of a batch, with the payment's reference."""
    member = session.get(User, line.user_id)
    webhooks_service.emit_event(
        session,
        brand_id=batch.brand_id,
        event=WebhookEvent.payout_paid,
        payload={
            "payout": {
                "batch_id": batch.id,
                "line_id": line.id,
                "amount_minor": line.amount_minor,
                "currency": batch.currency,
                "reference": line.provider_reference,
                "paid_at": paid_at.isoformat(),
            },
            "member": {"handle": member.handle if member is not None else None},
        },
    )
