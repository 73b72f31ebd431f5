"""Every business event through the real use cases to a real HTTP receiver: delivered once, signed, shaped as the
catalogue documents it; only to endpoints of the brand that subscribed; campaign respondents named only with their
consent; repeated or concurrent writes telling an event once."""

import io
import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from app.accounts.models import User
from app.brands.models import Brand
from app.campaigns import answering as campaign_answering
from app.campaigns import applications as campaign_applications
from app.campaigns import connectors as campaign_connectors
from app.campaigns import kits as campaign_kits
from app.campaigns.models import Campaign, CampaignResponse
from app.challenges import designs as challenge_designs
from app.challenges import events as challenge_events
from app.challenges import service as challenges_service
from app.challenges import winners as challenge_winners
from app.challenges.models import ChallengeStatus, Phase
from app.columns import utcnow
from app.communities.models import Community, CommunityKind
from app.config import Settings, get_settings
from app.errors import Conflict, Invalid
from app.rewards import payouts as rewards_payouts
from app.rewards import sales as rewards_sales
from app.webhooks import catalogue, service
from app.webhooks.models import SUBSCRIBABLE_EVENTS, WebhookEndpoint, WebhookEvent
from tests.campaigns.factories import accept, apply, make_campaign, move_to
from tests.factories import add_member, add_staff, make_brand, make_challenge, make_community, make_user, png_bytes
from tests.rewards.factories import make_live_product, sell
from tests.webhooks.factories import Receiver, running_receiver

ALL_EVENTS = [event.value for event in SUBSCRIBABLE_EVENTS]


def _in(session: Session) -> Callable[[], AbstractContextManager[Session]]:
    """The worker's transactions inside the test's session (rolled back after the test)."""

    @contextmanager
    def scope() -> Iterator[Session]:
        yield session

    return scope


def _settings() -> Settings:
    return get_settings().model_copy(update={"webhook_allow_private_network": True})


@dataclass
class Hooks:
    """A brand with an endpoint for every event, one for an event nothing here emits, and another brand's endpoint
    for every event; all three post to one receiver, told apart by their query string."""

    session: Session
    receiver: Receiver
    brand: Brand
    manager: User
    everything: WebhookEndpoint
    other_event: WebhookEndpoint
    other_brand: WebhookEndpoint

    def deliver(self) -> None:
        with httpx.Client(timeout=10) as client:
            while service.run_due_deliveries(sessions=_in(self.session), client=client, settings=_settings()):
                pass

    def received(self, endpoint: WebhookEndpoint) -> list[dict[str, Any]]:
        """The bodies the endpoint received, each checked for its signature and headers."""
        bodies = []
        for request in self.receiver.requests:
            if not request.path.endswith(f"?endpoint={endpoint.id}"):
                continue
            assert service.verify_signature(
                secret=endpoint.secret, header=request.headers["X-Chorus-Signature"], body=request.body
            )
            body = json.loads(request.body)
            assert request.headers["X-Chorus-Event"] == body["event"]
            assert request.headers["X-Chorus-Delivery"] == body["id"]
            bodies.append(body)
        return bodies

    def events(self, endpoint: WebhookEndpoint) -> Counter[str]:
        return Counter(body["event"] for body in self.received(endpoint))


@pytest.fixture
def hooks(session: Session) -> Iterator[Hooks]:
    with running_receiver() as receiver:
        brand, other = make_brand(session), make_brand(session)
        manager = make_user(session)
        add_staff(session, brand, manager)

        def endpoint(owner: Brand, events: list[str]) -> WebhookEndpoint:
            made = service.create_endpoint(
                session, brand=owner, created_by_id=None, url=receiver.url, events=events, description=""
            )
            made.url = f"{receiver.url}?endpoint={made.id}"
            session.add(made)
            session.flush()
            return made

        yield Hooks(
            session=session,
            receiver=receiver,
            brand=brand,
            manager=manager,
            everything=endpoint(brand, ALL_EVENTS),
            other_event=endpoint(brand, ["idea_created"]),
            other_brand=endpoint(other, ALL_EVENTS),
        )


def _conforms(value: Any, example: Any) -> bool:
    """Whether a payload has the keys of the documented example, recursively (every list item like the example's
    first; null allowed wherever the example has a value, as for a respondent who did not consent)."""
    if value is None:
        return True
    if isinstance(example, dict):
        return (
            isinstance(value, dict)
            and set(value) == set(example)
            and all(_conforms(value[key], example[key]) for key in example)
        )
    if isinstance(example, list):
        return isinstance(value, list) and all(_conforms(item, example[0]) for item in value if example)
    return not isinstance(value, dict | list)


