"""What moderators see of an item (app/moderation/evidence.py): a design's image through their own route, a
near-duplicate's pair, the text rendered as members saw it, the author's history; the pages and the API alike."""

import io
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.brands.models import Brand
from app.challenges import designs as challenge_designs
from app.challenges.models import Design
from app.columns import utcnow
from app.comments.models import Comment
from app.media import service as media_service
from app.media import similarity
from app.media.models import MediaImage
from app.media.storage import get_storage
from app.moderation import decisions as moderation_decisions
from app.moderation import evidence
from app.moderation import queue as moderation_queue
from app.moderation import reports as moderation_reports
from app.moderation import sanctions as moderation_sanctions
from app.moderation.models import ItemStatus, ModerationItem, SubjectKind
from tests.factories import add_member, add_staff, csrf_token, log_in, make_comment, make_design, make_user, png_bytes
from tests.ideas.factories import make_idea
from tests.moderation.factories import Place, make_members, make_place

HOSTILE = "**red** and <script>alert(1)</script> [a link](javascript:alert(2)) <img src=x onerror=alert(3)>"


def _report(session: Session, place: Place, reporter: object, kind: str, subject_id: int, reason: str = "spam") -> int:
    return (
        moderation_reports.report_subject(
            session,
            community=place.community,
            reporter=reporter,  # type: ignore[arg-type]
            kind=kind,
            subject_id=subject_id,
            reason=reason,
        ).item.id
        or 0
    )


def _entry(session: Session, place: Place, item_id: int) -> moderation_queue.QueueEntry:
    return moderation_queue.item_detail(session, community=place.community, item_id=item_id).entry


def _submit(session: Session, place: Place, designer: object, seed: int, *, touch: bool = False) -> Design:
    return challenge_designs.submit_design(
        session,
        challenge=place.challenge,
        designer=designer,  # type: ignore[arg-type]
        upload=io.BytesIO(png_bytes(seed, size=256, touch=touch)),
        title=f"Blocks {seed}{' again' if touch else ''}",
        filename="blocks.png",
        content_type="image/png",
    )


def test_a_design_item_has_its_image_urls_and_other_kinds_none(client: TestClient, session: Session) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    design_item = _report(session, place, reporter, "design", place.design.id or 0, "stolen_art")
    comment_item = _report(session, place, reporter, "comment", place.comment.id or 0)
    queue = moderation_queue.list_queue(session, community=place.community, filters=moderation_queue.QueueFilters())
    found = evidence.for_entries(session, community=place.community, entries=queue)
    image = found[design_item].image
    assert image is not None and image.design_id == place.design.id
    base = f"/c/{place.community.slug}/moderation/designs/{place.design.id}/image"
    assert (image.thumbnail_url, image.full_url) == (f"{base}?size=thumbnail", f"{base}?size=full")
    assert found[comment_item].image is None and found[comment_item].near_duplicate is None

    log_in(client, session, place.moderator)
    api = f"/api/v1/communities/{place.community.slug}/moderation"
    listed = {row["id"]: row for row in client.get(f"{api}/queue").json()}
    assert listed[design_item]["image"] == {
        "design_id": place.design.id,
        "thumbnail_url": image.thumbnail_url,
        "full_url": image.full_url,
    }
    assert listed[comment_item]["image"] is None
    assert client.get(f"{api}/items/{design_item}").json()["image"]["full_url"] == image.full_url

    # The renditions, never the original upload.
    stored = session.get(MediaImage, place.design.image_id)
    assert stored is not None
    thumbnail = client.get(image.thumbnail_url)
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/webp"
    assert thumbnail.content == get_storage().get(stored.thumbnail_key)
    assert thumbnail.headers["cache-control"].startswith("private")
    assert client.get(image.full_url).content == get_storage().get(stored.display_key)
    assert client.get(f"{base}?size=original").status_code == 422

    queue_page = client.get(f"/c/{place.community.slug}/moderation").text
    assert f'src="{image.thumbnail_url}"' in queue_page.replace("&amp;", "&")
    item_page = client.get(f"/c/{place.community.slug}/moderation/items/{design_item}").text.replace("&amp;", "&")
    assert f'src="{image.full_url}"' in item_page and f'href="{image.full_url}"' in item_page
    assert "/image" not in client.get(f"/c/{place.community.slug}/moderation/items/{comment_item}").text


