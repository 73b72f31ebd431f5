"""HTML pages for answering a sampling campaign through a share link (friends; no account needed): the survey, the
thanks page, passing the link on and joining the community."""

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, Signer
from sqlmodel import Session

from app import rate_limits
from app.accounts.deps import Public
from app.campaigns import answering as campaign_answering
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns import links as share_links
from app.campaigns.deps import JoiningUser
from app.campaigns.models import Campaign, CampaignResponse
from app.campaigns.views import outcome_context
from app.columns import utcnow
from app.config import get_settings
from app.db import SessionDep
from app.errors import AppError, Conflict
from app.i18n import _
from app.surveys.submissions import Answers
from app.web import flash
from app.web.forms import form_error
from app.web.requests import client_ip, redirect
from app.web.templating import render

router = APIRouter(include_in_schema=False)


# --- Answering through a share link (friends; no account needed) ------------------------------------------------

DEVICE_COOKIE = "chorus_device"
DEVICE_DAYS = 365
# A field people never see (hidden by CSS and from screen readers); bots that fill every field give themselves away.
HONEYPOT = "website"


def _device_signer() -> Signer:
    return Signer(get_settings().resolved_secret_key, salt="chorus.device")


def _device_token(request: Request) -> str | None:
    """The token of this browser's signed device cookie, if it has one (and it is genuine)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        return _device_signer().unsign(raw).decode()
    except BadSignature:
        return None


def _keep_device(response: Response, token: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        _device_signer().sign(token).decode(),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
    )


def _answer_context(session: Session, share_code: str, **extra: object) -> dict[str, Any]:
    link, campaign, community = share_links.get_link(session, code=share_code)
    current = campaign_lifecycle.phase(campaign, utcnow())
    open_now = current in campaign_lifecycle.ANSWERING_PHASES and campaign.survey_id is not None
    return {
        "link": link,
        "campaign": campaign,
        "community": community,
        "phase": current,
        "phase_labels": campaign_lifecycle.PHASE_LABELS,
        "open_now": open_now,
        "questions": campaign_answering.survey_questions(session, campaign=campaign) if open_now else [],
        "values": {},
        "form": {},
        "honeypot": HONEYPOT,
        **outcome_context(campaign),
        **extra,
    }


@router.get("/s/{share_code}", name="campaigns:answer")
def answer_page(request: Request, share_code: str, session: SessionDep, _visitor: Public) -> Response:
    """The survey a connector's link leads to; the first visit from a browser counts as an open."""
    context = _answer_context(session, share_code)
    token = _device_token(request)
    campaign = context["campaign"]
    if token and campaign_answering.find_response(session, campaign=campaign, device_token=token) is not None:
        return RedirectResponse(f"/s/{share_code}/thanks", status_code=303)
    response = render(request, "campaigns/answer.html", context)
    if token is None:
        if context["open_now"]:
            share_links.record_open(session, link=context["link"])
        _keep_device(response, secrets.token_urlsafe(24))
    return response


@router.post("/s/{share_code}")
def answer(request: Request, share_code: str, session: SessionDep, submitted: Answers, visitor: Public) -> Response:
    values = {name: sent for name, sent in submitted.values.items() if name.startswith("q")}
    form = {"email": submitted.single("email"), "consent": submitted.single("consent")}
    link, campaign, _community = share_links.get_link(session, code=share_code)
    token = _device_token(request) or secrets.token_urlsafe(24)
    thanks = RedirectResponse(f"/s/{share_code}/thanks", status_code=303)
    if submitted.single(HONEYPOT).strip():
        # A bot: it is told all went well, and nothing is stored.
        return thanks
    try:
        rate_limits.hit(
            get_settings().campaign_response_rate_per_ip,
            "campaign-answer",
            client_ip(request),
            message=_("Many answers came from your network just now; please try again later."),
        )
        campaign_answering.answer_campaign(
            session,
            link=link,
            campaign=campaign,
            form=values,
            photos=submitted.photos,
            device_token=token,
            email=form["email"],
            consent=bool(form["consent"]),
            user=visitor,
        )
    except AppError as error:
        context = _answer_context(session, share_code, values=values, form=form)
        failed = form_error(request, session, "campaigns/answer.html", context, error)
        _keep_device(failed, token)
        return failed
    _keep_device(thanks, token)
    return thanks


def _my_response(request: Request, session: Session, campaign: Campaign) -> CampaignResponse | None:
    token = _device_token(request)
    return campaign_answering.find_response(session, campaign=campaign, device_token=token) if token else None


def _thanks_context(request: Request, session: Session, share_code: str) -> dict[str, Any]:
    link, campaign, community = share_links.get_link(session, code=share_code)
    mine = _my_response(request, session, campaign)
    own = share_links.own_link(session, response=mine) if mine else None
    own_url = share_links.share_url(own) if own else ""
    return {
        "link": link,
        "campaign": campaign,
        "community": community,
        "phase": campaign_lifecycle.phase(campaign, utcnow()),
        "phase_labels": campaign_lifecycle.PHASE_LABELS,
        "answered": mine is not None,
        "may_pass_on": mine is not None
        and own is None
        and campaign_lifecycle.phase(campaign, utcnow()) in campaign_lifecycle.PASSING_ON_PHASES,
        "own_url": own_url,
        "qr": share_links.qr_svg(own_url) if own_url else "",
        **outcome_context(campaign),
    }


@router.get("/s/{share_code}/thanks", name="campaigns:thanks")
def thanks_page(request: Request, share_code: str, session: SessionDep, _visitor: Public) -> Response:
    return render(request, "campaigns/thanks.html", _thanks_context(request, session, share_code))


@router.post("/s/{share_code}/pass-on", name="campaigns:pass_on")
def pass_on(request: Request, share_code: str, session: SessionDep, _visitor: Public) -> Response:
    """A link of one's own, for someone who answered from this browser: the next hop, still the connector's."""
    _link, campaign, _community = share_links.get_link(session, code=share_code)
    mine = _my_response(request, session, campaign)
    if mine is None:
        raise Conflict(_("Answer the survey first; then you can pass the link on."))
    share_links.friend_link(session, campaign=campaign, response=mine)
    response = redirect(request, f"/s/{share_code}/thanks")
    flash.add(response, request, _("Here is your own link: pass it on."))
    return response


@router.post("/s/{share_code}/join", name="campaigns:join")
def join(request: Request, share_code: str, session: SessionDep, user: JoiningUser) -> Response:
    """Join the campaign's community from a share link (the sign-up counts for whoever passed the link on)."""
    link, campaign, community = share_links.get_link(session, code=share_code)
    share_links.join_through_link(session, link=link, campaign=campaign, community=community, user=user)
    response = redirect(request, f"/c/{community.slug}")
    flash.add(response, request, _("Welcome to %(community)s!", community=community.name))
    return response
