"""A member's own data: download all of it as JSON, or delete the account (content stays, anonymised).

The export walks the table metadata rather than a list of domains: every row of every table with a column that
references ``users.id`` holding the member's id is theirs to see, so domains added later (ideas, surveys, the ledger)
are included without changes here. Secrets (password and token hashes) are left out.
"""

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, delete, or_, select, update
from sqlmodel import Session, col

from app.accounts import service as accounts_service
from app.accounts import sessions as accounts_sessions
from app.accounts.models import ApiToken, User
from app.campaigns.models import CampaignApplication
from app.columns import id_of, utcnow
from app.communities import service as communities_service
from app.communities.models import Community, Membership
from app.db import metadata
from app.errors import Invalid
from app.i18n import _
from app.moderation import audit as moderation_audit
from app.moderation.models import AuditAction, MemberFingerprint
from app.notifications.models import Notification
from app.preorders.models import Pledge
from app.rewards.models import Redemption

# Secrets (and keyed hashes of them) never leave in an export, not even to their owner.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "totp_secret", "code_hash"})
DELETED_NAME = "deleted member"  # i18n: ignore (stored as the account's name, the same for every reader)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _user_columns(table: Any) -> list[Any]:
    return [
        column
        for column in table.columns
        if any(isinstance(fk, ForeignKey) and fk.column.table.name == "users" for fk in column.foreign_keys)
    ]


def export_member_data(session: Session, *, user: User) -> dict[str, Any]:
    """Everything stored about the member, table by table, as JSON-ready values."""
    user_id = id_of(user)
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in sorted(metadata.sorted_tables, key=lambda t: t.name):
        if table.name == "users":
            rows = session.execute(select(table).where(table.c.id == user_id)).mappings().all()
        else:
            columns = _user_columns(table)
            if not columns:
                continue
            rows = (
                session.execute(select(table).where(or_(*(column == user_id for column in columns)))).mappings().all()
            )
        if rows:
            tables[table.name] = [
                {key: _plain(value) for key, value in row.items() if key not in SECRET_COLUMNS} for row in rows
            ]
    return {"exported_at": utcnow().isoformat(), "user_id": user_id, "handle": user.handle, "tables": tables}


def delete_account(session: Session, *, user: User, password: str) -> User:
    """Delete one's account: personal data erased (profile, postal addresses), sessions and tokens revoked,
    memberships left; content stays under "deleted member" (scores, designs, comments, and ledger rows are records
    of the community, not profile)."""
    if not password or not accounts_service.password_hasher.verify(password, user.password_hash):
        raise Invalid(_("Please correct the marked fields."), fields={"password": _("This is not your password.")})
    user_id = id_of(user)
    now = utcnow()
    for membership in session.execute(select(Membership).where(col(Membership.user_id) == user_id)).scalars().all():
        community = session.get(Community, membership.community_id)
        if community is not None:
            communities_service.leave_community(session, community=community, user=user)
    accounts_sessions.end_all_sessions(session, user=user)
    session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    session.execute(delete(MemberFingerprint).where(col(MemberFingerprint.user_id) == user_id))
    session.execute(delete(Notification).where(col(Notification.user_id) == user_id))
    # Postal addresses are personal data, not records of the community: the rows stay, the addresses go.
    session.execute(update(Redemption).where(col(Redemption.user_id) == user_id).values(shipping_address=""))
    session.execute(
        update(CampaignApplication)
        .where(col(CampaignApplication.user_id) == user_id)
        .values(
            recipient_name="", address_line1="", address_line2="", city="", postcode="", country="", household_key=None
        )
    )
    session.execute(
        update(Pledge)
        .where(col(Pledge.user_id) == user_id)
        .values(recipient_name="", address_line1="", address_line2="", city="", postcode="", country="")
    )
    user.email = f"deleted-{user_id}@deleted.invalid"
    user.handle = f"deleted-{user_id}"
    user.display_name = DELETED_NAME
    user.bio = ""
    # A hash of a random secret nobody keeps: no password matches it.
    user.password_hash = accounts_service.password_hasher.hash(secrets.token_urlsafe(32))
    user.is_active = False
    user.email_confirmed_at = None
    session.add(user)
    session.flush()
    moderation_audit.record(
        session,
        community_id=None,
        actor=user,
        action=AuditAction.delete_account,
        subject_kind="user",
        subject_id=user_id,
        target_user_id=user_id,
        reason=_("Deleted by its owner"),
        now=now,
    )
    return user