def _assert_documented(body: dict[str, Any]) -> None:
    entry = catalogue.event_type(WebhookEvent(body["event"]))
    assert entry.documented
    assert body["version"] == entry.version and body["test"] is False
    assert _conforms(body["data"], entry.example), (body["event"], body["data"])


def _assert_only_to_the_subscribed(hooks: Hooks, expected: Counter[str]) -> list[dict[str, Any]]:
    hooks.deliver()
    bodies = hooks.received(hooks.everything)
    assert Counter(body["event"] for body in bodies) == expected
    for body in bodies:
        assert body["brand_id"] == hooks.brand.id
        _assert_documented(body)
    assert hooks.received(hooks.other_event) == []
    assert hooks.received(hooks.other_brand) == []
    return bodies


# --- Challenges ---------------------------------------------------------------------------------------------------


def _member(session: Session, community: Community) -> User:
    user = make_user(session)
    add_member(session, community, user)
    return user


def test_challenge_events_from_publishing_to_winners(hooks: Hooks) -> None:
    session = hooks.session
    community = make_community(session, hooks.brand)
    challenge = make_challenge(session, community, status=ChallengeStatus.draft)
    challenges_service.publish_challenge(session, challenge=challenge)
    designer = _member(session, community)
    design = challenge_designs.submit_design(
        session,
        challenge=challenge,
        designer=designer,
        upload=io.BytesIO(png_bytes(7)),
        title="Wave print",
        tags="Summer, waves",
        filename="wave.png",
        content_type="image/png",
    )
    # The clock moves the challenge on: the sweep tells the change once, however often it runs.
    now = utcnow()
    challenge.submissions_open_at = now - timedelta(days=20)
    challenge.submissions_close_at = now - timedelta(days=10)
    challenge.scoring_close_at = now - timedelta(days=1)
    session.add(challenge)
    session.flush()
    assert challenge_events.emit_phase_changes(session, now=now) >= 1
    assert challenge_events.emit_phase_changes(session, now=now) == 0
    challenge_winners.pick_winner(session, challenge=challenge, design=design)
    challenge_winners.announce_winners(session, challenge=challenge)
    with pytest.raises(Conflict):
        challenge_winners.announce_winners(session, challenge=challenge)

    bodies = _assert_only_to_the_subscribed(
        hooks, Counter({"challenge_phase_changed": 3, "design_submitted": 1, "winners_announced": 1})
    )
    phases = [
        (body["data"]["previous_phase"], body["data"]["phase"])
        for body in bodies
        if body["event"] == "challenge_phase_changed" and body["data"]["challenge"]["id"] == challenge.id
    ]
    assert phases == [("draft", "submissions_open"), ("submissions_open", "closed"), ("closed", "winners_announced")]
    (submitted,) = [body["data"] for body in bodies if body["event"] == "design_submitted"]
    assert submitted["design"]["id"] == design.id and submitted["design"]["tags"] == ["summer", "waves"]
    assert submitted["designer"] == {"handle": designer.handle}
    (announced,) = [body["data"] for body in bodies if body["event"] == "winners_announced"]
    assert [winner["design"]["id"] for winner in announced["winners"]] == [design.id]
    assert announced["winners"][0]["product_id"] is not None


def test_the_sweep_leaves_drafts_announced_and_unchanged_challenges_alone(hooks: Hooks) -> None:
    session = hooks.session
    community = make_community(session, hooks.brand)
    draft = make_challenge(session, community, status=ChallengeStatus.draft)
    told = make_challenge(session, community, emitted_phase=Phase.submissions_open)
    announced = make_challenge(
        session, community, phase="closed", status=ChallengeStatus.winners_announced, emitted_phase=Phase.closed
    )
    opened = make_challenge(session, community, emitted_phase=Phase.upcoming)
    challenge_events.emit_phase_changes(session, now=utcnow())
    session.refresh(draft)
    assert draft.emitted_phase == Phase.draft
    hooks.deliver()
    changed = [
        (body["data"]["challenge"]["id"], body["data"]["previous_phase"], body["data"]["phase"])
        for body in hooks.received(hooks.everything)
        if body["data"]["challenge"]["id"] in {draft.id, told.id, announced.id, opened.id}
    ]
    assert changed == [(opened.id, "upcoming", "submissions_open")]


