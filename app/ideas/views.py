"""HTML pages of the ideas board: the board with filters, sorts, search and "load more", the new-idea form with live
similar-idea suggestions, an idea with its vote button, follow toggle, comments and the brand's tools, the roadmap
and the changelog."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.models import User
from app.columns import PageNumber, id_of
from app.comments.deps import thread_context
from app.communities.deps import CommunityAccess, community_access
from app.db import SessionDep
from app.disclosure import service as disclosure_service
from app.errors import AppError, Invalid
from app.i18n import N_, _
from app.ideas import managing as ideas_managing
from app.ideas import posting as ideas_posting
from app.ideas import reading as ideas_reading
from app.ideas import rules as ideas_rules
from app.ideas import votes as ideas_votes
from app.ideas.deps import IdeaAccess, idea_access
from app.ideas.models import Idea, IdeaCategory
from app.permissions import Action
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect, safe_next
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
SORT_LABELS = {"trending": N_("Trending"), "top": N_("Most votes"), "newest": N_("Newest")}


def _base(access: CommunityAccess, **extra: object) -> dict[str, Any]:
    return {
        "community": access.community,
        "access": access,
        "Action": Action,
        "status_labels": ideas_rules.status_labels(),
        "board_filter_labels": {value: _(text) for value, text in ideas_reading.BOARD_FILTER_LABELS.items()},
        "votable_statuses": ideas_rules.VOTABLE,
        **extra,
    }


def _disclosures(
    session: Session, access: CommunityAccess, rows: list[ideas_reading.IdeaRow]
) -> dict[int, list[disclosure_service.Disclosure]]:
    """The disclosure badges of the listed ideas' authors, in one go."""
    authors = [id_of(row.author) for row in rows if row.author is not None]
    return disclosure_service.disclosures_for(session, brand_id=access.community.brand_id, user_ids=authors)


def _board_url(access: CommunityAccess) -> str:
    return f"/c/{access.community.slug}/ideas"


# --- The board ----------------------------------------------------------------------------------------------


@router.get("/c/{community_slug}/ideas", name="ideas:board")
def board(
    request: Request,
    session: SessionDep,
    sort: str = "trending",
    status: str = "",
    category: str = "",
    tag: str = "",
    q: str = "",
    page: PageNumber = 1,
    more: bool = False,
    access: CommunityAccess = community_access(Action.view_ideas),
) -> Response:
    board_page = ideas_reading.list_board(
        session,
        community=access.community,
        viewer=access.user,
        sort=sort,
        status=status,
        category=category,
        tag=tag,
        typed=q[:200],
        page=page,
        include_hidden=access.can(Action.hide_idea),
    )
    context = _base(
        access,
        board=board_page,
        categories=ideas_posting.list_categories(session, community=access.community),
        sort_labels={value: _(text) for value, text in SORT_LABELS.items()},
        thumbnails=ideas_reading.thumbnails(session, ideas=[row.idea for row in board_page.rows]),
        disclosures=_disclosures(session, access, board_page.rows),
        category_form={},
    )
    return render(request, "ideas/board.html", context, block="board_more" if more else "board")


@router.post("/c/{community_slug}/ideas/categories", name="ideas:add_category")
def add_category(
    request: Request,
    session: SessionDep,
    name: FormText = "",
    access: CommunityAccess = community_access(Action.manage_ideas),
) -> Response:
    try:
        category = ideas_posting.create_category(session, community=access.community, name=name)
    except AppError as error:
        board_page = ideas_reading.list_board(session, community=access.community, viewer=access.user)
        context = _base(
            access,
            board=board_page,
            categories=ideas_posting.list_categories(session, community=access.community),
            sort_labels={value: _(text) for value, text in SORT_LABELS.items()},
            thumbnails=ideas_reading.thumbnails(session, ideas=[row.idea for row in board_page.rows]),
            disclosures=_disclosures(session, access, board_page.rows),
            category_form={"name": name},
        )
        return form_error(request, session, "ideas/board.html", context, error)
    response = redirect(request, _board_url(access))
    flash.add(response, request, _("The category %(name)s is added.", name=category.name))
    return response


# --- Posting ------------------------------------------------------------------------------------------------


