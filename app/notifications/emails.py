"""The words of notification e-mail: one notification now, or a digest grouped by community and kind.

Plain text for every mail client, and for digests an HTML alternative rendered from
templates/notifications/email/digest.html (autoescaped: notification texts contain member-written titles).
"""

from dataclasses import dataclass, field

from app.accounts.models import User
from app.config import get_settings
from app.i18n import _, ngettext
from app.i18n.formatting import format_number

ITEMS_PER_KIND = 5


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body_text: str
    body_html: str = ""


@dataclass(frozen=True)
class DigestLine:
    text: str
    url: str


@dataclass
class DigestKind:
    label: str
    count: int = 0
    lines: list[DigestLine] = field(default_factory=list)
    shown: int = 0  # the notifications the lines tell of (a line may roll up several)

    @property
    def more(self) -> int:
        return self.count - self.shown


@dataclass
class DigestCommunity:
    name: str
    url: str
    kinds: list[DigestKind] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(kind.count for kind in self.kinds)


def absolute(link: str) -> str:
    return get_settings().base_url.rstrip("/") + link if link.startswith("/") else link


def _footer(reason: str, unsubscribe_url: str) -> str:
    settings_url = absolute("/settings/notifications")
    return (
        "--\n"
        + "\n".join(
            (
                reason,
                _("Choose what reaches you and how often: %(url)s", url=settings_url),
                _("Unsubscribe: %(url)s", url=unsubscribe_url),
            )
        )
        + "\n"
    )


def notification_email(*, user: User, kind_label: str, text: str, link: str, unsubscribe_url: str) -> RenderedEmail:
    """One notification, sent at once, in the current language (the caller's ``use_locale`` for the recipient)."""
    site = get_settings().site_name
    greeting = _("Hello %(name)s,", name=user.display_name)
    reason = _("You get these e-mails at once for “%(kind)s”.", kind=kind_label)
    body = f"{greeting}\n\n{text}\n\n{absolute(link)}\n\n" + _footer(reason, unsubscribe_url)
    return RenderedEmail(subject=_("%(site)s: %(text)s", site=site, text=text)[:200], body_text=body)


def digest_subject(*, cadence: str, site: str, total: int) -> str:
    if cadence == "weekly":
        return ngettext(
            "Your weekly %(site)s digest: %(num)s update",
            "Your weekly %(site)s digest: %(num)s updates",
            total,
            site=site,
        )
    return ngettext(
        "Your daily %(site)s digest: %(num)s update", "Your daily %(site)s digest: %(num)s updates", total, site=site
    )


def digest_reason(cadence: str) -> str:
    return _("This is your weekly digest.") if cadence == "weekly" else _("This is your daily digest.")


def digest_email(
    *, user: User, cadence: str, communities: list[DigestCommunity], unsubscribe_url: str
) -> RenderedEmail:
    """A digest: a heading per community with its count, then per kind the count and the newest few, with links.
    In the current language (the caller's ``use_locale`` for the recipient)."""
    from app.web.templating import templates

    site = get_settings().site_name
    total = sum(community.count for community in communities)
    lines = [
        _("Hello %(name)s,", name=user.display_name),
        "",
        _("Here is what happened in your %(site)s communities.", site=site),
        "",
    ]
    for community in communities:
        heading = f"{community.name} ({format_number(community.count)})"
        lines += [heading, "=" * len(heading)]
        for kind in community.kinds:
            lines.append(f"{kind.label} ({format_number(kind.count)})")
            lines += [f"  - {line.text}\n    {line.url}" for line in kind.lines]
            if kind.more:
                lines.append(
                    "  "
                    + ngettext(
                        "... and %(num)s more: %(url)s",
                        "... and %(num)s more: %(url)s",
                        kind.more,
                        url=absolute("/notifications"),
                    )
                )
        lines.append("")
    body_text = "\n".join(lines) + "\n" + _footer(digest_reason(cadence), unsubscribe_url)
    body_html = templates.env.get_template("notifications/email/digest.html").render(
        user=user,
        site=site,
        cadence=cadence,
        total=total,
        communities=communities,
        unsubscribe_url=unsubscribe_url,
        settings_url=absolute("/settings/notifications"),
        notifications_url=absolute("/notifications"),
    )
    return RenderedEmail(
        subject=digest_subject(cadence=cadence, site=site, total=total), body_text=body_text, body_html=body_html
    )