# --- Campaigns ----------------------------------------------------------------------------------------------------


def _campaign_to_delivery(hooks: Hooks) -> tuple[Campaign, Community, User]:
    """A campaign through applying, accepting, shipping and delivering one connector's kit."""
    session = hooks.session
    community = make_community(session, hooks.brand, kind=CommunityKind.feedback)
    campaign = make_campaign(session, community)
    application = apply(session, campaign, community)
    accept(session, campaign, community, application, hooks.manager)
    move_to(session, campaign, "shipping")
    shipment = campaign_kits.get_shipment(session, application=application)
    assert shipment is not None
    csv_file = f"kit_id,carrier,tracking_number\n{shipment.id},DHL,JD0141228893\n".encode()
    for _ in range(2):  # importing the same file again ships nothing again
        campaign_kits.import_tracking(session, campaign=campaign, community=community, content=csv_file)
    move_to(session, campaign, "sharing")
    connector = session.get(User, application.user_id)
    assert connector is not None
    campaign_applications.confirm_receipt(session, campaign=campaign, user=connector)
    with pytest.raises(Conflict):
        campaign_applications.confirm_receipt(session, campaign=campaign, user=connector)
    return campaign, community, connector


def _respond(session: Session, campaign: Campaign, connector: User, token: str, **kwargs: Any) -> CampaignResponse:
    link = campaign_connectors.connector_link(session, campaign=campaign, user=connector)
    assert link is not None
    questions = {q.code: q for q in campaign_answering.survey_questions(session, campaign=campaign) if q.code}
    form = {
        questions["overall"].input_name: ["4"],
        questions["outcome"].input_name: ["keep"],
        questions["recommend_intent"].input_name: ["9"],
        questions["recommended"].input_name: ["no"],
    }
    return campaign_answering.answer_campaign(
        session, link=link, campaign=campaign, form=form, device_token=token, **kwargs
    )


def test_campaign_events_from_application_to_response(hooks: Hooks) -> None:
    session = hooks.session
    campaign, _, connector = _campaign_to_delivery(hooks)
    _respond(session, campaign, connector, "device-1")

    bodies = _assert_only_to_the_subscribed(
        hooks,
        Counter(
            {
                "application_received": 1,
                "application_decided": 1,
                "kit_shipped": 1,
                "kit_delivered": 1,
                "campaign_response_recorded": 1,
            }
        ),
    )
    by_event = {body["event"]: body["data"] for body in bodies}
    assert by_event["application_received"]["applicant"] == {"handle": connector.handle}
    assert (
        by_event["application_decided"]["application"]["status"],
        by_event["application_decided"]["application"]["previous_status"],
    ) == ("accepted", "applied")
    assert by_event["kit_shipped"]["kit"]["tracking_number"] == "JD0141228893"
    assert by_event["campaign_response_recorded"]["connector"] == {"handle": connector.handle}
    answered = {answer["values"][0] for answer in by_event["campaign_response_recorded"]["response"]["answers"]}
    assert {4, 9, "keep"} <= answered
    # The shipping address is never sent.
    raw = b"".join(request.body for request in hooks.receiver.requests)
    assert b"Elm Road" not in raw and b"LS1 4AP" not in raw


def test_a_respondent_is_named_only_when_they_consented(hooks: Hooks) -> None:
    session = hooks.session
    campaign, _, connector = _campaign_to_delivery(hooks)
    _respond(session, campaign, connector, "device-quiet", email="quiet@example.com")
    _respond(session, campaign, connector, "device-open", email="open@example.com", consent=True)
    hooks.deliver()
    responses = [
        body["data"] for body in hooks.received(hooks.everything) if body["event"] == "campaign_response_recorded"
    ]
    assert [response["respondent"] for response in responses] == [None, {"email": "open@example.com"}]
    raw = b"".join(request.body for request in hooks.receiver.requests)
    assert b"quiet@example.com" not in raw


# --- Rewards ------------------------------------------------------------------------------------------------------


