"""Design challenges at scale: the scoring endpoint under load, and the challenge gallery page on generated data.

    python -m bench.challenges [--designs 10000] [--scores 1000000] [--small-scores 10000] [--members 20000]
                               [--concurrency 32] [--duration 10] [--rounds 5] [--gallery-requests 200]
                               [--database sqlite|postgresql] [--postgres-url URL] [--workers 1,2]

The databases are SQLite files in a temporary directory, or (``--database postgresql``) PostgreSQL schemas of their
own at ``--postgres-url``, dropped afterwards. ``--workers 1,2`` runs the scoring benchmark once per number of web
processes (uvicorn ``--workers N``), one after another in the same run, on the same database and load driver.

1. Two generated databases (`chorus generate challenge`, in subprocesses): the same challenge with
   ``--small-scores`` and with ``--scores`` scores.
2. Gallery: the real server (uvicorn, one worker) with CHORUS_SERVER_TIMING=1, so every response carries
   ``Server-Timing: app;dur=<ms>`` (from the request's arrival to the response's start, measured in the server).
   One client, one request at a time, a member's bearer token: the challenge page in the scoring phase (the
   per-member shuffle) and, after moving the windows, in the closed phase (ranked). Median server time over
   ``--gallery-requests`` requests after a warm-up, for each database, and the ratio large / small.
3. Scoring, on the large database (scoring phase): 32 clients, each a different member with its own token;
   GET /api/v1/me (the trivial authenticated endpoint, the baseline) and PUT /api/v1/designs/{id}/score
   interleaved in rounds. Each client scores random designs, half of the time one it scored before (the update
   path). Then the checks: one score per (member, design), and every counter equal to a recount. PASS/FAIL.
"""

import argparse
import asyncio
import dataclasses
import json
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

from bench.load import Client, LoadResult, Response, combine, make_client, percentile, run_load
from bench.run import (
    ROOT,
    cpu_seconds,
    free_port,
    serve,
    server_environment,
    tree_cpu_seconds,
    wait_until_ready,
    worker_pids,
)

HOST = "127.0.0.1"
GENERATE_TIMEOUT = 600.0
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MAX_WORKERS = 4
PAGE = "/c/bench-lab/challenges/bench-challenge"
THROUGHPUT_TARGET = 0.5  # scoring / baseline
P99_TARGET_MS = 50.0
GALLERY_TARGET_MS = 20.0
GALLERY_RATIO_TARGET = 1.2
ME = "/api/v1/me"  # GET: the trivial authenticated endpoint
SCORE = "/api/v1/designs/{id}/score"  # PUT


@contextmanager
def empty_database(kind: str, data_dir: Path, name: str, postgres_url: str) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a PostgreSQL schema of its own, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{(data_dir / f'{name}.db').as_posix()}"
        return
    schema = f"bench_challenges_{name}_{secrets.token_hex(4)}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def generate(data_dir: Path, url: str, name: str, *, designs: int, scores: int, members: int) -> dict[str, str]:
    environment = server_environment(data_dir)
    environment["CHORUS_DATABASE_URL"] = url
    for arguments in (
        ["migrate"],
        ["generate", "challenge", "--designs", str(designs), "--scores", str(scores), "--members", str(members)],
    ):
        started = time.perf_counter()
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
        if arguments[0] == "generate":
            print(f"  {name}: {designs:,} designs, {scores:,} scores in {time.perf_counter() - started:.1f} s")
    environment["CHORUS_SERVER_TIMING"] = "1"
    environment["CHORUS_RATE_LIMITS_ENABLED"] = "false"
    return environment


def database(environment: dict[str, str]) -> Any:
    return create_engine(environment["CHORUS_DATABASE_URL"])


def member_tokens(environment: dict[str, str], count: int) -> tuple[list[str], list[int]]:
    """Tokens for ``count`` members who designed nothing (the last members), and the challenge's design ids."""
    from app.generate import issue_tokens

    engine = database(environment)
    with engine.connect() as connection:
        user_ids = [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT user_id FROM memberships WHERE user_id NOT IN (SELECT designer_id FROM designs) "
                    "ORDER BY user_id DESC LIMIT :count"
                ),
                {"count": count},
            )
        ]
        design_ids = [row[0] for row in connection.execute(text("SELECT id FROM designs ORDER BY id"))]
    tokens = issue_tokens(engine, user_ids)
    engine.dispose()
    return tokens, design_ids


def set_phase(environment: dict[str, str], phase: str) -> None:
    from app.generate import set_phase as update_phase

    engine = database(environment)
    with engine.begin() as connection:
        challenge_id = connection.execute(text("SELECT id FROM challenges WHERE slug = 'bench-challenge'")).scalar_one()
        update_phase(connection, challenge_id=challenge_id, phase=phase)
    engine.dispose()


