"""Rate limits on scoring, uploads and comments, and the staff-only download of a design's original."""

import io

import pytest
from fastapi.testclient import TestClient
from PIL import ExifTags, Image, ImageCms
from sqlmodel import Session

from app.brands.models import StaffRole
from app.challenges import designs as challenge_designs
from app.challenges import scores as challenge_scores
from app.comments import service as comments_service
from app.config import get_settings
from app.errors import TooManyRequests
from app.media.models import MediaImage
from tests.factories import (
    add_member,
    add_staff,
    log_in,
    make_brand,
    make_challenge,
    make_community,
    make_design,
    make_user,
    png_bytes,
)
from tests.media import corpus


def test_scoring_is_rate_limited_per_member(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "score_rate_per_account", "2/minute")
    community = make_community(session)
    challenge = make_challenge(session, community, phase="scoring")
    designs = [make_design(session, challenge) for _ in range(3)]
    voter = make_user(session)
    add_member(session, community, voter)
    for design in designs[:2]:
        challenge_scores.cast_score(session, voter=voter, design=design, value=4, would_buy=False)
    with pytest.raises(TooManyRequests, match="scoring very fast"):
        challenge_scores.cast_score(session, voter=voter, design=designs[2], value=4, would_buy=False)


def test_uploads_are_rate_limited_per_member(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "upload_rate_per_account", "1/hour")
    community = make_community(session)
    challenge = make_challenge(session, community, max_designs_per_member=5)
    designer = make_user(session)
    add_member(session, community, designer)
    challenge_designs.submit_design(
        session, challenge=challenge, designer=designer, upload=io.BytesIO(png_bytes(901)), title="First"
    )
    with pytest.raises(TooManyRequests, match="uploaded a lot"):
        challenge_designs.submit_design(
            session, challenge=challenge, designer=designer, upload=io.BytesIO(png_bytes(902)), title="Second"
        )


def test_comments_are_rate_limited_per_member(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "comment_rate_per_account", "1/minute")
    community = make_community(session)
    design = make_design(session, make_challenge(session, community, phase="scoring"))
    author = make_user(session)
    add_member(session, community, author)
    comments_service.add_comment(session, design=design, author=author, body="Love the colours.")
    with pytest.raises(TooManyRequests, match="commenting very fast"):
        comments_service.add_comment(session, design=design, author=author, body="And the type!")


def test_staff_download_the_original_members_cannot(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand)
    design = make_design(session, make_challenge(session, community, phase="closed"))
    image = session.get(MediaImage, design.image_id)
    assert image is not None
    analyst = make_user(session)
    add_staff(session, brand, analyst, StaffRole.analyst)
    member = make_user(session)
    add_member(session, community, member)

    log_in(client, session, member)
    assert client.get(f"/designs/{design.id}/original").status_code == 403
    assert client.get(f"/api/v1/designs/{design.id}/original").status_code == 403

    log_in(client, session, analyst)
    page = client.get(f"/designs/{design.id}/original")
    assert page.status_code == 200
    assert page.headers["content-type"] == "image/png"
    assert page.headers["content-disposition"].startswith(f'attachment; filename="design-{design.id}-')
    assert page.content.startswith(b"\x89PNG")
    assert client.get(f"/api/v1/designs/{design.id}/original").content == page.content


def test_the_original_staff_download_carries_no_location_and_keeps_its_colour_profile(
    client: TestClient, session: Session
) -> None:
    brand = make_brand(session)
    community = make_community(session, brand)
    challenge = make_challenge(session, community)
    designer = make_user(session)
    add_member(session, community, designer)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo = corpus.encode(corpus.scene(), "JPEG", quality=90, exif=corpus.exif_with_gps(), icc_profile=srgb)
    design = challenge_designs.submit_design(
        session, challenge=challenge, designer=designer, upload=io.BytesIO(photo), title="Field notes"
    )
    analyst = make_user(session)
    add_staff(session, brand, analyst, StaffRole.analyst)
    log_in(client, session, analyst)

    download = client.get(f"/api/v1/designs/{design.id}/original")

    assert download.status_code == 200
    original = Image.open(io.BytesIO(download.content))
    assert not original.getexif()
    assert not original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"Chorus Test Camera" not in download.content
    assert original.info["icc_profile"] == srgb
    assert original.tobytes() == Image.open(io.BytesIO(photo)).tobytes()
    assert client.get(f"/designs/{design.id}/original").content == download.content
