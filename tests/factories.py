"""Plain factory functions: make_x(session, **overrides) builds a valid x with as little as possible said."""

import itertools

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.deps import signed_session_token
from app.accounts.models import User
from app.brands.models import Brand, BrandStaff, StaffRole
from app.columns import utcnow
from app.communities.models import Community, CommunityKind, MemberRole, Membership, Visibility
from app.config import get_settings

PASSWORD = "tangerine-kiosk-47"
_PASSWORD_HASH = accounts_service.password_hasher.hash(PASSWORD)
_sequence = itertools.count(1)


def make_user(session: Session, **overrides: object) -> User:
    number = next(_sequence)
    values: dict[str, object] = {
        "email": f"person{number}@example.com",
        "handle": f"person{number}",
        "display_name": f"Person {number}",
        "password_hash": _PASSWORD_HASH,
        "email_confirmed_at": utcnow(),
    }
    values.update(overrides)
    user = User(**values)  # type: ignore[arg-type]
    session.add(user)
    session.flush()
    return user


def make_brand(session: Session, **overrides: object) -> Brand:
    number = next(_sequence)
    values: dict[str, object] = {"name": f"Brand {number}", "slug": f"brand-{number}"}
    values.update(overrides)
    brand = Brand(**values)  # type: ignore[arg-type]
    session.add(brand)
    session.flush()
    return brand


def add_staff(session: Session, brand: Brand, user: User, role: StaffRole = StaffRole.manager) -> BrandStaff:
    staff = BrandStaff(brand_id=brand.id, user_id=user.id, role=role)  # type: ignore[arg-type]
    session.add(staff)
    session.flush()
    return staff


def make_community(session: Session, brand: Brand | None = None, **overrides: object) -> Community:
    brand = brand or make_brand(session)
    number = next(_sequence)
    values: dict[str, object] = {
        "brand_id": brand.id,
        "name": f"Community {number}",
        "slug": f"community-{number}",
        "kind": CommunityKind.both,
        "visibility": Visibility.public,
    }
    values.update(overrides)
    community = Community(**values)  # type: ignore[arg-type]
    session.add(community)
    session.flush()
    return community


def add_member(session: Session, community: Community, user: User, role: MemberRole = MemberRole.member) -> Membership:
    membership = Membership(community_id=community.id, user_id=user.id, role=role)  # type: ignore[arg-type]
    session.add(membership)
    community.member_count += 1
    session.add(community)
    session.flush()
    return membership


def log_in(client: TestClient, session: Session, user: User) -> None:
    """Give the client a session cookie for the user, as logging in would."""
    token = accounts_service.start_session(session, user=user)
    client.cookies.set(get_settings().session_cookie_name, signed_session_token(token))


def csrf_token(client: TestClient) -> str:
    """The CSRF cookie's token (fetching a form first if the client has none)."""
    if "csrftoken" not in client.cookies:
        client.get("/login")
    return client.cookies["csrftoken"]
