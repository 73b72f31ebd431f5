"""Download one's data and delete one's account."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.accounts import service as accounts_service
from app.accounts import sessions as accounts_sessions
from app.accounts import tokens as accounts_tokens
from app.accounts.models import ApiToken, User, UserSession
from app.brands.models import Brand
from app.comments.models import Comment
from app.communities.models import MemberRole
from app.errors import Invalid
from app.moderation import audit as moderation_audit
from app.moderation import fingerprints, privacy
from app.moderation import sanctions as moderation_sanctions
from app.moderation.models import AuditEntry, MemberFingerprint
from tests.campaigns.factories import make_application, make_campaign
from tests.factories import PASSWORD, add_member, log_in, make_user
from tests.moderation.factories import make_place
from tests.rewards.factories import make_redemption


def test_export_holds_the_members_rows_across_domains_without_secrets(session: Session) -> None:
    place = make_place(session)
    fingerprints.record_fingerprint(session, user_id=place.author.id or 0, ip_address="203.0.113.7", user_agent="UA")
    exported = privacy.export_member_data(session, user=place.author)
    tables = exported["tables"]
    assert tables["users"][0]["handle"] == place.author.handle
    assert "password_hash" not in tables["users"][0]
    assert [row["id"] for row in tables["designs"]] == [place.design.id]
    assert [row["id"] for row in tables["comments"]] == [place.comment.id]
    assert "memberships" in tables
    assert "203.0.113" not in str(exported)  # only keyed hashes of the network


def test_the_same_network_gives_the_same_hash_never_the_address() -> None:
    assert fingerprints.network_hash("203.0.113.7") == fingerprints.network_hash("203.0.113.200")
    assert fingerprints.network_hash("203.0.113.7") != fingerprints.network_hash("203.0.114.7")
    hashed = fingerprints.network_hash("203.0.113.7")
    assert "203.0.113" not in hashed and all(character in "0123456789abcdef" for character in hashed)


def test_deleting_an_account_needs_the_password_and_anonymises(session: Session) -> None:
    place = make_place(session)
    author = place.author
    accounts_sessions.start_session(session, user=author, ip_address="198.51.100.1", user_agent="UA")
    accounts_tokens.create_api_token(session, user=author, name="laptop")
    brand = session.get(Brand, place.community.brand_id)
    assert brand is not None
    redemption = make_redemption(session, brand, author)
    application = make_application(session, make_campaign(session), author)
    assert redemption.shipping_address and application.address_line1 and application.household_key
    with pytest.raises(Invalid):
        privacy.delete_account(session, user=author, password="wrong")
    privacy.delete_account(session, user=author, password=PASSWORD)
    session.refresh(author)
    assert (author.display_name, author.bio, author.is_active) == ("deleted member", "", False)
    assert author.email.endswith("@deleted.invalid") and author.handle == f"deleted-{author.id}"
    assert session.exec(select(UserSession).where(UserSession.user_id == author.id)).all() == []
    assert all(t.revoked_at for t in session.exec(select(ApiToken).where(ApiToken.user_id == author.id)))
    assert session.exec(select(MemberFingerprint).where(MemberFingerprint.user_id == author.id)).all() == []
    assert session.get(Comment, place.comment.id) is not None  # content stays, under "deleted member"
    # Postal addresses go; the redemption and the application stay as records.
    session.refresh(redemption)
    session.refresh(application)
    assert redemption.shipping_address == "" and redemption.code
    assert (application.recipient_name, application.address_line1, application.postcode) == ("", "", "")
    assert application.household_key is None
    assert not accounts_service.password_hasher.verify(PASSWORD, author.password_hash)


def test_deleting_accounts_leaves_the_audit_log_readable(client: TestClient, session: Session) -> None:
    place = make_place(session)
    second_moderator = make_user(session)
    add_member(session, place.community, second_moderator, MemberRole.moderator)
    moderation_sanctions.sanction_member(
        session,
        community=place.community,
        moderator=place.moderator,
        member=place.author,
        kind="warning",
        reason="Spam links in comments",
    )
    # The member concerned and the moderator who acted both delete their accounts.
    privacy.delete_account(session, user=place.author, password=PASSWORD)
    privacy.delete_account(session, user=place.moderator, password=PASSWORD)
    rows = moderation_audit.list_audit(
        session, community=place.community, filters=moderation_audit.AuditFilters(action="warning")
    )
    assert [(entry.reason, actor.display_name, target.display_name) for entry, actor, target in rows] == [
        ("Spam links in comments", "deleted member", "deleted member")
    ]
    log_in(client, session, second_moderator)
    page = client.get(f"/c/{place.community.slug}/moderation/audit")
    assert page.status_code == 200 and "Spam links in comments" in page.text
    assert f"@deleted-{place.moderator.id}" in page.text and f"@deleted-{place.author.id}" in page.text
    csv_text = client.get(f"/c/{place.community.slug}/moderation/audit.csv").text
    assert "Spam links in comments" in csv_text


def test_the_database_refuses_to_remove_an_account_the_audit_log_names(session: Session) -> None:
    place = make_place(session)
    bystander, named = make_user(session), make_user(session)
    moderation_audit.record(
        session, community_id=place.community.id, actor=named, action="warning", target_user_id=bystander.id
    )
    unnamed = make_user(session)
    session.execute(delete(User).where(col(User.id) == unnamed.id))  # nothing refers to it: it may go
    for person in (named, bystander):
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(delete(User).where(col(User.id) == person.id))
    (entry,) = session.exec(select(AuditEntry).where(AuditEntry.actor_id == named.id)).all()
    assert entry.target_user_id == bystander.id
