"""Share links and their attribution counters: opening, passing a link on, joining through one.

The counters of share links and connectors are increments in SQL (an UPSERT for the per-hop rows), exact under
concurrent requests.
"""

import io
import secrets
from datetime import datetime
from functools import cache
from typing import Any, cast

import segno
from sqlalchemy import BindParameter, Integer, Table, bindparam
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select, update

from app.accounts.models import User
from app.campaigns import totals as campaign_totals
from app.campaigns.lifecycle import PASSING_ON_PHASES, require_phase
from app.campaigns.models import (
    Campaign,
    CampaignResponse,
    CampaignStatus,
    ConnectorReach,
    ShareLink,
)
from app.columns import id_of, utcnow
from app.communities import service as communities_service
from app.communities.models import Community, Membership
from app.config import get_settings
from app.errors import NotFound
from app.i18n import N_, _

# ------------------------------------------------------------------------------------------------------------
# Sharing: links, QR codes, counters
# ------------------------------------------------------------------------------------------------------------


def new_link_code() -> str:
    """A fresh random share-link code."""
    return secrets.token_urlsafe(9)


def root_link(session: Session, *, campaign_id: int, connector_id: int) -> ShareLink | None:
    """The connector's own (first-hop) share link of the campaign, if there is one."""
    return session.exec(
        select(ShareLink).where(
            ShareLink.campaign_id == campaign_id,
            ShareLink.connector_id == connector_id,
            col(ShareLink.parent_id).is_(None),
        )
    ).first()


def get_link(session: Session, *, code: str) -> tuple[ShareLink, Campaign, Community]:
    """The link behind a code, with its campaign and community; unknown codes and drafts are not found."""
    found = session.exec(
        select(ShareLink, Campaign, Community)
        .join(Campaign, col(Campaign.id) == ShareLink.campaign_id)
        .join(Community, col(Community.id) == Campaign.community_id)
        .where(ShareLink.code == code)
    ).first()
    if found is None or found[1].status == CampaignStatus.draft:
        raise NotFound(_("This share link does not exist."))
    return found


def share_url(link: ShareLink) -> str:
    return f"{get_settings().base_url}/s/{link.code}"


def qr_svg(url: str) -> str:
    """The link as a QR code in SVG (black on white, a quiet zone of four modules)."""
    qr = segno.make(url, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=6, border=4, light="#fff", xmldecl=False, title=_("QR code of %(url)s", url=url))
    svg = buffer.getvalue().decode()
    # A viewBox, so the code scales with its box (CSS shrinks it on a phone) instead of being cropped.
    width, height = qr.symbol_size(scale=6, border=4)
    return svg.replace("<svg ", f'<svg viewBox="0 0 {width} {height}" role="img" ', 1)  # i18n: ignore


def bump_link_counter(session: Session, *, link: ShareLink, counter: str, by: int = 1) -> None:
    """Add one (or ``by``) to a counter of the link, of every link it came through, and of the connector's row for
    its hop.

    The link's ancestors count it too, so each person who passed the link on sees everything that came after.
    """
    chain = [id_of(link)]
    parent_id = link.parent_id
    while parent_id is not None:
        chain.append(parent_id)
        parent = session.get(ShareLink, parent_id)
        parent_id = parent.parent_id if parent is not None else None
    # Lock the chain oldest first, as every link event does (a response then locks the newer link it created):
    # one order of locks, so two events on overlapping chains wait for each other instead of deadlocking. NO KEY
    # UPDATE (what the counters' UPDATE takes anyway) does not wait for the key-share lock a new child link's
    # foreign key holds on its parent.
    session.execute(_LOCK_CHAIN, {"chain": chain})
    bumped = session.execute(_bump_chain_statement(counter), {"chain": chain, "by": by}).all()
    for link_id in chain:  # a link this session holds reads its new count when next asked
        loaded = session.identity_map.get(identity_key(ShareLink, link_id))
        if loaded is not None:
            session.expire(loaded, [counter])
    session.execute(
        _bump_reach_statement(session.get_bind().dialect.name, counter),
        {
            "reach_campaign_id": link.campaign_id,
            "reach_connector_id": link.connector_id,
            "reach_hop": link.hop,
            "by": by,
        },
    )
    campaign_totals.count_link_event(
        session, link=link, counter=counter, by=by, bumped=[(row[0], row[1], row[2]) for row in bumped]
    )


# The statements of a link event, built once (every open, answer and sign-up through a share link runs them).
_CHAIN: BindParameter[int] = bindparam("chain", expanding=True)
_LOCK_CHAIN = (
    select(col(ShareLink.id))
    .where(col(ShareLink.id).in_(_CHAIN))
    .order_by(col(ShareLink.id))
    .with_for_update(key_share=True)
)