def server_ms(response: Response) -> float:
    header = response.headers.get("server-timing", "")
    return float(header.partition("dur=")[2]) if "dur=" in header else float("nan")


async def gallery_times(base_url: str, token: str, requests: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"}
    async with make_client(base_url, concurrency=1) as client:
        for _ in range(20):  # warm-up
            response = await client.get(PAGE, headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"GET {PAGE} answered {response.status_code}: {response.text[:300]}")
        server, client_side = [], []
        for _ in range(requests):
            started = time.perf_counter()
            response = await client.get(PAGE, headers=headers)
            client_side.append((time.perf_counter() - started) * 1000)
            server.append(server_ms(response))
    return {
        "server_median_ms": statistics.median(server),
        "server_p90_ms": percentile(server, 90),
        "client_median_ms": statistics.median(client_side),
    }


def measure_gallery(environment: dict[str, str], data_dir: Path, requests: int) -> dict[str, dict[str, float]]:
    tokens, _ = member_tokens(environment, 1)
    results = {}
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    for phase, label in (("scoring", "scoring (shuffled)"), ("closed", "closed (ranked)")):
        set_phase(environment, phase)
        log_path = data_dir / "gallery-server.log"
        with serve(environment, port, log_path) as process:
            wait_until_ready(process, base_url, log_path)
            results[label] = asyncio.run(gallery_times(base_url, tokens[0], requests))
    set_phase(environment, "scoring")
    return results


async def measure_scoring(
    base_url: str, *, server_pid: int, tokens: list[str], design_ids: list[int], duration: float, rounds: int
) -> dict[str, Any]:
    concurrency = len(tokens)
    rngs = [random.Random(number) for number in range(concurrency)]
    scored: list[list[int]] = [[] for _ in range(concurrency)]
    server_times: dict[str, list[float]] = {"me": [], "score": []}
    measuring = False

    async def me(client: Client, number: int) -> Response:
        response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[number]}"})
        if measuring:
            server_times["me"].append(server_ms(response))
        return response

    async def score(client: Client, number: int) -> Response:
        rng = rngs[number]
        if scored[number] and rng.random() < 0.5:
            design_id = rng.choice(scored[number])  # a repeat: the update path
        else:
            design_id = rng.choice(design_ids)
            scored[number].append(design_id)
        response = await client.put(
            f"/api/v1/designs/{design_id}/score",
            json={"value": rng.randint(0, 5), "would_buy": rng.random() < 0.3},
            headers={"Authorization": f"Bearer {tokens[number]}"},
        )
        if measuring:
            server_times["score"].append(server_ms(response))
        return response

    senders = {ME: me, SCORE: score}
    runs: dict[str, list[LoadResult]] = {label: [] for label in senders}
    async with make_client(base_url, concurrency=concurrency) as client:
        for label, sender in senders.items():
            warm = await run_load(client, label, concurrency=concurrency, duration=1.0, send=sender)
            if warm.errors:
                raise SystemExit(f"{label}: {warm.statuses} during the warm-up")
        measuring = True
        for _ in range(rounds):
            for label, sender in senders.items():
                before = tree_cpu_seconds(server_pid)
                result = await run_load(client, label, concurrency=concurrency, duration=duration / rounds, send=sender)
                after = tree_cpu_seconds(server_pid)
                if before is not None and after is not None:
                    result = dataclasses.replace(result, server_cpu=after - before)
                runs[label].append(result)
    combined = {label: combine(results) for label, results in runs.items()}
    return {
        "results": combined,
        "server_p50_ms": {key: percentile(values, 50) for key, values in server_times.items()},
        "server_p99_ms": {key: percentile(values, 99) for key, values in server_times.items()},
    }


