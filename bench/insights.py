"""Campaign insights at scale: the results dashboard, segments that cannot use rollups, and the CSV export.

    python -m bench.insights [--small 100000] [--large 1000000] [--connectors 1000] [--requests 30]
                             [--database sqlite|postgresql|both] [--postgres-url URL] [--only-large] [--json FILE]

For each database (SQLite in a temporary directory; PostgreSQL in a schema of its own, dropped afterwards):

1. Two generated campaigns (`chorus generate campaign`, in subprocesses): ``--small`` and ``--large`` responses
   of about ten answers each, ``--connectors`` connectors, share links over three hops. Then the checks: the
   survey's tallies, every share link's and connector's counters equal a recount of the rows. PASS/FAIL.
2. The real server (uvicorn, one worker) with CHORUS_SERVER_TIMING=1: every response carries
   ``Server-Timing: app;dur=<ms>``, measured in the server. One client, one request at a time, the brand's analyst
   (a bearer token):
   - the dashboard, ``GET /c/<community>/campaigns/<slug>/insights`` (everyone: tallies and counters), and its
     JSON: median server time of ``--requests`` requests after a warm-up, on both sizes;
   - segments, which cannot use the tallies (a connector; an answer at a hop; an age; the last week; half the
     respondents), on the large campaign: median of 3 after one warm-up, and the plan of the query that reads
     the segment's answer keys (``survey_results.segment_keys``);
   - the responses' CSV export, streamed by a freshly started server: time to the first byte, time to the last,
     rows, and the server's resident memory sampled every 50 ms while it streams (its peak, and the peak for the
     small export, for constant memory).

Targets (from issue 5): dashboard median <= 200 ms on the large campaign and <= 2 x its time on the small one;
a segment view <= 2 s on the large one; the export's first byte within 1 s, at constant memory. The script exits
non-zero when one is missed.
"""

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.campaigns import totals as campaign_totals
from app.surveys.models import ANSWERED
from bench.run import ROOT, free_port, serve, server_environment, wait_until_ready

HOST = "127.0.0.1"
GENERATE_TIMEOUT = 1800.0
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DASHBOARD_TARGET_MS = 200.0
DASHBOARD_RATIO_TARGET = 2.0
SEGMENT_TARGET_MS = 2000.0
FIRST_BYTE_TARGET_S = 1.0
MEMORY_RATIO_TARGET = 1.25  # peak RSS exporting the large campaign / exporting the small one
SEGMENT_REQUESTS = 3
RSS_SAMPLE_SECONDS = 0.05


@dataclass(frozen=True)
class Bench:
    """One generated campaign and how to reach it."""

    label: str
    environment: dict[str, str]
    responses: int
    community_slug: str
    campaign_slug: str

    @property
    def url(self) -> str:
        return self.environment["CHORUS_DATABASE_URL"]

    @property
    def page(self) -> str:
        return f"/c/{self.community_slug}/campaigns/{self.campaign_slug}/insights"

    @property
    def api(self) -> str:
        return f"/api/v1/communities/{self.community_slug}/campaigns/{self.campaign_slug}/insights"


