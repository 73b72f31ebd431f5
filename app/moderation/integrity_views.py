"""Vote integrity pages: a challenge's suspected voting rings, drawn, and the scores a moderator discounts or counts
again (app.moderation.integrity)."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.challenges.deps import ChallengeAccess, challenge_access
from app.columns import RowId
from app.db import SessionDep
from app.errors import AppError
from app.i18n import _
from app.moderation import audit as moderation_audit
from app.moderation import integrity
from app.moderation.ring_pictures import ring_picture
from app.permissions import Action
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect
from app.web.templating import render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
INTEGRITY = "/c/{community_slug}/challenges/{challenge_slug}/integrity"


def _integrity_context(session: Session, access: ChallengeAccess, **form: Any) -> dict[str, Any]:
    report = integrity.challenge_integrity(session, challenge=access.challenge)
    clusters = report.rings
    discounts = integrity.list_discounts(session, challenge=access.challenge)
    people = moderation_audit.users_by_id(
        session,
        {i for c in clusters for i in (*c.voter_ids, c.target_designer_id)} | {i for _, v in discounts for i in v},
    )
    titles = integrity.design_titles(session, challenge=access.challenge)
    pictures = {
        index: ring_picture(
            title=titles.get(cluster.target_design_ids[0], _("the design")),
            votes=report.target_votes.get(cluster.target_design_ids[0], []),
            ring=set(cluster.voter_ids),
            window=report.window,
        )
        for index, cluster in enumerate(clusters)
        if cluster.target_design_ids
    }
    return {
        "community": access.community,
        "challenge": access.challenge,
        "clusters": clusters,
        "directions": {direction: _(words) for direction, words in integrity.DIRECTIONS.items()},
        "pictures": pictures,
        "titles": titles,
        "moves": report.moves,
        "can_discount": integrity.can_discount(access.challenge),
        "discounts": discounts,
        "people": people,
        "form": form,
    }


@router.get(INTEGRITY, name="moderation:integrity")
def integrity_page(
    request: Request, session: SessionDep, access: ChallengeAccess = challenge_access(Action.moderate_community)
) -> Response:
    return render(request, "moderation/integrity.html", _integrity_context(session, access))


@router.post(INTEGRITY + "/discounts")
async def discount(
    request: Request, session: SessionDep, access: ChallengeAccess = challenge_access(Action.moderate_community)
) -> Response:
    assert access.user is not None
    posted = await request.form()
    voter_ids = [int(value) for value in str(posted.get("voter_ids", "")).split(",") if value.strip().isdigit()]
    reason = str(posted.get("reason", ""))
    try:
        integrity.discount_voters(
            session,
            community=access.community,
            challenge=access.challenge,
            moderator=access.user,
            voter_ids=voter_ids,
            reason=reason,
        )
    except AppError as error:
        return form_error(
            request, session, "moderation/integrity.html", _integrity_context(session, access, reason=reason), error
        )
    response = redirect(request, f"/c/{access.community.slug}/challenges/{access.challenge.slug}/integrity")
    flash.add(response, request, _("Those scores are discounted; the ranking is recomputed."))
    return response


@router.post(INTEGRITY + "/discounts/{discount_id}/restore")
def restore_discount(
    request: Request,
    discount_id: RowId,
    session: SessionDep,
    reason: FormText = "",
    access: ChallengeAccess = challenge_access(Action.moderate_community),
) -> Response:
    assert access.user is not None
    try:
        integrity.restore_discount(
            session,
            community=access.community,
            challenge=access.challenge,
            moderator=access.user,
            discount_id=discount_id,
            reason=reason,
        )
    except AppError as error:
        return form_error(request, session, "moderation/integrity.html", _integrity_context(session, access), error)
    response = redirect(request, f"/c/{access.community.slug}/challenges/{access.challenge.slug}/integrity")
    flash.add(response, request, _("Those scores count again; the ranking is recomputed."))
    return response