def _form_context(session: Session, access: CommunityAccess, form: dict[str, str], **extra: object) -> dict[str, Any]:
    similar = (
        ideas_reading.similar_ideas(session, community=access.community, typed=form.get("title", ""))
        if form.get("title")
        else []
    )
    return _base(
        access,
        form=form,
        categories=ideas_posting.list_categories(session, community=access.community),
        similar=similar,
        disclosures=_disclosures(session, access, similar),
        **extra,
    )


@router.get("/c/{community_slug}/ideas/new", name="ideas:new")
def new_page(
    request: Request, session: SessionDep, title: str = "", access: CommunityAccess = community_access(Action.post_idea)
) -> Response:
    return render(request, "ideas/new.html", _form_context(session, access, {"title": title[:200]}))


@router.get("/c/{community_slug}/ideas/similar", name="ideas:similar")
def similar(
    request: Request,
    session: SessionDep,
    title: str = "",
    access: CommunityAccess = community_access(Action.view_ideas),
) -> Response:
    """Ideas like the title being typed: the new-idea form swaps this in as one types (a page of its own without JS)."""
    rows = ideas_reading.similar_ideas(session, community=access.community, typed=title[:200])
    context = _base(
        access,
        similar=rows,
        title=title[:200],
        voted=_voted(session, access.user, rows),
        disclosures=_disclosures(session, access, rows),
    )
    return render(request, "ideas/similar.html", context, block="similar")


def _voted(session: Session, user: User | None, rows: list[ideas_reading.IdeaRow]) -> set[int]:
    return ideas_votes.voted_ideas(session, user=user, idea_ids=[row.idea.id for row in rows if row.idea.id])


@router.post("/c/{community_slug}/ideas/new")
def create(
    request: Request,
    session: SessionDep,
    title: FormText = "",
    description: FormText = "",
    category_id: FormText = "",
    check: FormText = "",
    photo: Annotated[UploadFile | None, File()] = None,
    access: CommunityAccess = community_access(Action.post_idea),
) -> Response:
    """Post the idea; the "check for similar ideas" button (the form without JS) shows the suggestions instead."""
    assert access.user is not None
    form = {"title": title, "description": description, "category_id": category_id}
    if check:
        return render(request, "ideas/new.html", _form_context(session, access, form, checked=True))
    try:
        idea = ideas_posting.post_idea(
            session,
            community=access.community,
            author=access.user,
            title=title,
            description=description,
            category_id=int(category_id) if category_id.isdigit() else None,
            photo=ideas_posting.Photo(photo.file, photo.filename or "", photo.content_type or "")
            if photo is not None and photo.filename
            else None,
        )
    except AppError as error:
        return form_error(request, session, "ideas/new.html", _form_context(session, access, form), error)
    response = redirect(request, ideas_rules.idea_link(idea))
    if idea.is_hidden:
        flash.add(response, request, _("Your idea waits for a moderator's approval; you will hear when it is shown."))
    else:
        flash.add(response, request, _("Your idea is posted. You follow it, so you will hear what happens to it."))
    return response


# --- Roadmap and changelog ----------------------------------------------------------------------------------


@router.get("/c/{community_slug}/roadmap", name="ideas:roadmap")
def roadmap_page(
    request: Request,
    session: SessionDep,
    sort: str = "top",
    access: CommunityAccess = community_access(Action.view_ideas),
) -> Response:
    plan = ideas_reading.roadmap(session, community=access.community, sort=sort)
    listed = [row for rows in plan.columns.values() for row in rows]
    return render(
        request, "ideas/roadmap.html", _base(access, roadmap=plan, disclosures=_disclosures(session, access, listed))
    )


@router.get("/c/{community_slug}/changelog", name="ideas:changelog")
def changelog_page(
    request: Request, session: SessionDep, access: CommunityAccess = community_access(Action.view_ideas)
) -> Response:
    rows = ideas_reading.changelog(session, community=access.community)
    context = _base(
        access, rows=rows, voted=_voted(session, access.user, rows), disclosures=_disclosures(session, access, rows)
    )
    return render(request, "ideas/changelog.html", context)


# --- An idea ------------------------------------------------------------------------------------------------