def chorus(environment: dict[str, str], *arguments: str) -> str:
    completed = subprocess.run(  # noqa: S603  (fixed arguments)
        [sys.executable, "-c", "from app.cli import main; main()", *arguments],
        cwd=ROOT,
        env=environment,
        timeout=GENERATE_TIMEOUT,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise SystemExit(f"chorus {' '.join(arguments)} failed:\n{completed.stdout}{completed.stderr}")
    return completed.stdout


def generate(environment: dict[str, str], label: str, *, responses: int, connectors: int) -> Bench:
    chorus(environment, "migrate")
    started = time.perf_counter()
    chorus(environment, "generate", "campaign", "--responses", str(responses), "--connectors", str(connectors))
    print(f"  {label}: {responses:,} responses, {connectors:,} connectors in {time.perf_counter() - started:.0f} s")
    engine = create_engine(environment["CHORUS_DATABASE_URL"])
    with engine.connect() as connection:
        community, campaign = connection.execute(
            text(
                "SELECT communities.slug, campaigns.slug FROM campaigns JOIN communities "
                "ON communities.id = campaigns.community_id ORDER BY campaigns.id DESC LIMIT 1"
            )
        ).one()
    engine.dispose()
    return Bench(label, {**environment, "CHORUS_SERVER_TIMING": "1"}, responses, community, campaign)


# --- Checks -------------------------------------------------------------------------------------------------


def verify(url: str) -> dict[str, int]:
    """Problems found in the latest campaign: counters that differ from a recount of the rows."""
    engine = create_engine(url)
    with engine.connect() as connection:
        campaign_id, survey_id = connection.execute(
            text("SELECT id, survey_id FROM campaigns ORDER BY id DESC LIMIT 1")
        ).one()
        responses = Counter(
            {
                (link, connector, hop): n
                for link, connector, hop, n in connection.execute(
                    text(
                        "SELECT share_link_id, connector_id, hop, count(*) FROM campaign_responses "
                        "WHERE campaign_id = :campaign GROUP BY share_link_id, connector_id, hop"
                    ),
                    {"campaign": campaign_id},
                )
            }
        )
        links = {
            link: (parent, stored, shares)
            for link, parent, stored, shares in connection.execute(
                text(
                    "SELECT id, parent_id, response_count, share_count FROM share_links WHERE campaign_id = :campaign"
                ),
                {"campaign": campaign_id},
            )
        }
        # A link counts its own responses and those of every link passed on from it (at any depth), and every
        # link passed on from it or from those (``_bump`` adds one to the link and each of its senders').
        counted: dict[int, int] = defaultdict(int)
        passed_on: dict[int, int] = defaultdict(int)
        for (link, _, _), n in responses.items():
            current: int | None = link
            while current is not None:
                counted[current] += n
                current = links[current][0]
        for parent, _, _ in links.values():
            while parent is not None:
                passed_on[parent] += 1
                parent = links[parent][0]
        links_off = sum(1 for link, (_, stored, _) in links.items() if stored != counted[link])
        shares_off = sum(1 for link, (_, _, shares) in links.items() if shares != passed_on[link])
        per_reach: Counter[tuple[int, int]] = Counter()
        for (_, connector, hop), n in responses.items():
            per_reach[(connector, hop)] += n
        reach_off = sum(
            1
            for connector, hop, stored in connection.execute(
                text("SELECT connector_id, hop, response_count FROM connector_reach WHERE campaign_id = :campaign"),
                {"campaign": campaign_id},
            )
            if stored != per_reach[(connector, hop)]
        )
        tallies = {
            (question, key): n
            for question, key, n in connection.execute(
                text("SELECT question_id, value_key, count FROM survey_answer_tallies WHERE survey_id = :survey"),
                {"survey": survey_id},
            )
        }
        recount: Counter[tuple[int, str]] = Counter()
        for question, option, number, n in connection.execute(
            text(
                "SELECT question_id, option_key, number_value, count(*) FROM survey_answers WHERE question_id IN "
                "(SELECT id FROM survey_questions WHERE survey_id = :survey) GROUP BY question_id, option_key, "
                "number_value"
            ),
            {"survey": survey_id},
        ):
            key = option if option is not None else None if number is None else f"{number:g}"
            if key is not None:
                recount[(question, key)] += n
        for question, n in connection.execute(
            text(
                "SELECT question_id, count(DISTINCT response_id) FROM survey_answers WHERE question_id IN "
                "(SELECT id FROM survey_questions WHERE survey_id = :survey) GROUP BY question_id"
            ),
            {"survey": survey_id},
        ):
            recount[(question, ANSWERED)] = n
        tallies_off = sum(1 for key in set(tallies) | set(recount) if tallies.get(key, 0) != recount[key])
        count_off = connection.execute(
            text(
                "SELECT count(*) FROM surveys WHERE id = :survey "
                "AND response_count != (SELECT count(*) FROM survey_responses WHERE survey_id = :survey)"
            ),
            {"survey": survey_id},
        ).scalar_one()
    with Session(engine) as session:  # the campaign's kept totals (what its results read) against a recount
        kept = campaign_totals.kept_totals(session, campaign_id=campaign_id)
        recounted = campaign_totals.recounted_totals(session, campaign_id=campaign_id)
        totals_off = sum(1 for key in set(kept) | set(recounted) if kept.get(key, 0) != recounted.get(key, 0))
    engine.dispose()
    return {
        "responses": sum(responses.values()),
        "links_off": links_off,
        "shares_off": shares_off,
        "reach_off": reach_off,
        "totals_off": totals_off,
        "tallies_off": tallies_off,
        "survey_count_off": int(count_off),
    }


# --- Measurements -------------------------------------------------------------------------------------------


def server_ms(response: httpx.Response) -> float:
    header = response.headers.get("server-timing", "")
    return float(header.partition("dur=")[2]) if "dur=" in header else float("nan")


def analyst_token(bench: Bench) -> str:
    from app.generate import issue_tokens

    engine = create_engine(bench.url)
    with engine.connect() as connection:
        analyst = connection.execute(
            text(
                "SELECT brand_staff.user_id FROM brand_staff JOIN communities ON communities.brand_id = "
                "brand_staff.brand_id WHERE communities.slug = :slug"
            ),
            {"slug": bench.community_slug},
        ).scalar_one()
    (token,) = issue_tokens(engine, [analyst])
    engine.dispose()
    return token


@contextmanager
def running(bench: Bench, data_dir: Path) -> Iterator[tuple[httpx.Client, int]]:
    """A fresh server on the campaign's database, and a client logged in as its analyst."""
    token = analyst_token(bench)
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    log_path = data_dir / f"server-{bench.label}.log"
    with serve(bench.environment, port, log_path) as process:
        wait_until_ready(process, base_url, log_path)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=600.0) as client:
            yield client, process.pid