def test_a_near_duplicate_shows_both_designs_how_alike_and_which_came_first(
    client: TestClient, session: Session
) -> None:
    place = make_place(session, phase="submissions_open")
    first, second = make_members(session, place.community, 2)
    original = _submit(session, place, first, 41)
    copy = _submit(session, place, second, 41, touch=True)
    assert copy.flagged_near_duplicate_of_id == original.id
    item = session.exec(
        select(ModerationItem).where(
            ModerationItem.subject_kind == SubjectKind.design, ModerationItem.subject_id == copy.id
        )
    ).one()

    pair = evidence.for_item(
        session, community=place.community, entry=_entry(session, place, item.id or 0)
    ).near_duplicate
    assert pair is not None
    assert (pair.earlier.design_id, pair.earlier.designer_handle) == (original.id, first.handle)
    assert (pair.later.design_id, pair.later.designer_handle) == (copy.id, second.handle)
    assert pair.earlier.posted_at <= pair.later.posted_at
    images = {i.id: i for i in session.exec(select(MediaImage)).all()}
    expected = media_service.image_similarity(images[copy.image_id], images[original.image_id])
    assert expected is not None and expected >= 1 - similarity.MAX_DISTANCE / similarity.HASH_BITS
    assert pair.similarity == expected and pair.percent_alike == round(expected * 100)

    log_in(client, session, place.moderator)
    body = client.get(f"/api/v1/communities/{place.community.slug}/moderation/items/{item.id}").json()
    assert body["near_duplicate"]["similarity"] == expected
    assert body["near_duplicate"]["percent_alike"] == pair.percent_alike
    assert body["near_duplicate"]["earlier"]["designer_handle"] == first.handle
    assert body["near_duplicate"]["earlier"]["image"]["thumbnail_url"] == pair.earlier.image.thumbnail_url
    assert body["near_duplicate"]["later"]["design_id"] == copy.id
    page = client.get(f"/c/{place.community.slug}/moderation/items/{item.id}").text.replace("&amp;", "&")
    assert f"{pair.percent_alike}% alike" in page
    assert f"@{first.handle} posted “{original.title}” first" in page
    for side in (pair.earlier, pair.later):
        assert f'src="{side.image.thumbnail_url}"' in page and f'href="{side.image.full_url}"' in page
        assert client.get(side.image.thumbnail_url).status_code == 200
    queue = client.get(f"/c/{place.community.slug}/moderation").text
    assert f"{pair.percent_alike}% alike" in queue


def test_text_is_rendered_as_members_saw_it_and_sanitised(client: TestClient, session: Session) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    comment = make_comment(session, place.design, place.author, body=HOSTILE)
    design = make_design(session, place.challenge, place.author, description=HOSTILE)
    idea = make_idea(session, place.community, place.author, description=HOSTILE)
    items = {
        kind: _report(session, place, reporter, kind, subject_id)
        for kind, subject_id in (("comment", comment.id or 0), ("design", design.id or 0), ("idea", idea.id or 0))
    }
    queue = moderation_queue.list_queue(session, community=place.community, filters=moderation_queue.QueueFilters())
    found = evidence.for_entries(session, community=place.community, entries=queue)
    for item_id in items.values():
        html = found[item_id].body_html
        assert "<strong>red</strong>" in html
        # Raw HTML is shown as text, never as markup; a javascript: link is no link.
        assert "<script" not in html and "<img" not in html and "href" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "**" not in found[item_id].summary and found[item_id].summary.startswith("red and")
    assert found[items["design"]].title == design.title and found[items["idea"]].title == idea.title

    log_in(client, session, place.moderator)
    api = f"/api/v1/communities/{place.community.slug}/moderation"
    for item_id in items.values():
        body = client.get(f"{api}/items/{item_id}").json()
        assert body["body_html"] == found[item_id].body_html
        page = client.get(f"/c/{place.community.slug}/moderation/items/{item_id}").text
        assert "<strong>red</strong>" in page and "<script>alert" not in page and 'href="javascript' not in page
    assert "<script>alert" not in client.get(f"/c/{place.community.slug}/moderation").text


