"""The communities service: creating and editing, joining and leaving, invite links and member listings."""

import secrets
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, delete, func, select

from app.accounts.models import User
from app.brands.models import Brand
from app.columns import utcnow
from app.communities import service
from app.communities.models import Community, CommunityKind, Invite, MemberRole, Membership, Visibility
from app.db import writer_engine
from app.errors import Conflict, Forbidden, Invalid, NotFound
from tests.factories import add_member, make_brand, make_community, make_user


def _memberships(session: Session, community: Community) -> int:
    return session.exec(
        select(func.count()).select_from(Membership).where(Membership.community_id == community.id)
    ).one()


# --- create / update ----------------------------------------------------------------------------------------


def test_create_community_makes_the_slug_from_the_name(session: Session) -> None:
    brand = make_brand(session)
    community = service.create_community(
        session,
        brand=brand,
        name="  Café Design Lab! ",
        kind="design",
        tagline=" Draw. ",
        description=" **Hi** ",
    )
    assert community.slug == "cafe-design-lab"
    assert community.name == "Café Design Lab!"
    assert community.tagline == "Draw."
    assert community.description == "**Hi**"
    assert community.kind == CommunityKind.design
    assert community.visibility == Visibility.public
    assert community.member_count == 0
    assert service.get_community_by_slug(session, slug="cafe-design-lab").id == community.id


def test_create_community_takes_an_explicit_slug_in_lower_case(session: Session) -> None:
    community = service.create_community(
        session,
        brand=make_brand(session),
        name="Lab",
        slug=" Spring-Lab ",
        kind="both",
        visibility="invite_only",
    )
    assert community.slug == "spring-lab"
    assert community.visibility == Visibility.invite_only


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "  ", "slug": "fine-slug"}, "name", "Enter the community's name (up to 80 characters)."),
        ({"name": "n" * 81}, "name", "Enter the community's name (up to 80 characters)."),
        ({"slug": "Bad Slug"}, "slug", "Use 2 to 60 lower-case letters, digits and single hyphens."),
        ({"slug": "double--hyphen"}, "slug", "Use 2 to 60 lower-case letters, digits and single hyphens."),
        ({"slug": "x"}, "slug", "Use 2 to 60 lower-case letters, digits and single hyphens."),
        ({"name": "!!!"}, "slug", "Use 2 to 60 lower-case letters, digits and single hyphens."),
        ({"tagline": "t" * 161}, "tagline", "Use at most 160 characters."),
        ({"description": "d" * 5001}, "description", "Use at most 5,000 characters."),
        ({"kind": "poetry"}, "kind", "Choose design, feedback or both."),
        ({"visibility": "secret"}, "visibility", "Choose public or invite-only."),
    ],
)
def test_create_community_validation(session: Session, overrides: dict[str, str], field: str, message: str) -> None:
    brand = make_brand(session)
    values = {"name": "Good Name", "kind": "design", **overrides}
    with pytest.raises(Invalid) as error:
        service.create_community(session, brand=brand, **values)  # type: ignore[arg-type]
    assert error.value.status_code == 422
    assert error.value.fields == {field: message}
    assert service.list_brand_communities(session, brand=brand) == []


def test_create_community_refuses_a_slug_in_use(session: Session) -> None:
    make_community(session, slug="taken-slug")
    with pytest.raises(Invalid) as error:
        service.create_community(session, brand=make_brand(session), name="Taken Slug", kind="design")
    assert error.value.fields == {"slug": "Another community uses this address; choose another."}


def test_update_community_changes_texts_but_not_the_address(session: Session) -> None:
    community = make_community(session, slug="stays-put")
    service.update_community(
        session,
        community=community,
        name=" Renamed ",
        tagline="New",
        description="Desc",
        kind="feedback",
        visibility="invite_only",
    )
    session.refresh(community)
    assert (community.name, community.slug, community.kind, community.visibility) == (
        "Renamed",
        "stays-put",
        CommunityKind.feedback,
        Visibility.invite_only,
    )


def test_update_community_validation_changes_nothing(session: Session) -> None:
    community = make_community(session, name="Original")
    with pytest.raises(Invalid) as error:
        service.update_community(
            session,
            community=community,
            name="",
            tagline="t" * 200,
            description="",
            kind="nope",
            visibility="public",
        )
    assert set(error.value.fields) == {"name", "tagline", "kind"}
    session.refresh(community)
    assert community.name == "Original"


# --- join / leave -------------------------------------------------------------------------------------------