def timed(client: httpx.Client, path: str, *, requests: int, warm_up: int) -> dict[str, float]:
    for _ in range(warm_up):
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    times = []
    for _ in range(requests):
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}: {response.text[:300]}")
        times.append(server_ms(response))
    return {"median_ms": statistics.median(times), "max_ms": max(times), "requests": requests}


def segments(bench: Bench) -> dict[str, str]:
    """Segments of the campaign that cannot use the tallies, as query strings: a connector, an answer at a hop, an age,
    the last week, half the respondents."""
    engine = create_engine(bench.url)
    with engine.connect() as connection:
        questions = dict(
            connection.execute(
                text(
                    "SELECT code, id FROM survey_questions WHERE code IS NOT NULL AND survey_id = "
                    "(SELECT survey_id FROM campaigns ORDER BY id DESC LIMIT 1)"
                )
            ).all()
        )
        top = connection.execute(
            text(
                "SELECT users.handle FROM connector_reach JOIN users ON users.id = connector_reach.connector_id "
                "WHERE campaign_id = (SELECT id FROM campaigns ORDER BY id DESC LIMIT 1) "
                "GROUP BY users.handle ORDER BY sum(response_count) DESC LIMIT 1"
            )
        ).scalar_one()
        latest = connection.execute(text("SELECT max(submitted_at) FROM survey_responses")).scalar_one()
    engine.dispose()
    since = (latest if not isinstance(latest, str) else _parse(latest)) - timedelta(days=6)
    return {
        "one connector": f"a_connector={top}",
        "outcome keep, hop 1": f"a={questions['outcome']}:keep&a_hop=1",
        "age 25-34": f"a={questions['age']}:age_25",
        "last 7 days": f"a_since={since.date().isoformat()}",
        "outcome keep (half)": f"a={questions['outcome']}:keep",
    }


def _parse(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value)


def query_plan(bench: Bench, query: str) -> list[str]:
    """The plan of the query that reads the segment's answer keys (``segment_keys``), as the database runs it."""
    from sqlmodel import Session

    from app.campaigns.models import Campaign
    from app.insights import campaign_results
    from app.insights import survey_results as results_service
    from app.insights.segments import read_campaign_segment

    params: dict[str, list[str]] = defaultdict(list)
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        params[name].append(value)
    engine = create_engine(bench.url)
    with Session(engine) as session:
        campaign = session.get(Campaign, session.execute(text("SELECT max(id) FROM campaigns")).scalar_one())
        assert campaign is not None
        scope = campaign_results.campaign_scope(session, campaign=campaign)
        assert scope.survey is not None
        questions = results_service.questions_by_id(session, survey=scope.survey)
        form = read_campaign_segment(params, "a", questions)
        chosen = campaign_results.campaign_filter(session, scope=scope, form=form)
        keys = results_service.segment_keys(scope.survey, chosen.segment)
        compiled = keys.compile(engine, compile_kwargs={"literal_binds": True})
        explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        rows = session.execute(text(explain + str(compiled))).all()
    engine.dispose()
    if engine.dialect.name == "sqlite":
        return [f"{'  ' * _depth(row, rows)}{row[-1]}" for row in rows]
    return [row[0] for row in rows]


