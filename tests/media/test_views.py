"""/media serves public renditions with long caching, and nothing else: originals and odd keys are 404."""

import io

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.media.service import ingest_image, original_bytes, rendition_url
from app.media.storage import get_storage
from tests.media import corpus


def test_thumbnail_is_served_with_its_type_and_long_caching(client: TestClient, session: Session) -> None:
    image = ingest_image(session, upload=io.BytesIO(corpus.png()), uploaded_by=None, declared_filename="a.png")

    response = client.get(rendition_url(image, "thumbnail"))

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.content == get_storage().get(image.thumbnail_key)
    etag = response.headers["etag"]
    assert etag == f'"{image.thumbnail_key.rsplit("/", 1)[1].split(".")[0]}"'

    again = client.get(rendition_url(image, "thumbnail"), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


def test_transparent_display_is_served_as_webp(client: TestClient, session: Session) -> None:
    image = ingest_image(session, upload=io.BytesIO(corpus.transparent_png()), uploaded_by=None)
    response = client.get(rendition_url(image, "display"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"


def test_originals_are_never_served(client: TestClient, session: Session) -> None:
    image = ingest_image(session, upload=io.BytesIO(corpus.jpeg_with_gps()), uploaded_by=None)
    assert original_bytes(image)  # it is stored ...
    for path in (
        f"/media/{image.original_key}",  # ... but not at its key,
        f"/media/renditions/../{image.original_key}",  # nor by climbing out of renditions/
        f"/media/renditions/%2e%2e/{image.original_key}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.content != original_bytes(image)


def test_keys_that_are_not_renditions_are_404(client: TestClient, session: Session) -> None:
    image = ingest_image(session, upload=io.BytesIO(corpus.png()), uploaded_by=None)
    digest = image.thumbnail_key.rsplit("/", 1)[1].split(".")[0]
    for key in (
        "renditions/00/00/" + "0" * 64 + ".jpg",  # well-formed, not stored
        f"renditions/ff/ff/{digest}.jpg",  # stored hash, wrong directories
        image.thumbnail_key.replace(".jpg", ".png"),
        image.thumbnail_key.upper(),
        "renditions",
        "",
        "secret_key",
        "../secret_key",
    ):
        assert client.get(f"/media/{key}").status_code == 404, key


def test_htmx_and_api_style_requests_get_the_same_bytes(client: TestClient, session: Session) -> None:
    """An image is an image: no fragment or JSON variant, whatever the request's headers."""
    image = ingest_image(session, upload=io.BytesIO(corpus.webp()), uploaded_by=None)
    plain = client.get(rendition_url(image, "display"))
    htmx = client.get(rendition_url(image, "display"), headers={"HX-Request": "true"})
    assert plain.status_code == htmx.status_code == 200
    assert plain.content == htmx.content


def test_head_answers_the_headers_without_the_body(client: TestClient, session: Session) -> None:
    image = ingest_image(session, upload=io.BytesIO(corpus.png()), uploaded_by=None, declared_filename="a.png")
    response = client.head(rendition_url(image, "thumbnail"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert int(response.headers["content-length"]) == len(get_storage().get(image.thumbnail_key))
    assert response.content == b""
    assert client.head("/media/renditions/00/11/" + "0011" * 16 + ".jpg").status_code == 404
