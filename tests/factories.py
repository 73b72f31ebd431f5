"""Plain factory functions: make_x(session, **overrides) builds a valid x with as little as possible said."""

import io
import itertools
import random
from datetime import timedelta

from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts import sessions as accounts_sessions
from app.accounts.deps import signed_session_token
from app.accounts.models import User
from app.brands.models import Brand, BrandStaff, StaffRole
from app.challenges.models import Challenge, ChallengeScoreShard, ChallengeStatus, Design
from app.columns import utcnow
from app.comments.models import Comment
from app.communities.models import Community, CommunityKind, MemberRole, Membership, Visibility
from app.config import get_settings
from app.media.models import MediaImage
from app.media.storage import get_storage

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
    token = accounts_sessions.start_session(session, user=user)
    client.cookies.set(get_settings().session_cookie_name, signed_session_token(token))


def csrf_token(client: TestClient) -> str:
    """The CSRF cookie's token (fetching a form first if the client has none)."""
    if "csrftoken" not in client.cookies:
        client.get("/login")
    return client.cookies["csrftoken"]


# --- Design challenges ----------------------------------------------------------------------------------------

# Windows relative to now that put a published challenge in each phase.
PHASE_WINDOWS: dict[str, tuple[int, int, int]] = {  # days from now: submissions open, close, scoring close
    "upcoming": (2, 5, 9),
    "submissions_open": (-2, 5, 9),
    "scoring": (-9, -2, 5),
    "closed": (-20, -9, -2),
}


def make_challenge(
    session: Session, community: Community | None = None, *, phase: str = "submissions_open", **overrides: object
) -> Challenge:
    """A published challenge in the given phase (its windows set around now)."""
    community = community or make_community(session)
    number = next(_sequence)
    opens, closes, scoring_closes = PHASE_WINDOWS[phase]
    now = utcnow()
    values: dict[str, object] = {
        "community_id": community.id,
        "title": f"Challenge {number}",
        "slug": f"challenge-{number}",
        "brief": "Make a *shirt*.",
        "submissions_open_at": now + timedelta(days=opens),
        "submissions_close_at": now + timedelta(days=closes),
        "scoring_close_at": now + timedelta(days=scoring_closes),
        "status": ChallengeStatus.published,
    }
    score_count, score_sum = overrides.pop("score_count", 0), overrides.pop("score_sum", 0)
    values.update(overrides)
    challenge = Challenge(**values)  # type: ignore[arg-type]
    session.add(challenge)
    session.flush()
    if score_count or score_sum:
        session.add(
            ChallengeScoreShard(challenge_id=challenge.id, shard=0, score_count=score_count, score_sum=score_sum)
        )
        session.flush()
        session.expire(challenge, ["score_count", "score_sum"])
    return challenge


def make_image(session: Session, uploaded_by: User | None = None, **overrides: object) -> MediaImage:
    number = next(_sequence)
    values: dict[str, object] = {
        "sha256": f"{number:064x}",
        "original_key": f"originals/test-{number}.png",
        "display_key": f"display/{number}.webp",
        "thumbnail_key": f"thumbnail/{number}.webp",
        "width": 1200,
        "height": 1200,
        "format": "PNG",
        "byte_size": 1000,
        "uploaded_by_id": uploaded_by.id if uploaded_by else None,
    }
    values.update(overrides)
    # A tiny stored original, so staff downloads work, and tiny renditions for the moderators' image route; their
    # keys are not content-addressed, so the public /media route still 404s them.
    get_storage().put(str(values["original_key"]), png_bytes(number, size=8), "image/png")
    for key in (values["display_key"], values["thumbnail_key"]):
        get_storage().put(str(key), webp_bytes(number), "image/webp")
    image = MediaImage(**values)  # type: ignore[arg-type]
    session.add(image)
    session.flush()
    return image


def make_design(session: Session, challenge: Challenge, designer: User | None = None, **overrides: object) -> Design:
    """A submitted design (made directly, outside any window: use the service to test submission itself)."""
    designer = designer or make_user(session)
    number = next(_sequence)
    values: dict[str, object] = {
        "challenge_id": challenge.id,
        "designer_id": designer.id,
        "image_id": make_image(session, designer).id,
        "title": f"Design {number}",
        "tags": "",
    }
    values.update(overrides)
    design = Design(**values)  # type: ignore[arg-type]
    session.add(design)
    challenge.design_count += 1
    session.add(challenge)
    session.flush()
    return design


def webp_bytes(seed: int, *, size: int = 8) -> bytes:
    """A small WebP of coloured blocks (as renditions are stored), from a seed."""
    buffer = io.BytesIO()
    Image.open(io.BytesIO(png_bytes(seed, size=size))).save(buffer, "WEBP")
    return buffer.getvalue()


def png_bytes(seed: int, *, size: int = 96, touch: bool = False) -> bytes:
    """A PNG of coloured blocks from a seed: different seeds look different (far apart perceptual hashes);
    ``touch`` changes one pixel, for a near-duplicate of the same seed."""
    generator = random.Random(seed)
    blocks = 8
    image = Image.new("RGB", (size, size))
    step = size // blocks
    for row in range(blocks):
        for column in range(blocks):
            colour = tuple(generator.randrange(256) for _ in range(3))
            image.paste(colour, (column * step, row * step, (column + 1) * step, (row + 1) * step))  # type: ignore[arg-type]
    if touch:
        image.putpixel((0, 0), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_comment(
    session: Session, design: Design, author: User | None = None, parent: Comment | None = None, **overrides: object
) -> Comment:
    """A comment made directly (no membership check, no notifications: use the service to test those)."""
    author = author or make_user(session)
    values: dict[str, object] = {
        "design_id": design.id,
        "author_id": author.id,
        "parent_id": parent.id if parent is not None else None,
        "body": f"Comment {next(_sequence)}",
    }
    values.update(overrides)
    comment = Comment(**values)  # type: ignore[arg-type]
    session.add(comment)
    session.flush()
    return comment


def field_errors(response: Response) -> dict[str, str]:
    """The JSON API's ``errors`` (a list of ``{field, message}``) as a mapping from field to message."""
    return {error["field"]: error["message"] for error in response.json().get("errors") or []}
