"""JSON API for design challenges: the same services as the pages."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.deps import Public
from app.accounts.models import User
from app.challenges import designs as challenge_designs
from app.challenges import gallery as challenge_gallery
from app.challenges import phases as challenge_phases
from app.challenges import schemas, scoring
from app.challenges import scores as challenge_scores
from app.challenges import service as challenges_service
from app.challenges import winners as challenge_winners
from app.challenges.deps import (
    ChallengeAccess,
    DesignAccess,
    ScoringAccess,
    challenge_access,
    design_access,
    scoring_access,
)
from app.challenges.models import Challenge, Design
from app.columns import PageNumber, RowId, id_of, utcnow
from app.communities.deps import CommunityAccess, community_access
from app.communities.models import Community
from app.db import SessionDep
from app.errors import NotFound
from app.i18n import _
from app.moderation import fingerprints
from app.permissions import Action
from app.web.requests import client_ip

router = APIRouter(tags=["challenges"])


def _fields(body: schemas.ChallengeWrite) -> challenges_service.ChallengeFields:
    return challenges_service.ChallengeFields(
        title=body.title,
        brief=body.brief,
        rules=body.rules,
        product_type=body.product_type,
        prize=body.prize,
        royalty_terms=body.royalty_terms,
        submissions_open_at=body.submissions_open_at,
        submissions_close_at=body.submissions_close_at,
        scoring_close_at=body.scoring_close_at,
        max_designs_per_member=body.max_designs_per_member,
    )


def _challenge(challenge: Challenge, community: Community) -> schemas.ChallengeDetail:
    return schemas.ChallengeDetail(
        **schemas.ChallengePublic.model_validate(challenge).model_dump(),
        community_slug=community.slug,
        phase=challenge_phases.phase(challenge, utcnow()),
    )


def _designs(
    session: Session,
    rows: Sequence[tuple[Design, User]],
    *,
    challenge: Challenge,
    community: Community,
    viewer: User | None = None,
    sees_flags: bool = False,
) -> list[schemas.DesignPublic]:
    images = challenge_designs.images_by_id(session, designs=[design for design, _ in rows])
    matches = (
        challenge_designs.near_duplicate_matches(session, designs=[design for design, _ in rows]) if sees_flags else {}
    )
    public = challenge_phases.scores_are_public(challenge, utcnow())
    mean = challenge_scores.challenge_mean(challenge)
    my_scores = scoring.my_scores(session, member=viewer, designs=[design for design, _ in rows]) if viewer else {}
    result = []
    for design, designer in rows:
        urls = challenge_designs.rendition_urls(images[design.image_id])
        scores = (
            schemas.DesignScores(
                score_count=design.score_count,
                mean=design.mean_score,
                bayesian_score=challenge_scores.bayesian_average(
                    score_sum=design.score_sum, score_count=design.score_count, mean=mean
                ),
                buy_count=design.buy_count,
            )
            if public
            else None
        )
        mine = my_scores.get(id_of(design))
        match = matches.get(id_of(design))
        result.append(
            schemas.DesignPublic(
                id=id_of(design),
                challenge_slug=challenge.slug,
                community_slug=community.slug,
                designer_handle=designer.handle,
                title=design.title,
                description=design.description,
                tags=design.tag_list,
                status=design.status,
                thumbnail_url=urls["thumbnail"],
                display_url=urls["display"],
                created_at=design.created_at,
                is_winner=design.is_winner,
                scores=scores,
                my_score=schemas.MyScore(value=mine.value, would_buy=mine.would_buy, updated_at=mine.updated_at)
                if mine
                else None,
                near_duplicate_of=schemas.NearDuplicateOf(
                    design_id=match.design_id, title=match.title, similarity=match.similarity
                )
                if match
                else None,
            )
        )
    return result


def _sees_flags(access: CommunityAccess) -> bool:
    """Who sees a design's near-duplicate flag: as on the design page, the brand's staff and the moderators."""
    return access.can(Action.view_shortlist) or access.can(Action.moderate_community)


def _one_design(session: Session, access: DesignAccess) -> schemas.DesignPublic:
    designer = session.get(User, access.design.designer_id)
    assert designer is not None
    (design,) = _designs(
        session,
        [(access.design, designer)],
        challenge=access.challenge,
        community=access.community,
        viewer=access.user,
        sees_flags=_sees_flags(access),
    )
    return design


@router.get(
    "/communities/{community_slug}/challenges",
    response_model=list[schemas.ChallengeDetail],
    summary="A community's challenges",
)
def list_challenges(
    session: SessionDep, access: CommunityAccess = community_access(Action.view_challenge)
) -> list[schemas.ChallengeDetail]:
    challenges = challenges_service.list_challenges(
        session, community=access.community, include_drafts=access.can(Action.manage_challenge)
    )
    return [_challenge(challenge, access.community) for challenge in challenges]


@router.post(
    "/communities/{community_slug}/challenges",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.ChallengeDetail,
    summary="Draft a challenge",
)
def create_challenge(
    body: schemas.ChallengeCreate,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.manage_challenge),
) -> schemas.ChallengeDetail:
    assert access.user is not None
    challenge = challenges_service.create_challenge(
        session, community=access.community, created_by=access.user, fields=_fields(body), slug=body.slug
    )
    return _challenge(challenge, access.community)


@router.get(
    "/communities/{community_slug}/challenges/{challenge_slug}",
    response_model=schemas.ChallengeDetail,
    summary="One challenge",
)
def get_challenge(access: ChallengeAccess = challenge_access(Action.view_challenge)) -> schemas.ChallengeDetail:
    return _challenge(access.challenge, access.community)


@router.patch(
    "/communities/{community_slug}/challenges/{challenge_slug}",
    response_model=schemas.ChallengeDetail,
    summary="Edit a challenge",
)
def update_challenge(
    body: schemas.ChallengeWrite,
    session: SessionDep,
    access: ChallengeAccess = challenge_access(Action.manage_challenge),
) -> schemas.ChallengeDetail:
    challenge = challenges_service.update_challenge(session, challenge=access.challenge, fields=_fields(body))
    return _challenge(challenge, access.community)


@router.post(
    "/communities/{community_slug}/challenges/{challenge_slug}/publish",
    response_model=schemas.ChallengeDetail,
    summary="Publish a draft challenge",
)
def publish_challenge(
    session: SessionDep, access: ChallengeAccess = challenge_access(Action.manage_challenge)
) -> schemas.ChallengeDetail:
    challenge = challenges_service.publish_challenge(session, challenge=access.challenge)
    return _challenge(challenge, access.community)


@router.get(
    "/communities/{community_slug}/challenges/{challenge_slug}/designs",
    response_model=schemas.GalleryPage,
    summary="A challenge's designs",
    description="During scoring the order is a stable shuffle per caller, and scores are null until scoring closes.",
)
def list_designs(
    session: SessionDep,
    tag: str = Query(default="", max_length=40),
    sort: str = Query(default="", max_length=20),
    page: PageNumber = 1,
    unscored: bool = Query(default=False, description="Only designs the caller may score and has not scored yet"),
    access: ChallengeAccess = challenge_access(Action.view_challenge),
) -> schemas.GalleryPage:
    gallery = challenge_gallery.list_gallery(
        session, challenge=access.challenge, viewer=access.user, tag=tag, sort=sort, page=page, unscored=unscored
    )
    return schemas.GalleryPage(
        designs=_designs(
            session,
            gallery.designs,
            challenge=access.challenge,
            community=access.community,
            sees_flags=_sees_flags(access),
        ),
        page=gallery.page,
        has_more=gallery.has_more,
        sort=gallery.sort,
        tag=gallery.tag,
        unscored=gallery.unscored,
    )


@router.get(
    "/communities/{community_slug}/challenges/{challenge_slug}/next-design",
    response_model=schemas.NextDesign,
    summary="The next design for the caller to score, and their progress",
    description="The first design the caller has not scored in their own stable shuffle (the gallery's shuffled "
    "order), after the design `after` if given, wrapping round; never their own, withdrawn or hidden designs. "
    "409 outside the scoring window.",
)
def next_design(
    session: SessionDep,
    after: RowId | None = Query(default=None, description="The design the caller is looking at"),
    access: ChallengeAccess = challenge_access(Action.score_design),
) -> schemas.NextDesign:
    assert access.user is not None
    current = session.get(Design, after) if after is not None else None
    found = scoring.next_unscored_design(session, challenge=access.challenge, member=access.user, after=current)
    progress = scoring.scoring_progress(session, challenge=access.challenge, member=access.user)
    designer = session.get(User, found.designer_id) if found is not None else None
    designs = (
        _designs(session, [(found, designer)], challenge=access.challenge, community=access.community)
        if found is not None and designer is not None
        else []
    )
    return schemas.NextDesign(
        design=designs[0] if designs else None,
        progress=schemas.ScoringProgressPublic(
            scored=progress.scored, total=progress.total, all_scored=progress.all_scored
        ),
    )


@router.post(
    "/communities/{community_slug}/challenges/{challenge_slug}/designs",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.DesignPublic,
    summary="Submit a design (multipart: image, title, description, tags)",
)
def submit_design(
    session: SessionDep,
    image: Annotated[UploadFile, File(description="PNG, JPEG or WebP")],
    title: Annotated[str, Form(max_length=500)],
    description: Annotated[str, Form(max_length=10000)] = "",
    tags: Annotated[str, Form(max_length=1000)] = "",
    access: ChallengeAccess = challenge_access(Action.submit_design),
) -> schemas.DesignPublic:
    assert access.user is not None
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
    (public,) = _designs(
        session,
        [(design, access.user)],
        challenge=access.challenge,
        community=access.community,
        viewer=access.user,
        sees_flags=True,  # the designer is told at once, as the page's message tells them
    )
    return public


@router.get(
    "/communities/{community_slug}/challenges/{challenge_slug}/shortlist",
    response_model=list[schemas.ShortlistEntryPublic],
    summary="The designs of a closed challenge by calibrated rank, with the raw rank (staff)",
)
def shortlist(
    session: SessionDep, access: ChallengeAccess = challenge_access(Action.view_shortlist)
) -> list[schemas.ShortlistEntryPublic]:
    entries = challenge_winners.shortlist(session, challenge=access.challenge)
    designs = _designs(
        session,
        [(entry.design, entry.designer) for entry in entries],
        challenge=access.challenge,
        community=access.community,
        sees_flags=True,  # the shortlist is for staff only
    )
    return [
        schemas.ShortlistEntryPublic(
            rank=entry.rank,
            raw_rank=entry.raw_rank,
            design=design,
            mean=entry.mean,
            bayesian_score=entry.bayesian,
            adjusted_score=entry.adjusted,
            score_count=entry.design.score_count,
            buy_count=entry.design.buy_count,
            distribution=list(entry.distribution),
        )
        for entry, design in zip(entries, designs, strict=True)
    ]


@router.post(
    "/communities/{community_slug}/challenges/{challenge_slug}/winners",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.ProductPublic,
    summary="Pick a winning design; it becomes a draft product",
)
def pick_winner(
    body: schemas.WinnerPick,
    session: SessionDep,
    access: ChallengeAccess = challenge_access(Action.manage_challenge),
) -> schemas.ProductPublic:
    design = session.get(Design, body.design_id)
    if design is None:
        raise NotFound(_("There is no such design in this challenge."))
    product = challenge_winners.pick_winner(session, challenge=access.challenge, design=design)
    return schemas.ProductPublic.model_validate(product)


@router.delete(
    "/communities/{community_slug}/challenges/{challenge_slug}/winners/{design_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take back a pick before the winners are announced; its draft product goes",
)
def withdraw_win(
    design_id: RowId, session: SessionDep, access: ChallengeAccess = challenge_access(Action.manage_challenge)
) -> None:
    design = session.get(Design, design_id)
    if design is None:
        raise NotFound(_("There is no such design in this challenge."))
    challenge_winners.withdraw_win(session, challenge=access.challenge, design=design)


@router.post(
    "/communities/{community_slug}/challenges/{challenge_slug}/winners/announce",
    response_model=schemas.ChallengeDetail,
    summary="Announce the picked winners",
)
def announce_winners(
    session: SessionDep, access: ChallengeAccess = challenge_access(Action.manage_challenge)
) -> schemas.ChallengeDetail:
    challenge = challenge_winners.announce_winners(session, challenge=access.challenge)
    return _challenge(challenge, access.community)


@router.get(
    "/communities/{community_slug}/challenges/{challenge_slug}/winners",
    response_model=list[schemas.DesignPublic],
    summary="A challenge's winners (empty until announced, except to its managers)",
)
def list_winners(
    session: SessionDep, access: ChallengeAccess = challenge_access(Action.view_challenge)
) -> list[schemas.DesignPublic]:
    winners = challenge_winners.visible_winners(
        session, challenge=access.challenge, may_manage=access.can(Action.manage_challenge)
    )
    return _designs(
        session, winners, challenge=access.challenge, community=access.community, sees_flags=_sees_flags(access)
    )


@router.get("/designs/{design_id}", response_model=schemas.DesignPublic, summary="One design")
def get_design(
    session: SessionDep, access: DesignAccess = design_access(Action.view_challenge)
) -> schemas.DesignPublic:
    return _one_design(session, access)


@router.patch("/designs/{design_id}", response_model=schemas.DesignPublic, summary="Edit one's design")
def edit_design(
    body: schemas.DesignUpdate, session: SessionDep, access: DesignAccess = design_access(Action.submit_design)
) -> schemas.DesignPublic:
    assert access.user is not None
    challenge_designs.edit_design(
        session,
        design=access.design,
        editor=access.user,
        title=body.title,
        description=body.description,
        tags=body.tags,
    )
    return _one_design(session, access)


@router.delete("/designs/{design_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Withdraw one's design")
def withdraw_design(session: SessionDep, access: DesignAccess = design_access(Action.submit_design)) -> Response:
    assert access.user is not None
    challenge_designs.withdraw_design(session, design=access.design, designer=access.user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/designs/{design_id}/score", response_model=schemas.MyScore, summary="Score a design (or change it)")
def cast_score(
    body: schemas.ScoreCast,
    request: Request,
    session: SessionDep,
    access: ScoringAccess = scoring_access(Action.score_design),
) -> schemas.MyScore:
    fingerprints.record_fingerprint(
        session,
        user_id=access.voter.id,
        ip_address=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    score = challenge_scores.score_design(
        session,
        voter=access.voter,
        design=access.design,
        challenge=access.challenge,
        community=access.community,
        is_member=access.is_member,
        value=body.value,
        would_buy=body.would_buy,
        now=utcnow(),
    )
    return schemas.MyScore(value=score.value, would_buy=score.would_buy, updated_at=score.updated_at)


@router.get("/users/{handle}/designs", response_model=list[schemas.DesignPublic], summary="A designer's portfolio")
def portfolio(handle: str, session: SessionDep, viewer: Public) -> list[schemas.DesignPublic]:
    designer = accounts_service.get_user_by_handle(session, handle=handle)
    result = []
    for entry in challenge_gallery.list_portfolio(session, designer=designer, viewer=viewer):
        result += _designs(session, [(entry.design, designer)], challenge=entry.challenge, community=entry.community)
    return result


@router.get("/designs/{design_id}/original", summary="Download a design's original (staff)", response_class=Response)
def download_original(session: SessionDep, access: DesignAccess = design_access(Action.view_shortlist)) -> Response:
    """Download the uploaded original (staff only)."""
    original = challenge_designs.design_original(session, design=access.design)
    return Response(
        original.content,
        media_type=original.media_type,
        headers={"Content-Disposition": f'attachment; filename="{original.filename}"'},  # i18n: ignore
    )
