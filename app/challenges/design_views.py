"""HTML pages for designs: a design and scoring it, editing and withdrawing it, designers' portfolios, and the
original file for staff."""

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.deps import Public
from app.accounts.models import User
from app.challenges import designs as challenge_designs
from app.challenges import gallery as challenge_gallery
from app.challenges import phases as challenge_phases
from app.challenges import scores as challenge_scores
from app.challenges import scoring
from app.challenges.deps import DesignAccess, design_access
from app.challenges.models import DesignStatus
from app.challenges.views import FormText, member_scoring_progress, page_context
from app.columns import id_of, utcnow
from app.comments.deps import thread_context
from app.db import SessionDep
from app.errors import AppError, Invalid
from app.follows import service as follows_service
from app.i18n import _
from app.moderation import fingerprints
from app.moderation import queue as moderation_queue
from app.moderation.models import SubjectKind
from app.permissions import Action
from app.preorders import service as preorders_service
from app.rewards import shop as rewards_shop
from app.web import flash
from app.web.forms import form_error
from app.web.requests import client_ip, redirect
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)


# --- Designs ------------------------------------------------------------------------------------------------


def _moderation_status(session: Session, access: DesignAccess) -> str | None:
    statuses = moderation_queue.item_statuses(
        session, community_id=access.community.id or 0, kind=SubjectKind.design, subject_ids=[access.design.id or 0]
    )
    status = statuses.get(access.design.id or 0)
    return str(status) if status is not None else None


def design_context(session: Session, access: DesignAccess, **extra: object) -> dict[str, Any]:
    now = utcnow()
    design = access.design
    designer = session.get(User, design.designer_id)
    images = challenge_designs.images_by_id(session, designs=[design])
    mean = challenge_scores.challenge_mean(access.challenge)
    current_phase = challenge_phases.phase(access.challenge, now)
    context = page_context(
        access,
        challenge=access.challenge,
        design=design,
        designer=designer,
        phase=current_phase,
        progress=member_scoring_progress(session, access, current_phase),
        display_url=challenge_designs.rendition_urls(images[design.image_id])["display"],
        scores_public=challenge_phases.scores_are_public(access.challenge, now),
        bayesian=challenge_scores.bayesian_average(
            score_sum=design.score_sum, score_count=design.score_count, mean=mean
        ),
        my_score=challenge_scores.get_my_score(session, design=design, voter=access.user),
        is_designer=access.user is not None and design.designer_id == access.user.id,
        # Where a hidden design stands in the queue (held for review, hidden, removed), to tell its designer.
        moderation_status=_moderation_status(session, access) if design.status == DesignStatus.hidden else None,
        score_values=list(challenge_scores.SCORE_VALUES),
        follow=follows_service.follow_box(session, designer=designer, viewer=access.user) if designer else None,
        follow_next=f"/designs/{design.id}",
        preorder_url=preorders_service.taking_pledges_for(session, design=design, community=access.community),
        **thread_context(session, access),
    )
    context.update(extra)
    return context


@router.get("/designs/{design_id}", name="challenges:design")
def design_page(
    request: Request, session: SessionDep, access: DesignAccess = design_access(Action.view_challenge)
) -> Response:
    # An htmx visit (the next design after a score) swaps the design block and takes the page title along.
    context = design_context(session, access, retitle=is_htmx(request))
    return render(request, "challenges/design.html", context, block="design")


@router.post("/designs/{design_id}/score", name="challenges:score")
def score(
    request: Request,
    session: SessionDep,
    value: FormText = "",
    would_buy: FormText = "",
    access: DesignAccess = design_access(Action.score_design),
) -> Response:
    assert access.user is not None
    try:
        if not value.isdigit():
            raise Invalid(_("Choose a score from 0 to 5."), fields={"value": _("Choose a score from 0 to 5.")})
        fingerprints.record_fingerprint(
            session,
            user_id=access.user.id or 0,
            ip_address=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
        )
        challenge_scores.cast_score(
            session,
            voter=access.user,
            design=access.design,
            value=int(value),
            would_buy=bool(would_buy),
            challenge=access.challenge,
            community=access.community,
            membership=access.membership,
        )
    except AppError as error:
        return form_error(
            request, session, "challenges/design.html", design_context(session, access), error, block="score"
        )
    # On to the next design in the member's stack; the last one stays, saying they have scored them all.
    following = scoring.next_unscored_design(
        session, challenge=access.challenge, member=access.user, after=access.design
    )
    saved = _("Your score of %(value)s for %(title)s is saved.", value=value, title=access.design.title)
    if is_htmx(request):
        if following is None:
            context = design_context(session, access, saved=True)
            return render(request, "challenges/design.html", context, block="score")
        # htmx fetches the next design's block into the page, from its top, and pushes its address: no reload.
        swap = "innerHTML show:window:top"  # i18n: ignore (an htmx swap)
        location = json.dumps({"path": f"/designs/{following.id}", "target": "#design", "swap": swap})
        toast = json.dumps({"chorus:toast": {"message": saved, "level": "success"}})
        return Response(status_code=204, headers={"HX-Location": location, "HX-Trigger": toast})
    response = redirect(request, f"/designs/{following.id if following else access.design.id}")
    done = _("%(saved)s You have scored every design.", saved=saved)
    flash.add(response, request, saved if following else done)
    return response


