"""Signing up through a referral or share link: the sign-up page names the community, the confirmation link carries
it, and confirming lands the member in it (service, pages and API)."""

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import User
from app.campaigns.models import ShareLink
from app.communities import arrivals
from app.communities import service as communities_service
from app.communities.models import Visibility
from app.notifications.models import OutboxEmail
from app.rewards import referrals as rewards_referrals
from app.rewards.models import ReferralCode, ReferralSignup
from tests.campaigns.test_answering import _sharing
from tests.factories import add_member, csrf_token, make_brand, make_community, make_user

PASSPHRASE = "a-long-enough-passphrase-9"


def _confirm_path(session: Session, address: str) -> str:
    email = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == address)).one()
    match = re.search(r"http://testserver(/confirm/\S+)", email.body_text)
    assert match, email.body_text
    return match.group(1)


def _sign_up(client: TestClient, handle: str, **extra: str) -> str:
    page = client.post(
        "/signup",
        data={
            "csrftoken": csrf_token(client),
            "email": f"{handle}@example.com",
            "handle": handle,
            "password": PASSPHRASE,
            **extra,
        },
    )
    assert page.status_code == 200, page.text
    return page.text


# --- Service ---------------------------------------------------------------------------------------------------


def test_a_referral_leads_to_the_referrers_public_community(session: Session) -> None:
    brand = make_brand(session)
    insiders = make_community(session, brand, name="Insiders", visibility=Visibility.invite_only)
    testers = make_community(session, brand, name="Testers")
    make_community(session, brand, name="Other public one")
    referrer = make_user(session)
    add_member(session, insiders, referrer)
    add_member(session, testers, referrer)
    code = rewards_referrals.referral_code_for(session, user=referrer, brand=brand)
    arrival = arrivals.find_arrival(session, referral_code=code.code.lower())
    assert arrival is not None and (arrival.community.id, arrival.share_code) == (testers.id, "")
    assert arrivals.find_arrival(session, referral_code="NOSUCHCODE") is None
    assert arrivals.find_arrival(session, share_code="nosuchlink") is None


def test_landing_joins_a_public_community_through_the_share_link_and_not_an_invite_only_one(
    session: Session,
) -> None:
    _, community, (link,) = _sharing(session)
    arrival = arrivals.find_arrival(session, share_code=link.code)
    assert arrival is not None and (arrival.community.id, arrival.share_code) == (community.id, link.code)
    friend = make_user(session)
    landing = arrivals.land(session, user=friend, community_id=community.id or 0, share_code=link.code)
    assert landing is not None and landing.joined
    assert communities_service.get_membership(session, community=community, user=friend) is not None
    session.refresh(link)
    assert link.signup_count == 1
    # Landing again (a second tab) changes nothing.
    assert arrivals.land(session, user=friend, community_id=community.id or 0, share_code=link.code) == landing
    closed = make_community(session, make_brand(session), visibility=Visibility.invite_only)
    shut_out = arrivals.land(session, user=friend, community_id=closed.id or 0)
    assert shut_out is not None and not shut_out.joined
    assert communities_service.get_membership(session, community=closed, user=friend) is None
    assert arrivals.land(session, user=friend, community_id=999_999) is None


# --- Pages -----------------------------------------------------------------------------------------------------