def test_the_authors_history_is_counted_here_only(client: TestClient, session: Session) -> None:
    place = make_place(session)
    author, moderator = place.author, place.moderator
    author.created_at = utcnow() - timedelta(days=30, hours=2)
    session.add(author)
    reporters = make_members(session, place.community, 2)
    # Posts here: the place's design and comment, one more comment, an idea (4); a withdrawn design and a deleted
    # comment do not count, nor a design in another community.
    make_comment(session, place.design, author, body="Another thought")
    make_idea(session, place.community, author)
    make_design(session, place.challenge, author, status="withdrawn")
    make_comment(session, place.design, author, body="Gone", deleted_at=utcnow())
    elsewhere = make_place(session)
    add_member(session, elsewhere.community, author)
    make_design(session, elsewhere.challenge, author)
    # Reports: two on the comment, one on the design (3 on 2 items); the design is hidden (1 hidden or removed).
    comment_item = _report(session, place, reporters[0], "comment", place.comment.id or 0)
    _report(session, place, reporters[1], "comment", place.comment.id or 0)
    design_item = _report(session, place, reporters[0], "design", place.design.id or 0)
    moderation_decisions.decide(
        session,
        community=place.community,
        moderator=moderator,
        item_ids=[design_item],
        decision="hide",
        reason="Copied",
    )
    moderation_sanctions.sanction_member(
        session, community=place.community, moderator=moderator, member=author, kind="warning", reason="Be kind"
    )
    moderation_sanctions.sanction_member(
        session,
        community=place.community,
        moderator=moderator,
        member=author,
        kind="suspension",
        reason="Again",
        days=3,
    )
    # Elsewhere counts nothing here.
    moderation_sanctions.sanction_member(
        session, community=elsewhere.community, moderator=elsewhere.moderator, member=author, kind="ban", reason="No"
    )

    entry = _entry(session, place, comment_item)
    history = entry.history
    assert (history.posts, history.reports, history.items, history.hidden_or_removed) == (4, 3, 2, 1)
    assert history.sanctions == 2 and history.active_sanction is not None
    assert history.active_sanction.kind == "suspension" and history.account_age_days == 30
    decisions = evidence.for_item(session, community=place.community, entry=entry).author_decisions
    assert [(e.action, e.reason) for e in decisions] == [
        ("suspension", "Again"),
        ("warning", "Be kind"),
        ("hide", "Copied"),
    ]

    log_in(client, session, moderator)
    body = client.get(f"/api/v1/communities/{place.community.slug}/moderation/items/{comment_item}").json()
    assert body["author_history"] == {
        "items": 2,
        "reports": 3,
        "hidden_or_removed": 1,
        "sanctions": 2,
        "active_sanction": "suspension",
        "posts": 4,
        "account_created_at": body["author_history"]["account_created_at"],
        "account_age_days": 30,
    }
    assert [e["action"] for e in body["author_decisions"]] == ["suspension", "warning", "hide"]
    page = client.get(f"/c/{place.community.slug}/moderation/items/{comment_item}").text
    assert "<dd>30 days old</dd>" in page and "<dt>Posts here</dt><dd>4</dd>" in page
    assert "<dd>3 on 2 items</dd>" in page and "suspension in force" in page


