"""HTML pages for a challenge's shortlist and winners: the staff shortlist, picking, withdrawing and announcing
winners, and the winners page."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.challenges import designs as challenge_designs
from app.challenges import phases as challenge_phases
from app.challenges import scores as challenge_scores
from app.challenges import winners as challenge_winners
from app.challenges.deps import ChallengeAccess, challenge_access
from app.challenges.models import Design
from app.challenges.views import FormText, challenge_page_url, page_context
from app.columns import utcnow
from app.db import SessionDep
from app.errors import AppError, NotFound
from app.i18n import _
from app.moderation import integrity
from app.permissions import Action
from app.web import flash
from app.web.requests import redirect
from app.web.templating import render

router = APIRouter(include_in_schema=False)


# --- Staff: shortlist and winners -------------------------------------------------------------------------------


@router.get("/c/{community_slug}/challenges/{challenge_slug}/shortlist", name="challenges:shortlist")
def shortlist_page(
    request: Request, session: SessionDep, access: ChallengeAccess = challenge_access(Action.view_shortlist)
) -> Response:
    return render(request, "challenges/shortlist.html", _shortlist_context(session, access))


def _shortlist_error(request: Request, session: Session, access: ChallengeAccess, error: AppError) -> Response:
    """The shortlist again with the refusal on top (picking, taking back and announcing are all made there)."""
    session.rollback()
    context = {**_shortlist_context(session, access), "error": error.message}
    return render(request, "challenges/shortlist.html", context, status_code=error.status_code)


def _shortlist_context(session: Session, access: ChallengeAccess) -> dict[str, Any]:
    now = utcnow()
    ready = challenge_phases.scores_are_public(access.challenge, now)
    entries = challenge_winners.shortlist(session, challenge=access.challenge, now=now) if ready else []
    images = challenge_designs.images_by_id(session, designs=[entry.design for entry in entries])
    context = page_context(
        access,
        challenge=access.challenge,
        phase=challenge_phases.phase(access.challenge, now),
        ready=ready,
        entries=entries,
        thumbnails={
            image_id: challenge_designs.rendition_urls(image)["thumbnail"] for image_id, image in images.items()
        },
        mean=challenge_scores.challenge_mean(access.challenge),
        # Scores a moderator discounted (app.moderation.integrity): kept, but out of the counts and the rank.
        discounted=integrity.discounted_counts(session, challenge=access.challenge) if ready else {},
    )
    return context


def _posted_design(session: Session, design_id: str) -> Design:
    """The design a shortlist form names (the services check that it is in the challenge)."""
    design = session.get(Design, int(design_id)) if design_id.isdigit() else None
    if design is None:
        raise NotFound(_("There is no such design in this challenge."))
    return design


@router.post("/c/{community_slug}/challenges/{challenge_slug}/winners", name="challenges:pick_winner")
def pick_winner(
    request: Request,
    session: SessionDep,
    design_id: FormText = "",
    access: ChallengeAccess = challenge_access(Action.manage_challenge),
) -> Response:
    design = _posted_design(session, design_id)
    try:
        challenge_winners.pick_winner(session, challenge=access.challenge, design=design)
    except AppError as error:
        return _shortlist_error(request, session, access, error)
    response = redirect(request, f"{challenge_page_url(access)}/shortlist")
    flash.add(response, request, _("%(title)s is a winner; a draft product is made for it.", title=design.title))
    return response


@router.post("/c/{community_slug}/challenges/{challenge_slug}/winners/withdraw", name="challenges:withdraw_win")
def withdraw_win(
    request: Request,
    session: SessionDep,
    design_id: FormText = "",
    access: ChallengeAccess = challenge_access(Action.manage_challenge),
) -> Response:
    design = _posted_design(session, design_id)
    try:
        challenge_winners.withdraw_win(session, challenge=access.challenge, design=design)
    except AppError as error:
        return _shortlist_error(request, session, access, error)
    response = redirect(request, f"{challenge_page_url(access)}/shortlist")
    flash.add(response, request, _("%(title)s is no longer a winner; its draft product is gone.", title=design.title))
    return response


@router.post("/c/{community_slug}/challenges/{challenge_slug}/winners/announce", name="challenges:announce")
def announce(
    request: Request, session: SessionDep, access: ChallengeAccess = challenge_access(Action.manage_challenge)
) -> Response:
    try:
        challenge_winners.announce_winners(session, challenge=access.challenge)
    except AppError as error:
        return _shortlist_error(request, session, access, error)
    response = redirect(request, f"{challenge_page_url(access)}/winners")
    flash.add(response, request, _("The winners are announced."))
    return response


@router.get("/c/{community_slug}/challenges/{challenge_slug}/winners", name="challenges:winners")
def winners_page(
    request: Request, session: SessionDep, access: ChallengeAccess = challenge_access(Action.view_challenge)
) -> Response:
    now = utcnow()
    current = challenge_phases.phase(access.challenge, now)
    winners = challenge_winners.visible_winners(
        session, challenge=access.challenge, may_manage=access.can(Action.manage_challenge), now=now
    )
    images = challenge_designs.images_by_id(session, designs=[design for design, _ in winners])
    context = page_context(
        access,
        challenge=access.challenge,
        phase=current,
        winners=winners,
        thumbnails={
            image_id: challenge_designs.rendition_urls(image)["thumbnail"] for image_id, image in images.items()
        },
    )
    return render(request, "challenges/winners.html", context)
