"""The weekly results e-mail: each brand's staff get the brand home's needs-attention list and figures, with links.

Sent by the hourly task (``app.tasks.send_brand_results``) once the week's moment has come: the weekly digests'
weekday and hour (``digest_weekday``, ``digest_hour``, UTC), or within a day after it if the worker was down then.
One e-mail per brand, person and week: each is sent in its own transaction that first records it in
``brand_weekly_reports``, whose unique key makes a re-run (or a second worker) send nothing twice. Whoever is no
longer on the staff when their turn comes, turned this kind off, or may not be e-mailed at all gets nothing.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.brands import overview as brands_overview
from app.brands import service as brands_service
from app.brands.models import Brand, BrandStaff, BrandWeeklyReport
from app.columns import id_of
from app.config import Settings, get_settings
from app.i18n import _, ngettext, use_locale
from app.i18n.formatting import format_date, format_minor_units, format_number
from app.notifications import emails
from app.notifications import service as notifications_service
from app.notifications.models import Delivery, NotificationKind, OutboxEmail
from app.permissions import Role

KIND = NotificationKind.brand_results
CATCH_UP = timedelta(days=1)


def concerns(session: Session, user: User) -> bool:
    """The weekly results concern people on some brand's staff (the settings offer the choice to them alone)."""
    return brands_service.first_staffed_brand_slug(session, user=user) is not None


def due_week(now: datetime, *, settings: Settings | None = None) -> date | None:
    """The day of the week's send when it is due at ``now`` (from its moment to a day after), else None."""
    settings = settings or get_settings()
    days_since = (now.weekday() - settings.digest_weekday) % 7
    moment = (now - timedelta(days=days_since)).replace(hour=settings.digest_hour, minute=0, second=0, microsecond=0)
    if moment > now:
        moment -= timedelta(days=7)
    return moment.date() if now - moment < CATCH_UP else None


