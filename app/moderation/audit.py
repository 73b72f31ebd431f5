"""The audit log: every act of a moderator (or of the system on their behalf: auto-hide, holding a post) writes one
entry in the same transaction, and the entry is what the member may appeal; its pages, filters and CSV export, and the
reason every decision gives.
"""

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.errors import Invalid
from app.i18n import _
from app.i18n.formatting import format_number
from app.moderation.models import (
    AuditAction,
    AuditEntry,
)

REASON_MAX = 500


AUDIT_PAGE_SIZE = 100


def decision_link(community: Community, entry_id: int) -> str:
    """Where a member reads a decision about them and appeals it."""
    return f"/c/{community.slug}/decisions/{entry_id}"


def clean_reason(reason: str, *, required: bool = True, field_name: str = "reason") -> str:
    reason = reason.strip()
    if required and not reason:
        raise Invalid(
            _("Please correct the marked fields."), fields={field_name: _("Give a reason: the member is told it.")}
        )
    if len(reason) > REASON_MAX:
        raise Invalid(
            _("Please correct the marked fields."),
            fields={field_name: _("Keep it under %(limit)s characters.", limit=format_number(REASON_MAX))},
        )
    return reason


def record(
    session: Session,
    *,
    community_id: int | None,
    actor: User | None,
    action: AuditAction,
    subject_kind: str = "",
    subject_id: int | None = None,
    target_user_id: int | None = None,
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry to the audit log (there is no way to change or remove one)."""
    entry = AuditEntry(
        community_id=community_id,
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_kind=subject_kind,
        subject_id=subject_id,
        target_user_id=target_user_id,
        reason=reason[:REASON_MAX],
        before=before or {},
        after=after or {},
        created_at=now or utcnow(),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""  # a handle
    target: str = ""  # a handle
    since: datetime | None = None
    until: datetime | None = None


def list_audit(
    session: Session, *, community: Community, filters: AuditFilters, limit: int | None = AUDIT_PAGE_SIZE
) -> list[tuple[AuditEntry, User | None, User | None]]:
    """The community's audit log, newest first, with the actor and the member concerned."""
    query = select(AuditEntry).where(AuditEntry.community_id == community.id)
    if filters.action:
        try:
            query = query.where(AuditEntry.action == AuditAction(filters.action))
        except ValueError:
            raise Invalid(
                _("There is no such action."), fields={"action": _("Choose an action from the list.")}
            ) from None
    for handle, column in ((filters.actor, AuditEntry.actor_id), (filters.target, AuditEntry.target_user_id)):
        if handle:
            user_id = session.exec(select(User.id).where(User.handle == handle.strip().lstrip("@").lower())).first()
            query = query.where(column == (user_id or -1))
    if filters.since is not None:
        query = query.where(AuditEntry.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.created_at < filters.until)
    query = query.order_by(col(AuditEntry.id).desc())
    if limit is not None:
        query = query.limit(limit)
    entries = session.exec(query).all()
    people = users_by_id(session, {i for e in entries for i in (e.actor_id, e.target_user_id) if i is not None})
    return [(entry, people.get(entry.actor_id or 0), people.get(entry.target_user_id or 0)) for entry in entries]


def users_by_id(session: Session, ids: Iterable[int]) -> dict[int, User]:
    """People by id, in one query (for pages listing entries)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {id_of(user): user for user in session.exec(select(User).where(col(User.id).in_(wanted))).all()}


_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection): such text is prefixed with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_CSV_FORMULA_START) else text


def audit_csv(rows: Sequence[tuple[AuditEntry, User | None, User | None]]) -> str:
    """The audit log as CSV, one entry a line, before/after as JSON text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "at", "actor", "action", "subject", "member", "reason", "before", "after"])
    for entry, actor, target in rows:
        subject = f"{entry.subject_kind}:{entry.subject_id}" if entry.subject_kind else ""
        writer.writerow(
            [
                _csv_cell(value)
                for value in (
                    entry.id,
                    entry.created_at.isoformat(),
                    actor.handle if actor else "",
                    entry.action,
                    subject,
                    target.handle if target else "",
                    entry.reason,
                    json.dumps(entry.before, sort_keys=True),
                    json.dumps(entry.after, sort_keys=True),
                )
            ]
        )
    return buffer.getvalue()