def idea_context(session: Session, access: IdeaAccess, **extra: object) -> dict[str, Any]:
    idea = access.idea
    author = session.get(User, idea.author_id) if idea.author_id is not None else None
    responder = session.get(User, idea.response_by_id) if idea.response_by_id is not None else None
    category = session.get(IdeaCategory, idea.category_id) if idea.category_id is not None else None
    merged_into = session.get(Idea, idea.merged_into_id) if idea.merged_into_id is not None else None
    may_manage = access.can(Action.manage_ideas)
    context = _base(
        access,
        idea=idea,
        author=author,
        responder=responder,
        category=category,
        merged_into=merged_into,
        photo_url=ideas_reading.photo_url(session, idea=idea),
        voted=ideas_votes.has_voted(session, idea=idea, user=access.user),
        following=ideas_votes.is_following(session, idea=idea, user=access.user),
        allowed_statuses=ideas_managing.allowed_statuses(idea) if may_manage else [],
        status_phrase=ideas_rules.status_phrase(idea.status),
        merge_candidates=[
            row
            for row in ideas_reading.similar_ideas(session, community=access.community, typed=idea.title, limit=6)
            if row.idea.id != idea.id
        ]
        if may_manage and not idea.is_merged
        else [],
        manage_form={},
        **thread_context(session, access),
    )
    context.update(extra)
    if author is not None:
        # The thread's badges by author, with the idea's author among them.
        context["disclosures"] = {
            **context["disclosures"],
            **disclosure_service.disclosures_for(session, brand_id=access.community.brand_id, user_ids=[id_of(author)]),
        }
    return context


@router.get("/ideas/{idea_id}", name="ideas:detail")
def detail(request: Request, session: SessionDep, access: IdeaAccess = idea_access(Action.view_ideas)) -> Response:
    return render(request, "ideas/idea.html", idea_context(session, access))


def _widget_context(session: Session, access: IdeaAccess, **extra: object) -> dict[str, Any]:
    """What the vote and follow boxes need, and no more (they are swapped on their own, from lists too)."""
    return _base(
        access,
        idea=access.idea,
        voted=ideas_votes.has_voted(session, idea=access.idea, user=access.user),
        following=ideas_votes.is_following(session, idea=access.idea, user=access.user),
        **extra,
    )


def _back(request: Request, access: IdeaAccess, next_url: str) -> str:
    return safe_next(next_url, ideas_rules.idea_link(access.idea))


def _widget(
    request: Request, session: SessionDep, access: IdeaAccess, template: str, next_url: str, message: str
) -> Response:
    """After a vote or follow: the updated button (htmx), or back to where the form was (no JS)."""
    if is_htmx(request):
        return render(request, template, _widget_context(session, access, next_url=next_url))
    response = redirect(request, _back(request, access, next_url))
    flash.add(response, request, message)
    return response


def _widget_failed(
    request: Request, session: SessionDep, access: IdeaAccess, template: str, error: AppError, next_url: str
) -> Response:
    session.rollback()
    if is_htmx(request):
        context = _widget_context(session, access, vote_error=error.message, next_url=next_url)
        return render(request, template, context, status_code=error.status_code)
    response = redirect(request, _back(request, access, next_url))
    flash.add(response, request, error.message, "error")
    return response


@router.post("/ideas/{idea_id}/vote", name="ideas:vote")
def vote(
    request: Request, session: SessionDep, next: FormText = "", access: IdeaAccess = idea_access(Action.vote_idea)
) -> Response:
    assert access.user is not None
    try:
        ideas_votes.vote(session, idea=access.idea, voter=access.user)
    except AppError as error:
        return _widget_failed(request, session, access, "ideas/_vote.html", error, next)
    return _widget(request, session, access, "ideas/_vote.html", next, _("Your vote is counted. You follow the idea."))


@router.post("/ideas/{idea_id}/unvote", name="ideas:unvote")
def unvote(
    request: Request, session: SessionDep, next: FormText = "", access: IdeaAccess = idea_access(Action.vote_idea)
) -> Response:
    assert access.user is not None
    try:
        ideas_votes.unvote(session, idea=access.idea, voter=access.user)
    except AppError as error:
        return _widget_failed(request, session, access, "ideas/_vote.html", error, next)
    return _widget(request, session, access, "ideas/_vote.html", next, _("Your vote is taken back."))


