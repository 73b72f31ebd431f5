"""Generated data for the benchmarks: one challenge with many members, designs and scores, bulk-inserted.

    chorus generate challenge --designs 10000 --scores 1000000 --members 20000 [--phase scoring|closed]

Everything goes in with SQLAlchemy Core ``executemany`` in batches (no ORM object per row; COPY on PostgreSQL for the
members, memberships and scores), in one transaction:
a brand, a public community, ``members`` confirmed users and their memberships, a published challenge, one
``media_images`` row per design and the designs and scores. Every image row points at the same real renditions
(one small JPEG put through the upload pipeline once): enough for the pages, which only link to them.

The counters are computed in the same pass as the scores they count (each design's count, sum, "I'd buy it"
count and Bayesian score against the final challenge mean; the challenge's design count, score count and sum;
the community's member count), so they equal a recount by construction; ``bench.challenges`` checks that.
"""

import io
import itertools
import random
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import JSON, Connection, Engine, Table, bindparam, insert, select, text
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from app.accounts.models import ApiToken, User
from app.accounts.service import API_TOKEN_PREFIX, DEFAULT_TOKEN_LIFETIME_DAYS, hash_token, password_hasher
from app.brands.models import Brand
from app.challenges.models import Challenge, ChallengeScoreShard, ChallengeStatus, Design, Score
from app.columns import utcnow
from app.communities.models import Community, CommunityKind, Membership, Visibility
from app.config import get_settings
from app.media.models import MediaImage

BATCH = 20_000
BRAND_SLUG = "bench-brand"
COMMUNITY_SLUG = "bench-lab"
CHALLENGE_SLUG = "bench-challenge"
PHASES = ("scoring", "closed")
TAGS = ("floral", "retro", "minimal", "bold", "pastel", "geometric", "vintage", "neon", "mono", "organic")
ProgressCallback = Callable[[str, int], None]  # (stage, rows just inserted)


@dataclass(frozen=True)
class Generated:
    community_slug: str
    challenge_slug: str
    challenge_id: int
    members: int
    designs: int
    scores: int
    member_ids: list[int]


def table(model: Any) -> Table:
    return cast(Table, model.__table__)


