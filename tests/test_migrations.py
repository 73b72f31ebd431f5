"""The migrations: they run up and down cleanly, agree with the models, and an unmigrated database is refused.

Each test makes its own empty database (a SQLite file, or a PostgreSQL schema when CHORUS_TEST_DATABASE_URL is
set), so none of them touches the shared, migrated test database.
"""

import io
import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import DateTime, Engine, Integer, MetaData, String, Table, inspect, text
from sqlmodel import Session

import app.db
import app.models  # registers every table in the metadata
from app.campaigns import totals as campaign_totals
from app.campaigns.models import CampaignResponse, ShareLink
from app.challenges import search as design_search
from app.columns import utcnow
from app.comments.models import Comment
from app.config import get_settings
from app.db import alembic_config, build_engine, metadata, pending_migrations, session_scope
from app.ideas import search as ideas_search
from app.main import UnmigratedDatabase, create_app
from app.media.service import image_fingerprint
from app.media.storage import get_storage
from app.questions import search as questions_search
from app.surveys import building as surveys_building
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys.models import Survey
from tests import databases
from tests.campaigns.factories import make_campaign
from tests.campaigns.test_totals import connector_columns
from tests.factories import add_member, make_brand, make_community, make_user
from tests.ideas.factories import make_idea
from tests.insights.factories import campaign_world
from tests.surveys.test_service import _answer_template


@pytest.fixture
def empty_url(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    label = f"{worker}_{request.node.name}"[:30]
    with databases.temporary_database(label=label, sqlite_dir=tmp_path) as url:
        yield url


@pytest.fixture
def empty_engine(empty_url: str) -> Iterator[Engine]:
    engine = build_engine(empty_url)
    yield engine
    engine.dispose()


def _config(url: str) -> Config:
    config = alembic_config(url)
    # env.py would otherwise re-run logging.config.fileConfig for every command, resetting the root logger.
    config.attributes["configure_logging"] = False
    return config


def _tables(engine: Engine) -> set[str]:
    """The tables, without the full-text search tables of ideas, questions and designs (made by hand in their
    migrations, on SQLite)."""
    return {
        name
        for name in inspect(engine).get_table_names()
        if not any(search.is_search_table(name) for search in (ideas_search, questions_search, design_search))
    }


def test_upgrade_downgrade_upgrade(empty_url: str, empty_engine: Engine) -> None:
    config = _config(empty_url)
    assert _tables(empty_engine) == set()

    command.upgrade(config, "head")
    expected = set(metadata.tables) | {"alembic_version"}
    assert _tables(empty_engine) == expected

    command.downgrade(config, "base")
    # Alembic keeps its (now empty) version table; every table of the application is gone.
    assert _tables(empty_engine) <= {"alembic_version"}
    assert pending_migrations(empty_engine) == [rev.revision for rev in _revisions_oldest_first(empty_url)]

    command.upgrade(config, "head")
    assert _tables(empty_engine) == expected
    assert pending_migrations(empty_engine) == []


def test_models_and_migrations_agree(empty_url: str, empty_engine: Engine) -> None:
    command.upgrade(_config(empty_url), "head")
    with empty_engine.connect() as connection:
        # Not vacuous: it reads the schema the migrations made (on PostgreSQL, the test's own schema).
        assert set(metadata.tables) <= set(inspect(connection).get_table_names())
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": lambda name, type_, _parents: (
                    not any(
                        search.is_search_object(name, type_)
                        for search in (ideas_search, questions_search, design_search)
                    )
                ),
            },
        )
        differences = compare_metadata(context, metadata)
    # Only the full-text search tables are left out (as migrations/env.py does): on SQLite and PostgreSQL alike the
    # comparison finds nothing. A difference here means a model changed without a migration: run
    # `alembic revision --autogenerate -m "..."` and review the result.
    assert differences == []


