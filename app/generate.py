"""Generated data for the benchmarks: one challenge with many members, designs and scores, bulk-inserted.

    chorus generate challenge --designs 10000 --scores 1000000 --members 20000 [--phase scoring|closed]

Everything goes in with SQLAlchemy Core ``executemany`` in batches (no ORM object per row), in one transaction:
a brand, a public community, ``members`` confirmed users and their memberships, a published challenge, one
``media_images`` row per design and the designs and scores. Every image row points at the same real renditions
(one small JPEG put through the upload pipeline once): enough for the pages, which only link to them.

The counters are computed in the same pass as the scores they count (each design's count, sum, "I'd buy it"
count and Bayesian score against the final challenge mean; the challenge's design count, score count and sum;
the community's member count), so they equal a recount by construction; ``bench.challenges`` checks that.
"""

import io
import random
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, bindparam, insert, select, text

from app.accounts.models import ApiToken, User
from app.accounts.service import API_TOKEN_PREFIX, hash_token, password_hasher
from app.brands.models import Brand
from app.challenges.models import Challenge, ChallengeStatus, Design, Score
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
        _insert(connection, User, users, report, "members")
        memberships = (
            {"community_id": community_id, "user_id": user_id, "role": "member", "joined_at": now}
            for user_id in member_ids
        )
        _insert(connection, Membership, memberships, report, "memberships")

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
                "perceptual_hash",
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
        _insert(connection, Score, score_rows(), report, "scores")

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
            table(Challenge)
            .update()
            .where(table(Challenge).c.id == challenge_id)
            .values(score_count=total_count, score_sum=total_sum)
        )
        report("counters", designs)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
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
                    "last_used_at": now,
                }
                for user_id, plain in zip(user_ids, plains, strict=True)
            ],
        )
    return plains


# --- Survey responses (app/insights bench) --------------------------------------------------------------------

SURVEY_BRAND_SLUG = "bench-survey-brand"
COMMENT_PARTS = (
    "lovely scent", "too strong", "price too high", "great colour", "would buy again", "packaging leaks",
    "my friends liked it", "smells like lavender", "too expensive", "nice and soft", "colour is dull", "gift idea",
)  # fmt: skip


@dataclass(frozen=True)
class GeneratedSurvey:
    brand_slug: str
    survey_id: int
    responses: int
    answers: int
    analyst_id: int
    question_ids: dict[str, int]