def verify(environment: dict[str, str]) -> dict[str, int]:
    """Problems found: duplicate (voter, design) pairs, designs and challenges whose counters differ from a recount."""
    engine = database(environment)
    with engine.connect() as connection:
        duplicates = connection.execute(
            text(
                "SELECT count(*) FROM (SELECT 1 FROM scores GROUP BY design_id, voter_id HAVING count(*) > 1) AS pairs"
            )
        ).scalar_one()
        designs = connection.execute(
            text(
                "SELECT count(*) FROM designs AS d LEFT JOIN (SELECT design_id, count(*) AS n, sum(value) AS s, "
                "sum(CASE WHEN would_buy THEN 1 ELSE 0 END) AS b FROM scores GROUP BY design_id) AS r "
                "ON r.design_id = d.id "
                "WHERE d.score_count != coalesce(r.n, 0) OR d.score_sum != coalesce(r.s, 0) "
                "OR d.buy_count != coalesce(r.b, 0)"
            )
        ).scalar_one()
        challenges = connection.execute(
            text(
                "SELECT count(*) FROM challenges AS c LEFT JOIN (SELECT challenge_id, sum(score_count) AS n, "
                "sum(score_sum) AS s FROM challenge_score_shards GROUP BY challenge_id) AS t ON t.challenge_id = c.id "
                "LEFT JOIN (SELECT d.challenge_id, count(*) AS n, "
                "sum(s.value) AS s FROM scores AS s JOIN designs AS d ON d.id = s.design_id GROUP BY d.challenge_id) "
                "AS r ON r.challenge_id = c.id "
                "WHERE coalesce(t.n, 0) != coalesce(r.n, 0) OR coalesce(t.s, 0) != coalesce(r.s, 0) "
                "OR c.design_count != (SELECT count(*) FROM designs AS d WHERE d.challenge_id = c.id "
                "AND d.status = 'submitted')"
            )
        ).scalar_one()
        total = connection.execute(text("SELECT count(*) FROM scores")).scalar_one()
    engine.dispose()
    return {"duplicate_pairs": duplicates, "designs_off": designs, "challenges_off": challenges, "scores": total}


def run_gallery(
    small: dict[str, str],
    large: dict[str, str],
    data_dir: Path,
    gallery_requests: int,
    figures: dict[str, Any],
    failures: list[str],
) -> None:
    print(f"Gallery {PAGE}: median server time (Server-Timing) of {gallery_requests} requests, 1 client")
    gallery = {"small": measure_gallery(small, data_dir, gallery_requests)}
    gallery["large"] = measure_gallery(large, data_dir, gallery_requests)
    figures["gallery"] = gallery
    print(f"  {'phase':<20} {'small ms':>9} {'large ms':>9} {'ratio':>6} {'large client ms':>16}")
    for label in gallery["small"]:
        small_ms = gallery["small"][label]["server_median_ms"]
        large_ms = gallery["large"][label]["server_median_ms"]
        ratio = large_ms / small_ms
        print(
            f"  {label:<20} {small_ms:>9.2f} {large_ms:>9.2f} {ratio:>6.2f} "
            f"{gallery['large'][label]['client_median_ms']:>16.2f}"
        )
        if large_ms > GALLERY_TARGET_MS:
            failures.append(f"gallery {label}: {large_ms:.1f} ms > {GALLERY_TARGET_MS} ms")
        if ratio > GALLERY_RATIO_TARGET:
            failures.append(f"gallery {label}: ratio {ratio:.2f} > {GALLERY_RATIO_TARGET}")


def run_scoring(
    large: dict[str, str],
    data_dir: Path,
    arguments: argparse.Namespace,
    figures: dict[str, Any],
    failures: list[str],
    *,
    workers: int = 1,
) -> None:
    print(
        f"Scoring on the large database, {workers} web process(es): {arguments.concurrency} clients, "
        "each its own member and token"
    )
    tokens, design_ids = member_tokens(large, arguments.concurrency)
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    log_path = data_dir / f"scoring-server-{workers}.log"
    with serve(large, port, log_path, workers=workers) as process:
        started = time.monotonic()
        wait_until_ready(process, base_url, log_path)
        if workers > 1:
            # The first worker to answer says nothing of the others, started at the same moment: give them as long
            # again, so the load driver's keep-alive connections are spread over every worker, not the first one.
            time.sleep(time.monotonic() - started)
        pids = worker_pids(process.pid) if workers > 1 else [process.pid]
        worker_before = [cpu_seconds(pid) or 0.0 for pid in pids]
        scoring = asyncio.run(
            measure_scoring(
                base_url,
                server_pid=process.pid,
                tokens=tokens,
                design_ids=design_ids,
                duration=arguments.duration,
                rounds=arguments.rounds,
            )
        )
        worker_cpu = [(cpu_seconds(pid) or 0.0) - before for pid, before in zip(pids, worker_before, strict=True)]
    if workers > 1:
        total = sum(worker_cpu) or 1.0
        print("  CPU share of each web process: " + ", ".join(f"{seconds / total:.0%}" for seconds in worker_cpu))
    results: dict[str, LoadResult] = scoring["results"]
    baseline = results[ME]
    print(
        f"  {'request':<32} {'req/s':>7} {'x':>5} {'p50 ms':>7} {'p99 ms':>7} {'server p99':>10} "
        f"{'CPU ms/req':>10} {'errors':>6}"
    )
    for (label, result), key in zip(results.items(), ("me", "score"), strict=True):
        print(
            f"  {label:<32} {result.throughput:>7.0f} {result.throughput / baseline.throughput:>5.2f} "
            f"{result.p50 * 1000:>7.1f} {result.p99 * 1000:>7.1f} {scoring['server_p99_ms'][key]:>10.1f} "
            f"{(result.server_cpu_per_request or 0) * 1000:>10.2f} {result.errors:>6}"
        )
    score_result = results[SCORE]
    ratio = score_result.throughput / baseline.throughput
    figures.setdefault("scoring", {})[workers] = {
        **{label: result.as_dict() for label, result in results.items()},
        "ratio": ratio,
        "server_p50_ms": scoring["server_p50_ms"],
        "server_p99_ms": scoring["server_p99_ms"],
        "worker_cpu_seconds": worker_cpu,
    }
    processes = f"{workers} web process(es)"
    if ratio < THROUGHPUT_TARGET:
        failures.append(f"{processes}: scoring throughput {ratio:.2f} x the baseline < {THROUGHPUT_TARGET}")
    if score_result.p99 * 1000 > P99_TARGET_MS:
        failures.append(f"{processes}: scoring p99 {score_result.p99 * 1000:.1f} ms > {P99_TARGET_MS} ms")
    if score_result.errors or baseline.errors:
        failures.append(f"{processes}: errors: {score_result.statuses} {baseline.statuses}")
    checks = verify(large)
    figures.setdefault("checks", {})[workers] = checks
    consistent = not (checks["duplicate_pairs"] or checks["designs_off"] or checks["challenges_off"])
    print(
        f"  checks: {checks['scores']:,} scores, {checks['duplicate_pairs']} duplicate (member, design) pairs, "
        f"{checks['designs_off']} designs and {checks['challenges_off']} challenges off a recount: "
        + ("PASS" if consistent else "FAIL")
    )
    if not consistent:
        failures.append(f"{processes}: consistency checks failed")