@router.get("/designs/{design_id}/edit", name="challenges:edit_design")
def edit_design_page(
    request: Request, session: SessionDep, access: DesignAccess = design_access(Action.submit_design)
) -> Response:
    assert access.user is not None  # submit_design is no visitor's action
    design = access.design
    challenge_designs.require_editable_design(session, design=design, editor=access.user)
    form = {"title": design.title, "description": design.description, "tags": design.tags.replace(",", ", ")}
    return render(request, "challenges/design_edit.html", design_context(session, access, form=form))


@router.post("/designs/{design_id}/edit")
def edit_design(
    request: Request,
    session: SessionDep,
    title: FormText = "",
    description: FormText = "",
    tags: FormText = "",
    access: DesignAccess = design_access(Action.submit_design),
) -> Response:
    assert access.user is not None
    form = {"title": title, "description": description, "tags": tags}
    try:
        challenge_designs.edit_design(
            session, design=access.design, editor=access.user, title=title, description=description, tags=tags
        )
    except AppError as error:
        context = design_context(session, access, form=form)
        return form_error(request, session, "challenges/design_edit.html", context, error)
    response = redirect(request, f"/designs/{access.design.id}")
    flash.add(response, request, _("Your design is saved."))
    return response


@router.post("/designs/{design_id}/withdraw", name="challenges:withdraw_design")
def withdraw_design(
    request: Request, session: SessionDep, access: DesignAccess = design_access(Action.submit_design)
) -> Response:
    assert access.user is not None
    challenge_designs.withdraw_design(session, design=access.design, designer=access.user)
    response = redirect(request, f"/c/{access.community.slug}/challenges/{access.challenge.slug}")
    flash.add(response, request, _("%(title)s is withdrawn.", title=access.design.title), "info")
    return response


@router.get("/u/{handle}/designs", name="challenges:portfolio")
def portfolio(request: Request, handle: str, session: SessionDep, viewer: Public) -> Response:
    designer = accounts_service.get_user_by_handle(session, handle=handle)
    entries = challenge_gallery.list_portfolio(session, designer=designer, viewer=viewer)
    images = challenge_designs.images_by_id(session, designs=[entry.design for entry in entries])
    thumbnails = {image_id: challenge_designs.rendition_urls(image)["thumbnail"] for image_id, image in images.items()}
    is_designer = viewer is not None and viewer.id == designer.id
    return render(
        request,
        "challenges/portfolio.html",
        {
            "designer": designer,
            "entries": entries,
            "thumbnails": thumbnails,
            "wins": sum(1 for entry in entries if entry.design.is_winner),
            "follow": follows_service.follow_box(session, designer=designer, viewer=viewer),
            # A product shows its design's thumbnail only where the viewer may see that design here.
            "shown_designs": {id_of(entry.design): entry.design for entry in entries},
            "shop": rewards_shop.list_shop_products(session, designer=designer),
            "royalties": rewards_shop.royalties_by_product(session, designer=designer) if is_designer else None,
        },
    )


@router.get("/designs/{design_id}/original", name="challenges:original")
def design_original(session: SessionDep, access: DesignAccess = design_access(Action.view_shortlist)) -> Response:
    """Download the uploaded original (staff only)."""
    original = challenge_designs.design_original(session, design=access.design)
    return Response(
        original.content,
        media_type=original.media_type,
        headers={"Content-Disposition": f'attachment; filename="{original.filename}"'},
    )