def generate_survey(
    engine: Engine, *, responses: int, seed: int = 1, days: int = 90, progress: ProgressCallback | None = None
) -> GeneratedSurvey:
    """One template survey with extra questions and ``responses`` responses of about ten answers each.

    The brand, its analyst and the survey go through the services; the responses, answers and tallies are
    bulk-inserted, the tallies computed in the same pass as the answers they count (so they equal a recount,
    which the bench checks). Answers are correlated (a low overall score leans to "scrap" and a low NPS) so that
    segments differ.
    """
    from sqlmodel import Session

    from app.brands.models import BrandStaff, StaffRole
    from app.db import writer_engine
    from app.surveys import service as surveys_service
    from app.surveys.models import ANSWERED, Answer, AnswerTally, QuestionKind, Survey, SurveyResponse

    report = progress or (lambda _stage, _count: None)
    rng = random.Random(seed)  # noqa: S311  (benchmark data, not secrets)
    now = utcnow()
    tag = secrets.token_hex(3)
    with Session(writer_engine(engine), expire_on_commit=False) as session:
        brand = Brand(name="Bench Survey Brand", slug=f"{SURVEY_BRAND_SLUG}-{tag}")
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
        survey = surveys_service.create_survey(
            session, brand=brand, title="Lavender soap sampling", author=analyst, template=True
        )
        extra = [
            surveys_service.QuestionFields(
                kind=QuestionKind.single_choice,
                prompt="How old are you?",
                code="age",
                options=[
                    {"key": f"age_{key[:2]}", "label": key} for key in ("18-24", "25-34", "35-44", "45-54", "55+")
                ],
            ),
            surveys_service.QuestionFields(kind=QuestionKind.rating, prompt="How do you like the scent?", code="scent"),
            surveys_service.QuestionFields(
                kind=QuestionKind.multiple_choice,
                prompt="Where would you use it?",
                code="uses",
                options=[{"key": key, "label": key.title()} for key in ("bath", "kitchen", "travel", "gift")],
            ),
        ]
        for fields in extra:
            surveys_service.add_question(session, survey=survey, fields=fields)
        questions = {q.code: q for q in surveys_service.list_questions(session, survey=survey) if q.code}
        session.commit()
        survey_id, brand_slug, analyst_id = survey.id or 0, brand.slug, analyst.id or 0
    qid = {code: question.id or 0 for code, question in questions.items()}
    outcomes = ("keep", "change_colour", "change_price", "change_scent", "scrap")

    tallies: dict[tuple[int, str], list[float]] = {}

    def tally(question_id: int, key: str, value: float = 0.0) -> None:
        entry = tallies.setdefault((question_id, key), [0, 0.0])
        entry[0] += 1
        entry[1] += value

    counted = {"answers": 0}

    with engine.begin() as connection:
        first_response = (
            connection.execute(text("SELECT coalesce(max(id), 0) FROM survey_responses")).scalar_one() or 0
        ) + 1
        first_answer = (
            connection.execute(text("SELECT coalesce(max(id), 0) FROM survey_answers")).scalar_one() or 0
        ) + 1
        response_rows = (
            {
                "id": first_response + index,
                "survey_id": survey_id,
                "survey_version": 1,
                "user_id": None,
                "submitted_at": now
                - timedelta(days=days)
                + timedelta(seconds=index * days * 86400 // max(responses, 1)),
            }
            for index in range(responses)
        )
        _insert(connection, SurveyResponse, response_rows, report, "responses")

        def answer_rows() -> Iterator[dict[str, Any]]:
            answer_id = first_answer
            for index in range(responses):
                response_id = first_response + index
                overall = min(5, max(1, round(rng.gauss(3.6, 1.1))))
                nps = min(10, max(0, round(overall * 2 + rng.gauss(0, 1.5))))
                outcome = (
                    "keep" if overall >= 4 and rng.random() < 0.7 else
                    "scrap" if overall <= 2 and rng.random() < 0.6 else rng.choice(outcomes)
                )  # fmt: skip
                recommended = nps >= 7 and rng.random() < 0.6
                values: list[tuple[str, str | None, float | None, str | None]] = [
                    ("overall", None, float(overall), None),
                    ("outcome", outcome, None, None),
                    ("recommend_intent", None, float(nps), None),
                    ("recommended", "yes" if recommended else "no", None, None),
                    ("age", rng.choice(("age_18", "age_25", "age_35", "age_45", "age_55")), None, None),
                    ("scent", None, float(min(5, max(1, round(rng.gauss(overall, 1))))), None),
                ]
                if rng.random() < 0.8:
                    values.append(("pay", None, float(max(1, round(rng.gauss(8 + overall, 3)))), None))
                if recommended:
                    values.append(("recommended_count", None, float(rng.randint(1, 8)), None))
                if rng.random() < 0.25:
                    values.append(("comments", None, None, ", ".join(rng.sample(COMMENT_PARTS, 2)).capitalize()))
                for use in rng.sample(("bath", "kitchen", "travel", "gift"), rng.choice((1, 2, 2, 3))):
                    values.append(("uses", use, None, None))
                answered: set[str] = set()
                for code, option, number, body in values:
                    question_id = qid[code]
                    if option is not None:
                        tally(question_id, option)
                    elif number is not None:
                        tally(question_id, str(int(number)), number)
                    if code not in answered:
                        answered.add(code)
                        tally(question_id, ANSWERED, number or 0.0)
                    yield {
                        "id": answer_id,
                        "response_id": response_id,
                        "question_id": question_id,
                        "option_key": option,
                        "number_value": number,
                        "text_value": body,
                        "image_id": None,
                    }
                    answer_id += 1
                    counted["answers"] += 1

        _insert(connection, Answer, answer_rows(), report, "answers")
        _insert(
            connection,
            AnswerTally,
            (
                {"survey_id": survey_id, "question_id": question_id, "value_key": key, "count": int(n), "sum": total}
                for (question_id, key), (n, total) in sorted(tallies.items())
            ),
            report,
            "tallies",
        )
        connection.execute(
            table(Survey).update().where(table(Survey).c.id == survey_id).values(response_count=responses)
        )
        if engine.dialect.name == "postgresql":
            # Explicit ids went in: move the sequences past them, so later responses get fresh ones.
            for name in ("survey_responses", "survey_answers"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"  # noqa: S608
                )
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    return GeneratedSurvey(
        brand_slug=brand_slug,
        survey_id=survey_id,
        responses=responses,
        answers=counted["answers"],
        analyst_id=analyst_id,
        question_ids=qid,
    )
