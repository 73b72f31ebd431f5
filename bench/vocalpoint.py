"""The campaign dashboard at Vocalpoint scale, on PostgreSQL: 600,000 connectors with declared networks of 25
(15 million reach) and 1,000,000 responses over two hops.

    python -m bench.vocalpoint [--connectors 600000] [--responses 1000000] [--hops 2] [--network-size 25]
                               [--requests 20] [--no-http] [--postgres-url URL] [--schema NAME] [--keep]
                               [--json FILE]

1. A PostgreSQL schema of its own (dropped afterwards unless ``--keep``; ``--schema`` reuses one kept before and
   skips generating), ``chorus migrate``, then ``chorus generate campaign`` with its progress bar shown as it goes:
   the generation time. Then the checks of ``bench.insights`` (counters against a recount). PASS/FAIL.
2. In this process: the segments of ``bench.insights``, each one's survey figures (``survey_results`` for the
   segment: what grows with its respondents), median of 3, and the plan with timings (``EXPLAIN ANALYZE``) of the
   largest segment's query; then the dashboard's service calls as the page makes them (``campaign_scope`` then
   ``campaign_results`` for everyone): median of ``--requests`` after a warm-up.
3. Unless ``--no-http``: the real server (uvicorn, one worker, ``CHORUS_SERVER_TIMING=1``), one client, the brand's
   analyst: the results page and its JSON, median server time of ``--requests`` after a warm-up.

Target (from the production topology issue): the dashboard's median at most 100 ms.
"""

import argparse
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

from bench.insights import SEGMENT_REQUESTS, Bench, chorus, finish, running, segments, timed, verify
from bench.run import ROOT, server_environment

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DASHBOARD_TARGET_MS = 100.0
GENERATE_TIMEOUT = 3 * 3600.0


def schema_url(postgres_url: str, schema: str) -> str:
    return make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)


def generate(environment: dict[str, str], arguments: argparse.Namespace) -> float:
    """``chorus generate campaign`` with its progress bar on this terminal; the seconds it took."""
    chorus(environment, "migrate")
    started = time.perf_counter()
    subprocess.run(  # noqa: S603  (fixed arguments)
        [
            sys.executable, "-c", "from app.cli import main; main()", "generate", "campaign",
            "--connectors", str(arguments.connectors), "--responses", str(arguments.responses),
            "--hops", str(arguments.hops), "--network-size", str(arguments.network_size),
        ],
        cwd=ROOT, env=environment, timeout=GENERATE_TIMEOUT, check=True,
    )  # fmt: skip
    return time.perf_counter() - started


def bench_of(environment: dict[str, str], responses: int) -> Bench:
    engine = create_engine(environment["CHORUS_DATABASE_URL"])
    with engine.connect() as connection:
        community, campaign = connection.execute(
            text(
                "SELECT communities.slug, campaigns.slug FROM campaigns JOIN communities "
                "ON communities.id = campaigns.community_id ORDER BY campaigns.id DESC LIMIT 1"
            )
        ).one()
    engine.dispose()
    return Bench("vocalpoint", {**environment, "CHORUS_SERVER_TIMING": "1"}, responses, community, campaign)


def service_times(url: str, requests: int) -> dict[str, float]:
    """The dashboard's service calls for everyone, in this process, each in a fresh session (as a request)."""
    from sqlmodel import Session

    from app.campaigns.models import Campaign
    from app.communities.models import Community
    from app.insights import campaign_results as campaign_service

    engine = create_engine(url)
    times = []
    for number in range(requests + 1):
        with Session(engine) as session:
            started = time.perf_counter()
            campaign = session.get(Campaign, session.execute(text("SELECT max(id) FROM campaigns")).scalar_one())
            assert campaign is not None
            community = session.get(Community, campaign.community_id)
            assert community is not None
            scope = campaign_service.campaign_scope(session, campaign=campaign)
            results = campaign_service.campaign_results(session, scope=scope, community=community)
            elapsed = (time.perf_counter() - started) * 1000
        if number:  # the first warms the caches up
            times.append(elapsed)
    engine.dispose()
    print(f"  service calls: a page of {len(results.connectors):,} of {results.connector_total:,} connectors")
    return {"median_ms": statistics.median(times), "max_ms": max(times), "requests": requests}


def _segment_filter(session: Any, query: str) -> tuple[Any, Any]:
    """The campaign's scope and the resolved segment a query string names (as the results page reads it)."""
    from app.campaigns.models import Campaign
    from app.insights import campaign_results
    from app.insights import survey_results as results_service
    from app.insights.segments import read_campaign_segment

    params: dict[str, list[str]] = defaultdict(list)
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        params[name].append(value)
    campaign = session.get(Campaign, session.execute(text("SELECT max(id) FROM campaigns")).scalar_one())
    assert campaign is not None
    scope = campaign_results.campaign_scope(session, campaign=campaign)
    assert scope.survey is not None
    questions = results_service.questions_by_id(session, survey=scope.survey)
    form = read_campaign_segment(params, "a", questions)
    return scope, campaign_results.campaign_filter(session, scope=scope, form=form)


