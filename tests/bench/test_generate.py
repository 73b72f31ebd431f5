"""`chorus generate challenge`: bulk-inserted data whose counters equal a recount, in a database of its own."""

from pathlib import Path

from sqlalchemy import text

from app.db import build_engine, migrate
from app.generate import generate_challenge, issue_tokens, set_phase
from bench.challenges import verify


def test_generated_counters_equal_a_recount(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'generated.db').as_posix()}"
    migrate(url)
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