@cache
def _bump_chain_statement(counter: str) -> Any:
    """On the table, not the class: the ORM cannot bring the session's objects up to date from bound parameters
    (``bump_link_counter`` expires their counter instead)."""
    links = cast(Table, ShareLink.__table__)  # type: ignore[attr-defined]
    return (
        update(links)
        .where(links.c.id.in_(_CHAIN))
        .values({counter: links.c[counter] + bindparam("by", type_=Integer)})
        .returning(links.c.id, links.c.open_count, links.c.created_by_response_id)
    )


@cache
def _bump_reach_statement(dialect: str, counter: str) -> Any:
    """The connector's reach row for the hop: made with the count, or the count added to it."""
    table = ConnectorReach.__table__  # type: ignore[attr-defined]
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    by = bindparam("by", type_=Integer)
    statement = insert(table).values(
        campaign_id=bindparam("reach_campaign_id", type_=Integer),
        connector_id=bindparam("reach_connector_id", type_=Integer),
        hop=bindparam("reach_hop", type_=Integer),
        **{counter: by},
    )
    return statement.on_conflict_do_update(
        index_elements=["campaign_id", "connector_id", "hop"], set_={counter: table.c[counter] + by}
    )


def count_response_shown(session: Session, *, survey_response_id: int, shown: bool) -> None:
    """A moderator hid a campaign's response (or showed it again): it leaves (or rejoins) the response counters of
    its link, the links it came through and its connector's hop, so reach and response rates count shown answers.
    The caller moves it only when the response's hidden state really flipped (once, also under concurrency)."""
    answer = session.exec(
        select(CampaignResponse).where(CampaignResponse.survey_response_id == survey_response_id)
    ).first()
    link = session.get(ShareLink, answer.share_link_id) if answer is not None else None
    if link is not None and answer is not None:
        bump_link_counter(session, link=link, counter="response_count", by=1 if shown else -1)
        campaign_totals.count_response(session, answer=answer, sign=1 if shown else -1)


def record_open(session: Session, *, link: ShareLink) -> None:
    """Someone opened a share link (the survey page): counted on the link, its senders' and its connector's hop.

    Best effort: the page is a GET, whose transaction SQLite may refuse the write lock at once when another writer
    holds it; an uncounted open is better than a failed page. (Responses, sign-ups and shares are always counted.)
    """
    try:
        with session.begin_nested():
            bump_link_counter(session, link=link, counter="open_count")
    except OperationalError:
        pass


def pass_link_on(
    session: Session, *, parent: ShareLink, campaign: Campaign, response_id: int | None, now: datetime | None = None
) -> ShareLink:
    """A link of one's own for someone who answered through ``parent``: one hop further, the same connector."""
    now = now or utcnow()
    require_phase(
        campaign, now, PASSING_ON_PHASES, N_("You cannot pass the link on now: %(campaign)s is at “%(phase)s”.")
    )
    if response_id is not None:
        existing = session.exec(select(ShareLink).where(ShareLink.created_by_response_id == response_id)).first()
        if existing is not None:
            return existing
    link = ShareLink(
        code=new_link_code(),
        campaign_id=parent.campaign_id,
        connector_id=parent.connector_id,
        parent_id=id_of(parent),
        hop=parent.hop + 1,
        created_by_response_id=response_id,
    )
    session.add(link)
    session.flush()
    campaign_totals.count_new_link(session, campaign_id=link.campaign_id)
    bump_link_counter(session, link=parent, counter="share_count")
    return link


def friend_link(
    session: Session, *, campaign: Campaign, response: CampaignResponse, now: datetime | None = None
) -> ShareLink:
    """A link of their own for someone who answered: one hop further than the link they came through, still the
    same connector's. Asking again gives the same link."""
    parent = session.get(ShareLink, response.share_link_id)
    assert parent is not None
    return pass_link_on(session, parent=parent, campaign=campaign, response_id=id_of(response), now=now)


def own_link(session: Session, *, response: CampaignResponse) -> ShareLink | None:
    """The link someone got after answering (``friend_link``), if they asked for one."""
    return session.exec(select(ShareLink).where(ShareLink.created_by_response_id == response.id)).first()


def join_through_link(
    session: Session, *, link: ShareLink, campaign: Campaign, community: Community, user: User
) -> Membership:
    """Join the campaign's community from a share link: a sign-up counted for the link, its senders and connector."""
    membership = communities_service.join_community(session, community=community, user=user)
    bump_link_counter(session, link=link, counter="signup_count")
    return membership
