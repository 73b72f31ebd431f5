"""A campaign's kept totals (app.campaigns.totals) equal a recount after any sequence of events: applications
accepted, declined and withdrawn, answers through any link on several days, links passed on, opened and joined
through, answers hidden and shown again by moderation, samples corrected; and after concurrent events, on a real
engine with a session per thread (as requests), on SQLite and PostgreSQL."""

import random
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.campaigns import answering as campaign_answering
from app.campaigns import applications as campaign_applications
from app.campaigns import connectors as campaign_connectors
from app.campaigns import decisions as campaign_decisions
from app.campaigns import links as share_links
from app.campaigns import totals as campaign_totals
from app.campaigns.models import Campaign, CampaignApplication, CampaignResponse, ShareLink
from app.columns import utcnow
from app.communities.models import Community
from app.db import build_engine, migrate, session_scope, writer_engine
from app.errors import AppError
from app.surveys import responses as surveys_responses
from tests import databases
from tests.campaigns.factories import make_applicant, make_application, make_campaign
from tests.factories import add_staff, make_brand, make_community, make_user

THREADS = 8


def connector_columns(session: Session, campaign_id: int) -> list[tuple[object, ...]]:
    return [
        tuple(row)
        for row in session.execute(
            select(
                col(CampaignApplication.id),
                col(CampaignApplication.reach_opens),
                col(CampaignApplication.reach_responses),
                col(CampaignApplication.reach_signups),
                col(CampaignApplication.reach_shares),
                col(CampaignApplication.response_rank),
                col(CampaignApplication.response_rate),
                col(CampaignApplication.rate_rank),
            )
            .where(col(CampaignApplication.campaign_id) == campaign_id)
            .order_by(col(CampaignApplication.id))
        )
    ]


def assert_totals_match_a_recount(session: Session, campaign_id: int) -> None:
    """The kept totals and connectors' columns, then the same recounted from the rows: equal."""
    session.expire_all()
    kept = campaign_totals.kept_totals(session, campaign_id=campaign_id)
    columns = connector_columns(session, campaign_id)
    campaign_totals.recount_campaign_totals(session, campaign_id=campaign_id)
    session.expire_all()
    assert connector_columns(session, campaign_id) == columns
    assert campaign_totals.kept_totals(session, campaign_id=campaign_id) == kept


def _form(session: Session, campaign: Campaign, rng: random.Random) -> dict[str, list[str]]:
    questions = {q.code: q.input_name for q in campaign_answering.survey_questions(session, campaign=campaign)}
    told = rng.random() < 0.5
    form = {
        questions["overall"]: [str(rng.randint(1, 5))],
        questions["outcome"]: [rng.choice(["keep", "scrap", "change_price"])],
        questions["recommend_intent"]: [str(rng.randint(0, 10))],
        questions["recommended"]: ["yes" if told else "no"],
    }
    if told:
        form[questions["recommended_count"]] = [str(rng.randint(1, 9))]
    return form