def test_join_and_leave_keep_member_count(session: Session) -> None:
    community = make_community(session)
    ada, bob = make_user(session), make_user(session)
    membership = service.join_community(session, community=community, user=ada)
    assert membership.role == MemberRole.member
    assert community.member_count == 1
    service.join_community(session, community=community, user=bob)
    assert community.member_count == 2
    assert _memberships(session, community) == 2

    service.leave_community(session, community=community, user=ada)
    assert community.member_count == 1
    assert service.get_membership(session, community=community, user=ada) is None
    assert service.get_membership(session, community=community, user=bob) is not None
    # The count in the database, not only the object in memory.
    stored = session.exec(select(Community.member_count).where(Community.id == community.id)).one()
    assert stored == 1


def test_double_join_is_a_conflict(session: Session) -> None:
    community = make_community(session, name="Twice")
    user = make_user(session)
    service.join_community(session, community=community, user=user)
    with pytest.raises(Conflict) as error:
        service.join_community(session, community=community, user=user)
    assert error.value.status_code == 409
    assert error.value.message == "You are a member of Twice already."
    assert community.member_count == 1
    assert _memberships(session, community) == 1


def test_join_refuses_invite_only_and_unconfirmed(session: Session) -> None:
    private = make_community(session, visibility=Visibility.invite_only)
    with pytest.raises(Forbidden, match="invite-only"):
        service.join_community(session, community=private, user=make_user(session))
    public = make_community(session)
    with pytest.raises(Forbidden, match="Confirm your e-mail address"):
        service.join_community(session, community=public, user=make_user(session, email_confirmed_at=None))
    assert _memberships(session, private) == _memberships(session, public) == 0
    assert public.member_count == 0


def test_leave_when_not_a_member_is_not_found(session: Session) -> None:
    community = make_community(session)
    with pytest.raises(NotFound):
        service.leave_community(session, community=community, user=make_user(session))
    assert community.member_count == 0