def segment_times(url: str, queries: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each segment's survey figures (``survey_results`` for the segment: the part of a segment's page that reads its
    respondents' answers), median of 3 after a warm-up, in this process."""
    from sqlmodel import Session

    from app.insights import survey_results as results_service

    engine = create_engine(url)
    measured = {}
    for name, query in queries.items():
        times = []
        for number in range(SEGMENT_REQUESTS + 1):
            with Session(engine) as session:
                started = time.perf_counter()
                scope, chosen = _segment_filter(session, query)
                figures = results_service.survey_results(
                    session, survey=scope.survey, segment=chosen.segment, population=scope.population
                )
                if number:
                    times.append((time.perf_counter() - started) * 1000)
        measured[name] = {"query": query, "respondents": figures.respondents, "median_ms": statistics.median(times)}
        print(f"  segment {name} ({query}): {figures.respondents} respondents, {measured[name]['median_ms']:.0f} ms")
    engine.dispose()
    return measured


def explain_analyze(url: str, query: str) -> list[str]:
    """The segment's answer-keys query (``segment_keys``), run with EXPLAIN (ANALYZE, BUFFERS)."""
    from sqlmodel import Session

    from app.insights import survey_results as results_service

    engine = create_engine(url)
    with Session(engine) as session:
        scope, chosen = _segment_filter(session, query)
        keys = results_service.segment_keys(scope.survey, chosen.segment)
        compiled = keys.compile(engine, compile_kwargs={"literal_binds": True})
        rows = session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")).all()
    engine.dispose()
    return [str(compiled), *(row[0] for row in rows)]


def measure(bench: Bench, data_dir: Path, requests: int, *, http: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {"segments": segment_times(bench.url, segments(bench))}
    largest = max(figures["segments"].values(), key=lambda each: each["respondents"] or 0)
    figures["largest_segment_plan"] = explain_analyze(bench.url, largest["query"])
    print(f"  the largest segment's query ({largest['query']}):")
    for line in figures["largest_segment_plan"]:
        print(f"    {line}")
    figures["service"] = service_times(bench.url, requests)
    print(f"  service calls, median of {requests}: {figures['service']['median_ms']:.1f} ms")
    if not http:
        return figures
    with running(bench, data_dir) as (client, _):
        figures["page"] = timed(client, bench.page, requests=requests, warm_up=1)
        print(f"  results page (HTML), median server time: {figures['page']['median_ms']:.1f} ms")
        figures["json"] = timed(client, bench.api, requests=requests, warm_up=1)
        print(f"  the same as JSON, median server time: {figures['json']['median_ms']:.1f} ms")
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.vocalpoint", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--connectors", type=int, default=600_000)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--hops", type=int, choices=(2, 3), default=2)
    parser.add_argument("--network-size", type=int, default=25)
    parser.add_argument("--requests", type=int, default=20, help="dashboard requests measured (20)")
    parser.add_argument("--no-http", action="store_true", help="only the service calls, not the server's pages")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--schema", help="reuse this schema, generated and kept by an earlier run (--keep)")
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards (its name is printed)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.requests <= 200:
        parser.error("1 to 200 requests")

    schema = arguments.schema or f"bench_vocalpoint_{secrets.token_hex(4)}"
    admin = create_engine(arguments.postgres_url, isolation_level="AUTOCOMMIT")
    figures: dict[str, Any] = {"schema": schema}
    failures: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="chorus-bench-vocalpoint-") as directory:
            data_dir = Path(directory)
            environment = server_environment(data_dir)
            environment["CHORUS_DATABASE_URL"] = schema_url(arguments.postgres_url, schema)
            if arguments.schema is None:
                with admin.connect() as connection:
                    connection.execute(text(f'CREATE SCHEMA "{schema}"'))
                print(
                    f"Generating in schema {schema}: {arguments.connectors:,} connectors (networks of "
                    f"{arguments.network_size}), {arguments.responses:,} responses over {arguments.hops} hops"
                )
                figures["generation_s"] = generate(environment, arguments)
                print(f"  generated in {figures['generation_s']:.0f} s")
            bench = bench_of(environment, arguments.responses)
            if arguments.schema is None:  # a kept schema was checked when it was generated
                checks = verify(bench.url)
                figures["checks"] = checks
                bad = {key: value for key, value in checks.items() if key != "responses" and value}
                print(f"  checks (counters against a recount): {'FAIL ' + str(bad) if bad else 'PASS'}")
                if bad:
                    failures.append(f"counters differ from a recount: {bad}")
            figures.update(measure(bench, data_dir, arguments.requests, http=not arguments.no_http))
            for what in ("service", "page", "json"):
                if what in figures and figures[what]["median_ms"] > DASHBOARD_TARGET_MS:
                    failures.append(f"{what}: median {figures[what]['median_ms']:.0f} ms > {DASHBOARD_TARGET_MS} ms")
    finally:
        if arguments.keep:
            print(f"Kept schema {schema} (reuse it with --schema {schema})")
        else:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    finish(arguments.json, figures, failures)


if __name__ == "__main__":
    main()
