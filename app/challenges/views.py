"""HTML pages for design challenges: the list, the managers' form, a challenge and its gallery, and submitting a
design.

The other pages live beside this module, by use case: ``winner_views`` (the staff shortlist and winners),
``design_views`` (a design and scoring it, editing it, designers' portfolios) and ``search_views`` (finding designs).
They build their pages on this module's ``page_context``."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from app.challenges import designs as challenge_designs
from app.challenges import gallery as challenge_gallery
from app.challenges import phases as challenge_phases
from app.challenges import scoring
from app.challenges import service as challenges_service
from app.challenges.deps import ChallengeAccess, challenge_access
from app.challenges.models import Challenge, Design, Phase
from app.columns import PageNumber, RowId, utcnow
from app.communities.deps import CommunityAccess, community_access
from app.config import get_settings
from app.db import SessionDep
from app.errors import AppError, Invalid
from app.i18n import N_, Labels, _
from app.permissions import Action
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect
from app.web.templating import render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
TIME_FIELDS = ("submissions_open_at", "submissions_close_at", "scoring_close_at")
TEXT_FIELDS = ("title", "slug", "brief", "rules", "product_type", "prize", "royalty_terms", "max_designs_per_member")
PHASE_LABELS = Labels(
    {
        Phase.draft: N_("Draft"),
        Phase.upcoming: N_("Opens soon"),
        Phase.submissions_open: N_("Submissions open"),
        Phase.scoring: N_("Scoring"),
        Phase.closed: N_("Closed"),
        Phase.winners_announced: N_("Winners announced"),
    }
)


def page_context(access: CommunityAccess, **extra: object) -> dict[str, Any]:
    return {"community": access.community, "access": access, "Action": Action, "phase_labels": PHASE_LABELS, **extra}


def challenge_page_url(access: ChallengeAccess) -> str:
    return f"/c/{access.community.slug}/challenges/{access.challenge.slug}"


def member_scoring_progress(
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
    rows = [(challenge, challenge_phases.phase(challenge, now)) for challenge in challenges]
    return render(request, "challenges/list.html", page_context(access, rows=rows))


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
            errors[name] = _("Enter a date and time (UTC).")
            moments[name] = utcnow()
    limit = form["max_designs_per_member"].strip()
    if limit and not limit.isdigit():
        errors["max_designs_per_member"] = _("Use a whole number.")
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
    return render(request, "challenges/form.html", page_context(access, form=form, challenge=None))


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
        return form_error(
            request, session, "challenges/form.html", page_context(access, form=form, challenge=None), error
        )
    response = redirect(request, f"/c/{access.community.slug}/challenges/{challenge.slug}")
    flash.add(response, request, _("The challenge is saved as a draft. Publish it when it is ready."))
    return response


@router.get("/c/{community_slug}/challenges/{challenge_slug}/edit", name="challenges:edit")
def edit_page(request: Request, access: ChallengeAccess = challenge_access(Action.manage_challenge)) -> Response:
    context = page_context(access, form=_form_of(access.challenge), challenge=access.challenge)
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
        context = page_context(access, form=form, challenge=access.challenge)
        return form_error(request, session, "challenges/form.html", context, error)
    response = redirect(request, challenge_page_url(access))
    flash.add(response, request, _("The challenge is saved."))
    return response


@router.post("/c/{community_slug}/challenges/{challenge_slug}/publish", name="challenges:publish")
def publish(
    request: Request, session: SessionDep, access: ChallengeAccess = challenge_access(Action.manage_challenge)
) -> Response:
    challenges_service.publish_challenge(session, challenge=access.challenge)
    response = redirect(request, challenge_page_url(access))
    flash.add(response, request, _("%(title)s is published.", title=access.challenge.title))
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
    current_phase = challenge_phases.phase(challenge, now)
    progress = member_scoring_progress(session, access, current_phase)
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
    context = page_context(
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
        scores_public=challenge_phases.scores_are_public(challenge, now),
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
    response = redirect(request, challenge_page_url(access))
    progress = scoring.scoring_progress(session, challenge=access.challenge, member=access.user)
    message = _("You have scored every design.") if progress.all_scored else _("There are no designs for you to score.")
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
    return page_context(
        access,
        challenge=access.challenge,
        phase=challenge_phases.phase(access.challenge, now),
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
            raise Invalid(
                _("Please correct the marked fields."), fields={"image": _("Choose an image file to upload.")}
            )
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
    message = _("Your design is submitted.")
    if design.flagged_near_duplicate_of_id:
        message = _(
            "Your design is submitted. It looks very like an earlier design, so the moderators will have a look."
        )
    flash.add(response, request, message)
    return response
