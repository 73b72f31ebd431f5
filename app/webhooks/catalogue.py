"""The catalogue of webhook events: for each event its domain, its label and description for the pages, the version
of its payload and a documented example of the ``data`` it carries.

Adding an event is one ``WebhookEvent`` member in ``SUBSCRIBABLE_EVENTS``, one entry here, and the call to
``service.emit_event`` in the use case that commits it. An event subscribable without an entry here still works: it
is offered under "Other" with its name as its label, and its test delivery carries an empty example, until its
entry is written (``tests/webhooks/test_events.py::test_every_subscribable_event_has_a_documented_entry`` names
the events that lack one).

Money is given as the ledger stores it: an integer amount in minor units (``*_minor``) beside its ISO currency.
Members are named by their public handle, as the brand's pages show them; nothing private (addresses, e-mail) is
sent, except a campaign respondent's e-mail address when they consented to be contacted.
"""

from dataclasses import dataclass, field
from typing import Any

from app.i18n import N_
from app.webhooks.models import SUBSCRIBABLE_EVENTS, WebhookEvent

_COMMUNITY = {"slug": "brightleaf-makers", "name": "Brightleaf Makers"}  # i18n: ignore
_CHALLENGE = {
    "id": 12,
    "slug": "summer-tote",
    "title": "Summer tote",  # i18n: ignore
    "url": "https://chorus.example.com/c/brightleaf-makers/challenges/summer-tote",
}
_CAMPAIGN = {
    "id": 4,
    "slug": "cold-brew-trial",
    "title": "Cold brew trial",  # i18n: ignore
    "product_name": "Brightleaf Cold Brew",  # i18n: ignore
    "url": "https://chorus.example.com/c/brightleaf-makers/campaigns/cold-brew-trial",
}
_SALE = {
    "id": 311,
    "order_id": "SO-10442",
    "product": {"id": 9, "name": "Summer tote, Wave print"},  # i18n: ignore
    "quantity": 2,
    "unit_price_minor": 2400,
    "net_minor": 4800,
    "currency": "EUR",
    "royalty_minor": 480,
    "commission_minor": 240,
    "referral_code": "K7QM4RZT",
    "source": "api",
    "sold_at": "2026-11-30T15:12:00+00:00",
    "refunded_at": None,
}

_PREORDER = {
    "preorder_id": 3,
    "product_id": 9,
    "product_name": "Summer tote, Wave print",  # i18n: ignore
    "community_slug": "brightleaf-makers",
    "status": "open",
    "pledged_count": 0,
    "target_count": 50,
    "stock_limit": 80,
    "variants": ["S", "M", "L", "XL"],
    "price_minor": 2700,
    "currency": "EUR",
    "deadline_at": "2026-12-20T18:00:00+00:00",
}

_QUESTION = {
    "id": 31,
    "title": "How long does a refill pouch keep once opened?",  # i18n: ignore
    "body": "I bought the refill pouch; can I keep it open for a month?",  # i18n: ignore
    "product_id": None,
    "campaign_id": 4,
    "asked_by": {"handle": "leo", "display_name": "Leo P."},
    "created_at": "2026-12-03T09:12:00+00:00",
    "url": "https://chorus.example.com/questions/31",
}


@dataclass(frozen=True)
class EventType:
    """One kind of event as receivers see it: ``example`` is the ``data`` of a delivery (and of its test)."""

    event: WebhookEvent
    domain: str
    label: str
    description: str
    example: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    documented: bool = True