class _Events:
    """The events of a campaign in its shipping window (when deciding, answering and passing on all happen)."""

    def __init__(self, session: Session, rng: random.Random) -> None:
        self.session, self.rng = session, rng
        brand = make_brand(session)
        self.community = make_community(session, brand)
        self.manager = make_user(session)
        add_staff(session, brand, self.manager)
        self.campaign = make_campaign(session, self.community, phase="shipping", kit_count=6)
        self.applications = [
            make_application(session, self.campaign, make_applicant(session, self.community)) for _ in range(8)
        ]
        self.devices = iter(range(10_000))

    def _links(self) -> list[ShareLink]:
        return list(self.session.exec(select(ShareLink).where(ShareLink.campaign_id == self.campaign.id)).all())

    def _answers(self) -> list[CampaignResponse]:
        return list(
            self.session.exec(select(CampaignResponse).where(CampaignResponse.campaign_id == self.campaign.id)).all()
        )

    def decide(self) -> None:
        campaign_decisions.decide_applications(
            self.session,
            campaign=self.campaign,
            community=self.community,
            application_ids=[self.rng.choice(self.applications).id or 0],
            decision=self.rng.choice(["accept", "accept", "decline", "waitlist"]),
            decided_by=self.manager,
        )

    def withdraw(self) -> None:
        user = self.session.get(User, self.rng.choice(self.applications).user_id)
        assert user is not None
        campaign_applications.withdraw_application(self.session, campaign=self.campaign, user=user)

    def answer(self) -> None:
        links = self._links()
        if links:
            campaign_answering.answer_campaign(
                self.session,
                link=self.rng.choice(links),
                campaign=self.campaign,
                form=_form(self.session, self.campaign, self.rng),
                device_token=f"device-{next(self.devices)}",
                # Days inside the shipping window (from 2 days ago to 5 days ahead), so several days are counted.
                now=utcnow() + timedelta(days=self.rng.choice([-1, 0, 1, 2])),
            )

    def pass_on(self) -> None:
        answers = self._answers()
        if answers:
            share_links.friend_link(self.session, campaign=self.campaign, response=self.rng.choice(answers))

    def open(self) -> None:
        links = self._links()
        if links:
            share_links.record_open(self.session, link=self.rng.choice(links))

    def join(self) -> None:
        links = self._links()
        if links:
            share_links.join_through_link(
                self.session,
                link=self.rng.choice(links),
                campaign=self.campaign,
                community=self.community,
                user=make_user(self.session),
            )

    def moderate(self) -> None:
        answers = self._answers()
        if answers:
            response_id = self.rng.choice(answers).survey_response_id
            hidden = self.rng.random() < 0.6
            if surveys_responses.set_response_hidden(self.session, response_id=response_id, hidden=hidden):
                share_links.count_response_shown(self.session, survey_response_id=response_id, shown=not hidden)

    def samples(self) -> None:
        user = self.session.get(User, self.rng.choice(self.applications).user_id)
        assert user is not None
        campaign_connectors.record_samples_passed_on(
            self.session, campaign=self.campaign, user=user, count=self.rng.choice([0, 1, 4, 9])
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_after_random_events_the_kept_totals_equal_a_recount(session: Session, seed: int) -> None:
    rng = random.Random(seed)
    events = _Events(session, rng)
    kinds: list[Callable[[], None]] = [
        events.decide, events.decide, events.withdraw, events.answer, events.answer, events.answer,
        events.pass_on, events.open, events.open, events.join, events.moderate, events.moderate, events.samples,
    ]  # fmt: skip
    for _ in range(4):  # connectors first, so there are links to answer through
        events.decide()
    for number in range(120):
        try:
            with session.begin_nested():
                rng.choice(kinds)()
        except AppError:
            pass  # refused (withdrawn twice, not a connector, ...): nothing changed
        if number % 30 == 29:
            campaign_id = events.campaign.id or 0
            assert_totals_match_a_recount(session, campaign_id)
    totals = campaign_totals.kept_totals(session, campaign_id=events.campaign.id or 0)
    # Not vacuous: the events reached every kind of total.
    assert {figure for figure, _ in totals} >= {"responses", "opens", "chain", "day", "intent"}
    assert totals[("chain", "shared")] > 0 and sum(count for (figure, _), count in totals.items() if figure == "day")


@pytest.fixture
def real_engine(tmp_path: Path) -> Iterator[Engine]:
    with databases.temporary_database(label="totals", sqlite_dir=tmp_path) as url:
        migrate(url)
        engine = build_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def test_concurrent_events_keep_the_totals_exact(real_engine: Engine) -> None:
    """Threads answering, opening, joining and hiding at once in one campaign: nothing lost or counted twice."""
    with session_scope(real_engine) as session:
        events = _Events(session, random.Random(7))
        for application in events.applications[:3]:
            campaign_decisions.decide_applications(
                session,
                campaign=events.campaign,
                community=events.community,
                application_ids=[application.id or 0],
                decision="accept",
                decided_by=events.manager,
            )
        for _ in range(12):
            events.answer()
        for _ in range(4):
            events.pass_on()
        campaign_id = events.campaign.id or 0
    # Everyone starts together; on SQLite a writer's transaction takes the write lock at its first statement, so
    # the barrier comes before any session opens (a thread holding the lock at the barrier would stall the rest).
    barrier = threading.Barrier(THREADS, timeout=60)
    errors: list[BaseException] = []

    def work(number: int) -> None:
        try:
            barrier.wait()
            with Session(writer_engine(real_engine), expire_on_commit=False) as session:
                thread_events = _Events.__new__(_Events)
                thread_events.session, thread_events.rng = session, random.Random(number)
                thread_events.campaign = session.get(Campaign, campaign_id)  # type: ignore[assignment]
                thread_events.community = session.get(Community, thread_events.campaign.community_id)  # type: ignore[assignment]
                thread_events.devices = iter(range(1000 * (number + 1), 1000 * (number + 2)))
                for _ in range(3):  # one transaction per event, as one request makes one
                    [thread_events.answer, thread_events.open, thread_events.join, thread_events.moderate][number % 4]()
                    session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], [str(error) for error in errors]
    with Session(real_engine) as session:
        answers = session.exec(select(CampaignResponse).where(CampaignResponse.campaign_id == campaign_id)).all()
        assert len(answers) == 12 + 2 * 3  # two threads of answers, three each
        assert_totals_match_a_recount(session, campaign_id)