def _record(session: Session, *, brand_id: int, user_id: int, week_of: date, now: datetime) -> bool:
    """Claim this week's e-mail for the person: False when it was sent already (by an earlier run or another
    worker)."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # RETURNING, not rowcount: psycopg reports a row for an INSERT that ON CONFLICT DO NOTHING skipped.
    inserted = session.execute(
        insert(BrandWeeklyReport)
        .values(brand_id=brand_id, user_id=user_id, week_of=week_of, sent_at=now)
        .on_conflict_do_nothing(index_elements=["brand_id", "user_id", "week_of"])
        .returning(col(BrandWeeklyReport.id))
    ).first()
    return inserted is not None


def _trend(figure: brands_overview.Figure) -> str:
    if figure.value is None:
        return _("not enough answers yet") if figure.kind == "score" else _("no figure yet")
    if figure.change is None:
        return _("nothing to compare with")
    if figure.change == 0:
        return _("no change %(compared)s", compared=figure.compared_with)
    change = format_number(abs(figure.change), digits=0)
    if figure.change > 0:
        return _("+%(change)s %(compared)s", change=change, compared=figure.compared_with)
    return _("-%(change)s %(compared)s", change=change, compared=figure.compared_with)


def _value(figure: brands_overview.Figure) -> str:
    if figure.value is None:
        return "-"
    if figure.kind == "score" and figure.value:
        return ("+" if figure.value > 0 else "-") + format_number(abs(figure.value), digits=0)
    return format_number(figure.value, digits=0)


# Each needs-attention item as a counted phrase, by its key (the overview's label is a heading, not a phrase).
COUNTED: dict[str, Callable[[int], str]] = {
    "applications": lambda n: ngettext("%(num)s application to review", "%(num)s applications to review", n),
    "kits": lambda n: ngettext("%(num)s kit to ship", "%(num)s kits to ship", n),
    "reports": lambda n: ngettext("%(num)s report waiting", "%(num)s reports waiting", n),
    "appeals": lambda n: ngettext("%(num)s appeal to decide", "%(num)s appeals to decide", n),
    "payouts": lambda n: ngettext("%(num)s payout to mark paid", "%(num)s payouts to mark paid", n),
    "ideas": lambda n: ngettext("%(num)s idea waiting for an answer", "%(num)s ideas waiting for an answer", n),
    "webhooks": lambda n: ngettext("%(num)s webhook endpoint failing", "%(num)s webhook endpoints failing", n),
}


def _attention_line(item: brands_overview.AttentionItem) -> str:
    counted = COUNTED.get(item.key)
    what = counted(item.count) if counted else f"{item.label}: {format_number(item.count)}"
    return f"- {what}: {item.where}"


def _coming_line(entry: brands_overview.TimelineEntry) -> str:
    assert entry.next_at is not None
    words = {
        "title": entry.title,
        "phase": entry.phase_label,
        "next": entry.next_label,
        "day": format_date(entry.next_at),
    }
    if entry.kind == "challenge":
        return _("- %(title)s (challenge, %(phase)s): %(next)s on %(day)s", **words)
    return _("- %(title)s (campaign, %(phase)s): %(next)s on %(day)s", **words)


def results_email(*, user: User, overview: brands_overview.BrandOverview) -> emails.RenderedEmail:
    """The e-mail's words: what needs attention (with links), the figures, and the timeline's coming dates, in the
    language of the block around it (``send_brand_results`` speaks the recipient's)."""
    brand = overview.brand
    site = get_settings().site_name
    waiting = overview.attention_total
    subject = ngettext(
        "%(brand)s this week: %(num)s thing waiting for the staff",
        "%(brand)s this week: %(num)s things waiting for the staff",
        waiting,
        brand=brand.name,
    )
    lines = [
        _("Hello %(name)s,", name=user.display_name),
        "",
        _("Here is %(brand)s's week on %(site)s.", brand=brand.name, site=site),
        "",
    ]
    heading = _("Needs attention")
    lines += [heading, "-" * len(heading)]
    for item in overview.attention:
        lines.append(_attention_line(item))
        if item.url:
            lines.append(f"  {emails.absolute(item.url)}")
    if not overview.attention:
        lines.append(_("Nothing is waiting."))
    heading = _("Figures")
    lines += ["", heading, "-" * len(heading)]
    lines += [f"- {figure.label}: {_value(figure)} ({_trend(figure)})" for figure in overview.figures]
    owed = overview.money
    lines.append(
        _(
            "- Owed to members: %(owed)s, of which %(held)s still held",
            owed=format_minor_units(owed.owed_minor, owed.currency),
            held=format_minor_units(owed.held_minor, owed.currency),
        )
    )
    coming = [entry for entry in overview.timeline if entry.next_at is not None and not entry.finished]
    if coming:
        heading = _("Coming up")
        lines += ["", heading, "-" * len(heading)]
        for entry in coming:
            lines.append(_coming_line(entry))
            lines.append(f"  {emails.absolute(entry.url)}")
    home = emails.absolute(f"/brands/{brand.slug}")
    settings_url = emails.absolute("/settings/notifications")
    unsubscribe = notifications_service.unsubscribe_url(user, KIND)
    lines += [
        "",
        _("The brand home: %(url)s", url=home),
        "",
        "--",
        _("You get this each week as a member of %(brand)s's staff.", brand=brand.name),
        _("Choose what reaches you and how often: %(url)s", url=settings_url),
        _("Stop these weekly results: %(url)s", url=unsubscribe),
    ]
    return emails.RenderedEmail(subject=subject[:200], body_text="\n".join(lines) + "\n")


def send_brand_results(
    session: Session, *, brand: Brand, user_id: int, week_of: date, now: datetime
) -> OutboxEmail | None:
    """Queue one person's weekly results of one brand, in the caller's transaction; None when they are not on the
    staff any more, do not want it, may not be e-mailed, or had this week's already."""
    user = session.get(User, user_id)
    role = brands_service.staff_role(session, brand_id=id_of(brand), user=user)
    if user is None or role is None:
        return None
    if notifications_service.delivery_for(session, user=user, kind=KIND) == Delivery.never:
        return None
    if not notifications_service.may_email(session, user=user):
        return None
    if not _record(session, brand_id=id_of(brand), user_id=user_id, week_of=week_of, now=now):
        return None
    with use_locale(user.locale, user.time_zone):  # the overview's labels and the e-mail in the recipient's words
        overview = brands_overview.brand_overview(
            session, brand=brand, roles=frozenset({Role.user, Role(role)}), now=now
        )
        rendered = results_email(user=user, overview=overview)
    return notifications_service.queue_email(
        session,
        to_address=user.email,
        subject=rendered.subject,
        body_text=rendered.body_text,
        headers=notifications_service.unsubscribe_headers(user, KIND),
    )


def run_weekly_results(*, now: datetime, sessions: Callable[[], AbstractContextManager[Session]] | None = None) -> int:
    """What the hourly task does: when the week's results are due, each staff member's of each brand, one
    transaction each; returns how many e-mails were queued."""
    from app.db import session_scope

    week_of = due_week(now)
    if week_of is None:
        return 0
    open_session = sessions or session_scope
    with open_session() as session:
        staff = session.exec(
            select(BrandStaff.brand_id, BrandStaff.user_id).order_by(col(BrandStaff.brand_id), col(BrandStaff.user_id))
        ).all()
    sent = 0
    for brand_id, user_id in staff:
        with open_session() as session:
            brand = session.get(Brand, brand_id)
            if brand is not None and send_brand_results(
                session, brand=brand, user_id=user_id, week_of=week_of, now=now
            ):
                sent += 1
    return sent