_ENTRIES = (
    EventType(
        WebhookEvent.idea_created,
        N_("Ideas and comments"),
        N_("An idea is posted"),
        N_("A member posts an idea on a community's board."),
        {
            "idea": {
                "id": 57,
                "title": "Refill pouches",  # i18n: ignore
                "description": "Sell the cold brew in refill pouches.",  # i18n: ignore
                "status": "open",
                "category": "Packaging",
                "vote_count": 0,
                "created_at": "2026-11-30T09:00:00+00:00",
                "url": "https://chorus.example.com/c/brightleaf-makers/ideas/57",
            },
            "author": {"handle": "maya", "display_name": "Maya"},
            "community": _COMMUNITY,
        },
    ),
    EventType(
        WebhookEvent.idea_status_changed,
        N_("Ideas and comments"),
        N_("An idea's status changes"),
        N_("The brand moves an idea to another status (planned, in progress, done, declined...)."),
        {
            "idea": {
                "id": 57,
                "title": "Refill pouches",  # i18n: ignore
                "description": "Sell the cold brew in refill pouches.",  # i18n: ignore
                "status": "planned",
                "category": "Packaging",
                "vote_count": 41,
                "created_at": "2026-11-30T09:00:00+00:00",
                "url": "https://chorus.example.com/c/brightleaf-makers/ideas/57",
            },
            "author": {"handle": "maya", "display_name": "Maya"},
            "community": _COMMUNITY,
            "previous_status": "open",
            "changed_by": {"handle": "brightleaf-team"},
        },
    ),
    EventType(
        WebhookEvent.comment_created,
        N_("Ideas and comments"),
        N_("A comment is posted"),
        N_("Someone comments on a design or an idea."),
        {
            "comment": {
                "id": 803,
                "parent_id": None,
                "body": "Love the colours!",  # i18n: ignore
                "created_at": "2026-11-30T09:30:00+00:00",
                "url": "https://chorus.example.com/designs/88#comment-803",
            },
            "author": {"handle": "sam", "display_name": "Sam"},
            "design": {"id": 88, "title": "Wave print"},  # i18n: ignore
            "challenge": {"slug": "summer-tote", "title": "Summer tote"},  # i18n: ignore
            "community": _COMMUNITY,
        },
    ),
    EventType(
        WebhookEvent.design_submitted,
        N_("Challenges"),
        N_("A design is submitted"),
        N_("A member submits a design to a challenge (a design held for review has status hidden)."),
        {
            "design": {
                "id": 88,
                "title": "Wave print",  # i18n: ignore
                "tags": ["summer", "waves"],
                "status": "submitted",
                "created_at": "2026-11-20T18:02:00+00:00",
                "url": "https://chorus.example.com/designs/88",
            },
            "designer": {"handle": "maya"},
            "challenge": _CHALLENGE,
            "community": _COMMUNITY,
        },
    ),
    EventType(
        WebhookEvent.challenge_phase_changed,
        N_("Challenges"),
        N_("A challenge changes phase"),
        N_(
            "A challenge is published, opens for submissions, opens for scoring, closes or announces its winners. "
            "Phases: upcoming, submissions_open, scoring, closed, winners_announced."
        ),
        {"challenge": _CHALLENGE, "community": _COMMUNITY, "previous_phase": "submissions_open", "phase": "scoring"},
    ),
    EventType(
        WebhookEvent.winners_announced,
        N_("Challenges"),
        N_("Winners are announced"),
        N_("The brand announces a challenge's winners; each winning design has become a product."),
        {
            "challenge": _CHALLENGE,
            "community": _COMMUNITY,
            "announced_at": "2026-12-01T10:00:00+00:00",
            "winners": [
                {
                    "design": {
                        "id": 88,
                        "title": "Wave print",  # i18n: ignore
                        "url": "https://chorus.example.com/designs/88",
                    },
                    "designer": {"handle": "maya"},
                    "product_id": 9,
                }
            ],
        },
    ),
    EventType(
        WebhookEvent.application_received,
        N_("Campaigns"),
        N_("An application is received"),
        N_("A member applies to be a connector in a sampling campaign (the shipping address is not sent)."),
        {
            "application": {
                "id": 230,
                "status": "applied",
                "eligible": True,
                "network_size": 25,
                "created_at": "2026-11-25T08:15:00+00:00",
            },
            "applicant": {"handle": "sam"},
            "campaign": _CAMPAIGN,
            "community": _COMMUNITY,
        },
    ),
    EventType(
        WebhookEvent.application_decided,
        N_("Campaigns"),
        N_("An application is decided"),
        N_("The brand accepts, waitlists or declines an application."),
        {
            "application": {
                "id": 230,
                "status": "accepted",
                "previous_status": "applied",
                "decided_at": "2026-11-26T11:00:00+00:00",
            },
            "applicant": {"handle": "sam"},
            "campaign": _CAMPAIGN,
            "community": _COMMUNITY,
        },
    ),
    EventType(
        WebhookEvent.kit_shipped,
        N_("Campaigns"),
        N_("A kit ships"),
        N_("A connector's kit is marked shipped by the tracking import."),
        {
            "kit": {
                "id": 118,
                "application_id": 230,
                "carrier": "DHL",
                "tracking_number": "JD0141 2288 93",
                "shipped_at": "2026-11-28T07:40:00+00:00",
            },
            "connector": {"handle": "sam"},
            "campaign": _CAMPAIGN,
            "community": _COMMUNITY,
        },
    ),
    EventType(
        WebhookEvent.kit_delivered,
        N_("Campaigns"),
        N_("A kit is delivered"),
        N_("A connector confirms that their kit arrived."),
        {
            "kit": {"id": 118, "application_id": 230, "delivered_at": "2026-11-30T16:05:00+00:00"},
            "connector": {"handle": "sam"},
            "campaign": _CAMPAIGN,
            "community": _COMMUNITY,
        },
    ),
    EventType(
        WebhookEvent.campaign_response_recorded,
        N_("Campaigns"),
        N_("A campaign response is recorded"),
        N_(
            "Someone answers a campaign's survey through a share link. ``respondent`` is null unless they consented "
            "to be contacted; then it holds the e-mail address they gave."
        ),
        {
            "response": {
                "id": 1502,
                "hop": 1,
                "created_at": "2026-12-02T19:44:00+00:00",
                "answers": [
                    {"question_id": 31, "prompt": "How likely are you to recommend it?", "values": [9]},  # i18n: ignore
                    {"question_id": 32, "prompt": "What did you like?", "values": ["The taste"]},  # i18n: ignore
                ],
            },
            "connector": {"handle": "sam"},
            "respondent": {"email": "friend@example.com"},
            "campaign": _CAMPAIGN,
            "community": _COMMUNITY,
        },
    ),
    EventType(
        WebhookEvent.sale_recorded,
        N_("Rewards"),
        N_("A sale is recorded"),
        N_("A sale line is recorded (API or CSV import); royalties and commission are what it earned members."),
        {"sale": _SALE},
    ),
    EventType(
        WebhookEvent.sale_refunded,
        N_("Rewards"),
        N_("A sale is refunded"),
        N_("A sale line is refunded; what it earned is reversed."),
        {"sale": {**_SALE, "refunded_at": "2026-12-03T12:00:00+00:00"}},
    ),
    EventType(
        WebhookEvent.payout_paid,
        N_("Rewards"),
        N_("A payout is paid"),
        N_("A member's line of a payout batch is marked paid."),
        {
            "payout": {
                "batch_id": 7,
                "line_id": 52,
                "amount_minor": 12650,
                "currency": "EUR",
                "reference": "PAYPAL-7781",
                "paid_at": "2026-12-05T09:00:00+00:00",
            },
            "member": {"handle": "maya"},
        },
    ),
    EventType(
        WebhookEvent.preorder_opened,
        N_("Pre-orders"),
        N_("A pre-order opens"),
        N_("A manager opens a product for pre-order with a target, a deadline and a price to be charged later."),
        _PREORDER,
    ),
    EventType(
        WebhookEvent.preorder_funded,
        N_("Pre-orders"),
        N_("A pre-order is funded"),
        N_("A pre-order reaches its target of pledges: the product will be made (pledgers are in the fulfilment CSV)."),
        {**_PREORDER, "status": "funded", "pledged_count": 50},
    ),
    EventType(
        WebhookEvent.preorder_failed,
        N_("Pre-orders"),
        N_("A pre-order is not funded"),
        N_("A pre-order's deadline passes without its target; pledgers' addresses are erased."),
        {**_PREORDER, "status": "not_funded", "pledged_count": 31},
    ),
    EventType(
        WebhookEvent.review_published,
        N_("Reviews and questions"),
        N_("A review is published"),
        N_(
            "A sampler publishes a review of a campaign's product (or a held review is approved); disclosures are the"
            " material connections shown beside the author."
        ),
        {
            "review": {
                "id": 18,
                "rating": 4,
                "body": "Lathers well, the scent fades quickly.",  # i18n: ignore
                "created_at": "2026-12-02T10:30:00+00:00",
                "url": "https://chorus.example.com/c/brightleaf-makers/campaigns/cold-brew-trial/reviews#review-18",
            },
            "author": {"handle": "maya", "display_name": "Maya R."},
            "disclosures": [{"kind": "free_sample", "text": "Received a free sample from Brightleaf"}],  # i18n: ignore
            "campaign": {
                "slug": "cold-brew-trial",
                "title": "Cold brew trial",  # i18n: ignore
                "product_name": "Brightleaf Cold Brew",  # i18n: ignore
            },
            "community": _COMMUNITY,
        },
    ),
    EventType(
        WebhookEvent.question_asked,
        N_("Reviews and questions"),
        N_("A question is asked in Q&A"),
        N_("A question becomes visible in a community's Q&A (at once, or when a moderator approves a held one)."),
        {"question": _QUESTION, "community": _COMMUNITY},
    ),
    EventType(
        WebhookEvent.answer_accepted,
        N_("Reviews and questions"),
        N_("An answer is accepted in Q&A"),
        N_("The asker or the brand's staff accept an answer to a question (acceptance may later move to another)."),
        {
            "question": _QUESTION,
            "answer": {
                "id": 88,
                "body": "Rinse the pouch and let it dry open; it keeps a month.",  # i18n: ignore
                "by_brand": False,
                "author": {"handle": "maya", "display_name": "Maya R."},
                "vote_count": 4,
                "accepted_at": "2026-12-03T14:05:00+00:00",
            },
            "accepted_by": {"handle": "brightleaf-sam", "display_name": "Sam at Brightleaf"},  # i18n: ignore
            "community": _COMMUNITY,
        },
    ),
)

_BY_EVENT = {entry.event: entry for entry in _ENTRIES}
PING = EventType(
    WebhookEvent.ping,
    N_("Test"),
    N_("Test event"),
    N_("Sent only on request, to check a receiver and its signature verification."),
    {"message": "A test event from Chorus."},  # i18n: ignore
)


def event_type(event: WebhookEvent) -> EventType:
    """The catalogue's entry for the event; an event without one gets a plain entry under "Other"."""
    if event == WebhookEvent.ping:
        return PING
    found = _BY_EVENT.get(event)
    if found is not None:
        return found
    return EventType(event, N_("Other"), event.value.replace("_", " ").capitalize(), "", documented=False)


def subscribable() -> list[EventType]:
    """Every event an endpoint may subscribe to, in the order of ``SUBSCRIBABLE_EVENTS``."""
    return [event_type(event) for event in SUBSCRIBABLE_EVENTS]


def by_domain() -> list[tuple[str, list[EventType]]]:
    """The subscribable events grouped by domain, domains in order of first appearance (for the pages)."""
    groups: dict[str, list[EventType]] = {}
    for entry in subscribable():
        groups.setdefault(entry.domain, []).append(entry)
    return list(groups.items())