_SQLITE_TRIGGERS = {
    "ideas_fts_after_insert",  # the ideas' full-text index kept in step (app/ideas/search.py)
    "ideas_fts_after_delete",
    "ideas_fts_after_update",
    "questions_fts_after_insert",  # the questions' full-text index (app/questions/search.py)
    "questions_fts_after_delete",
    "questions_fts_after_update",
    "designs_fts_after_insert",  # the designs' full-text index kept in step (app/challenges/search.py)
    "designs_fts_after_delete",
    "designs_fts_after_update",
    "designs_fts_designer_renamed",
    "audit_entries_no_update",  # the audit log is append-only (app/moderation)
    "audit_entries_no_delete",
}
_POSTGRESQL_TRIGGERS = {
    "audit_entries_no_change",
    "audit_entries_no_truncate",
    "designs_search_vector",  # the designs' full-text vector kept in step (app/challenges/search.py)
    "designs_designer_renamed",
}


def test_the_hand_written_triggers_survive_every_migration(empty_url: str, empty_engine: Engine) -> None:
    """Triggers are written by hand in the migrations; on SQLite a later ``batch_alter_table`` on their table
    rebuilds it and drops them silently. At head every one must still be there."""
    command.upgrade(_config(empty_url), "head")
    with empty_engine.connect() as connection:
        if empty_engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            expected = _SQLITE_TRIGGERS
        else:
            query = (
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND NOT t.tgisinternal"
            )
            expected = _POSTGRESQL_TRIGGERS
        assert {row[0] for row in connection.execute(text(query))} == expected


def _revisions_oldest_first(url: str) -> list[Script]:
    return list(reversed(list(ScriptDirectory.from_config(_config(url)).walk_revisions())))


def test_pending_migrations(empty_url: str, empty_engine: Engine) -> None:
    every_revision = [rev.revision for rev in _revisions_oldest_first(empty_url)]
    assert every_revision, "no migrations found"

    assert pending_migrations(empty_engine) == every_revision

    command.upgrade(_config(empty_url), "head")
    assert pending_migrations(empty_engine) == []