def test_a_referral_sign_up_names_the_community_and_confirming_joins_it(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    testers = make_community(session, brand, name="Brightleaf Home Testers")
    referrer = make_user(session)
    add_member(session, testers, referrer)
    code = rewards_referrals.referral_code_for(session, user=referrer, brand=brand)
    page = client.get(f"/r/{code.code}")
    assert "<h1>Join Brightleaf Home Testers on Chorus</h1>" in page.text
    done = _sign_up(client, "referred_friend")
    assert "go on to Brightleaf Home Testers" in done
    new = session.exec(select(User).where(User.handle == "referred_friend")).one()
    credited = session.exec(select(ReferralSignup).where(ReferralSignup.user_id == new.id)).one()
    assert credited.referral_code_id == code.id
    # The link works in another browser too: the community travels in the signed token, not in a cookie.
    client.cookies.clear()
    landed = client.get(_confirm_path(session, new.email), follow_redirects=False)
    assert landed.status_code == 303 and landed.headers["location"] == f"/c/{testers.slug}"
    assert communities_service.get_membership(session, community=testers, user=new) is not None
    community_page = client.get(landed.headers["location"])
    assert "Welcome to Brightleaf Home Testers!" in community_page.text
    # Used again (here by the member, signed in now), the link changes nothing.
    again = client.get(_confirm_path(session, new.email), follow_redirects=False)
    assert again.headers["location"] == "/"
    session.expire_all()
    assert session.get(ReferralCode, code.id).signup_count == 1  # type: ignore[union-attr]


def test_a_share_link_sign_up_joins_its_community_and_counts_for_the_link(client: TestClient, session: Session) -> None:
    _, community, (link,) = _sharing(session)
    thanks = client.get(f"/s/{link.code}/thanks")
    assert f'href="/signup?share={link.code}"' in thanks.text
    page = client.get(f"/signup?share={link.code}")
    assert f"<h1>Join {community.name} on Chorus</h1>" in page.text
    assert f'<input type="hidden" name="share" value="{link.code}">' in page.text
    _sign_up(client, "shared_friend", share=link.code)
    new = session.exec(select(User).where(User.handle == "shared_friend")).one()
    landed = client.get(_confirm_path(session, new.email), follow_redirects=False)
    assert landed.headers["location"] == f"/c/{community.slug}"
    assert communities_service.get_membership(session, community=community, user=new) is not None
    session.expire_all()
    assert session.get(ShareLink, link.id).signup_count == 1  # type: ignore[union-attr]


def test_an_invite_only_community_is_named_and_the_member_lands_on_its_page(
    client: TestClient, session: Session
) -> None:
    brand = make_brand(session)
    insiders = make_community(session, brand, name="Insiders Club", visibility=Visibility.invite_only)
    referrer = make_user(session)
    add_member(session, insiders, referrer)
    code = rewards_referrals.referral_code_for(session, user=referrer, brand=brand)
    page = client.get(f"/r/{code.code}")
    assert "Join Insiders Club on Chorus" in page.text and "invite-only" in page.text
    _sign_up(client, "insider_hopeful")
    new = session.exec(select(User).where(User.handle == "insider_hopeful")).one()
    landed = client.get(_confirm_path(session, new.email), follow_redirects=False)
    assert landed.headers["location"] == f"/c/{insiders.slug}"
    assert communities_service.get_membership(session, community=insiders, user=new) is None


def test_a_plain_sign_up_and_an_unknown_share_code_name_no_community(client: TestClient, session: Session) -> None:
    assert "<h1>Join Chorus</h1>" in client.get("/signup?share=nosuchlink").text
    _sign_up(client, "plain_member", share="nosuchlink")
    new = session.exec(select(User).where(User.handle == "plain_member")).one()
    landed = client.get(_confirm_path(session, new.email), follow_redirects=False)
    assert landed.headers["location"] == "/"


# --- API -------------------------------------------------------------------------------------------------------


def test_the_api_sign_up_takes_a_share_code_and_confirming_joins(client: TestClient, session: Session) -> None:
    _, community, (link,) = _sharing(session)
    body = {"email": "api_friend@example.com", "handle": "api_friend", "password": PASSPHRASE, "share_code": link.code}
    created = client.post("/api/v1/users", json=body, headers={"x-csrftoken": csrf_token(client)})
    assert created.status_code == 201, created.text
    token = _confirm_path(session, "api_friend@example.com").removeprefix("/confirm/")
    confirmed = client.post("/api/v1/auth/confirm", json={"token": token}, headers={"x-csrftoken": csrf_token(client)})
    assert confirmed.status_code == 200, confirmed.text
    new = session.exec(select(User).where(User.handle == "api_friend")).one()
    assert communities_service.get_membership(session, community=community, user=new) is not None