def test_two_concurrent_joins_of_the_same_user_leave_one_membership(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests of one person (a double click) racing on the real engine, each in its own transaction.

    On PostgreSQL both first read "not a member" (a barrier holds them there), then both insert: the unique
    constraint stops the second, which must come out as a Conflict. On SQLite writers take the lock up front
    (BEGIN IMMEDIATE), so the second waits for the first and then sees the membership.
    """
    suffix = secrets.token_hex(4)
    with Session(engine) as setup:
        brand = Brand(name=f"Race {suffix}", slug=f"race-{suffix}")
        setup.add(brand)
        setup.flush()
        community = Community(brand_id=brand.id, name=f"Race {suffix}", slug=f"race-{suffix}", kind=CommunityKind.both)  # type: ignore[arg-type]
        user = User(
            email=f"racer-{suffix}@example.com",
            handle=f"racer_{suffix}",
            display_name="Racer",
            password_hash="x",
            email_confirmed_at=utcnow(),
        )
        setup.add_all([community, user])
        setup.commit()
        brand_id, community_id, user_id = brand.id, community.id, user.id

    racing = engine.dialect.name == "postgresql"
    barrier = threading.Barrier(2, timeout=20)
    real_get_membership = service.get_membership

    def get_membership_then_wait(session: Session, *, community: Community, user: User | None) -> Membership | None:
        found = real_get_membership(session, community=community, user=user)
        if racing:
            barrier.wait()
        return found

    monkeypatch.setattr(service, "get_membership", get_membership_then_wait)
    outcomes: list[object] = []

    def attempt() -> None:
        with Session(writer_engine(engine), expire_on_commit=False) as session:
            try:
                target = session.get(Community, community_id)
                person = session.get(User, user_id)
                assert target is not None and person is not None
                service.join_community(session, community=target, user=person)
                session.commit()
                outcomes.append("joined")
            except Conflict:
                session.rollback()
                outcomes.append("conflict")
            except Exception as error:  # anything else is a failure of the test, reported below
                session.rollback()
                outcomes.append(error)

    try:
        threads = [threading.Thread(target=attempt) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert sorted(map(str, outcomes)) == ["conflict", "joined"], outcomes
        with Session(engine) as check:
            rows = check.exec(select(Membership).where(Membership.community_id == community_id)).all()
            assert [row.user_id for row in rows] == [user_id]
            assert check.exec(select(Community.member_count).where(Community.id == community_id)).one() == 1
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(Membership).where(col(Membership.community_id) == community_id))
            cleanup.execute(delete(Community).where(col(Community.id) == community_id))
            cleanup.execute(delete(Brand).where(col(Brand.id) == brand_id))
            cleanup.execute(delete(User).where(col(User.id) == user_id))
            cleanup.commit()


# --- invites ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"note": "n" * 121}, "note"),
        ({"max_uses": 0}, "max_uses"),
        ({"max_uses": 10001}, "max_uses"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 366}, "expires_in_days"),
    ],
)
def test_create_invite_validation(session: Session, overrides: dict[str, object], field: str) -> None:
    community = make_community(session)
    with pytest.raises(Invalid) as error:
        service.create_invite(session, community=community, created_by=make_user(session), **overrides)  # type: ignore[arg-type]
    assert set(error.value.fields) == {field}
    assert service.list_invites(session, community=community) == []


def test_create_invite_defaults_and_options(session: Session) -> None:
    community = make_community(session)
    creator = make_user(session)
    default = service.create_invite(session, community=community, created_by=creator)
    assert default.max_uses is None and default.use_count == 0
    assert default.expires_at is not None
    assert timedelta(days=13, hours=23) < default.expires_at - utcnow() <= timedelta(days=14)
    forever = service.create_invite(
        session,
        community=community,
        created_by=creator,
        note=" Newsletter ",
        max_uses=3,
        expires_in_days=None,
    )
    assert forever.expires_at is None and forever.max_uses == 3 and forever.note == "Newsletter"
    assert forever.code != default.code and len(forever.code) >= 20
    assert [i.id for i in service.list_invites(session, community=community)] == [forever.id, default.id]


def test_revoke_invite(session: Session) -> None:
    community = make_community(session)
    other = make_community(session)
    invite = service.create_invite(session, community=community, created_by=make_user(session))
    with pytest.raises(NotFound):
        service.revoke_invite(session, community=other, invite_id=invite.id)  # type: ignore[arg-type]
    service.revoke_invite(session, community=community, invite_id=invite.id)  # type: ignore[arg-type]
    assert service.list_invites(session, community=community) == []
    with pytest.raises(NotFound):
        service.revoke_invite(session, community=community, invite_id=invite.id)  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="withdrawn"):
        service.join_by_invite(session, code=invite.code, user=make_user(session))


def test_join_by_invite_joins_an_invite_only_community(session: Session) -> None:
    community = make_community(session, visibility=Visibility.invite_only)
    invite = service.create_invite(session, community=community, created_by=make_user(session))
    user = make_user(session)
    joined = service.join_by_invite(session, code=invite.code, user=user)
    assert joined.id == community.id
    assert service.get_membership(session, community=community, user=user) is not None
    assert community.member_count == 1
    session.refresh(invite)
    assert invite.use_count == 1


def test_join_by_invite_enforces_max_uses(session: Session) -> None:
    community = make_community(session, visibility=Visibility.invite_only)
    invite = service.create_invite(session, community=community, created_by=make_user(session), max_uses=2)
    service.join_by_invite(session, code=invite.code, user=make_user(session))
    service.join_by_invite(session, code=invite.code, user=make_user(session))
    late = make_user(session)
    with pytest.raises(Invalid, match="used as often as it may be"):
        service.join_by_invite(session, code=invite.code, user=late)
    assert service.get_membership(session, community=community, user=late) is None
    session.refresh(invite)
    assert invite.use_count == 2
    assert community.member_count == 2


def test_join_by_invite_holds_the_limit_even_when_the_invite_read_is_stale(session: Session) -> None:
    """The conditional UPDATE, not the earlier read, decides: a use claimed meanwhile still counts."""
    community = make_community(session, visibility=Visibility.invite_only)
    invite = service.create_invite(session, community=community, created_by=make_user(session), max_uses=1)
    real_problem = service.invite_problem
    try:
        service.invite_problem = lambda _invite: None  # type: ignore[assignment]
        service.join_by_invite(session, code=invite.code, user=make_user(session))
        with pytest.raises(Invalid, match="just been used up"):
            service.join_by_invite(session, code=invite.code, user=make_user(session))
    finally:
        service.invite_problem = real_problem  # type: ignore[assignment]
    assert _memberships(session, community) == 1


def test_join_by_invite_refuses_expired_unknown_and_members(session: Session) -> None:
    community = make_community(session, visibility=Visibility.invite_only)
    creator = make_user(session)
    expired = service.create_invite(session, community=community, created_by=creator)
    expired.expires_at = utcnow() - timedelta(minutes=1)
    session.add(expired)
    session.flush()
    with pytest.raises(Invalid, match="expired"):
        service.join_by_invite(session, code=expired.code, user=make_user(session))
    with pytest.raises(NotFound):
        service.join_by_invite(session, code="no-such-code", user=make_user(session))

    invite = service.create_invite(session, community=community, created_by=creator, max_uses=5)
    member = make_user(session)
    add_member(session, community, member)
    with pytest.raises(Conflict):
        service.join_by_invite(session, code=invite.code, user=member)
    session.refresh(invite)
    assert invite.use_count == 0  # a refused join does not use the invite up


def test_invite_problem(session: Session) -> None:
    invite = Invite(community_id=1, code="c", max_uses=1, use_count=0)
    assert service.invite_problem(invite) is None
    invite.use_count = 1
    assert "used as often" in (service.invite_problem(invite) or "")
    invite.use_count, invite.expires_at = 0, utcnow() - timedelta(seconds=1)
    assert "expired" in (service.invite_problem(invite) or "")
    invite.revoked_at = utcnow()
    assert "withdrawn" in (service.invite_problem(invite) or "")


# --- members ------------------------------------------------------------------------------------------------


def test_list_members_search_and_role_filter(session: Session) -> None:
    community = make_community(session)
    ada = make_user(session, handle="ada_l", display_name="Ada Lovelace")
    grace = make_user(session, handle="ghopper", display_name="Grace Hopper")
    alan = make_user(session, handle="turing", display_name="Alan Turing")
    outsider = make_user(session, handle="ada_outside", display_name="Ada Outside")
    add_member(session, community, ada)
    add_member(session, community, grace, MemberRole.moderator)
    add_member(session, community, alan, MemberRole.connector)
    add_member(session, make_community(session), outsider)

    def handles(**kwargs: str) -> set[str]:
        return {user.handle for _, user in service.list_members(session, community=community, **kwargs).members}  # type: ignore[arg-type]

    assert handles() == {"ada_l", "ghopper", "turing"}
    assert handles(search="ADA") == {"ada_l"}  # display name, any case; members of other communities never
    assert handles(search="hopp") == {"ghopper"}  # handle
    assert handles(search="  lovelace ") == {"ada_l"}
    assert handles(role="moderator") == {"ghopper"}
    assert handles(role="connector", search="alan") == {"turing"}
    assert handles(search="nobody") == set()
    listing = service.list_members(session, community=community, role="member")
    assert (listing.total, listing.pages) == (1, 1)
    with pytest.raises(Invalid) as error:
        service.list_members(session, community=community, role="admin")
    assert error.value.fields == {"role": "Unknown role."}


def test_list_members_search_treats_wildcards_as_text(session: Session) -> None:
    community = make_community(session)
    add_member(session, community, make_user(session, display_name="Plain Name"))
    add_member(session, community, make_user(session, display_name="100% Cotton"))
    add_member(session, community, make_user(session, handle="ada_l", display_name="A"))
    add_member(session, community, make_user(session, handle="adaml", display_name="B"))
    add_member(session, community, make_user(session, handle="back", display_name="Back\\slash"))

    def names(search: str) -> list[str]:
        found = service.list_members(session, community=community, search=search).members
        return sorted(user.display_name for _, user in found)

    assert names("%") == ["100% Cotton"]
    assert names("ada_") == ["A"]
    assert names("\\") == ["Back\\slash"]


def test_list_members_pages(session: Session) -> None:
    community = make_community(session)
    for _ in range(service.MEMBERS_PAGE_SIZE + 5):
        add_member(session, community, make_user(session))
    first = service.list_members(session, community=community)
    assert (first.total, first.page, first.pages, len(first.members)) == (55, 1, 2, 50)
    second = service.list_members(session, community=community, page=2)
    assert (second.page, len(second.members)) == (2, 5)
    assert not {m.id for m, _ in first.members} & {m.id for m, _ in second.members}
    # Out-of-range pages land on the nearest real one.
    assert service.list_members(session, community=community, page=99).page == 2
    assert service.list_members(session, community=community, page=-3).page == 1
    empty = service.list_members(session, community=make_community(session))
    assert (empty.total, empty.page, empty.pages, empty.members) == (0, 1, 1, [])


def test_change_member_role(session: Session) -> None:
    community = make_community(session)
    user = make_user(session, handle="promoted")
    add_member(session, community, user)
    assert service.change_member_role(session, community=community, handle="promoted", role="moderator").role == (
        MemberRole.moderator
    )
    with pytest.raises(Invalid):
        service.change_member_role(session, community=community, handle="promoted", role="owner")
    with pytest.raises(NotFound):
        service.change_member_role(session, community=community, handle=make_user(session).handle, role="member")


def test_list_public_communities_biggest_first_and_no_invite_only(session: Session) -> None:
    brand = make_brand(session)
    small = make_community(session, brand, member_count=2)
    big = make_community(session, brand, member_count=9)
    hidden = make_community(session, brand, member_count=50, visibility=Visibility.invite_only)
    ids = [community.id for community, _ in service.list_public_communities(session)]
    assert ids.index(big.id) < ids.index(small.id)
    assert hidden.id not in ids
    assert {c.id for c in service.list_brand_communities(session, brand=brand)} == {
        small.id,
        big.id,
        hidden.id,
    }