def _depth(row: Any, rows: list[Any]) -> int:
    parents = {each[0]: each[1] for each in rows}
    depth, parent = 0, row[1]
    while parent:
        depth, parent = depth + 1, parents.get(parent, 0)
    return depth


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def export(client: httpx.Client, pid: int, path: str) -> dict[str, float]:
    """Stream the CSV; time to the first and the last byte, rows, and the server's memory while it streams."""
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(rss_kib(pid))
            time.sleep(RSS_SAMPLE_SECONDS)

    before = rss_kib(pid)
    sampler = threading.Thread(target=sample, daemon=True)
    started = time.perf_counter()
    sampler.start()
    first = 0.0
    size = lines = 0
    try:
        with client.stream("GET", path) as response:
            if response.status_code != 200:
                raise SystemExit(f"GET {path} answered {response.status_code}")
            for chunk in response.iter_bytes():
                if not first:
                    first = time.perf_counter() - started
                size += len(chunk)
                lines += chunk.count(b"\n")
    finally:
        done.set()
        sampler.join()
    return {
        "first_byte_s": first,
        "total_s": time.perf_counter() - started,
        "rows": lines - 1,
        "megabytes": size / 1e6,
        "rss_before_mib": before / 1024,
        "rss_peak_mib": max([*samples, before]) / 1024,
    }


def measure(small: Bench, large: Bench, data_dir: Path, arguments: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"dashboard": {}, "json": {}, "export": {}}
    for bench in (small, large):
        with running(bench, data_dir) as (client, _):
            figures["dashboard"][bench.label] = timed(client, bench.page, requests=arguments.requests, warm_up=5)
            figures["json"][bench.label] = timed(client, bench.api, requests=arguments.requests, warm_up=5)
            if bench is large:
                figures["segments"] = {
                    name: {
                        **timed(client, f"{bench.page}?{query}", requests=SEGMENT_REQUESTS, warm_up=1),
                        "query": query,
                        "respondents": _respondents(client, f"{bench.api}?{query}"),
                    }
                    for name, query in segments(bench).items()
                }
        # A fresh server for each export, so its memory is the export's.
        with running(bench, data_dir) as (client, pid):
            client.get("/healthz")
            figures["export"][bench.label] = export(client, pid, f"{bench.page}/responses.csv")
    figures["plan"] = query_plan(large, figures["segments"]["outcome keep, hop 1"]["query"])
    return figures


def _respondents(client: httpx.Client, path: str) -> int | None:
    response = client.get(path)
    return response.json().get("respondents") if response.status_code == 200 else None


def report(database: str, small: Bench, large: Bench, figures: dict[str, Any], failures: list[str]) -> None:
    print(f"\n{database}: median server time (Server-Timing), one client")
    print(f"  {'':<28} {small.responses:>12,} {large.responses:>12,}  ratio")
    for key, name in (("dashboard", "dashboard page"), ("json", "dashboard JSON")):
        low, high = figures[key][small.label]["median_ms"], figures[key][large.label]["median_ms"]
        print(f"  {name:<28} {low:>10.1f} ms {high:>9.1f} ms  {high / low:.2f}")
    page_small = figures["dashboard"][small.label]["median_ms"]
    page_large = figures["dashboard"][large.label]["median_ms"]
    if page_large > DASHBOARD_TARGET_MS:
        failures.append(f"{database}: dashboard {page_large:.0f} ms > {DASHBOARD_TARGET_MS:.0f} ms")
    if page_large > DASHBOARD_RATIO_TARGET * page_small:
        failures.append(f"{database}: dashboard {page_large / page_small:.2f} x the small one")
    print(f"  segments of the {large.responses:,} (not from the tallies; median of {SEGMENT_REQUESTS}):")
    for name, segment in figures["segments"].items():
        respondents = segment["respondents"]
        shown = f"{respondents:,}" if isinstance(respondents, int) else "hidden"
        print(f"    {name:<26} {segment['median_ms']:>9.0f} ms  {shown:>9} respondents  ?{segment['query']}")
        if segment["median_ms"] > SEGMENT_TARGET_MS:
            failures.append(f"{database}: segment {name} {segment['median_ms']:.0f} ms > {SEGMENT_TARGET_MS:.0f} ms")
    print("  plan of the query reading the segment's answer keys (outcome keep, hop 1):")
    for line in figures["plan"]:
        print(f"    {line}")
    print("  responses' CSV (a fresh server each):")
    for bench in (small, large):
        done = figures["export"][bench.label]
        print(
            f"    {bench.responses:>9,} responses: first byte {done['first_byte_s']:.2f} s, "
            f"all {done['total_s']:.1f} s, {done['rows']:,} rows, {done['megabytes']:.0f} MB; "
            f"server memory {done['rss_before_mib']:.0f} MiB "
            f"before, {done['rss_peak_mib']:.0f} MiB at the peak"
        )
        if done["first_byte_s"] > FIRST_BYTE_TARGET_S:
            failures.append(f"{database}: first byte of {bench.label} after {done['first_byte_s']:.2f} s")
        if done["rows"] != bench.responses:
            failures.append(f"{database}: {bench.label} export has {done['rows']} rows, not {bench.responses}")
    growth = figures["export"][large.label]["rss_peak_mib"] / figures["export"][small.label]["rss_peak_mib"]
    print(f"    peak memory, large / small: {growth:.2f}")
    if growth > MEMORY_RATIO_TARGET:
        failures.append(f"{database}: export memory grows {growth:.2f} x with the responses")