def batches(rows: Iterable[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def windows(phase: str, now: datetime) -> dict[str, datetime]:
    """Challenge windows that put it in ``phase`` at ``now`` (and for weeks after)."""
    if phase == "scoring":
        return {
            "submissions_open_at": now - timedelta(days=30),
            "submissions_close_at": now - timedelta(days=10),
            "scoring_close_at": now + timedelta(days=60),
        }
    if phase == "closed":
        return {
            "submissions_open_at": now - timedelta(days=60),
            "submissions_close_at": now - timedelta(days=40),
            "scoring_close_at": now - timedelta(days=1),
        }
    raise ValueError(f"phase must be one of {', '.join(PHASES)}")


def set_phase(connection: Connection, *, challenge_id: int, phase: str) -> None:
    connection.execute(
        table(Challenge).update().where(table(Challenge).c.id == challenge_id).values(**windows(phase, utcnow()))
    )


def one_real_image(engine: Engine) -> int:
    """A small JPEG through the real upload pipeline: its renditions exist on disk; returns its row id."""
    from PIL import Image
    from sqlmodel import Session

    from app.db import writer_engine
    from app.media.service import ingest_image

    image = Image.linear_gradient("L").resize((800, 600)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    with Session(writer_engine(engine), expire_on_commit=False) as session:
        row = ingest_image(session, upload=buffer, uploaded_by=None, declared_filename="bench.jpg")
        session.commit()
        assert row.id is not None
        return row.id


def generate_challenge(
    engine: Engine,
    *,
    designs: int,
    scores: int,
    members: int,
    phase: str = "scoring",
    seed: int = 1,
    progress: ProgressCallback | None = None,
) -> Generated:
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {', '.join(PHASES)}")
    if members < 2 or designs < 1:
        raise ValueError("at least 2 members and 1 design")
    if designs > members * 3:
        raise ValueError("each member submits at most 3 designs: raise --members")
    if scores > designs * (members - 1):
        raise ValueError("more scores than (member, design) pairs: raise --members or --designs")
    report = progress or (lambda _stage, _count: None)
    rng = random.Random(seed)  # noqa: S311  (benchmark data, not secrets)
    now = utcnow()
    template_id = one_real_image(engine)
    password_hash = password_hasher.hash(secrets.token_urlsafe(16))  # nobody logs in with a password
    tag = secrets.token_hex(3)  # lets a second run into the same database add its own users

    with engine.begin() as connection:
        template = connection.execute(select(table(MediaImage)).where(table(MediaImage).c.id == template_id)).one()
        brand_id = connection.execute(
            insert(table(Brand))
            .values(name="Bench Brand", slug=f"{BRAND_SLUG}-{tag}", created_at=now)
            .returning(table(Brand).c.id)
        ).scalar_one()
        community_id = connection.execute(
            insert(table(Community))
            .values(
                brand_id=brand_id,
                name="Bench Lab",
                slug=COMMUNITY_SLUG if not _exists(connection, COMMUNITY_SLUG) else f"{COMMUNITY_SLUG}-{tag}",
                kind=CommunityKind.design,
                visibility=Visibility.public,
                member_count=members,
                created_at=now,
            )
            .returning(table(Community).c.id)
        ).scalar_one()
        community_slug = connection.execute(
            select(table(Community).c.slug).where(table(Community).c.id == community_id)
        ).scalar_one()

        first_user = (connection.execute(text("SELECT coalesce(max(id), 0) FROM users")).scalar_one() or 0) + 1
        member_ids = list(range(first_user, first_user + members))
        users = (
            {
                "id": user_id,
                "email": f"bench-{tag}-{number}@example.test",
                "handle": f"b{tag}_{number}",
                "display_name": f"Bench member {number}",
                "bio": "",
                "password_hash": password_hash,
                "is_site_admin": False,
                "is_active": True,
                "email_confirmed_at": now,
                "created_at": now,
                "password_changed_at": now,
            }
            for number, user_id in enumerate(member_ids, start=1)
        )
        _bulk(connection, User, users, report, "members")
        memberships = (
            {"community_id": community_id, "user_id": user_id, "role": "member", "joined_at": now}
            for user_id in member_ids
        )
        _bulk(connection, Membership, memberships, report, "memberships")

        # Designers: the first members, up to three designs each.
        designers = [member_ids[index // 3] for index in range(designs)]
        quality = [rng.gauss(3.0, 0.8) for _ in range(designs)]
        counts = _score_counts(rng, designs=designs, scores=scores, members=members)
        # The scores, and the counters from them in the same pass.
        design_count = [0] * designs
        design_sum = [0] * designs
        design_buy = [0] * designs
        first_design = (connection.execute(text("SELECT coalesce(max(id), 0) FROM designs")).scalar_one() or 0) + 1
        first_image = (connection.execute(text("SELECT coalesce(max(id), 0) FROM media_images")).scalar_one() or 0) + 1
        challenge_id = connection.execute(
            insert(table(Challenge))
            .values(
                community_id=community_id,
                title="Bench challenge",
                slug=CHALLENGE_SLUG,
                brief="A generated challenge for the benchmarks.",
                product_type="Poster",
                max_designs_per_member=3,
                status=ChallengeStatus.published,
                created_at=now,
                design_count=designs,
                **windows(phase, now),
            )
            .returning(table(Challenge).c.id)
        ).scalar_one()
        image_columns = {
            key: getattr(template, key)
            for key in (
                "sha256",
                "original_key",
                "display_key",
                "thumbnail_key",
                "width",
                "height",
                "format",
                "byte_size",
                "similarity_hashes",
                "low_detail",
            )
        }
        images = ({**image_columns, "id": first_image + index, "created_at": now} for index in range(designs))
        _insert(connection, MediaImage, images, report, "images")

        def score_rows() -> Iterator[dict[str, Any]]:
            for index in range(designs):
                designer = designers[index]
                voters = rng.sample(member_ids, min(counts[index] + 1, members))
                voters = [voter for voter in voters if voter != designer][: counts[index]]
                mean = quality[index]
                for voter in voters:
                    value = min(5, max(0, round(rng.gauss(mean, 1.1))))
                    would_buy = value >= 4 and rng.random() < 0.5
                    design_count[index] += 1
                    design_sum[index] += value
                    design_buy[index] += would_buy
                    yield {
                        "design_id": first_design + index,
                        "voter_id": voter,
                        "value": value,
                        "would_buy": would_buy,
                        "created_at": now,
                        "updated_at": now,
                    }

        # Designs first, with zero counters (scores refer to them), then the scores, then the counters.
        design_rows = (
            {
                "id": first_design + index,
                "challenge_id": challenge_id,
                "designer_id": designers[index],
                "image_id": first_image + index,
                "title": f"Design {index + 1}",
                "description": "",
                "tags": ",".join(sorted(rng.sample(TAGS, 2))),
                "status": "submitted",
                "score_count": 0,
                "score_sum": 0,
                "buy_count": 0,
                "bayesian_score": 0.0,
                "created_at": now - timedelta(days=30) + timedelta(seconds=index),
                "updated_at": now,
            }
            for index in range(designs)
        )
        _insert(connection, Design, design_rows, report, "designs")
        _bulk(connection, Score, score_rows(), report, "scores")

        total_count, total_sum = sum(design_count), sum(design_sum)
        weight = float(get_settings().ranking_prior_weight)
        mean = total_sum / total_count if total_count else 2.5
        designs_table = table(Design)
        connection.execute(
            designs_table.update()
            .where(designs_table.c.id == bindparam("design_id"))
            .values(
                score_count=bindparam("count"),
                score_sum=bindparam("total"),
                buy_count=bindparam("buys"),
                bayesian_score=bindparam("bayesian"),
            ),
            [
                {
                    "design_id": first_design + index,
                    "count": design_count[index],
                    "total": design_sum[index],
                    "buys": design_buy[index],
                    "bayesian": (weight * mean + design_sum[index]) / (weight + design_count[index]),
                }
                for index in range(designs)
            ],
        )
        connection.execute(
            insert(table(ChallengeScoreShard)).values(
                challenge_id=challenge_id, shard=0, score_count=total_count, score_sum=total_sum
            )
        )
        report("counters", designs)
        _move_sequences(connection, "users", "media_images", "designs")
    with engine.begin() as connection:  # committed: on PostgreSQL, new statistics are part of the transaction
        connection.exec_driver_sql("ANALYZE")
    return Generated(
        community_slug=community_slug,
        challenge_slug=CHALLENGE_SLUG,
        challenge_id=int(challenge_id),
        members=members,
        designs=designs,
        scores=total_count,
        member_ids=member_ids,
    )


def _exists(connection: Connection, slug: str) -> bool:
    return connection.execute(select(table(Community).c.id).where(table(Community).c.slug == slug)).first() is not None


def _score_counts(rng: random.Random, *, designs: int, scores: int, members: int) -> list[int]:
    """How many scores each design gets: skewed (some designs draw far more), summing to ``scores``."""
    weights = [rng.paretovariate(2.0) for _ in range(designs)]
    total = sum(weights)
    cap = members - 1
    counts = [min(cap, int(scores * weight / total)) for weight in weights]
    short = scores - sum(counts)
    index = 0
    while short > 0:
        if counts[index % designs] < cap:
            counts[index % designs] += 1
            short -= 1
        index += 1
    return counts


def _insert(
    connection: Connection, model: Any, rows: Iterable[dict[str, Any]], report: ProgressCallback, stage: str
) -> None:
    statement = insert(table(model))
    for batch in batches(rows):
        connection.execute(statement, batch)
        report(stage, len(batch))


def issue_tokens(engine: Engine, user_ids: Sequence[int]) -> list[str]:
    """A personal API token for each user (the plain tokens, in order), for the load driver."""
    now = utcnow()
    plains = [API_TOKEN_PREFIX + secrets.token_urlsafe(32) for _ in user_ids]
    with engine.begin() as connection:
        connection.execute(
            insert(table(ApiToken)),
            [
                {
                    "user_id": user_id,
                    "name": "bench",
                    "token_hash": hash_token(plain),
                    "prefix": plain[:12],
                    "created_at": now,
                    "expires_at": now + timedelta(days=DEFAULT_TOKEN_LIFETIME_DAYS),
                    "last_used_at": now,
                }
                for user_id, plain in zip(user_ids, plains, strict=True)
            ],
        )
    return plains


# --- Survey and campaign responses (app/insights bench) -------------------------------------------------------

SURVEY_BRAND_SLUG = "bench-survey-brand"
CAMPAIGN_BRAND_SLUG = "bench-campaign-brand"
CAMPAIGN_COMMUNITY_SLUG = "bench-testers"
CAMPAIGN_SLUG = "bench-campaign"
COMMENT_PARTS = (
    "lovely scent", "too strong", "price too high", "great colour", "would buy again", "packaging leaks",
    "my friends liked it", "smells like lavender", "too expensive", "nice and soft", "colour is dull", "gift idea",
)  # fmt: skip
OUTCOMES = ("keep", "change_colour", "change_price", "change_scent", "scrap")
AGES = ("age_18", "age_25", "age_35", "age_45", "age_55")
USES = ("bath", "kitchen", "travel", "gift")


@dataclass(frozen=True)
class GeneratedSurvey:
    brand_slug: str
    survey_id: int
    responses: int
    answers: int
    analyst_id: int
    question_ids: dict[str, int]


def _bench_survey(session: Any, *, title: str, tag: str, brand_slug: str) -> tuple[Any, Any, Any]:
    """A brand with an analyst, and its survey from the template with three more questions (about ten answers a
    response): (brand, analyst, survey), flushed."""
    from app.brands.models import BrandStaff, StaffRole
    from app.surveys import building as surveys_building
    from app.surveys import questions as surveys_questions
    from app.surveys.models import QuestionKind

    now = utcnow()
    brand = Brand(name=title.split(":")[0], slug=f"{brand_slug}-{tag}")
    session.add(brand)
    analyst = User(
        email=f"bench-analyst-{tag}@example.test",
        handle=f"analyst_{tag}",
        display_name="Bench analyst",
        password_hash=password_hasher.hash(secrets.token_urlsafe(16)),
        email_confirmed_at=now,
    )
    session.add(analyst)
    session.flush()  # ids for the staff row
    session.add(BrandStaff(brand_id=brand.id or 0, user_id=analyst.id or 0, role=StaffRole.analyst))
    survey = surveys_building.create_survey(session, brand=brand, title=title, author=analyst, template=True)
    extra = [
        surveys_questions.QuestionFields(
            kind=QuestionKind.single_choice,
            prompt="How old are you?",
            code="age",
            options=[
                {"key": key, "label": label}
                for key, label in zip(AGES, ("18-24", "25-34", "35-44", "45-54", "55+"), strict=True)
            ],
        ),
        surveys_questions.QuestionFields(kind=QuestionKind.rating, prompt="How do you like the scent?", code="scent"),
        surveys_questions.QuestionFields(
            kind=QuestionKind.multiple_choice,
            prompt="Where would you use it?",
            code="uses",
            options=[{"key": key, "label": key.title()} for key in USES],
        ),
    ]
    for fields in extra:
        surveys_questions.add_question(session, survey=survey, fields=fields)
    session.flush()
    return brand, analyst, survey


def _answers_of(rng: random.Random) -> list[tuple[str, str | None, float | None, str | None]]:
    """One response's answers as (question code, option, number, text); correlated (a low overall score leans to
    "scrap" and a low NPS), so that segments differ."""
    overall = min(5, max(1, round(rng.gauss(3.6, 1.1))))
    nps = min(10, max(0, round(overall * 2 + rng.gauss(0, 1.5))))
    outcome = (
        "keep" if overall >= 4 and rng.random() < 0.7 else
        "scrap" if overall <= 2 and rng.random() < 0.6 else rng.choice(OUTCOMES)
    )  # fmt: skip
    recommended = nps >= 7 and rng.random() < 0.6
    values: list[tuple[str, str | None, float | None, str | None]] = [
        ("overall", None, float(overall), None),
        ("outcome", outcome, None, None),
        ("recommend_intent", None, float(nps), None),
        ("recommended", "yes" if recommended else "no", None, None),
        ("age", rng.choice(AGES), None, None),
        ("scent", None, float(min(5, max(1, round(rng.gauss(overall, 1))))), None),
    ]
    if rng.random() < 0.8:
        values.append(("pay", None, float(max(1, round(rng.gauss(8 + overall, 3)))), None))
    if recommended:
        values.append(("recommended_count", None, float(rng.randint(1, 8)), None))
    if rng.random() < 0.25:
        values.append(("comments", None, None, ", ".join(rng.sample(COMMENT_PARTS, 2)).capitalize()))
    for use in rng.sample(USES, rng.choice((1, 2, 2, 3))):
        values.append(("uses", use, None, None))
    return values


def _answer_keys(values: list[tuple[str, str | None, float | None, str | None]], questions: dict[str, Any]) -> str:
    """The response's answer keys (``SurveyResponse.answer_keys``), as ``record_response`` writes them."""
    from app.surveys.answers import format_number
    from app.surveys.responses import answer_keys

    pairs = {
        (code, option if option is not None else format_number(number))
        for code, option, number, _ in values
        if option is not None or number is not None
    }
    pairs |= {(code, "*") for code, *_ in values}
    ordered = sorted(pairs, key=lambda pair: (questions[pair[0]].id or 0, pair[1]))
    return answer_keys([(questions[code], key) for code, key in ordered])


def _answer_values(seed: int, responses: int) -> Iterator[list[tuple[str, str | None, float | None, str | None]]]:
    """Each response's answers, the same on every call with the same seed: the responses' rows (with their keys)
    and the answers' rows are written in two passes over the same values."""
    rng = random.Random(f"answers-{seed}")  # noqa: S311  (benchmark data, not secrets)
    for _ in range(responses):
        yield _answers_of(rng)


class _Answers:
    """Answer rows for consecutive responses, and the tallies that count them, kept in the same pass."""

    def __init__(self, question_ids: dict[str, int], first_id: int) -> None:
        from app.surveys.models import ANSWERED

        self.answered_key = ANSWERED
        self.question_ids = question_ids
        self.next_id = first_id
        self.count = 0
        self.tallies: dict[tuple[int, str], list[float]] = {}

    def _tally(self, question_id: int, key: str, value: float = 0.0) -> None:
        entry = self.tallies.setdefault((question_id, key), [0, 0.0])
        entry[0] += 1
        entry[1] += value

    def rows(
        self, response_id: int, values: list[tuple[str, str | None, float | None, str | None]]
    ) -> Iterator[dict[str, Any]]:
        answered: set[str] = set()
        for code, option, number, body in values:
            question_id = self.question_ids[code]
            if option is not None:
                self._tally(question_id, option)
            elif number is not None:
                self._tally(question_id, str(int(number)), number)
            if code not in answered:
                answered.add(code)
                self._tally(question_id, self.answered_key, number or 0.0)
            yield {
                "id": self.next_id,
                "response_id": response_id,
                "question_id": question_id,
                "option_key": option,
                "number_value": number,
                "text_value": body,
                "image_id": None,
            }
            self.next_id += 1
            self.count += 1

    def tally_rows(self, survey_id: int) -> Iterator[dict[str, Any]]:
        for (question_id, key), (n, total) in sorted(self.tallies.items()):
            yield {"survey_id": survey_id, "question_id": question_id, "value_key": key, "count": int(n), "sum": total}


def _next_id(connection: Connection, table_name: str) -> int:
    return int(connection.execute(text(f"SELECT coalesce(max(id), 0) FROM {table_name}")).scalar_one() or 0) + 1  # noqa: S608


def _bulk(
    connection: Connection, model: Any, rows: Iterable[dict[str, Any]], report: ProgressCallback, stage: str
) -> None:
    """Insert many rows: COPY on PostgreSQL (several times faster than INSERTs), batched executemany elsewhere."""
    if connection.dialect.name != "postgresql":
        _insert(connection, model, rows, report, stage)
        return
    chunks = batches(rows)
    first = next(chunks, None)
    if first is None:
        return
    # The rows' own columns: those left out take their defaults, as with INSERT: the database's (an id), and the
    # model's constant ones, which COPY does not know (SQLAlchemy adds them to an INSERT in Python).
    columns = list(first[0])
    constants = {
        column.name: column.default.arg
        for column in table(model).columns
        if column.name not in first[0] and isinstance(column.default, ScalarElementColumnDefault)
    }
    raw = connection.connection.driver_connection
    assert raw is not None
    names = [*columns, *constants]
    json_columns = [index for index, name in enumerate(columns) if isinstance(table(model).c[name].type, JSON)]
    if json_columns:
        from psycopg.types.json import Jsonb

        rows_of = _json_rows(json_columns, Jsonb)
    else:
        rows_of = None
    with raw.cursor() as cursor, cursor.copy(f"COPY {table(model).name} ({', '.join(names)}) FROM STDIN") as copy:
        defaults = tuple(constants.values())
        for batch in itertools.chain([first], chunks):
            for row in batch:
                values = [row[column] for column in columns]
                if rows_of is not None:
                    values = rows_of(values)
                copy.write_row((*values, *defaults))
            report(stage, len(batch))


def _json_rows(positions: list[int], wrap: Callable[[Any], Any]) -> Callable[[list[Any]], list[Any]]:
    """COPY sends JSON values wrapped for the driver (INSERT lets SQLAlchemy's JSON type do it)."""

    def wrapped(values: list[Any]) -> list[Any]:
        for position in positions:
            values[position] = wrap(values[position])
        return values

    return wrapped


def _move_sequences(connection: Connection, *names: str) -> None:
    """PostgreSQL: explicit ids went in; move the sequences past them, so later rows get fresh ones."""
    if connection.dialect.name != "postgresql":
        return
    for name in names:
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"  # noqa: S608
        )


def generate_survey(
    engine: Engine, *, responses: int, seed: int = 1, days: int = 90, progress: ProgressCallback | None = None
) -> GeneratedSurvey:
    """One template survey with extra questions and ``responses`` responses of about ten answers each.

    The brand, its analyst and the survey go through the services; the responses, answers and tallies are
    bulk-inserted, the tallies computed in the same pass as the answers they count (so they equal a recount).
    """
    from sqlmodel import Session

    from app.db import writer_engine
    from app.surveys import questions as surveys_questions
    from app.surveys.models import Answer, AnswerTally, Survey, SurveyResponse

    report = progress or (lambda _stage, _count: None)
    now = utcnow()
    tag = secrets.token_hex(3)
    with Session(writer_engine(engine), expire_on_commit=False) as session:
        brand, analyst, survey = _bench_survey(
            session, title="Bench Survey Brand: lavender soap sampling", tag=tag, brand_slug=SURVEY_BRAND_SLUG
        )
        questions = {q.code: q for q in surveys_questions.list_questions(session, survey=survey) if q.code}
        qid = {code: question.id or 0 for code, question in questions.items()}
        session.commit()
        survey_id, brand_slug, analyst_id = survey.id or 0, brand.slug, analyst.id or 0

    with engine.begin() as connection:
        first_response = _next_id(connection, "survey_responses")
        answers = _Answers(qid, _next_id(connection, "survey_answers"))
        response_rows = (
            {
                "id": first_response + index,
                "survey_id": survey_id,
                "survey_version": 1,
                "user_id": None,
                "submitted_at": now
                - timedelta(days=days)
                + timedelta(seconds=index * days * 86400 // max(responses, 1)),
                "answer_keys": _answer_keys(values, questions),
            }
            for index, values in enumerate(_answer_values(seed, responses))
        )
        _bulk(connection, SurveyResponse, response_rows, report, "responses")
        answer_rows = (
            row
            for index, values in enumerate(_answer_values(seed, responses))
            for row in answers.rows(first_response + index, values)
        )
        _bulk(connection, Answer, answer_rows, report, "answers")
        _bulk(connection, AnswerTally, answers.tally_rows(survey_id), report, "tallies")
        connection.execute(
            table(Survey).update().where(table(Survey).c.id == survey_id).values(response_count=responses)
        )
        _move_sequences(connection, "survey_responses", "survey_answers")
    with engine.begin() as connection:  # committed: on PostgreSQL, new statistics are part of the transaction
        connection.exec_driver_sql("ANALYZE")
    return GeneratedSurvey(
        brand_slug=brand_slug,
        survey_id=survey_id,
        responses=responses,
        answers=answers.count,
        analyst_id=analyst_id,
        question_ids=qid,
    )


@dataclass(frozen=True)
class GeneratedCampaign:
    community_slug: str
    campaign_slug: str
    campaign_id: int
    survey_id: int
    analyst_id: int
    connectors: int
    links: int
    responses: int
    answers: int
    question_ids: dict[str, int]


@dataclass
class _Link:
    id: int
    connector: int  # index into the connectors
    hop: int
    parent: "_Link | None"
    created_by_response_id: int | None
    responses: int = 0
    opens: int = 0
    signups: int = 0
    shares: int = 0


# A response comes through hop 1 below the first share, hop 2 below the second, else hop 3 (three hops); with two
# hops, through hop 1 below the first, else hop 2.
HOP_SHARES = {3: (0.65, 0.93), 2: (0.65, 1.0)}
NEW_LINK = 0.35  # a response at hop 2 or 3 through a newly passed-on link (else one passed on before)


def _attribute(
    rng: random.Random, *, responses: int, connectors: int, first_link: int, first_response: int, hops: int = 3
) -> tuple[list[_Link], list[_Link]]:
    """Which share link each response came through (in order), and every link: each connector's own (hop 1), and the
    links people who answered passed on (hop 2 and 3, one per response at most, as ``friend_link`` makes them)."""
    first_share, second_share = HOP_SHARES[hops]
    weights = [rng.paretovariate(1.5) for _ in range(connectors)]  # a few connectors reach far more people
    roots = [_Link(id=first_link + index, connector=index, hop=1, parent=None, created_by_response_id=None)
             for index in range(connectors)]  # fmt: skip
    links = list(roots)
    passed: dict[tuple[int, int], list[_Link]] = {}  # (connector, hop): links passed on at that hop
    waiting: dict[tuple[int, int], list[tuple[int, _Link]]] = {}  # (connector, hop): answers that passed on nothing
    through: list[_Link] = []
    for index, connector in enumerate(rng.choices(range(connectors), weights, k=responses)):
        draw = rng.random()
        hop = 1 if draw < first_share else 2 if draw < second_share else 3
        link = roots[connector]
        while hop > 1:
            pool = passed.get((connector, hop), [])
            if pool and rng.random() > NEW_LINK:
                link = rng.choice(pool)
                break
            candidates = waiting.get((connector, hop - 1), [])
            if candidates:
                spot = rng.randrange(len(candidates))
                candidates[spot], candidates[-1] = candidates[-1], candidates[spot]
                response_id, parent = candidates.pop()
                link = _Link(first_link + len(links), connector, hop, parent, response_id)
                parent.shares += 1
                links.append(link)
                passed.setdefault((connector, hop), []).append(link)
                break
            hop -= 1
        link.responses += 1
        through.append(link)
        if link.hop < hops:
            waiting.setdefault((connector, link.hop), []).append((first_response + index, link))
    for link in links:
        link.opens = link.responses + round(link.responses * rng.uniform(0.1, 0.6)) + rng.randint(0, 2)
        link.signups = sum(1 for _ in range(link.responses) if rng.random() < 0.03)
    return links, through


def _vacuum_analyze(engine: Engine) -> None:
    """Statistics for the planner, and on PostgreSQL a VACUUM too: rows loaded by COPY are not yet marked visible
    to all, so no index-only scan pays until autovacuum comes by, as it would have long since in a live database
    (the segments' answer lookups read the covering index of ``survey_answers`` alone once it has)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM survey_answers, survey_responses, campaign_responses, share_links")
    with engine.begin() as connection:  # committed: on PostgreSQL, new statistics are part of the transaction
        connection.exec_driver_sql("ANALYZE")


def generate_campaign(
    engine: Engine,
    *,
    responses: int,
    connectors: int = 1000,
    seed: int = 1,
    days: int = 30,
    hops: int = 3,
    network_size: int = 25,
    progress: ProgressCallback | None = None,
) -> GeneratedCampaign:
    """A sampling campaign in its feedback window: ``connectors`` accepted connectors (each declaring a network of
    ``network_size``) with samples passed on, share links through ``hops`` hops (2 or 3), and ``responses`` friends'
    answers of about ten each, with the counters.

    The brand, its analyst, the community, the campaign and its survey go through the services or the ORM; the rest
    is bulk-inserted (COPY on PostgreSQL). Every counter is computed from the generated rows in the same pass: the
    survey's tallies, each share link's (its own and everything that came through the links passed on from it, as
    ``_bump`` keeps them), each connector's per hop; so they equal a recount, which ``bench.insights`` checks.
    The campaign's kept totals (``app.campaigns.totals``) are recounted once at the end, from those rows.
    """
    import hashlib
    from array import array

    from sqlmodel import Session

    from app.campaigns import totals as campaign_totals
    from app.campaigns.models import (
        ApplicationStatus,
        Campaign,
        CampaignApplication,
        CampaignResponse,
        CampaignStatus,
        ConnectorReach,
        ShareLink,
    )
    from app.db import writer_engine
    from app.surveys import questions as surveys_questions
    from app.surveys.models import Answer, AnswerTally, Survey, SurveyResponse

    if connectors < 1 or responses < 0:
        raise ValueError("at least one connector")
    if hops not in HOP_SHARES:
        raise ValueError(f"hops: one of {', '.join(map(str, sorted(HOP_SHARES)))}")
    report = progress or (lambda _stage, _count: None)
    rng = random.Random(seed)  # noqa: S311  (benchmark data, not secrets)
    now = utcnow()
    tag = secrets.token_hex(3)
    start = now - timedelta(days=days)
    with Session(writer_engine(engine), expire_on_commit=False) as session:
        brand, analyst, survey = _bench_survey(
            session, title="Bench Campaign Brand: lavender soap", tag=tag, brand_slug=CAMPAIGN_BRAND_SLUG
        )
        slug = CAMPAIGN_COMMUNITY_SLUG
        if _exists(session.connection(), slug):
            slug = f"{CAMPAIGN_COMMUNITY_SLUG}-{tag}"
        community = Community(
            brand_id=brand.id or 0,
            name="Bench Testers",
            slug=slug,
            kind=CommunityKind.feedback,
            visibility=Visibility.public,
            member_count=connectors,
        )
        session.add(community)
        session.flush()
        campaign = Campaign(
            community_id=community.id or 0,
            title="Bench campaign",
            slug=CAMPAIGN_SLUG,
            product_name="Bench lavender soap",
            kit_count=connectors,
            kits_accepted=connectors,
            application_count=connectors,
            samples_per_kit=network_size,
            status=CampaignStatus.published,
            survey_id=survey.id,
            created_by_id=analyst.id,
            apply_opens_at=start - timedelta(days=30),
            apply_closes_at=start - timedelta(days=20),
            ship_closes_at=start,
            share_closes_at=now - timedelta(days=1),
            feedback_closes_at=now + timedelta(days=30),
        )
        session.add(campaign)
        questions = {q.code: q for q in surveys_questions.list_questions(session, survey=survey) if q.code}
        qid = {code: question.id or 0 for code, question in questions.items()}
        session.commit()
        ids = {"community": community.id or 0, "campaign": campaign.id or 0, "survey": survey.id or 0}
        analyst_id, community_slug = analyst.id or 0, community.slug

    password_hash = password_hasher.hash(secrets.token_urlsafe(16))  # nobody logs in with a password
    with engine.begin() as connection:
        first_user = _next_id(connection, "users")
        user_ids = list(range(first_user, first_user + connectors))
        _bulk(
            connection,
            User,
            (
                {
                    "id": user_id,
                    "email": f"bench-connector-{tag}-{number}@example.test",
                    "handle": f"c{tag}_{number}",
                    "display_name": f"Connector {number}",
                    "bio": "",
                    "password_hash": password_hash,
                    "is_site_admin": False,
                    "is_active": True,
                    "email_confirmed_at": now,
                    "created_at": now,
                    "password_changed_at": now,
                }
                for number, user_id in enumerate(user_ids, start=1)
            ),
            report,
            "connectors",
        )
        _bulk(
            connection,
            Membership,
            ({"community_id": ids["community"], "user_id": user_id, "role": "connector", "joined_at": start}
             for user_id in user_ids),
            report,
            "memberships",
        )  # fmt: skip
        _bulk(
            connection,
            CampaignApplication,
            (
                {
                    "campaign_id": ids["campaign"],
                    "user_id": user_id,
                    "status": ApplicationStatus.accepted,
                    "network_size": network_size,
                    "eligibility_answers": {},
                    "eligible": True,
                    "motivation": "",
                    "recipient_name": f"Connector {number}",
                    "address_line1": f"{number} Bench Road",
                    "address_line2": "",
                    "city": "Leeds",
                    "postcode": "LS1 4AP",
                    "country": "GB",
                    "household_key": hashlib.sha256(f"{tag}-{number}".encode()).hexdigest(),
                    "samples_passed_on": rng.randint(min(5, network_size), network_size),
                    "created_at": start - timedelta(days=25),
                    "decided_at": start - timedelta(days=18),
                }
                for number, user_id in enumerate(user_ids, start=1)
            ),
            report,
            "applications",
        )

        first_response = _next_id(connection, "survey_responses")
        first_campaign_response = _next_id(connection, "campaign_responses")
        links, through = _attribute(
            rng,
            responses=responses,
            connectors=connectors,
            first_link=_next_id(connection, "share_links"),
            first_response=first_campaign_response,
            hops=hops,
        )
        # What each link shows counts everything that came through the links passed on from it, too.
        totals = {link.id: [link.opens, link.responses, link.signups, link.shares] for link in links}
        for link in sorted(links, key=lambda each: -each.hop):
            if link.parent is not None:
                parent = totals[link.parent.id]
                for position, value in enumerate(totals[link.id]):
                    parent[position] += value
        # Parents first: a passed-on link refers to the link it came from.
        _bulk(
            connection,
            ShareLink,
            (
                {
                    "id": link.id,
                    "code": f"b{tag}{link.id:x}",
                    "campaign_id": ids["campaign"],
                    "connector_id": user_ids[link.connector],
                    "parent_id": link.parent.id if link.parent else None,
                    "hop": link.hop,
                    "created_by_response_id": link.created_by_response_id,
                    "open_count": totals[link.id][0],
                    "response_count": totals[link.id][1],
                    "signup_count": totals[link.id][2],
                    "share_count": totals[link.id][3],
                    "created_at": start,
                }
                for link in sorted(links, key=lambda each: each.hop)
            ),
            report,
            "links",
        )
        reach: dict[tuple[int, int], list[int]] = {}
        for link in links:
            row = reach.setdefault((link.connector, link.hop), [0, 0, 0, 0])
            for position, value in enumerate((link.opens, link.responses, link.signups, link.shares)):
                row[position] += value
        _bulk(
            connection,
            ConnectorReach,
            (
                {
                    "campaign_id": ids["campaign"],
                    "connector_id": user_ids[connector],
                    "hop": hop,
                    "open_count": opens,
                    "response_count": answered,
                    "signup_count": signups,
                    "share_count": shares,
                }
                for (connector, hop), (opens, answered, signups, shares) in sorted(reach.items())
            ),
            report,
            "reach",
        )

        moments = array(
            "d", (start.timestamp() + index * days * 86400 / max(responses, 1) for index in range(responses))
        )

        def submitted(index: int) -> datetime:
            return datetime.fromtimestamp(moments[index], tz=now.tzinfo)

        _bulk(
            connection,
            SurveyResponse,
            (
                {
                    "id": first_response + index,
                    "survey_id": ids["survey"],
                    "survey_version": 1,
                    "user_id": None,
                    "submitted_at": submitted(index),
                    "answer_keys": _answer_keys(values, questions),
                }
                for index, values in enumerate(_answer_values(seed, responses))
            ),
            report,
            "responses",
        )

        def attribution() -> Iterator[dict[str, Any]]:
            for index, link in enumerate(through):
                email = f"friend-{tag}-{index}@example.test" if rng.random() < 0.1 else None
                yield {
                    "id": first_campaign_response + index,
                    "campaign_id": ids["campaign"],
                    "survey_response_id": first_response + index,
                    "share_link_id": link.id,
                    "connector_id": user_ids[link.connector],
                    "hop": link.hop,
                    "email": email,
                    "consent": email is not None and rng.random() < 0.5,
                    "device_hash": f"{tag}{index:058x}",
                    "user_id": None,
                    "created_at": submitted(index),
                }

        _bulk(connection, CampaignResponse, attribution(), report, "attribution")
        answers = _Answers(qid, _next_id(connection, "survey_answers"))
        _bulk(
            connection,
            Answer,
            (
                row
                for index, values in enumerate(_answer_values(seed, responses))
                for row in answers.rows(first_response + index, values)
            ),
            report,
            "answers",
        )
        _bulk(connection, AnswerTally, answers.tally_rows(ids["survey"]), report, "tallies")
        connection.execute(
            table(Survey).update().where(table(Survey).c.id == ids["survey"]).values(response_count=responses)
        )
        _move_sequences(connection, "users", "share_links", "survey_responses", "campaign_responses", "survey_answers")
    report("totals", 0)
    with Session(writer_engine(engine)) as session:  # the kept totals: recounted once from the loaded rows
        campaign_totals.recount_campaign_totals(session, campaign_id=ids["campaign"])
        session.commit()
    report("totals", 1)
    _vacuum_analyze(engine)
    return GeneratedCampaign(
        community_slug=community_slug,
        campaign_slug=CAMPAIGN_SLUG,
        campaign_id=ids["campaign"],
        survey_id=ids["survey"],
        analyst_id=analyst_id,
        connectors=connectors,
        links=len(links),
        responses=responses,
        answers=answers.count,
        question_ids=qid,
    )
