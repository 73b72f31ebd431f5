"""Per-call cost of two hot services, in process: an idea vote taken back (``vote`` then ``unvote``) and a survey
response (``record_response``), each in its own transaction on the writer engine, as a request would run it.

Prints, for each: the mean and median wall time per call and the SQL statements each call sends (counted by a
``before_cursor_execute`` listener: the structural figure that does not move with the machine's load).

    .venv/bin/python -m bench.hot_paths [--calls 2000] [--database-url postgresql+psycopg://...]

Without ``--database-url`` it uses a throw-away SQLite file; with one, a throw-away PostgreSQL schema
(``tests.databases``). The data are made with the tests' factories: one community, one idea, many members.
"""

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event
from sqlmodel import Session

from app.accounts.models import User
from app.db import build_engine, migrate, writer_engine
from app.ideas import votes as ideas_votes
from app.ideas.models import Idea
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys.models import Survey
from tests import databases
from tests.factories import make_community
from tests.ideas.factories import make_idea, make_member
from tests.surveys.factories import make_survey

MAX_CALLS = 20_000


@contextmanager
def counting(engine: Engine, *, show: bool = False) -> Iterator[list[int]]:
    """Count the statements sent to the database while the block runs (and print them with ``show``)."""
    sent = [0]

    def count(_connection: object, _cursor: object, statement: str, *_args: object) -> None:
        sent[0] += 1
        if show:
            print("   ", " ".join(statement.split())[:150])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def timed(
    engine: Engine, calls: int, work: Callable[[Session, int], None], *, show: bool = False
) -> tuple[list[float], float, float]:
    """Run ``work`` ``calls`` times, each in a session and transaction of its own; (wall seconds per call, CPU
    seconds per call, statements per call). CPU time is this process's, so it moves less with the machine's load."""
    times: list[float] = []
    writer = writer_engine(engine)
    cpu_started = time.process_time()
    with counting(engine, show=show) as sent:
        for number in range(calls):
            started = time.perf_counter()
            with Session(writer, expire_on_commit=False) as session:
                work(session, number)
                session.commit()
            times.append(time.perf_counter() - started)
    return times, (time.process_time() - cpu_started) / calls, sent[0] / calls


def report(name: str, times: list[float], cpu: float, statements: float) -> None:
    mean = statistics.fmean(times) * 1e3
    median = statistics.median(times) * 1e3
    print(
        f"{name:<28} wall mean {mean:6.2f} ms  median {median:6.2f} ms  CPU {cpu * 1e3:6.2f} ms  "
        f"statements/call {statements:5.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--show", action="store_true", help="print the statements of one call of each")
    args = parser.parse_args()
    calls = min(args.calls, MAX_CALLS)
    if args.database_url:
        os.environ["CHORUS_TEST_DATABASE_URL"] = args.database_url
    with (
        tempfile.TemporaryDirectory() as directory,
        databases.temporary_database(label="bench", sqlite_dir=Path(directory)) as url,
    ):
        migrate(url)
        engine = build_engine(url)
        try:
            run(engine, calls, show=args.show)
        finally:
            engine.dispose()


def run(engine: Engine, calls: int, *, show: bool) -> None:
    members = 50
    with Session(engine, expire_on_commit=False) as session:
        community = make_community(session)
        idea = make_idea(session, community)
        voter_ids = [make_member(session, community).id or 0 for _ in range(members)]
        survey = make_survey(session, template=True)
        questions = surveys_questions.list_questions(session, survey=survey)
        session.commit()
        idea_id, survey_id = idea.id or 0, survey.id or 0
    answers = template_answers(questions)

    def vote_and_take_back(session: Session, number: int) -> None:
        # Each member votes in turn, so the rate limit per account never trips.
        voter = session.get(User, voter_ids[number % members])
        idea = session.get(Idea, idea_id)
        assert voter is not None and idea is not None
        assert ideas_votes.vote(session, idea=idea, voter=voter)
        assert ideas_votes.unvote(session, idea=idea, voter=voter)

    def respond(session: Session, _number: int) -> None:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        surveys_responses.record_response(session, survey=survey, form=answers)

    for name, work in (("vote + unvote", vote_and_take_back), ("record_response (template)", respond)):
        timed(engine, min(calls, 100), work)  # warm-up: statement caches, pool
        if show:
            print(f"{name}, the statements of one call:")
            timed(engine, 1, work, show=True)
        times, cpu, statements = timed(engine, calls, work)
        report(name, times, cpu, statements)


def template_answers(questions: list) -> dict[str, list[str]]:  # type: ignore[type-arg]
    """A full answer to the template survey: the first option, 4 stars, 9 out of 10, yes, some text."""
    form: dict[str, list[str]] = {}
    for question in questions:
        if question.options:
            form[question.input_name] = [question.options[0]["key"]]
        elif question.kind == "rating":
            form[question.input_name] = ["4"]
        elif question.kind == "nps":
            form[question.input_name] = ["9"]
        elif question.kind == "yes_no":
            form[question.input_name] = ["yes"]
        elif question.kind == "number":
            form[question.input_name] = ["3"]
        elif question.kind == "text":
            form[question.input_name] = ["Lovely scent, a bit strong."]
    return form


if __name__ == "__main__":
    main()