@contextmanager
def databases(kind: str, data_dir: Path, postgres_url: str) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """Two empty databases (small, large): SQLite files, or PostgreSQL schemas of their own, dropped afterwards."""
    small, large = server_environment(data_dir), server_environment(data_dir)
    if kind == "sqlite":
        small["CHORUS_DATABASE_URL"] = f"sqlite:///{(data_dir / 'small.db').as_posix()}"
        large["CHORUS_DATABASE_URL"] = f"sqlite:///{(data_dir / 'large.db').as_posix()}"
        yield small, large
        return
    schemas = [f"bench_insights_{name}_{secrets.token_hex(4)}" for name in ("small", "large")]
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for schema in schemas:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        for environment, schema in zip((small, large), schemas, strict=True):
            url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
            environment["CHORUS_DATABASE_URL"] = url.render_as_string(hide_password=False)
        yield small, large
    finally:
        with admin.connect() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def finish(json_path: Path | None, figures: dict[str, Any], failures: list[str]) -> None:
    """Write the figures (with ``--json``), name each missed target, and exit 1 if any was missed."""
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({"figures": figures, "failures": failures}, indent=2, default=str))
    for failure in failures:
        print(f"MISSED: {failure}")
    print("All targets met: PASS" if not failures else f"{len(failures)} target(s) missed: FAIL")
    if failures:
        raise SystemExit(1)


def run(kind: str, arguments: argparse.Namespace, figures: dict[str, Any], failures: list[str]) -> None:
    database = "SQLite" if kind == "sqlite" else "PostgreSQL"
    with tempfile.TemporaryDirectory(prefix="chorus-bench-insights-") as directory:
        data_dir = Path(directory)
        with databases(kind, data_dir, arguments.postgres_url) as (small_environment, large_environment):
            print(f"{database}: generating")
            small = generate(small_environment, "small", responses=arguments.small, connectors=arguments.connectors)
            large = generate(large_environment, "large", responses=arguments.large, connectors=arguments.connectors)
            checks = {bench.label: verify(bench.url) for bench in (small, large)}
            bad = {
                label: found for label, found in checks.items() if any(v for k, v in found.items() if k != "responses")
            }
            print(f"  checks (counters against a recount): {'FAIL ' + str(bad) if bad else 'PASS'}")
            if bad:
                failures.append(f"{database}: counters differ from a recount: {bad}")
            measured = measure(small, large, data_dir, arguments)
            measured["checks"] = checks
            figures[database] = measured
            report(database, small, large, measured, failures)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.insights", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--small", type=int, default=100_000, help="responses of the small campaign (100,000)")
    parser.add_argument("--large", type=int, default=1_000_000, help="responses of the large campaign (1,000,000)")
    parser.add_argument("--connectors", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30, help="dashboard requests measured per size (30)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="a schema of its own is made there and dropped")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    arguments = parser.parse_args(argv)
    if not 0 < arguments.small <= arguments.large <= 5_000_000 or not 1 <= arguments.requests <= 500:
        parser.error("0 < --small <= --large <= 5,000,000 and 1 to 500 requests")

    figures: dict[str, Any] = {}
    failures: list[str] = []
    for kind in ("sqlite", "postgresql") if arguments.database == "both" else (arguments.database,):
        run(kind, arguments, figures, failures)
    finish(arguments.json, figures, failures)


if __name__ == "__main__":
    main()
