"""Reports: a member flags content or a profile in a community, the brand's staff flag a survey answer; enough
distinct reporters hide the content until a moderator decides.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import rate_limits
from app.accounts.models import User
from app.columns import id_of, utcnow
from app.communities.models import Community, Membership
from app.config import get_settings
from app.errors import Conflict, Invalid
from app.i18n import _, ngettext
from app.i18n.formatting import format_number
from app.moderation import subjects
from app.moderation.models import (
    REPORT_NOTE_MAX,
    AuditAction,
    ItemFlag,
    ItemStatus,
    ModerationItem,
    Report,
    ReportReason,
    SubjectKind,
)
from app.moderation.queue import claim_item, hold
from app.moderation.screening import settings_for
from app.surveys import responses as surveys_responses
from app.surveys.models import Survey, SurveyResponse

NOTE_MAX = REPORT_NOTE_MAX


@dataclass(frozen=True)
class ReportOutcome:
    report: Report
    item: ModerationItem
    auto_hidden: bool


def report_subject(
    session: Session,
    *,
    community: Community,
    reporter: User,
    kind: SubjectKind | str,
    subject_id: int,
    reason: ReportReason | str,
    note: str = "",
    now: datetime | None = None,
) -> ReportOutcome:
    """A member reports content or a profile: one report per member and item; at the community's threshold of
    distinct reporters the content is hidden until a moderator decides."""
    chosen, note = _clean_report(reason, note)
    kind = subjects.subject_type(kind).kind
    info = subjects.describe_for_members(session, kind=kind, subject_id=subject_id, community_id=id_of(community))
    if info.author_id == reporter.id:
        raise Conflict(_("You cannot report your own content."))
    return _file_report(
        session,
        community=community,
        reporter=reporter,
        kind=kind,
        subject_id=subject_id,
        reason=chosen,
        note=note,
        now=now or utcnow(),
    )


def _clean_report(reason: ReportReason | str, note: str) -> tuple[ReportReason, str]:
    try:
        chosen = ReportReason(reason)
    except ValueError:
        raise Invalid(_("Please correct the marked fields."), fields={"reason": _("Choose a reason.")}) from None
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise Invalid(
            _("Please correct the marked fields."),
            fields={"note": _("Keep it under %(limit)s characters.", limit=format_number(NOTE_MAX))},
        )
    return chosen, note


def profile_report_communities(session: Session, *, reporter: User | None, member: User) -> list[Community]:
    """Where someone may report a member's profile: the communities both are members of (never one's own)."""
    if reporter is None or reporter.id == member.id:
        return []
    theirs = select(Membership.community_id).where(Membership.user_id == member.id)
    return list(
        session.exec(
            select(Community)
            .join(Membership, col(Membership.community_id) == Community.id)
            .where(Membership.user_id == reporter.id, col(Community.id).in_(theirs))
            .order_by(col(Community.name), col(Community.id))
        ).all()
    )


@dataclass(frozen=True)
class ResponseForReport:
    """A survey response as the staff member reporting it sees it, and whose moderators would get the report."""

    response: SurveyResponse
    community: Community | None
    excerpt: str


def response_for_report(session: Session, *, survey: Survey, response_id: int) -> ResponseForReport:
    """One of the survey's responses, with the community a report about it goes to (None: no community's)."""
    response = surveys_responses.get_response(session, survey=survey, response_id=response_id)
    community = session.get(Community, response.community_id) if response.community_id is not None else None
    excerpt = subjects.contents(session, kind=SubjectKind.survey_response, subject_ids=[response_id])[response_id].text
    return ResponseForReport(response=response, community=community, excerpt=excerpt)


def report_response(
    session: Session,
    *,
    survey: Survey,
    response_id: int,
    reporter: User,
    reason: ReportReason | str,
    note: str = "",
    now: datetime | None = None,
) -> ReportOutcome:
    """The brand's staff, reading a survey's free-text answers, report a response to the moderators of the community
    it was given in; hidden (by them, or by enough reports) it drops out of every result.

    That community is the one the response recorded when it was given (``SurveyResponse.community_id``): for an
    answer through a campaign's share link, the campaign's community rather than any community the survey is also
    published to, since that campaign's moderators look after its connectors and their networks, and a survey's
    publication may move or be withdrawn while a campaign stays in its community; for a member's answer on a
    community's survey page, that community, even after the survey is withdrawn (when its results are read). A
    response the brand's own systems recorded was given in no community: no moderators review it (Conflict).
    """
    chosen, note = _clean_report(reason, note)
    target = response_for_report(session, survey=survey, response_id=response_id)
    if target.community is None:
        raise Conflict(_("This response came from your own systems, not from a community, so no moderators review it."))
    return _file_report(
        session,
        community=target.community,
        reporter=reporter,
        kind=SubjectKind.survey_response,
        subject_id=response_id,
        reason=chosen,
        note=note,
        now=now or utcnow(),
    )


def _file_report(
    session: Session,
    *,
    community: Community,
    reporter: User,
    kind: SubjectKind,
    subject_id: int,
    reason: ReportReason,
    note: str,
    now: datetime,
) -> ReportOutcome:
    rate_limits.hit(
        get_settings().report_rate_per_account,
        "report",
        str(reporter.id),
        message=_("You have sent many reports in a short time; wait a while before the next one."),
    )
    item = claim_item(session, community=community, kind=kind, subject_id=subject_id, flag=ItemFlag.reported, now=now)
    report = Report(item_id=id_of(item), reporter_id=id_of(reporter), reason=reason, note=note, created_at=now)
    try:
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError:
        raise Conflict(_("You have reported this already; the moderators will look at it.")) from None
    # Counted in the database, so reports arriving together are all counted, and one of them crosses the threshold.
    count = session.execute(
        update(ModerationItem)
        .where(col(ModerationItem.id) == item.id)
        .values(
            report_count=ModerationItem.report_count + 1,
            updated_at=now,
            # A report after a moderator restored the item puts it back in front of them (still shown).
            status=func.coalesce(func.nullif(ModerationItem.status, ItemStatus.restored.value), ItemStatus.open.value),
        )
        .returning(col(ModerationItem.report_count))
        .execution_options(synchronize_session=False)
    ).scalar_one()
    session.refresh(item)
    threshold = settings_for(session, community=community).auto_hide_threshold
    auto_hidden = False
    if count >= threshold and item.decided_at is None:
        auto_hidden = hold(
            session,
            community=community,
            item=item,
            action=AuditAction.auto_hide,
            now=now,
            reason=ngettext(
                "Hidden automatically after %(num)s report, until a moderator decides.",
                "Hidden automatically after %(num)s reports, until a moderator decides.",
                count,
            ),
        )
    return ReportOutcome(report=report, item=item, auto_hidden=auto_hidden)
