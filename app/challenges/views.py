"""HTML pages for design challenges: lists, a challenge and its gallery, designs and scoring, uploads, the
managers' form, the staff shortlist, winners and designers' portfolios."""

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.deps import Public
from app.accounts.models import User
from app.challenges import designs as challenge_designs
from app.challenges import gallery as challenge_gallery
from app.challenges import scores as challenge_scores
from app.challenges import scoring
from app.challenges import service as challenges_service
from app.challenges import winners as challenge_winners
from app.challenges.deps import ChallengeAccess, DesignAccess, challenge_access, design_access
from app.challenges.models import Challenge, Design, DesignStatus, Phase
from app.columns import PageNumber, RowId, utcnow
from app.comments.deps import thread_context
from app.communities.deps import CommunityAccess, community_access
from app.config import get_settings
from app.db import SessionDep
from app.errors import AppError, Invalid, NotFound
from app.moderation import fingerprints, integrity
from app.moderation import queue as moderation_queue
from app.moderation.models import SubjectKind
from app.permissions import Action
from app.web import flash
from app.web.forms import form_error
from app.web.requests import client_ip, redirect
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
TIME_FIELDS = ("submissions_open_at", "submissions_close_at", "scoring_close_at")
TEXT_FIELDS = ("title", "slug", "brief", "rules", "product_type", "prize", "royalty_terms", "max_designs_per_member")
PHASE_LABELS = {
    Phase.draft: "Draft",
    Phase.upcoming: "Opens soon",
    Phase.submissions_open: "Submissions open",
    Phase.scoring: "Scoring",
    Phase.closed: "Closed",
    Phase.winners_announced: "Winners announced",
}


def _base(access: CommunityAccess, **extra: object) -> dict[str, Any]:
    return {"community": access.community, "access": access, "Action": Action, "phase_labels": PHASE_LABELS, **extra}


def _challenge_url(access: ChallengeAccess) -> str:
    return f"/c/{access.community.slug}/challenges/{access.challenge.slug}"


def _scoring_progress(
    session: Session, access: ChallengeAccess, current_phase: Phase
) -> scoring.ScoringProgress | None:
    """The member's progress through the designs, for those who may score while scoring is open."""
    if current_phase != Phase.scoring or access.user is None or not access.can(Action.score_design):
        return None
    return scoring.scoring_progress(session, challenge=access.challenge, member=access.user)


@router.get("/c/{community_slug}/challenges", name="challenges:list")
def list_page(
    request: Request, session: SessionDep, access: CommunityAccess = community_access(Action.view_challenge)
) -> Response:
    challenges = challenges_service.list_challenges(
        session, community=access.community, include_drafts=access.can(Action.manage_challenge)
    )
    now = utcnow()
    rows = [(challenge, challenges_service.phase(challenge, now)) for challenge in challenges]
    return render(request, "challenges/list.html", _base(access, rows=rows))


# --- The managers' form ----------------------------------------------------------------------------------------