def test_no_decision_is_preselected_and_a_missing_one_is_asked_for(client: TestClient, session: Session) -> None:
    place = make_place(session)
    reporter = make_members(session, place.community, 1)[0]
    item_id = _report(session, place, reporter, "comment", place.comment.id or 0)
    log_in(client, session, place.moderator)
    queue_url = f"/c/{place.community.slug}/moderation"
    item_url = f"{queue_url}/items/{item_id}"
    for page in (client.get(queue_url).text, client.get(item_url).text):
        radios = re.findall(r'<input type="radio" name="decision"[^>]*>', page)
        assert len(radios) == 3 and not any("checked" in radio for radio in radios)
        for key in ("h", "d", "r"):
            assert f'aria-keyshortcuts="{key}"' in page
        assert "js/moderation.js" in page and "Keys: H hide, D dismiss (keep), R remove" in page

    token = csrf_token(client)
    refused = client.post(f"{item_url}/decide", data={"reason": "my typed reason", "csrftoken": token})
    assert refused.status_code == 422
    assert "Choose a decision: hide, dismiss (keep) or remove." in refused.text
    assert 'value="my typed reason"' in refused.text and 'aria-describedby="decision-error"' in refused.text
    assert not re.search(r'<input type="radio" name="decision"[^>]*checked', refused.text)
    item = session.get(ModerationItem, item_id)
    assert item is not None and item.status == ItemStatus.open
    half = client.post(f"{item_url}/decide", data={"decision": "hide", "reason": "", "csrftoken": token})
    assert half.status_code == 422 and re.search(r'value="hide"[^>]*checked', half.text)
    bulk = client.post(f"{queue_url}/decide", data={"item_ids": [str(item_id)], "csrftoken": token})
    assert bulk.status_code == 422 and "Choose a decision" in bulk.text
    api = client.post(
        f"/api/v1/communities/{place.community.slug}/moderation/decisions",
        json={"item_ids": [item_id], "reason": "x"},
        headers={"x-csrftoken": token},
    )
    assert api.status_code == 422 and api.json()["detail"]

    done = client.post(
        f"{item_url}/decide", data={"decision": "hide", "reason": "Advert", "csrftoken": token}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == queue_url
    session.refresh(item)
    assert item.status == ItemStatus.hidden
    comment = session.get(Comment, place.comment.id)
    assert comment is not None and comment.is_hidden


def test_another_brands_moderators_see_neither_the_item_nor_its_images(client: TestClient, session: Session) -> None:
    place = make_place(session)
    other = make_place(session)  # another brand's community, with its own moderator
    reporter = make_members(session, place.community, 1)[0]
    item_id = _report(session, place, reporter, "design", place.design.id or 0, "stolen_art")
    moderation_decisions.decide(
        session,
        community=place.community,
        moderator=place.moderator,
        item_ids=[item_id],
        decision="hide",
        reason="Copied",
    )
    image_path = f"/moderation/designs/{place.design.id}/image?size=thumbnail"

    outsiders = [other.moderator, make_user(session), reporter]
    other_manager = make_user(session)
    add_staff(session, _brand(session, other), other_manager)
    outsiders.append(other_manager)
    for outsider in outsiders:
        log_in(client, session, outsider)
        assert client.get(f"/c/{place.community.slug}/moderation/items/{item_id}").status_code in (403, 404)
        assert client.get(f"/c/{place.community.slug}{image_path}").status_code in (403, 404)
        api = f"/api/v1/communities/{place.community.slug}/moderation/items/{item_id}"
        assert client.get(api).status_code in (403, 404)
    # Another brand's staff and moderators are not told it exists at all.
    for outsider in (other.moderator, other_manager):
        log_in(client, session, outsider)
        assert client.get(f"/c/{place.community.slug}{image_path}").status_code == 404
        # Nor through their own community's route: the design is not theirs.
        assert client.get(f"/c/{other.community.slug}{image_path}").status_code == 404

    log_in(client, session, place.moderator)
    assert client.get(f"/c/{place.community.slug}{image_path}").status_code == 200  # hidden, yet theirs to see


def _brand(session: Session, place: Place) -> Brand:
    brand = session.get(Brand, place.community.brand_id)
    assert brand is not None
    return brand


def test_the_authors_decision_page_names_the_subject_as_members_saw_it(client: TestClient, session: Session) -> None:
    place = make_place(session)
    comment = make_comment(session, place.design, place.author, body="**Cheap** watches at _my_ shop")
    item_id = _report(session, place, make_members(session, place.community, 1)[0], "comment", comment.id or 0)
    (entry,) = moderation_decisions.decide(
        session, community=place.community, moderator=place.moderator, item_ids=[item_id], decision="hide", reason="Ad"
    )
    log_in(client, session, place.author)
    page = client.get(f"/c/{place.community.slug}/decisions/{entry.id}").text
    assert f'#comment-{comment.id}">Cheap watches at my shop</a>' in page and "**Cheap**" not in page