def print_scaling(scoring: dict[int, dict[str, Any]]) -> None:
    """One line per number of web processes: throughput of both endpoints and its growth over the first line's."""
    first = scoring[min(scoring)]
    print(f"Scaling: {'processes':>9} {'me req/s':>9} {'score req/s':>11} {'score x':>8} {'score / 1st':>11}")
    for workers, measured in sorted(scoring.items()):
        me, score = measured[ME]["requests_per_s"], measured[SCORE]["requests_per_s"]
        print(
            f"         {workers:>9} {me:>9.0f} {score:>11.0f} {score / me:>8.2f} "
            f"{score / first[SCORE]['requests_per_s']:>11.2f}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.challenges", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--designs", type=int, default=10_000)
    parser.add_argument("--scores", type=int, default=1_000_000, help="scores in the large database (1,000,000)")
    parser.add_argument("--small-scores", type=int, default=10_000, help="scores in the small database (10,000)")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scoring endpoint (10)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--gallery-requests", type=int, default=200)
    parser.add_argument("--only", choices=("gallery", "scoring"), help="run one of the two benchmarks")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="a schema of its own is made there and dropped")
    parser.add_argument("--workers", default="1", help="web processes for the scoring benchmark, e.g. 1,2 (1)")
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.concurrency <= 64 or not 0 < arguments.duration <= 30 or arguments.gallery_requests > 2000:
        parser.error("at most 64 clients, 30 s per scoring endpoint and 2,000 gallery requests")
    try:
        worker_counts = [int(count) for count in arguments.workers.split(",")]
    except ValueError:
        parser.error("--workers: numbers separated by commas, e.g. 1,2")
    if not all(1 <= count <= MAX_WORKERS for count in worker_counts):
        parser.error(f"--workers: each from 1 to {MAX_WORKERS}")

    figures: dict[str, Any] = {}
    failures: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="chorus-bench-challenges-") as directory,
        empty_database(arguments.database, Path(directory), "large", arguments.postgres_url) as large_url,
        empty_database(arguments.database, Path(directory), "small", arguments.postgres_url) as small_url,
    ):
        data_dir = Path(directory)
        print(f"Generating the databases ({arguments.database}):")
        large = generate(
            data_dir, large_url, "large", designs=arguments.designs, scores=arguments.scores, members=arguments.members
        )
        if arguments.only != "scoring":
            small = generate(
                data_dir,
                small_url,
                "small",
                designs=arguments.designs,
                scores=arguments.small_scores,
                members=arguments.members,
            )
            run_gallery(small, large, data_dir, arguments.gallery_requests, figures, failures)
        if arguments.only != "gallery":
            for workers in worker_counts:
                run_scoring(large, data_dir, arguments, figures, failures, workers=workers)
            print_scaling(figures["scoring"])

    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps({"figures": figures, "failures": failures}, indent=2, default=str))
    for failure in failures:
        print(f"MISSED: {failure}")
    print("All targets met: PASS" if not failures else f"{len(failures)} target(s) missed: FAIL")
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