def _time_value(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _form_of(challenge: Challenge) -> dict[str, str]:
    form = {name: str(getattr(challenge, name)) for name in TEXT_FIELDS}
    form.update({name: _time_value(getattr(challenge, name)) for name in TIME_FIELDS})
    return form


def _parse_fields(form: dict[str, str]) -> challenges_service.ChallengeFields:
    """The typed form as service fields; unreadable times and numbers become field errors for the service."""
    errors: dict[str, str] = {}
    moments: dict[str, datetime] = {}
    for name in TIME_FIELDS:
        try:
            moment = datetime.fromisoformat(form[name].strip())
            moments[name] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            errors[name] = "Enter a date and time (UTC)."
            moments[name] = utcnow()
    limit = form["max_designs_per_member"].strip()
    if limit and not limit.isdigit():
        errors["max_designs_per_member"] = "Use a whole number."
    return challenges_service.ChallengeFields(
        title=form["title"],
        brief=form["brief"],
        rules=form["rules"],
        product_type=form["product_type"],
        prize=form["prize"],
        royalty_terms=form["royalty_terms"],
        max_designs_per_member=int(limit) if limit.isdigit() else None,
        errors=errors,
        **moments,
    )


def _challenge_form(
    title: FormText = "",
    slug: FormText = "",
    brief: FormText = "",
    rules: FormText = "",
    product_type: FormText = "",
    prize: FormText = "",
    royalty_terms: FormText = "",
    max_designs_per_member: FormText = "",
    submissions_open_at: FormText = "",
    submissions_close_at: FormText = "",
    scoring_close_at: FormText = "",
) -> dict[str, str]:
    return dict(locals())


ChallengeForm = Annotated[dict[str, str], Depends(_challenge_form)]


@router.get("/c/{community_slug}/challenges/new", name="challenges:new")
def new_page(request: Request, access: CommunityAccess = community_access(Action.manage_challenge)) -> Response:
    form = {"max_designs_per_member": str(get_settings().challenge_max_designs_per_member)}
    return render(request, "challenges/form.html", _base(access, form=form, challenge=None))


@router.post("/c/{community_slug}/challenges/new")
def create(
    request: Request,
    session: SessionDep,
    form: ChallengeForm,
    access: CommunityAccess = community_access(Action.manage_challenge),
) -> Response:
    assert access.user is not None
    try:
        challenge = challenges_service.create_challenge(
            session,
            community=access.community,
            created_by=access.user,
            fields=_parse_fields(form),
            slug=form["slug"],
        )
    except AppError as error:
        return form_error(request, session, "challenges/form.html", _base(access, form=form, challenge=None), error)
    response = redirect(request, f"/c/{access.community.slug}/challenges/{challenge.slug}")
    flash.add(response, request, "The challenge is saved as a draft. Publish it when it is ready.")
    return response


@router.get("/c/{community_slug}/challenges/{challenge_slug}/edit", name="challenges:edit")
def edit_page(request: Request, access: ChallengeAccess = challenge_access(Action.manage_challenge)) -> Response:
    context = _base(access, form=_form_of(access.challenge), challenge=access.challenge)
    return render(request, "challenges/form.html", context)


@router.post("/c/{community_slug}/challenges/{challenge_slug}/edit")
def update(
    request: Request,
    session: SessionDep,
    form: ChallengeForm,
    access: ChallengeAccess = challenge_access(Action.manage_challenge),
) -> Response:
    form["slug"] = access.challenge.slug
    try:
        challenges_service.update_challenge(session, challenge=access.challenge, fields=_parse_fields(form))
    except AppError as error:
        context = _base(access, form=form, challenge=access.challenge)
        return form_error(request, session, "challenges/form.html", context, error)
    response = redirect(request, _challenge_url(access))
    flash.add(response, request, "The challenge is saved.")
    return response


@router.post("/c/{community_slug}/challenges/{challenge_slug}/publish", name="challenges:publish")
def publish(
    request: Request, session: SessionDep, access: ChallengeAccess = challenge_access(Action.manage_challenge)
) -> Response:
    challenges_service.publish_challenge(session, challenge=access.challenge)
    response = redirect(request, _challenge_url(access))
    flash.add(response, request, f"{access.challenge.title} is published.")
    return response


# --- The challenge page and its gallery ------------------------------------------------------------------------


@router.get("/c/{community_slug}/challenges/{challenge_slug}", name="challenges:detail")
def detail(
    request: Request,
    session: SessionDep,
    tag: str = "",
    sort: str = "",
    page: PageNumber = 1,
    more: bool = False,
    unscored: bool = False,
    access: ChallengeAccess = challenge_access(Action.view_challenge),
) -> Response:
    now = utcnow()
    challenge = access.challenge
    current_phase = challenges_service.phase(challenge, now)
    progress = _scoring_progress(session, access, current_phase)
    gallery = challenge_gallery.list_gallery(
        session,
        challenge=challenge,
        viewer=access.user,
        tag=tag,
        sort=sort,
        page=page,
        unscored=unscored and progress is not None,
        now=now,
    )
    designs = [design for design, _ in gallery.designs]
    images = challenge_designs.images_by_id(session, designs=designs)
    my_count = (
        challenge_designs.count_member_designs(session, challenge=challenge, designer=access.user)
        if access.user and access.membership
        else 0
    )
    context = _base(
        access,
        challenge=challenge,
        phase=current_phase,
        progress=progress,
        # The member's own scores, marked on their cards (always visible to them, unlike everybody's).
        my_scores=scoring.my_scores(session, member=access.user, designs=designs) if access.user else {},
        gallery=gallery,
        thumbnails={
            image_id: challenge_designs.rendition_urls(image)["thumbnail"] for image_id, image in images.items()
        },
        sorts=challenge_gallery.gallery_sorts(challenge, now),
        tags=challenge_gallery.list_challenge_tags(session, challenge=challenge),
        scores_public=challenges_service.scores_are_public(challenge, now),
        my_count=my_count,
    )
    return render(request, "challenges/detail.html", context, block="gallery_more" if more else "gallery")


@router.get("/c/{community_slug}/challenges/{challenge_slug}/next", name="challenges:next_design")
def next_design(
    request: Request,
    session: SessionDep,
    after: RowId | None = None,
    access: ChallengeAccess = challenge_access(Action.score_design),
) -> Response:
    """Open the next design the member has not scored (after the one they are looking at), or say they are done."""
    assert access.user is not None
    current = session.get(Design, after) if after is not None else None
    found = scoring.next_unscored_design(session, challenge=access.challenge, member=access.user, after=current)
    if found is not None:
        return redirect(request, f"/designs/{found.id}")
    response = redirect(request, _challenge_url(access))
    progress = scoring.scoring_progress(session, challenge=access.challenge, member=access.user)
    message = "You have scored every design." if progress.all_scored else "There are no designs for you to score."
    flash.add(response, request, message, "info")
    return response


# --- Submitting ---------------------------------------------------------------------------------------------


def _submit_context(session: Session, access: ChallengeAccess, **extra: object) -> dict[str, Any]:
    now = utcnow()
    my_count = (
        challenge_designs.count_member_designs(session, challenge=access.challenge, designer=access.user)
        if access.user
        else 0
    )
    return _base(
        access,
        challenge=access.challenge,
        phase=challenges_service.phase(access.challenge, now),
        my_count=my_count,
        **extra,
    )


@router.get("/c/{community_slug}/challenges/{challenge_slug}/submit", name="challenges:submit")
def submit_page(
    request: Request, session: SessionDep, access: ChallengeAccess = challenge_access(Action.submit_design)
) -> Response:
    return render(request, "challenges/submit.html", _submit_context(session, access, form={}))


@router.post("/c/{community_slug}/challenges/{challenge_slug}/submit")
def submit(
    request: Request,
    session: SessionDep,
    image: Annotated[UploadFile | None, File()] = None,
    title: FormText = "",
    description: FormText = "",
    tags: FormText = "",
    access: ChallengeAccess = challenge_access(Action.submit_design),
) -> Response:
    assert access.user is not None
    form = {"title": title, "description": description, "tags": tags}
    try:
        if image is None or not image.filename:
            raise Invalid("Please correct the marked fields.", fields={"image": "Choose an image file to upload."})
        design = challenge_designs.submit_design(
            session,
            challenge=access.challenge,
            designer=access.user,
            upload=image.file,
            title=title,
            description=description,
            tags=tags,
            filename=image.filename or "",
            content_type=image.content_type or "",
        )
    except AppError as error:
        context = _submit_context(session, access, form=form)
        return form_error(request, session, "challenges/submit.html", context, error)
    response = redirect(request, f"/designs/{design.id}")
    message = "Your design is submitted."
    if design.flagged_near_duplicate_of_id:
        message += " It looks very like an earlier design, so the moderators will have a look."
    flash.add(response, request, message)
    return response


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
    ready = challenges_service.scores_are_public(access.challenge, now)
    entries = challenge_winners.shortlist(session, challenge=access.challenge, now=now) if ready else []
    images = challenge_designs.images_by_id(session, designs=[entry.design for entry in entries])
    context = _base(
        access,
        challenge=access.challenge,
        phase=challenges_service.phase(access.challenge, now),
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
        raise NotFound("There is no such design in this challenge.")
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
    response = redirect(request, f"{_challenge_url(access)}/shortlist")
    flash.add(response, request, f"{design.title} is a winner; a draft product is made for it.")
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
    response = redirect(request, f"{_challenge_url(access)}/shortlist")
    flash.add(response, request, f"{design.title} is no longer a winner; its draft product is gone.")
    return response


@router.post("/c/{community_slug}/challenges/{challenge_slug}/winners/announce", name="challenges:announce")
def announce(
    request: Request, session: SessionDep, access: ChallengeAccess = challenge_access(Action.manage_challenge)
) -> Response:
    try:
        challenge_winners.announce_winners(session, challenge=access.challenge)
    except AppError as error:
        return _shortlist_error(request, session, access, error)
    response = redirect(request, f"{_challenge_url(access)}/winners")
    flash.add(response, request, "The winners are announced.")
    return response


@router.get("/c/{community_slug}/challenges/{challenge_slug}/winners", name="challenges:winners")
def winners_page(
    request: Request, session: SessionDep, access: ChallengeAccess = challenge_access(Action.view_challenge)
) -> Response:
    now = utcnow()
    current = challenges_service.phase(access.challenge, now)
    winners = challenge_winners.visible_winners(
        session, challenge=access.challenge, may_manage=access.can(Action.manage_challenge), now=now
    )
    images = challenge_designs.images_by_id(session, designs=[design for design, _ in winners])
    context = _base(
        access,
        challenge=access.challenge,
        phase=current,
        winners=winners,
        thumbnails={
            image_id: challenge_designs.rendition_urls(image)["thumbnail"] for image_id, image in images.items()
        },
    )
    return render(request, "challenges/winners.html", context)


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
    current_phase = challenges_service.phase(access.challenge, now)
    context = _base(
        access,
        challenge=access.challenge,
        design=design,
        designer=designer,
        phase=current_phase,
        progress=_scoring_progress(session, access, current_phase),
        display_url=challenge_designs.rendition_urls(images[design.image_id])["display"],
        scores_public=challenges_service.scores_are_public(access.challenge, now),
        bayesian=challenge_scores.bayesian_average(
            score_sum=design.score_sum, score_count=design.score_count, mean=mean
        ),
        my_score=challenge_scores.get_my_score(session, design=design, voter=access.user),
        is_designer=access.user is not None and design.designer_id == access.user.id,
        # Where a hidden design stands in the queue (held for review, hidden, removed), to tell its designer.
        moderation_status=_moderation_status(session, access) if design.status == DesignStatus.hidden else None,
        score_values=list(challenge_scores.SCORE_VALUES),
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
            raise Invalid("Choose a score from 0 to 5.", fields={"value": "Choose a score from 0 to 5."})
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
    saved = f"Your score of {value} for {access.design.title} is saved."
    if is_htmx(request):
        if following is None:
            context = design_context(session, access, saved=True)
            return render(request, "challenges/design.html", context, block="score")
        # htmx fetches the next design's block into the page, from its top, and pushes its address: no reload.
        location = json.dumps(
            {"path": f"/designs/{following.id}", "target": "#design", "swap": "innerHTML show:window:top"}
        )
        toast = json.dumps({"chorus:toast": {"message": saved, "level": "success"}})
        return Response(status_code=204, headers={"HX-Location": location, "HX-Trigger": toast})
    response = redirect(request, f"/designs/{following.id if following else access.design.id}")
    flash.add(response, request, saved if following else f"{saved} You have scored every design.")
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
    flash.add(response, request, "Your design is saved.")
    return response


@router.post("/designs/{design_id}/withdraw", name="challenges:withdraw_design")
def withdraw_design(
    request: Request, session: SessionDep, access: DesignAccess = design_access(Action.submit_design)
) -> Response:
    assert access.user is not None
    challenge_designs.withdraw_design(session, design=access.design, designer=access.user)
    response = redirect(request, f"/c/{access.community.slug}/challenges/{access.challenge.slug}")
    flash.add(response, request, f"{access.design.title} is withdrawn.", "info")
    return response


@router.get("/u/{handle}/designs", name="challenges:portfolio")
def portfolio(request: Request, handle: str, session: SessionDep, viewer: Public) -> Response:
    designer = accounts_service.get_user_by_handle(session, handle=handle)
    entries = challenge_gallery.list_portfolio(session, designer=designer, viewer=viewer)
    images = challenge_designs.images_by_id(session, designs=[entry.design for entry in entries])
    thumbnails = {image_id: challenge_designs.rendition_urls(image)["thumbnail"] for image_id, image in images.items()}
    return render(
        request,
        "challenges/portfolio.html",
        {
            "designer": designer,
            "entries": entries,
            "thumbnails": thumbnails,
            "wins": sum(1 for entry in entries if entry.design.is_winner),
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
