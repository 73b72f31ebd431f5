"""`chorus generate challenge` and `campaign`: bulk-inserted data whose counters equal a recount, in a database of
its own."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from app.db import build_engine
from app.generate import generate_campaign, generate_challenge, issue_tokens, set_phase
from bench.challenges import verify
from bench.insights import verify as verify_campaign
from tests import databases


def test_generated_counters_equal_a_recount(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    url = f"sqlite:///{(tmp_path / 'generated.db').as_posix()}"
    shutil.copyfile(databases.migrated_sqlite_template(tmp_path_factory), tmp_path / "generated.db")
    engine = build_engine(url)
    stages: dict[str, int] = {}

    def progress(stage: str, count: int) -> None:
        stages[stage] = stages.get(stage, 0) + count

    generated = generate_challenge(engine, designs=40, scores=500, members=30, progress=progress)
    assert generated.scores == 500
    assert stages == {"members": 30, "memberships": 30, "images": 40, "designs": 40, "scores": 500, "counters": 40}
    assert verify({"CHORUS_DATABASE_URL": url}) == {
        "duplicate_pairs": 0,
        "designs_off": 0,
        "challenges_off": 0,
        "scores": 500,
    }
    with engine.begin() as connection:
        own_scores = connection.execute(
            text(
                "SELECT count(*) FROM scores JOIN designs ON designs.id = scores.design_id WHERE voter_id = designer_id"
            )
        ).scalar_one()
        assert own_scores == 0
        set_phase(connection, challenge_id=generated.challenge_id, phase="closed")
    assert len(set(issue_tokens(engine, generated.member_ids[:3]))) == 3
    engine.dispose()


def test_a_generated_campaign_has_counters_equal_to_a_recount(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = f"sqlite:///{(tmp_path / 'campaign.db').as_posix()}"
    shutil.copyfile(databases.migrated_sqlite_template(tmp_path_factory), tmp_path / "campaign.db")
    engine = build_engine(url)
    stages: dict[str, int] = {}

    def progress(stage: str, count: int) -> None:
        stages[stage] = stages.get(stage, 0) + count

    generated = generate_campaign(engine, responses=600, connectors=12, progress=progress)
    assert (generated.responses, generated.connectors) == (600, 12) and generated.links > 12
    assert stages["responses"] == stages["attribution"] == 600 and stages["answers"] == generated.answers
    assert stages["connectors"] == stages["applications"] == 12
    found = verify_campaign(url)
    assert found == {
        "responses": 600,
        "links_off": 0,
        "shares_off": 0,
        "reach_off": 0,
        "totals_off": 0,
        "tallies_off": 0,
        "survey_count_off": 0,
    }
    with engine.connect() as connection:
        hops = dict(connection.execute(text("SELECT hop, count(*) FROM campaign_responses GROUP BY hop")).all())
        # Links passed on by people who answered, each made from one response, at most.
        assert set(hops) == {1, 2, 3} and hops[1] > hops[2] > hops[3]
        made_by = connection.execute(
            text("SELECT count(*), count(DISTINCT created_by_response_id) FROM share_links WHERE hop > 1")
        ).one()
        assert made_by[0] == made_by[1] == generated.links - 12
        consented = connection.execute(
            text("SELECT count(*) FROM campaign_responses WHERE consent AND email IS NULL")
        ).scalar_one()
        assert consented == 0
    # The results page's figures from these rows: the tallies equal a recount of the answers.
    from datetime import date

    from sqlmodel import Session

    from app.insights import survey_results as results_service
    from app.surveys.models import Survey

    with Session(engine) as session:
        survey = session.get(Survey, generated.survey_id)
        assert survey is not None
        everyone = results_service.survey_results(session, survey=survey)
        recounted = results_service.survey_results(
            session, survey=survey, segment=results_service.Segment(since=date(2000, 1, 1))
        )
        assert everyone.respondents == 600 and everyone.model_dump() == recounted.model_dump()
    engine.dispose()


def test_generated_data_in_the_configured_database_over_two_hops(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The PostgreSQL pass runs this through COPY (which knows neither the models' constant defaults nor JSON): the
    generated members can use their tokens, the sequences are past the generated ids, and a campaign over two hops
    has only hops 1 and 2, with counters equal to a recount."""
    from datetime import UTC, datetime

    from sqlmodel import Session

    from app.accounts import lookups as accounts_lookups

    with databases.migrated_database(tmp_path_factory, label="generate", sqlite_dir=tmp_path) as url:
        engine = build_engine(url)
        generated = generate_challenge(engine, designs=20, scores=100, members=30)
        (token,) = issue_tokens(engine, generated.member_ids[-1:])
        with Session(engine) as session:
            # api_token_for answers None for an expired token: the generated one is valid now.
            found = accounts_lookups.api_token_for(session, plain=token)
            assert found is not None and found.user.id == generated.member_ids[-1]
            assert found.user.totp_last_step == 0
        campaign = generate_campaign(engine, responses=300, connectors=40, hops=2, network_size=10)
        assert verify_campaign(url) == {
            "responses": 300,
            "links_off": 0,
            "shares_off": 0,
            "reach_off": 0,
            "totals_off": 0,
            "tallies_off": 0,
            "survey_count_off": 0,
        }
        with engine.begin() as connection:
            hops = dict(connection.execute(text("SELECT hop, count(*) FROM campaign_responses GROUP BY hop")).all())
            assert set(hops) == {1, 2}
            networks = connection.execute(
                text("SELECT min(network_size), max(network_size), max(samples_passed_on) FROM campaign_applications")
            ).one()
            assert tuple(networks) == (10, 10, 10)
            answers = connection.execute(text("SELECT eligibility_answers FROM campaign_applications")).scalars()
            assert all(value in ({}, "{}") for value in answers)
            # Rows added after the generated ones take fresh ids.
            next_user = connection.execute(
                text(
                    "INSERT INTO users (email, handle, display_name, bio, password_hash, is_site_admin, is_active, "
                    "created_at, password_changed_at, totp_last_step) VALUES ('after@example.test', 'after_gen', "
                    "'After', '', 'x', false, true, :now, :now, 0) RETURNING id"
                ),
                {"now": datetime.now(UTC)},
            ).scalar_one()
            assert next_user > max(generated.member_ids) and campaign.connectors == 40
        engine.dispose()