def test_money_events_sale_refund_and_payout(hooks: Hooks) -> None:
    session = hooks.session
    designer = _member(session, make_community(session, hooks.brand))
    product = make_live_product(session, hooks.brand, designer)
    sell(session, hooks.brand, product, order_id="old-1", quantity=40, now=utcnow() - timedelta(days=60))
    for _ in range(2):  # a replayed sale line is recorded, and told, once
        sell(session, hooks.brand, product, order_id="SO-1", quantity=2)
    (sale, _), *_ = rewards_sales.list_sales(session, brand=hooks.brand)
    assert sale.order_id == "SO-1"
    rewards_sales.refund_sale(session, sale=sale)
    with pytest.raises(Conflict):
        rewards_sales.refund_sale(session, sale=sale)
    batch = rewards_payouts.open_batch(session, brand=hooks.brand, created_by=hooks.manager)
    rewards_payouts.mark_paid(session, batch=batch, reference="BANK-77")

    bodies = _assert_only_to_the_subscribed(hooks, Counter({"sale_recorded": 2, "sale_refunded": 1, "payout_paid": 1}))
    by_event = {body["event"]: body["data"] for body in bodies}
    refunded = by_event["sale_refunded"]["sale"]
    assert (refunded["order_id"], refunded["quantity"], refunded["unit_price_minor"]) == ("SO-1", 2, 2500)
    assert (refunded["net_minor"], refunded["royalty_minor"], refunded["currency"]) == (5000, 500, "EUR")
    assert refunded["refunded_at"] is not None
    payout = by_event["payout_paid"]
    assert payout["member"] == {"handle": designer.handle}
    assert (payout["payout"]["amount_minor"], payout["payout"]["reference"]) == (10000, "BANK-77")


# --- Tests and the catalogue --------------------------------------------------------------------------------------


@pytest.mark.parametrize("event", [*ALL_EVENTS, "ping"])
def test_a_test_delivery_of_each_event_is_signed_logged_and_marked(hooks: Hooks, event: str) -> None:
    delivery = service.send_test_event(
        hooks.session, endpoint=hooks.other_event, sender_id=hooks.manager.id or 0, event=event
    )
    assert delivery.is_test
    hooks.deliver()
    (body,) = hooks.received(hooks.other_event)
    assert (body["event"], body["test"]) == (event, True)
    assert body["data"] == catalogue.event_type(WebhookEvent(event)).example
    (entry,) = service.list_deliveries(hooks.session, endpoint=hooks.other_event)
    assert entry.delivery.status.value == "delivered" and len(entry.attempts) == 1


def test_every_subscribable_event_has_a_documented_entry() -> None:
    undocumented = [entry.event.value for entry in catalogue.subscribable() if not entry.documented]
    assert undocumented == [], "add these to app/webhooks/catalogue.py"
    assert len({entry.label for entry in catalogue.subscribable()}) == len(SUBSCRIBABLE_EVENTS)


def test_an_event_added_without_an_entry_still_works_under_other(hooks: Hooks, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another branch may add an event (enum member, SUBSCRIBABLE_EVENTS, emit call) before writing its entry."""
    monkeypatch.delitem(catalogue._BY_EVENT, WebhookEvent.kit_shipped)
    entry = catalogue.event_type(WebhookEvent.kit_shipped)
    assert (entry.domain, entry.label, entry.documented, entry.example) == ("Other", "Kit shipped", False, {})
    assert ("Other", [entry]) in catalogue.by_domain()
    service.send_test_event(hooks.session, endpoint=hooks.everything, sender_id=1, event="kit_shipped")
    hooks.deliver()
    (body,) = hooks.received(hooks.everything)
    assert (body["event"], body["version"], body["data"]) == ("kit_shipped", 1, {})


def test_unknown_or_unsubscribable_test_events_are_refused(hooks: Hooks) -> None:
    with pytest.raises(Invalid) as raised:
        service.send_test_event(hooks.session, endpoint=hooks.everything, sender_id=1, event="everything")
    assert "event" in raised.value.fields


def test_choosing_an_endpoints_events(hooks: Hooks) -> None:
    service.set_endpoint_events(hooks.session, endpoint=hooks.other_event, events=["payout_paid", "kit_shipped"])
    assert hooks.other_event.events == ["kit_shipped", "payout_paid"]  # in the catalogue's order
    for bad in ([], ["ping"], ["kit_shipped", "nothing"]):
        with pytest.raises(Invalid):
            service.set_endpoint_events(hooks.session, endpoint=hooks.other_event, events=bad)
    assert hooks.other_event.events == ["kit_shipped", "payout_paid"]