def test_pending_migrations_lists_only_the_missing_ones_in_order(
    empty_url: str, empty_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With two revisions on top of the real ones, a database at the real head lacks exactly those two."""
    root = tmp_path / "tree"
    shutil.copytree(app.db.ROOT_DIR / "migrations", root / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(app.db.ROOT_DIR / "alembic.ini", root / "alembic.ini")
    real_head = ScriptDirectory.from_config(_config(empty_url)).get_current_head()
    assert real_head is not None
    for revision, down_revision in (("aaaa00000001", real_head), ("aaaa00000002", "aaaa00000001")):
        (root / "migrations" / "versions" / f"9999-12-31-0000_{revision}.py").write_text(
            f'revision = "{revision}"\ndown_revision = "{down_revision}"\n'
            "branch_labels = None\ndepends_on = None\n\n\n"
            "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n"
        )
    monkeypatch.setattr(app.db, "ROOT_DIR", root)

    command.upgrade(_config(empty_url), real_head)
    assert pending_migrations(empty_engine) == ["aaaa00000001", "aaaa00000002"]

    command.upgrade(_config(empty_url), "aaaa00000001")
    assert pending_migrations(empty_engine) == ["aaaa00000002"]

    command.upgrade(_config(empty_url), "head")
    assert pending_migrations(empty_engine) == []


def test_app_refuses_an_unmigrated_database(
    empty_url: str, empty_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHORUS_DATABASE_URL", empty_url)
    get_settings.cache_clear()
    app.db._engine_for.cache_clear()
    engine = app.db.get_engine()
    try:
        with pytest.raises(UnmigratedDatabase, match="chorus migrate"), TestClient(create_app()):
            pass
    finally:
        engine.dispose()
        get_settings.cache_clear()
        app.db._engine_for.cache_clear()
    # Nothing was created on the way: refusing to start does not half-migrate the database.
    assert pending_migrations(empty_engine)
    assert _tables(empty_engine) <= {"alembic_version"}


def test_app_starts_on_a_migrated_database(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    command.upgrade(_config(empty_url), "head")
    monkeypatch.setenv("CHORUS_DATABASE_URL", empty_url)
    get_settings.cache_clear()
    app.db._engine_for.cache_clear()
    engine = app.db.get_engine()
    try:
        with TestClient(create_app()) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
    finally:
        engine.dispose()
        get_settings.cache_clear()
        app.db._engine_for.cache_clear()


def test_moderation02_fills_in_where_responses_were_given_and_recounts_idea_comments(
    empty_url: str, empty_engine: Engine
) -> None:
    """Data made at the head, taken down to outbox02 (the columns go) and up again: the migration's UPDATEs, not
    the services, fill them in. A hidden response holds the downgrade back (its answers are off the tallies)."""
    config = _config(empty_url)
    command.upgrade(config, "head")
    with session_scope(empty_engine) as session:
        brand = make_brand(session)
        campaigns_community, published_to = make_community(session, brand), make_community(session, brand)
        campaign = make_campaign(session, campaigns_community)
        survey = session.get(Survey, campaign.survey_id)
        assert survey is not None
        surveys_building.publish_survey(session, survey=survey, community=published_to)
        answers = _answer_template(survey, surveys_questions.list_questions(session, survey=survey))
        member = make_user(session)
        add_member(session, published_to, member)
        by_member = surveys_responses.record_response(session, survey=survey, form=answers, user=member)
        by_friend, by_systems, hidden = (
            surveys_responses.record_response(session, survey=survey, form=answers) for _ in range(3)
        )
        link = ShareLink(code="migration-link", campaign_id=campaign.id or 0, connector_id=member.id or 0)
        session.add(link)
        session.flush()
        session.add(
            CampaignResponse(
                campaign_id=campaign.id or 0,
                survey_response_id=by_friend.id or 0,
                share_link_id=link.id or 0,
                connector_id=member.id or 0,
                hop=1,
                device_hash="a-device",
            )
        )
        surveys_responses.set_response_hidden(session, response_id=hidden.id or 0, hidden=True)
        idea = make_idea(session, campaigns_community, member, comment_count=7)
        for hidden_at, deleted_at in ((None, None), (utcnow(), None), (None, utcnow())):
            session.add(
                Comment(
                    idea_id=idea.id, author_id=member.id or 0, body="Hi", hidden_at=hidden_at, deleted_at=deleted_at
                )
            )
        ids = {name: row.id for name, row in (("member", by_member), ("friend", by_friend), ("systems", by_systems))}
        expected = {ids["member"]: published_to.id, ids["friend"]: campaigns_community.id, ids["systems"]: None}
        idea_id, hidden_id = idea.id, hidden.id or 0

    with pytest.raises(RuntimeError, match="restore them before downgrading"):
        command.downgrade(config, "outbox02")
    # The refused downgrade has taken the later revisions down already: back to the head the services expect.
    command.upgrade(config, "head")
    with session_scope(empty_engine) as session:
        surveys_responses.set_response_hidden(session, response_id=hidden_id, hidden=False)
    command.downgrade(config, "outbox02")
    command.upgrade(config, "head")

    with empty_engine.connect() as connection:
        where = dict(connection.execute(text("SELECT id, community_id FROM survey_responses")).all())
        assert where == {**expected, hidden_id: None}
        counted = connection.execute(text("SELECT comment_count FROM ideas WHERE id = :id"), {"id": idea_id})
        assert counted.scalar_one() == 1


def test_insights02_gives_existing_responses_the_answer_keys_record_response_writes(
    empty_url: str, empty_engine: Engine
) -> None:
    """Responses made before the keys existed get them from their answers: the same as a new response's."""
    from sqlmodel import Session, select

    from app.surveys.models import QuestionKind, SurveyResponse
    from tests.factories import make_brand
    from tests.surveys.factories import add_question, by_code, form

    config = _config(empty_url)
    command.upgrade(config, "head")
    with Session(empty_engine) as session:
        survey = surveys_building.create_survey(
            session, brand=make_brand(session), title="Soap", author=None, template=True
        )
        uses = add_question(session, survey, QuestionKind.multiple_choice, prompt="Where?")
        questions = by_code(surveys_questions.list_questions(session, survey=survey))
        for overall, outcome, pay, chosen, comment in (
            ("4", "keep", "7.5", ["red", "green"], "Lovely"),
            ("2", "scrap", "", ["green"], ""),
        ):
            pairs = [
                (questions["overall"], overall),
                (questions["outcome"], outcome),
                (questions["recommend_intent"], "9"),
                (questions["recommended"], "no"),
                (uses, chosen),
            ]
            pairs += [(questions["pay"], pay)] if pay else []
            pairs += [(questions["comments"], comment)] if comment else []
            surveys_responses.record_response(session, survey=survey, form=form(*pairs))
        several = f"{uses.id}:*"
        session.commit()
        written = sorted(session.exec(select(SurveyResponse.answer_keys)).all())
    assert ":7.5" in " ".join(written) and all(several in keys for keys in written)
    command.downgrade(config, "moderation02")
    command.upgrade(config, "head")
    with Session(empty_engine) as session:
        assert sorted(session.exec(select(SurveyResponse.answer_keys)).all()) == written


def test_media02_fingerprints_existing_images_from_their_thumbnails(
    empty_url: str, empty_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "media_dir", tmp_path / "media")
    monkeypatch.setattr(get_settings(), "storage_backend", "local")
    config = _config(empty_url)
    command.upgrade(config, "rewards03")
    picture, blank = io.BytesIO(), io.BytesIO()
    Image.radial_gradient("L").convert("RGB").save(picture, "JPEG")
    Image.new("RGB", (400, 300), (255, 255, 255)).save(blank, "JPEG")
    get_storage().put("renditions/picture.jpg", picture.getvalue(), "image/jpeg")
    get_storage().put("renditions/blank.jpg", blank.getvalue(), "image/jpeg")
    with empty_engine.begin() as connection:
        for image_id, thumbnail_key in ((1, "renditions/picture.jpg"), (2, "renditions/blank.jpg"), (3, "gone.jpg")):
            connection.execute(
                text(
                    "INSERT INTO media_images (id, sha256, original_key, display_key, thumbnail_key, width, height,"
                    " format, byte_size, perceptual_hash, created_at) VALUES (:id, :sha, 'o', 'd', :thumbnail,"
                    " 1, 1, 'JPEG', 1, '0000000000000000', :now)"
                ),
                {"id": image_id, "sha": f"{image_id:064x}", "thumbnail": thumbnail_key, "now": utcnow()},
            )

    command.upgrade(config, "head")

    with empty_engine.connect() as connection:
        rows = connection.execute(text("SELECT id, similarity_hashes, low_detail FROM media_images ORDER BY id")).all()
    with Image.open(picture) as thumbnail:
        expected, _ = image_fingerprint(thumbnail)
    assert [(image_id, hashes, bool(low_detail)) for image_id, hashes, low_detail in rows] == [
        (1, expected, False),
        (2, rows[1][1], True),  # fingerprinted, and marked low-detail
        (3, None, False),  # its thumbnail is missing: no fingerprint, so it matches nothing
    ]
    assert rows[1][1] is not None

    command.downgrade(config, "rewards03")
    with empty_engine.connect() as connection:
        hashes = connection.execute(text("SELECT perceptual_hash FROM media_images ORDER BY id")).scalars().all()
    assert hashes == [expected[:16], rows[1][1][:16], f"{3:064x}"[:16]]
    command.upgrade(config, "head")


def test_two_migrations_at_once_on_a_fresh_database_both_succeed(tmp_path: Path) -> None:
    """Replicas starting together each migrate: the migration lock (a PostgreSQL advisory lock, or a file lock beside
    a SQLite database) makes the second wait and find nothing to do, instead of failing on ``alembic_version``."""
    import subprocess
    import sys

    from tests import databases

    with databases.temporary_database(label="migrate-twice", sqlite_dir=tmp_path) as url:
        environment = {
            **os.environ,
            "CHORUS_DATABASE_URL": url,
            "CHORUS_DATA_DIR": str(tmp_path),
            "PYTHONPATH": str(app.db.ROOT_DIR),
        }
        migrations = [
            subprocess.Popen(
                [sys.executable, "-m", "app.cli", "migrate"],
                env=environment,
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(2)
        ]
        outputs = [migration.communicate(timeout=300)[0].decode() for migration in migrations]
        assert [migration.returncode for migration in migrations] == [0, 0], outputs
        engine = build_engine(url)
        try:
            assert pending_migrations(engine) == []
        finally:
            engine.dispose()


def test_leftovers02_keeps_only_the_network_and_a_keyed_hash_of_each_sessions_address(
    empty_url: str, empty_engine: Engine
) -> None:
    from app.moderation import fingerprints

    config = _config(empty_url)
    command.upgrade(config, "leftovers01")
    now = utcnow()
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, handle, display_name, bio, password_hash, is_site_admin, is_active,"
                " created_at, password_changed_at, totp_last_step) VALUES (1, 'a@example.com', 'ada', 'Ada', '', 'x',"
                " false, true, :now, :now, 0)"
            ),
            {"now": now},
        )
        for session_id, address in ((1, "198.51.100.23"), (2, "2001:db8:85a3::7348"), (3, "")):
            connection.execute(
                text(
                    "INSERT INTO user_sessions (id, token_hash, user_id, created_at, expires_at, last_seen_at,"
                    " authenticated_at, ip_address, user_agent) VALUES (:id, :token, 1, :now, :now, :now, :now,"
                    " :address, 'UA')"
                ),
                {"id": session_id, "token": f"{session_id:064x}", "now": now, "address": address},
            )

    command.upgrade(config, "leftovers02")

    assert "ip_address" not in {column["name"] for column in inspect(empty_engine).get_columns("user_sessions")}
    with empty_engine.connect() as connection:
        rows = connection.execute(text("SELECT network, address_hash FROM user_sessions ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [
        ("198.51.100.0/24", fingerprints.address_hash("198.51.100.23")),
        ("2001:db8:85a3::/48", fingerprints.address_hash("2001:db8:85a3::7348")),
        ("", ""),
    ]
    command.downgrade(config, "leftovers01")
    with empty_engine.connect() as connection:
        kept = connection.execute(text("SELECT ip_address FROM user_sessions ORDER BY id")).scalars().all()
    assert kept == ["198.51.100.0/24", "2001:db8:85a3::/48", ""]  # the addresses themselves are gone for good
    command.upgrade(config, "head")


def test_leftovers03_makes_the_audit_logs_foreign_keys_restrict(empty_url: str, empty_engine: Engine) -> None:
    config = _config(empty_url)
    command.upgrade(config, "head")
    inspector = inspect(empty_engine)
    rules = {
        (table, key["constrained_columns"][0]): key["options"].get("ondelete")
        for table in ("audit_entries", "appeals")
        for key in inspector.get_foreign_keys(table)
        if table == "audit_entries" or key["referred_table"] == "audit_entries"
    }
    assert rules == {
        ("audit_entries", "community_id"): "RESTRICT",
        ("audit_entries", "actor_id"): "RESTRICT",
        ("audit_entries", "target_user_id"): "RESTRICT",
        ("appeals", "audit_entry_id"): "RESTRICT",
    }
    command.downgrade(config, "leftovers02")
    assert all(not key["options"] for key in inspect(empty_engine).get_foreign_keys("audit_entries"))
    command.upgrade(config, "head")


def _old_community(engine: Engine) -> int:
    """A brand and a community inserted through the tables as they are at an older revision (today's models may
    have columns those tables lack)."""
    filler: dict[type, object] = {bool: False, int: 0, float: 0.0, str: "x", datetime: utcnow()}

    def insert(name: str, **values: object) -> int:
        table = Table(name, MetaData(), autoload_with=engine)
        row: dict[str, object] = {
            column.name: filler[column.type.python_type]
            for column in table.columns
            if not column.nullable and not column.primary_key and column.server_default is None
        }
        with engine.begin() as connection:
            result = connection.execute(table.insert().values({**row, **values}))
            return int(result.inserted_primary_key[0])

    brand_id = insert("brands", slug="old-brand")
    return insert("communities", brand_id=brand_id, slug="old-community", kind="both", visibility="public")


def test_scorepg01_carries_each_challenges_score_totals_over_to_a_shard(empty_url: str, empty_engine: Engine) -> None:
    config = _config(empty_url)
    command.upgrade(config, "leftovers03")
    community_id = _old_community(empty_engine)
    challenges = Table("challenges", MetaData(), autoload_with=empty_engine)
    filler = {Integer: 0, String: "x", DateTime: utcnow()}
    with empty_engine.begin() as connection:
        for number, (count, total) in enumerate(((3, 11), (0, 0)), start=1):
            row: dict[str, object] = {
                column.name: next(value for kind, value in filler.items() if isinstance(column.type, kind))
                for column in challenges.columns
                if not column.nullable and not column.primary_key
            }
            row |= {"community_id": community_id, "slug": f"c{number}", "score_count": count, "score_sum": total}
            connection.execute(challenges.insert().values(row))

    command.upgrade(config, "head")

    with empty_engine.connect() as connection:
        shards = connection.execute(
            text("SELECT challenge_id, shard, score_count, score_sum FROM challenge_score_shards")
        )
        assert [tuple(shard) for shard in shards] == [(1, 0, 3, 11)]
    command.downgrade(config, "leftovers03")
    with empty_engine.connect() as connection:
        totals = connection.execute(text("SELECT id, score_count, score_sum FROM challenges ORDER BY id")).all()
    assert [tuple(total) for total in totals] == [(1, 3, 11), (2, 0, 0)]
    command.upgrade(config, "head")


def test_hooks01_starts_each_challenge_at_the_phase_it_is_in(empty_url: str, empty_engine: Engine) -> None:
    """So the first sweep after the upgrade tells no phase change that happened before it."""
    config = _config(empty_url)
    command.upgrade(config, "scorepg01")
    community_id = _old_community(empty_engine)
    challenges = Table("challenges", MetaData(), autoload_with=empty_engine)
    now, day = utcnow(), timedelta(days=1)
    # (status, opens, closes, scoring closes) relative to now, and the phase each is in.
    cases = [
        ("draft", -day, day, 2 * day, "draft"),
        ("published", day, 2 * day, 3 * day, "upcoming"),
        ("published", -day, day, 2 * day, "submissions_open"),
        ("published", -2 * day, -day, day, "scoring"),
        ("published", -3 * day, -2 * day, -day, "closed"),
        ("winners_announced", -3 * day, -2 * day, -day, "winners_announced"),
    ]
    filler = {Integer: 0, String: "x", DateTime: now}
    with empty_engine.begin() as connection:
        for number, (status, opens, closes, scoring_closes, _) in enumerate(cases, start=1):
            row: dict[str, object] = {
                column.name: next(value for kind, value in filler.items() if isinstance(column.type, kind))
                for column in challenges.columns
                if not column.nullable and not column.primary_key
            }
            row |= {
                "community_id": community_id,
                "slug": f"c{number}",
                "status": status,
                "submissions_open_at": now + opens,
                "submissions_close_at": now + closes,
                "scoring_close_at": now + scoring_closes,
            }
            connection.execute(challenges.insert().values(row))

    command.upgrade(config, "hooks01")

    with empty_engine.connect() as connection:
        phases = connection.execute(text("SELECT emitted_phase FROM challenges ORDER BY id")).scalars().all()
    assert phases == [case[-1] for case in cases]
    command.downgrade(config, "scorepg01")
    command.upgrade(config, "head")


def test_cmptot01_backfills_the_campaign_totals_the_events_kept(empty_url: str, empty_engine: Engine) -> None:
    """A campaign's totals kept by its events (answers, a friend's link, opens, sign-ups, samples), dropped with a
    downgrade, come back the same from the migration's backfill (the recount)."""
    config = _config(empty_url)
    command.upgrade(config, "head")
    with session_scope(empty_engine) as session:
        campaign_id = campaign_world(session).campaign.id or 0
    with Session(empty_engine) as session:
        kept = campaign_totals.kept_totals(session, campaign_id=campaign_id)
        columns = connector_columns(session, campaign_id)
    assert kept[("chain", "shared")] == 4 and kept[("connectors", "accepted")] == 3
    command.downgrade(config, "preord01")
    command.upgrade(config, "head")
    with Session(empty_engine) as session:
        assert campaign_totals.kept_totals(session, campaign_id=campaign_id) == kept
        assert connector_columns(session, campaign_id) == columns
