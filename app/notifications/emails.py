"""The words of notification e-mail: one notification now, or a digest grouped by community and kind.

Plain text for every mail client, and for digests an HTML alternative rendered from
templates/notifications/email/digest.html (autoescaped: notification texts contain member-written titles).
"""

from dataclasses import dataclass, field

from app.accounts.models import User
from app.config import get_settings

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
    return f"--\n{reason}\nChoose what reaches you and how often: {settings_url}\nUnsubscribe: {unsubscribe_url}\n"


def notification_email(*, user: User, kind_label: str, text: str, link: str, unsubscribe_url: str) -> RenderedEmail:
    """One notification, sent at once."""
    site = get_settings().site_name
    body = f"Hello {user.display_name},\n\n{text}\n\n{absolute(link)}\n\n" + _footer(
        f'You get these e-mails at once for "{kind_label}".', unsubscribe_url
    )
    return RenderedEmail(subject=f"{site}: {text}"[:200], body_text=body)


def digest_email(
    *, user: User, cadence: str, communities: list[DigestCommunity], unsubscribe_url: str
) -> RenderedEmail:
    """A digest: a heading per community with its count, then per kind the count and the newest few, with links."""
    from app.web.templating import templates

    site = get_settings().site_name
    total = sum(community.count for community in communities)
    subject = f"Your {cadence} {site} digest: {total} update{'s' if total != 1 else ''}"
    lines = [f"Hello {user.display_name},", "", f"Here is what happened in your {site} communities.", ""]
    for community in communities:
        lines += [f"{community.name} ({community.count})", "=" * len(f"{community.name} ({community.count})")]
        for kind in community.kinds:
            lines.append(f"{kind.label} ({kind.count})")
            lines += [f"  - {line.text}\n    {line.url}" for line in kind.lines]
            if kind.more:
                lines.append(f"  ... and {kind.more} more: {absolute('/notifications')}")
        lines.append("")
    body_text = "\n".join(lines) + "\n" + _footer(f"This is your {cadence} digest.", unsubscribe_url)
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
    return RenderedEmail(subject=subject, body_text=body_text, body_html=body_html)
