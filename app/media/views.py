"""Public renditions at /media/<key>: only content-addressed keys under renditions/, never the originals."""

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.deps import Public
from app.errors import NotFound
from app.i18n import _
from app.media.storage import IMMUTABLE_CACHE_CONTROL, NotStored, get_storage

router = APIRouter(include_in_schema=False)

# renditions/ab/cd/<sha256>.<ext>, where ab and cd are the first four hex digits of the hash.
_RENDITION_KEY = re.compile(r"renditions/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})\.(jpg|webp)")
_CONTENT_TYPES = {"jpg": "image/jpeg", "webp": "image/webp"}


# HEAD too: proxies, CDNs and link checkers ask for the headers first (the server leaves the body out).
@router.api_route("/media/{key:path}", methods=["GET", "HEAD"], name="media:rendition")
def rendition(request: Request, key: str, _visitor: Public) -> Response:
    match = _RENDITION_KEY.fullmatch(key)
    if match is None or (match.group(1), match.group(2)) != (match.group(3)[:2], match.group(3)[2:4]):
        raise NotFound(_("There is no such image."))
    etag = f'"{match.group(3)}"'
    headers = {"Cache-Control": IMMUTABLE_CACHE_CONTROL, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    try:
        data = get_storage().get(key)
    except NotStored:
        raise NotFound(_("There is no such image.")) from None
    return Response(data, media_type=_CONTENT_TYPES[match.group(4)], headers=headers)
