"""JSON API for sampling campaigns: the same services as the pages."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, Response, UploadFile, status
from sqlmodel import Session

from app import rate_limits
from app.accounts.deps import Public
from app.campaigns import answering as campaign_answering
from app.campaigns import applications as campaign_applications
from app.campaigns import connectors as campaign_connectors
from app.campaigns import decisions as campaign_decisions
from app.campaigns import households as campaign_households
from app.campaigns import kits as campaign_kits
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns import links as share_links
from app.campaigns import roundtables as campaign_roundtables
from app.campaigns import schemas
from app.campaigns.deps import CampaignAccess, JoiningUser, campaign_access
from app.campaigns.models import Campaign, CampaignApplication, KitShipment
from app.columns import id_of, utcnow
from app.communities.deps import CommunityAccess, community_access
from app.communities.models import Community
from app.config import get_settings
from app.db import SessionDep
from app.errors import Conflict
from app.i18n import _
from app.insights import campaign_outcome
from app.insights import campaign_results as campaign_insights
from app.permissions import Action
from app.surveys import answers as surveys_answers
from app.surveys.submissions import answer_request_body, posts_form, read_answers
from app.web.requests import client_ip, read_json, validated

router = APIRouter(tags=["campaigns"])
PREFIX = "/communities/{community_slug}/campaigns"
ONE = PREFIX + "/{campaign_slug}"


def _fields(body: schemas.CampaignWrite) -> campaign_lifecycle.CampaignFields:
    return campaign_lifecycle.CampaignFields(
        title=body.title,
        product_name=body.product_name,
        brief=body.brief,
        kit_contents=body.kit_contents,
        kit_count=body.kit_count,
        samples_per_kit=body.samples_per_kit,
        target_network_size=body.target_network_size,
        eligibility=body.eligibility,
        apply_opens_at=body.apply_opens_at,
        apply_closes_at=body.apply_closes_at,
        ship_closes_at=body.ship_closes_at,
        share_closes_at=body.share_closes_at,
        feedback_closes_at=body.feedback_closes_at,
        survey_id=body.survey_id,
    )


def _campaign(campaign: Campaign, community: Community) -> schemas.CampaignDetail:
    return schemas.CampaignDetail(
        **schemas.CampaignPublic.model_validate(campaign).model_dump(),
        community_slug=community.slug,
        phase=campaign_lifecycle.phase(campaign, utcnow()),
    )


def _shipment(shipment: KitShipment | None) -> schemas.ShipmentPublic | None:
    return schemas.ShipmentPublic.model_validate(shipment) if shipment else None


def _address(application: CampaignApplication) -> schemas.Address:
    return schemas.Address.model_validate(application)


def _hops(rows: list[tuple[int, campaign_connectors.ReachTotals]]) -> list[schemas.HopCounts]:
    return [
        schemas.HopCounts(hop=hop, opens=t.opens, responses=t.responses, signups=t.signups, shares=t.shares)
        for hop, t in rows
    ]


def _dashboard(session: Session, access: CampaignAccess) -> schemas.ConnectorDashboard:
    assert access.user is not None
    board = campaign_connectors.connector_dashboard(session, campaign=access.campaign, user=access.user)
    application = board.application
    mine = (
        schemas.MyApplication(
            id=id_of(application),
            status=application.status,
            network_size=application.network_size,
            eligibility_answers=application.eligibility_answers,
            eligible=application.eligible,
            samples_passed_on=application.samples_passed_on,
            address=_address(application),
            created_at=application.created_at,
        )
        if application
        else None
    )
    hops = [
        (
            row.hop,
            campaign_connectors.ReachTotals(row.open_count, row.response_count, row.signup_count, row.share_count),
        )
        for row in board.hops
    ]
    return schemas.ConnectorDashboard(
        application=mine,
        shipment=_shipment(board.shipment),
        share_url=share_links.share_url(board.link) if board.link else None,
        hops=_hops(hops),
        reach=board.reach,
        response_rate=board.response_rate,
        rsvp=board.invitation.rsvp if board.invitation else None,
    )


@router.get(PREFIX, response_model=list[schemas.CampaignDetail], summary="A community's sampling campaigns")
def list_campaigns(
    session: SessionDep, access: CommunityAccess = community_access(Action.view_campaign)
) -> list[schemas.CampaignDetail]:
    campaigns = campaign_lifecycle.list_campaigns(
        session, community=access.community, include_drafts=access.can(Action.view_campaign_progress)
    )
    return [_campaign(campaign, access.community) for campaign in campaigns]


@router.post(
    PREFIX, status_code=status.HTTP_201_CREATED, response_model=schemas.CampaignDetail, summary="Draft a campaign"
)
def create_campaign(
    body: schemas.CampaignCreate,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.manage_campaign),
) -> schemas.CampaignDetail:
    assert access.user is not None
    campaign = campaign_lifecycle.create_campaign(
        session, community=access.community, created_by=access.user, fields=_fields(body), slug=body.slug
    )
    return _campaign(campaign, access.community)


@router.get(ONE, response_model=schemas.CampaignDetail, summary="One campaign")
def get_campaign(access: CampaignAccess = campaign_access(Action.view_campaign)) -> schemas.CampaignDetail:
    return _campaign(access.campaign, access.community)


@router.patch(ONE, response_model=schemas.CampaignDetail, summary="Edit a campaign")
def update_campaign(
    body: schemas.CampaignWrite, session: SessionDep, access: CampaignAccess = campaign_access(Action.manage_campaign)
) -> schemas.CampaignDetail:
    campaign = campaign_lifecycle.update_campaign(session, campaign=access.campaign, fields=_fields(body))
    return _campaign(campaign, access.community)


@router.post(ONE + "/publish", response_model=schemas.CampaignDetail, summary="Publish a draft campaign")
def publish_campaign(
    session: SessionDep, access: CampaignAccess = campaign_access(Action.manage_campaign)
) -> schemas.CampaignDetail:
    return _campaign(campaign_lifecycle.publish_campaign(session, campaign=access.campaign), access.community)


# --- One's own application -----------------------------------------------------------------------------------------


@router.get(ONE + "/application", response_model=schemas.ConnectorDashboard, summary="My application and network")
def my_application(
    session: SessionDep, access: CampaignAccess = campaign_access(Action.take_part_in_campaign)
) -> schemas.ConnectorDashboard:
    return _dashboard(session, access)


@router.post(
    ONE + "/application",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.ConnectorDashboard,
    summary="Apply to be a connector",
)
def apply(
    body: schemas.ApplicationCreate,
    session: SessionDep,
    access: CampaignAccess = campaign_access(Action.take_part_in_campaign),
) -> schemas.ConnectorDashboard:
    assert access.user is not None
    campaign_applications.apply_to_campaign(
        session,
        campaign=access.campaign,
        community=access.community,
        user=access.user,
        network_size=body.network_size,
        answers=body.answers,
        address=campaign_households.Address(**body.address.model_dump()),
        motivation=body.motivation,
    )
    return _dashboard(session, access)


@router.delete(ONE + "/application", response_model=schemas.ConnectorDashboard, summary="Withdraw my application")
def withdraw(
    session: SessionDep, access: CampaignAccess = campaign_access(Action.take_part_in_campaign)
) -> schemas.ConnectorDashboard:
    assert access.user is not None
    campaign_applications.withdraw_application(session, campaign=access.campaign, user=access.user)
    return _dashboard(session, access)


@router.put(ONE + "/application/address", response_model=schemas.ConnectorDashboard, summary="Change my address")
def change_address(
    body: schemas.AddressWrite,
    session: SessionDep,
    access: CampaignAccess = campaign_access(Action.take_part_in_campaign),
) -> schemas.ConnectorDashboard:
    assert access.user is not None
    campaign_applications.update_address(
        session, campaign=access.campaign, user=access.user, address=campaign_households.Address(**body.model_dump())
    )
    return _dashboard(session, access)


@router.post(ONE + "/application/receipt", response_model=schemas.ConnectorDashboard, summary="Confirm my kit arrived")
def receipt(
    body: schemas.Receipt, session: SessionDep, access: CampaignAccess = campaign_access(Action.take_part_in_campaign)
) -> schemas.ConnectorDashboard:
    assert access.user is not None
    campaign_applications.confirm_receipt(session, campaign=access.campaign, user=access.user, problem=body.problem)
    return _dashboard(session, access)


@router.put(ONE + "/application/samples", response_model=schemas.ConnectorDashboard, summary="Record samples passed on")
def samples(
    body: schemas.SamplesPassedOn,
    session: SessionDep,
    access: CampaignAccess = campaign_access(Action.take_part_in_campaign),
) -> schemas.ConnectorDashboard:
    assert access.user is not None
    campaign_connectors.record_samples_passed_on(
        session, campaign=access.campaign, user=access.user, count=body.samples_passed_on
    )
    return _dashboard(session, access)


@router.put(ONE + "/application/rsvp", response_model=schemas.ConnectorDashboard, summary="Answer a roundtable invite")
def rsvp(
    body: schemas.RsvpWrite, session: SessionDep, access: CampaignAccess = campaign_access(Action.take_part_in_campaign)
) -> schemas.ConnectorDashboard:
    assert access.user is not None
    campaign_roundtables.answer_rsvp(session, campaign=access.campaign, user=access.user, attending=body.attending)
    return _dashboard(session, access)


# --- Review, selection and fulfilment (managers) -------------------------------------------------------------------


@router.get(
    ONE + "/applications",
    response_model=list[schemas.ApplicationReview],
    summary="Applications, with addresses (managers)",
    description="Filters: status, eligible (yes/no), search (name); sort: newest, oldest, network, name.",
)
def list_applications(
    session: SessionDep,
    status: str = "",
    eligible: str = "",
    sort: str = "newest",
    search: str = "",
    access: CampaignAccess = campaign_access(Action.manage_campaign),
) -> list[schemas.ApplicationReview]:
    rows = campaign_applications.list_applications(
        session, campaign=access.campaign, status=status, eligible=eligible, sort=sort, search=search[:80]
    )
    return [
        schemas.ApplicationReview(
            id=id_of(application),
            handle=user.handle,
            display_name=user.display_name,
            status=application.status,
            network_size=application.network_size,
            eligible=application.eligible,
            eligibility_answers=application.eligibility_answers,
            motivation=application.motivation,
            address=_address(application),
            shipment=_shipment(shipment),
            created_at=application.created_at,
        )
        for application, user, shipment in rows
    ]


@router.post(ONE + "/applications/decisions", response_model=schemas.DecisionOutcome, summary="Decide in bulk")
def decide(
    body: schemas.Decisions, session: SessionDep, access: CampaignAccess = campaign_access(Action.manage_campaign)
) -> schemas.DecisionOutcome:
    assert access.user is not None
    result = campaign_decisions.decide_applications(
        session,
        campaign=access.campaign,
        community=access.community,
        application_ids=body.application_ids,
        decision=body.decision,
        decided_by=access.user,
    )
    return schemas.DecisionOutcome(changed=result.changed, refused=result.refused)


@router.post(ONE + "/applications/auto-select", response_model=schemas.DecisionOutcome, summary="Select by rules")
def auto_select(
    body: schemas.AutoSelect, session: SessionDep, access: CampaignAccess = campaign_access(Action.manage_campaign)
) -> schemas.DecisionOutcome:
    assert access.user is not None
    result = campaign_decisions.auto_select(
        session,
        campaign=access.campaign,
        community=access.community,
        rules=campaign_decisions.SelectionRules(
            min_network_size=body.min_network_size, waitlist_the_rest=body.waitlist_the_rest
        ),
        decided_by=access.user,
    )
    return schemas.DecisionOutcome(changed=result.changed, refused=result.refused)


@router.get(
    ONE + "/kits.csv",
    summary="The kit list as CSV (managers)",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "One row per accepted kit, with its address"}  # i18n: ignore
    },
)
def kits_csv(session: SessionDep, access: CampaignAccess = campaign_access(Action.manage_campaign)) -> Response:
    content = campaign_kits.export_kits_csv(session, campaign=access.campaign)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",  # i18n: ignore
        headers={"Content-Disposition": f'attachment; filename="{access.campaign.slug}-kits.csv"'},  # i18n: ignore
    )


@router.post(
    ONE + "/tracking",
    response_model=schemas.TrackingImportResult,
    summary="Import tracking numbers from CSV",
    description="Columns kit_id, carrier, tracking_number. Any bad row: nothing changes; 422 lists each bad row.",
)
def import_tracking(
    session: SessionDep,
    file: Annotated[UploadFile, File(description="CSV, UTF-8")],
    access: CampaignAccess = campaign_access(Action.manage_campaign),
) -> schemas.TrackingImportResult:
    result = campaign_kits.import_tracking(
        session, campaign=access.campaign, community=access.community, content=file.file.read()
    )
    return schemas.TrackingImportResult(shipped=result.shipped, corrected=result.corrected, unchanged=result.unchanged)


# --- Progress, roundtable and outcome (staff) ------------------------------------------------------------------------


@router.get(ONE + "/progress", response_model=schemas.CampaignProgress, summary="Campaign progress (staff)")
def progress(
    session: SessionDep, access: CampaignAccess = campaign_access(Action.view_campaign_progress)
) -> schemas.CampaignProgress:
    result = campaign_connectors.campaign_progress(session, campaign=access.campaign)
    return schemas.CampaignProgress(
        applications=result.applications,
        shipments=result.shipments,
        samples_passed_on=result.samples_passed_on,
        hops=[
            hop.model_copy(update={"responses": responses})
            for hop, responses in zip(_hops(result.by_hop), result.hop_responses, strict=True)
        ],
        connectors=[
            schemas.ConnectorStanding(
                handle=standing.user.handle,
                display_name=standing.user.display_name,
                shipment_status=standing.shipment.status if standing.shipment else None,
                samples_passed_on=standing.application.samples_passed_on,
                responses=standing.shown_responses,
                signups=standing.totals.signups,
                response_rate=standing.shown_rate,
            )
            for standing in result.connectors
        ],
    )


def _invitations(session: Session, campaign: Campaign) -> list[schemas.Invitation]:
    return [
        schemas.Invitation(
            handle=user.handle, display_name=user.display_name, rsvp=invitation.rsvp, invited_at=invitation.invited_at
        )
        for invitation, user in campaign_roundtables.list_invitations(session, campaign=campaign)
    ]


@router.get(ONE + "/roundtable", response_model=list[schemas.Invitation], summary="Roundtable invitations (staff)")
def roundtable(
    session: SessionDep, access: CampaignAccess = campaign_access(Action.view_campaign_progress)
) -> list[schemas.Invitation]:
    return _invitations(session, access.campaign)


@router.post(
    ONE + "/roundtable", response_model=list[schemas.Invitation], summary="Set the roundtable and invite the best"
)
def invite(
    body: schemas.RoundtableWrite, session: SessionDep, access: CampaignAccess = campaign_access(Action.manage_campaign)
) -> list[schemas.Invitation]:
    assert access.user is not None
    campaign_roundtables.invite_to_roundtable(
        session,
        campaign=access.campaign,
        community=access.community,
        when=body.roundtable_at,
        details=body.details,
        count=body.count,
        invited_by=access.user,
    )
    return _invitations(session, access.campaign)


@router.put(ONE + "/outcome", response_model=schemas.CampaignDetail, summary="Post the outcome")
def post_outcome(
    body: schemas.OutcomeWrite, session: SessionDep, access: CampaignAccess = campaign_access(Action.manage_campaign)
) -> schemas.CampaignDetail:
    assert access.user is not None
    campaign = campaign_outcome.post_outcome(
        session,
        scope=campaign_insights.campaign_scope(session, campaign=access.campaign),
        community=access.community,
        text=body.outcome,
        chart=body.chart,
        posted_by=access.user,
    )
    return _campaign(campaign, access.community)


# --- Answering through a share link (no account needed) -----------------------------------------------------------


@router.get("/share/{share_code}", response_model=schemas.SharedCampaign, summary="What a share link leads to")
def shared_campaign(share_code: str, session: SessionDep, _visitor: Public) -> schemas.SharedCampaign:
    link, campaign, community = share_links.get_link(session, code=share_code)
    open_now = campaign_lifecycle.phase(campaign, utcnow()) in campaign_lifecycle.ANSWERING_PHASES
    questions = campaign_answering.survey_questions(session, campaign=campaign) if open_now else []
    return schemas.SharedCampaign(
        campaign_title=campaign.title,
        product_name=campaign.product_name,
        community_slug=community.slug,
        hop=link.hop,
        open=open_now,
        questions=[schemas.SurveyQuestion.model_validate(question) for question in questions],
        outcome=campaign.outcome if campaign.outcome_posted_at else None,
        outcome_chart=campaign_outcome.posted_chart(campaign),
    )


@dataclass(frozen=True)
class ShareAnswer:
    """A response sent through a share link: the JSON fields, and the photo files when it came as a form."""

    body: schemas.ResponseCreate
    photos: Mapping[str, surveys_answers.PhotoUpload]


async def _share_answer(request: Request) -> ShareAnswer:
    if not posts_form(request):
        return ShareAnswer(body=await read_json(request, schemas.ResponseCreate), photos={})
    submitted = await read_answers(request)
    fields = {
        "answers": {name: sent for name, sent in submitted.values.items() if name.startswith("q")},
        "device_token": submitted.single("device_token"),
        "email": submitted.single("email"),
        "consent": submitted.single("consent", "false"),
    }
    return ShareAnswer(body=validated(schemas.ResponseCreate, fields), photos=submitted.photos)


@router.post(
    "/share/{share_code}/responses",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.ResponseCreated,
    summary="Answer a campaign's survey through a share link",
    description="One response per device token and per e-mail address; 422 lists wrong answers per input name. "
    "JSON, or multipart/form-data with each answer as a q<question id> field (a photo as a PNG, JPEG or WebP file, "
    "within the upload limits) beside device_token, email and consent.",
    openapi_extra=answer_request_body(
        schemas.ResponseCreate.model_json_schema(),
        form_fields={
            "device_token": {"type": "string", "maxLength": 200},
            "email": {"type": "string", "maxLength": 500},
            "consent": {"type": "boolean"},
        },
    ),
)
def answer(
    share_code: str,
    sent: Annotated[ShareAnswer, Depends(_share_answer)],
    request: Request,
    session: SessionDep,
    visitor: Public,
) -> schemas.ResponseCreated:
    link, campaign, _community = share_links.get_link(session, code=share_code)
    rate_limits.hit(
        get_settings().campaign_response_rate_per_ip,
        "campaign-answer",
        client_ip(request),
        message=_("Many answers came from your network just now; please try again later."),
    )
    body = sent.body
    response = campaign_answering.answer_campaign(
        session,
        link=link,
        campaign=campaign,
        form=body.answers,
        photos=sent.photos,
        device_token=body.device_token or None,
        email=body.email,
        consent=body.consent,
        user=visitor,
    )
    return schemas.ResponseCreated(id=id_of(response), hop=response.hop)


@router.post("/share/{share_code}/links", response_model=schemas.OwnLink, summary="Get one's own link to pass on")
def pass_on(share_code: str, body: schemas.PassOn, session: SessionDep, _visitor: Public) -> schemas.OwnLink:
    _link, campaign, _community = share_links.get_link(session, code=share_code)
    mine = campaign_answering.find_response(session, campaign=campaign, device_token=body.device_token)
    if mine is None:
        raise Conflict(_("Answer the survey first (with this device token); then you can pass the link on."))
    own = share_links.friend_link(session, campaign=campaign, response=mine)
    return schemas.OwnLink(code=own.code, url=share_links.share_url(own), hop=own.hop)


@router.post(
    "/share/{share_code}/membership",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.CampaignDetail,
    summary="Join the campaign's community from a share link",
)
def join(share_code: str, session: SessionDep, user: JoiningUser) -> schemas.CampaignDetail:
    link, campaign, community = share_links.get_link(session, code=share_code)
    share_links.join_through_link(session, link=link, campaign=campaign, community=community, user=user)
    return _campaign(campaign, community)