@router.post("/ideas/{idea_id}/follow", name="ideas:follow")
def follow(
    request: Request, session: SessionDep, next: FormText = "", access: IdeaAccess = idea_access(Action.follow_idea)
) -> Response:
    assert access.user is not None
    ideas_votes.follow(session, idea=access.idea, user=access.user)
    return _widget(request, session, access, "ideas/_follow.html", next, _("You follow this idea."))


@router.post("/ideas/{idea_id}/unfollow", name="ideas:unfollow")
def unfollow(
    request: Request, session: SessionDep, next: FormText = "", access: IdeaAccess = idea_access(Action.follow_idea)
) -> Response:
    assert access.user is not None
    ideas_votes.unfollow(session, idea=access.idea, user=access.user)
    return _widget(request, session, access, "ideas/_follow.html", next, _("You no longer follow this idea."))


# --- The brand's tools --------------------------------------------------------------------------------------


def _managed(request: Request, access: IdeaAccess, message: str) -> Response:
    response = redirect(request, ideas_rules.idea_link(access.idea))
    flash.add(response, request, message)
    return response


def _manage_failed(
    request: Request, session: SessionDep, access: IdeaAccess, error: AppError, form: dict[str, str]
) -> Response:
    session.rollback()
    return form_error(request, session, "ideas/idea.html", idea_context(session, access, manage_form=form), error)


@router.post("/ideas/{idea_id}/status", name="ideas:status")
def change_status(
    request: Request, session: SessionDep, status: FormText = "", access: IdeaAccess = idea_access(Action.manage_ideas)
) -> Response:
    assert access.user is not None
    try:
        ideas_managing.change_status(session, idea=access.idea, actor=access.user, status=status)
    except AppError as error:
        return _manage_failed(request, session, access, error, {"status": status})
    return _managed(
        request, access, _("The idea is now %(status)s.", status=ideas_rules.status_phrase(access.idea.status))
    )


@router.post("/ideas/{idea_id}/response", name="ideas:respond")
def respond(
    request: Request,
    session: SessionDep,
    response: FormText = "",
    access: IdeaAccess = idea_access(Action.manage_ideas),
) -> Response:
    assert access.user is not None
    try:
        ideas_managing.respond(session, idea=access.idea, actor=access.user, body=response)
    except AppError as error:
        return _manage_failed(request, session, access, error, {"response": response})
    return _managed(request, access, _("The official response is published; followers are told."))


@router.post("/ideas/{idea_id}/tags", name="ideas:tags")
def set_tags(
    request: Request, session: SessionDep, tags: FormText = "", access: IdeaAccess = idea_access(Action.manage_ideas)
) -> Response:
    try:
        ideas_managing.set_tags(session, idea=access.idea, tags=tags)
    except AppError as error:
        return _manage_failed(request, session, access, error, {"tags": tags})
    return _managed(request, access, _("The tags are saved."))


@router.post("/ideas/{idea_id}/merge", name="ideas:merge")
def merge(
    request: Request, session: SessionDep, into: FormText = "", access: IdeaAccess = idea_access(Action.manage_ideas)
) -> Response:
    assert access.user is not None
    try:
        target = into.strip().lstrip("#")
        original = ideas_posting.get_idea(session, idea_id=int(target)) if target.isdigit() else None
        if original is None:
            raise Invalid(
                _("Please correct the marked fields."), fields={"into": _("Give the number of the original idea.")}
            )
        ideas_managing.merge(session, duplicate=access.idea, original=original, actor=access.user)
    except AppError as error:
        return _manage_failed(request, session, access, error, {"into": into})
    response = redirect(request, ideas_rules.idea_link(original))
    flash.add(
        response,
        request,
        _("Merged: “%(idea)s” and its votes and followers are now part of this idea.", idea=access.idea.title),
    )
    return response


@router.post("/ideas/{idea_id}/hide", name="ideas:hide")
def hide(
    request: Request, session: SessionDep, hidden: FormText = "", access: IdeaAccess = idea_access(Action.hide_idea)
) -> Response:
    ideas_managing.set_hidden(session, idea=access.idea, hidden=bool(hidden))
    return _managed(
        request, access, _("The idea is hidden from the board.") if hidden else _("The idea is shown again.")
    )
