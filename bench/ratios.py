"""Chorus against the framework's ceilings, in one process tree and interleaved rounds.

    python -m bench.ratios [--database sqlite|postgres] [--workers 1[,2]] [--seconds 2] [--rounds 3]
                           [--connections 32] [--open-rates 0.25,0.5,0.75,0.9] [--open-seconds 4] [--json FILE]

1. A temporary directory: a bare FastAPI app (``bench/bare.py``: ``async def`` trivial, ``def`` trivial, and an
   ``async def`` doing a score's storage work in plain SQLite) and Chorus on a generated challenge (``chorus
   generate challenge``: 1,000 designs, 10,000 scores; SQLite, or a fresh PostgreSQL database that is dropped at the
   end), 32 members each with a bearer token. Each server is uvicorn with one worker (Chorus with each of
   ``--workers``), no access log, rate limits off.
2. Closed loop (``bench/driver.py``): ``--connections`` keep-alive clients, each sending its next request when the
   previous answer arrived. After a warm-up of each endpoint, ``--rounds`` rounds; each round loads every endpoint
   in turn for ``--seconds``, so whatever else the machine does falls on all alike. The figure is the median of the
   rounds' requests/s, and each Chorus figure is printed as a ratio to its ceiling:
   ``GET /healthz`` and ``GET /api/v1/me`` to the bare ``async def``, ``PUT /api/v1/designs/{id}/score`` to the
   bare storage work. Scoring: client i is member i, scoring a random design (so repeats take the update path).
3. Open loop, scoring only: requests at fixed rates (``--open-rates`` times the scoring saturation just measured),
   each for ``--open-seconds``; p50 and p99 counted from each request's due time.
4. The recount checks: one score per (member, design), each design's and the challenge's counters equal to a
   recount of the scores.

The targets (SQLite, one worker, 32 connections): /healthz >= 0.25, /api/v1/me >= 0.15 of the bare async endpoint,
scoring >= 0.10 of the bare storage work with the checks passing, scoring p99 <= 50 ms at half its saturation rate.
Exits non-zero when one is missed.

Printed for each endpoint: the median requests/s of the rounds and each round's figure; the ratio, the median of the
rounds' ratios (each round pairs runs seconds apart) and their range; the server's CPU time per request (from /proc,
the whole process tree), which moves least when the machine is busy, and the ceiling's CPU time per request divided
by it (CPU ratio); closed-loop p50/p99 (clients / throughput, for orientation only); the driver's share of a core
(well under 100% means the driver was not the limit).
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench.challenges import member_tokens
from bench.driver import Run, closed_loop, new_event_loop, open_loop, request_bytes
from bench.run import ROOT, cpu_seconds, free_port, server_environment

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 60.0
GENERATE_TIMEOUT = 300.0
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DESIGNS, SCORES, MEMBERS = 1000, 10_000, 3000
TARGETS = {"healthz": 0.25, "me": 0.15, "score": 0.10}
OPEN_LOOP_P99_TARGET_MS = 50.0


@dataclass(frozen=True)
class Endpoint:
    label: str
    server: str  # "bare" or "chorus"
    ceiling: str | None  # the label of the bare endpoint this one is compared with


ENDPOINTS = [
    Endpoint("bare async", "bare", None),
    Endpoint("bare sync", "bare", None),
    Endpoint("bare storage", "bare", None),
    Endpoint("healthz", "chorus", "bare async"),
    Endpoint("me", "chorus", "bare async"),
    Endpoint("score", "chorus", "bare storage"),
]
SHOWN = {
    "bare async": "bare: async def -> dict",
    "bare sync": "bare: def -> dict (one hop)",
    "bare storage": "bare: async def, score storage in SQLite",
    "healthz": "Chorus GET /healthz",
    "me": "Chorus GET /api/v1/me",
    "score": "Chorus PUT /api/v1/designs/{id}/score",
}


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds of a process and its children (uvicorn's workers when there are several)."""
    own = cpu_seconds(pid)
    if own is None:
        return None
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with suppress(OSError):
            children += [int(child) for child in task.read_text().split()]
    return own + sum(tree_cpu_seconds(child) or 0.0 for child in children)


@contextmanager
def uvicorn(target: str, *, port: int, workers: int, environment: dict[str, str], log: Path) -> Iterator[int]:
    """uvicorn serving ``target`` (an app factory) until the block ends; yields its process id."""
    command = [
        sys.executable, "-m", "uvicorn", target, "--factory", "--host", HOST, "--port", str(port),
        "--workers", str(workers), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(port: int, path: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}{path}", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not answer {path}:\n{log.read_text()}")


def chorus_command(*arguments: str, environment: dict[str, str]) -> None:
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


@contextmanager
def chorus_database(kind: str, data_dir: Path, postgres_url: str) -> Iterator[str]:
    """The URL of an empty database for Chorus: a SQLite file, or a fresh PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{(data_dir / 'chorus.db').as_posix()}"
        return
    name = "chorus_bench_ratios_" + secrets.token_hex(4)
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare_chorus(environment: dict[str, str], connections: int) -> tuple[list[str], list[int]]:
    """Migrate, generate a challenge in its scoring phase, and give ``connections`` members a token each."""
    chorus_command("migrate", environment=environment)
    chorus_command(
        "generate", "challenge", "--designs", str(DESIGNS), "--scores", str(SCORES), "--members", str(MEMBERS),
        environment=environment,
    )  # fmt: skip
    return member_tokens(environment, connections)


def recount(database_url: str) -> dict[str, int]:
    """Duplicate (member, design) pairs, and designs and challenges whose counters differ from a recount."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        figures = {
            "scores": connection.execute(text("SELECT count(*) FROM scores")).scalar_one(),
            "duplicate_pairs": connection.execute(
                text("SELECT count(*) FROM (SELECT 1 FROM scores GROUP BY design_id, voter_id HAVING count(*) > 1) d")
            ).scalar_one(),
            "designs_off": connection.execute(
                text(
                    "SELECT count(*) FROM designs AS d LEFT JOIN (SELECT design_id, count(*) AS n, sum(value) AS s, "
                    "sum(CAST(would_buy AS INTEGER)) AS b FROM scores GROUP BY design_id) AS r ON r.design_id = d.id "
                    "WHERE d.score_count != coalesce(r.n, 0) OR d.score_sum != coalesce(r.s, 0) "
                    "OR d.buy_count != coalesce(r.b, 0)"
                )
            ).scalar_one(),
            "challenges_off": connection.execute(
                text(
                    "SELECT count(*) FROM challenges AS c LEFT JOIN (SELECT challenge_id, sum(score_count) AS n, "
                    "sum(score_sum) AS s FROM challenge_score_shards GROUP BY challenge_id) AS t "
                    "ON t.challenge_id = c.id "
                    "LEFT JOIN (SELECT d.challenge_id, count(*) AS n, "
                    "sum(s.value) AS s FROM scores AS s JOIN designs AS d ON d.id = s.design_id "
                    "GROUP BY d.challenge_id) AS r ON r.challenge_id = c.id "
                    "WHERE coalesce(t.n, 0) != coalesce(r.n, 0) OR coalesce(t.s, 0) != coalesce(r.s, 0)"
                )
            ).scalar_one(),
        }
    engine.dispose()
    return figures


class Requests:
    """The bytes each endpoint's requests are made of; scoring picks a random design per request."""

    def __init__(self, *, bare_port: int, chorus_port: int, tokens: list[str], design_ids: list[int]) -> None:
        self.bare_host = f"{HOST}:{bare_port}"
        self.chorus_host = f"{HOST}:{chorus_port}"
        self.tokens = tokens
        self.design_ids = design_ids
        self.rng = random.Random(1)
        self.fixed = {
            "bare async": request_bytes("GET", "/async", host=self.bare_host),
            "bare sync": request_bytes("GET", "/sync", host=self.bare_host),
            "healthz": request_bytes("GET", "/healthz", host=self.chorus_host),
        }
        self.me = [
            request_bytes("GET", "/api/v1/me", host=self.chorus_host, headers={"Authorization": f"Bearer {token}"})
            for token in tokens
        ]

    def _body(self) -> bytes:
        return json.dumps({"value": self.rng.randint(0, 5), "would_buy": self.rng.random() < 0.3}).encode()

    def make(self, label: str, number: int) -> bytes:
        if label in self.fixed:
            return self.fixed[label]
        member = number % len(self.tokens)
        if label == "me":
            return self.me[member]
        design_id = self.rng.choice(self.design_ids)
        headers = {"Content-Type": "application/json"}
        if label == "bare storage":
            return request_bytes(
                "PUT",
                f"/designs/{1 + design_id % 1000}/score",
                host=self.bare_host,
                headers={**headers, "X-Voter": str(member + 1)},
                body=self._body(),
            )
        return request_bytes(
            "PUT",
            f"/api/v1/designs/{design_id}/score",
            host=self.chorus_host,
            headers={**headers, "Authorization": f"Bearer {self.tokens[member]}"},
            body=self._body(),
        )


@dataclass
class Measured:
    rounds: list[Run]
    server_cpu: list[float | None]

    @property
    def median_rps(self) -> float:
        return statistics.median(run.throughput for run in self.rounds)

    @property
    def errors(self) -> int:
        return sum(run.errors() for run in self.rounds)

    def latency_ms(self, pct: float) -> float:
        latencies = [latency for run in self.rounds for latency in run.latencies]
        return sorted(latencies)[max(0, int(len(latencies) * pct / 100 + 0.5) - 1)] * 1000 if latencies else 0.0

    @property
    def driver_cpu_share(self) -> float:
        elapsed = sum(run.elapsed for run in self.rounds)
        return sum(run.driver_cpu for run in self.rounds) / elapsed if elapsed else 0.0

    @property
    def cpu_ms_per_request(self) -> float | None:
        if None in self.server_cpu:
            return None
        requests = sum(run.requests for run in self.rounds)
        return sum(cpu or 0.0 for cpu in self.server_cpu) / requests * 1000 if requests else None


async def measure_closed(
    requests: Requests, pids: dict[str, int], ports: dict[str, int], arguments: argparse.Namespace
) -> dict[str, Measured]:
    measured = {endpoint.label: Measured([], []) for endpoint in ENDPOINTS}
    for endpoint in ENDPOINTS:  # warm-up

        def make(number: int, label: str = endpoint.label) -> bytes:
            return requests.make(label, number)

        warm = await closed_loop(
            HOST, ports[endpoint.server], make, connections=arguments.connections, seconds=arguments.warmup
        )
        if warm.errors():
            raise SystemExit(f"{endpoint.label}: answers {dict(warm.statuses)} during the warm-up")
    for number in range(1, arguments.rounds + 1):
        for endpoint in ENDPOINTS:

            def make(number: int, label: str = endpoint.label) -> bytes:
                return requests.make(label, number)

            before = tree_cpu_seconds(pids[endpoint.server])
            run = await closed_loop(
                HOST, ports[endpoint.server], make, connections=arguments.connections, seconds=arguments.seconds
            )
            after = tree_cpu_seconds(pids[endpoint.server])
            measured[endpoint.label].rounds.append(run)
            measured[endpoint.label].server_cpu.append(
                after - before if before is not None and after is not None else None
            )
        shown = ", ".join(f"{label} {figures.rounds[-1].throughput:,.0f}" for label, figures in measured.items())
        print(f"  round {number}/{arguments.rounds}, requests/s: {shown}", flush=True)
    return measured


async def measure_open(requests: Requests, port: int, rates: list[float], seconds: float) -> list[Run]:
    runs = []
    for rate in rates:

        def make(number: int) -> bytes:
            return requests.make("score", number)

        runs.append(await open_loop(HOST, port, make, rate=rate, seconds=seconds))
    return runs


def report_closed(measured: dict[str, Measured], *, workers: int, failures: list[str], database: str) -> dict[str, Any]:
    print(
        f"\n  {'endpoint':<42} {'req/s':>7} {'rounds':>20} {'ratio':>6} {'range':>11} {'target':>6} "
        f"{'CPU ms/req':>10} {'CPU ratio':>9} {'p50 ms':>7} {'p99 ms':>7} {'driver':>6} {'errors':>6}"
    )
    figures: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        result = measured[endpoint.label]
        target = TARGETS.get(endpoint.label)
        rounds = "/".join(f"{run.throughput:,.0f}" for run in result.rounds)
        cpu = result.cpu_ms_per_request
        ratio = round_ratios = cpu_ratio = None
        if endpoint.ceiling:
            ceiling = measured[endpoint.ceiling]
            # Each round's ratio pairs runs a few seconds apart, so a burst of other work cancels out of it.
            round_ratios = [
                run.throughput / base.throughput for run, base in zip(result.rounds, ceiling.rounds, strict=True)
            ]
            ratio = statistics.median(round_ratios)
            if cpu and ceiling.cpu_ms_per_request:
                cpu_ratio = ceiling.cpu_ms_per_request / cpu
        spread = f"{min(round_ratios):.3f}-{max(round_ratios):.3f}" if round_ratios else ""
        print(
            f"  {SHOWN[endpoint.label]:<42} {result.median_rps:>7,.0f} {rounds:>20} "
            f"{'' if ratio is None else f'{ratio:.3f}':>6} {spread:>11} {'' if target is None else f'{target:.2f}':>6} "
            f"{'' if cpu is None else f'{cpu:.3f}':>10} {'' if cpu_ratio is None else f'{cpu_ratio:.3f}':>9} "
            f"{result.latency_ms(50):>7.1f} {result.latency_ms(99):>7.1f} {result.driver_cpu_share:>6.0%} "
            f"{result.errors:>6}"
        )
        figures[endpoint.label] = {
            "requests_per_s": round(result.median_rps, 1),
            "rounds": [round(run.throughput, 1) for run in result.rounds],
            "ratio": None if ratio is None else round(ratio, 4),
            "round_ratios": None if round_ratios is None else [round(value, 4) for value in round_ratios],
            "cpu_ratio": None if cpu_ratio is None else round(cpu_ratio, 4),
            "driver_cpu_share": round(result.driver_cpu_share, 3),
            "p50_ms": round(result.latency_ms(50), 2),
            "p99_ms": round(result.latency_ms(99), 2),
            "server_cpu_ms_per_request": None if cpu is None else round(cpu, 3),
            "errors": result.errors,
        }
        if result.errors:
            failures.append(f"{endpoint.label}: {result.errors} errors ({workers} worker(s))")
        if target is not None and ratio is not None and ratio < target and database == "sqlite" and workers == 1:
            failures.append(f"{endpoint.label}: {ratio:.3f} of {endpoint.ceiling} < {target}")
    return figures


def report_open(runs: list[Run], saturation: float, fractions: list[float], failures: list[str]) -> list[Any]:
    print(f"\n  open loop, PUT score, saturation {saturation:,.0f} requests/s (closed loop, median)")
    print(
        f"  {'fraction':>8} {'offered/s':>9} {'achieved/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6}"
    )
    figures = []
    for fraction, run in zip(fractions, runs, strict=True):
        p50, p99, worst = run.p(50) * 1000, run.p(99) * 1000, max(run.latencies) * 1000
        print(
            f"  {fraction:>8.2f} {run.offered_rate or 0:>9,.0f} {run.throughput:>10,.0f} {p50:>7.1f} {p99:>7.1f} "
            f"{worst:>7.1f} {run.errors():>6}"
        )
        figures.append(
            {
                "fraction": fraction,
                "offered_per_s": round(run.offered_rate or 0, 1),
                "achieved_per_s": round(run.throughput, 1),
                "p50_ms": round(p50, 2),
                "p99_ms": round(p99, 2),
                "max_ms": round(worst, 2),
                "errors": run.errors(),
            }
        )
        if fraction == 0.5 and p99 > OPEN_LOOP_P99_TARGET_MS:
            failures.append(f"open loop at half saturation: scoring p99 {p99:.1f} ms > {OPEN_LOOP_P99_TARGET_MS} ms")
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ratios", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="a server's maintenance database")
    parser.add_argument("--workers", default="1", help="Chorus's uvicorn workers, e.g. 1,2 (one run each)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=2.0, help="per endpoint per round (2)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--open-rates", default="0.25,0.5,0.75,0.9", help="fractions of scoring's saturation")
    parser.add_argument("--open-seconds", type=float, default=4.0)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    arguments = parser.parse_args(argv)
    workers_list = [int(value) for value in arguments.workers.split(",")]
    fractions = [float(value) for value in arguments.open_rates.split(",") if value]
    if not all(1 <= workers <= 4 for workers in workers_list) or not 1 <= arguments.rounds <= 10:
        parser.error("1 to 4 workers, 1 to 10 rounds")
    if not 0 < arguments.seconds <= 15 or not 0 < arguments.open_seconds <= 15 or arguments.warmup > 5:
        parser.error("at most 15 s per endpoint and round, 15 s per open-loop rate, 5 s of warm-up")

    asyncio.set_event_loop(new_event_loop())
    loop = asyncio.get_event_loop()
    failures: list[str] = []
    figures: dict[str, Any] = {"database": arguments.database, "load_before": os.getloadavg(), "runs": {}}
    print(f"bench.ratios: {arguments.database}, Chorus workers {workers_list}, load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="chorus-bench-ratios-") as directory:
        data_dir = Path(directory)
        with chorus_database(arguments.database, data_dir, arguments.postgres_url) as database_url:
            environment = server_environment(data_dir)
            environment.update(
                {"CHORUS_DATABASE_URL": database_url, "CHORUS_RATE_LIMITS_ENABLED": "false", "BENCH_BARE_DATABASE": ""}
            )
            started = time.perf_counter()
            tokens, design_ids = prepare_chorus(environment, arguments.connections)
            print(f"  generated {DESIGNS:,} designs, {SCORES:,} scores in {time.perf_counter() - started:.1f} s")
            bare_environment = {**environment, "BENCH_BARE_DATABASE": str(data_dir / "bare.db")}
            ports = {"bare": free_port(), "chorus": free_port()}
            with uvicorn(
                "bench.bare:create_app", port=ports["bare"], workers=1, environment=bare_environment,
                log=data_dir / "bare.log",
            ) as bare_pid:  # fmt: skip
                wait_for(ports["bare"], "/async", data_dir / "bare.log")
                for workers in workers_list:
                    if workers != workers_list[0]:
                        ports["chorus"] = free_port()
                    with uvicorn(
                        "app.main:create_app", port=ports["chorus"], workers=workers, environment=environment,
                        log=data_dir / "chorus.log",
                    ) as chorus_pid:  # fmt: skip
                        wait_for(ports["chorus"], "/healthz", data_dir / "chorus.log")
                        print(f"\nChorus with {workers} worker(s), {arguments.connections} connections, closed loop")
                        requests = Requests(
                            bare_port=ports["bare"], chorus_port=ports["chorus"], tokens=tokens, design_ids=design_ids
                        )
                        pids = {"bare": bare_pid, "chorus": chorus_pid}
                        measured = loop.run_until_complete(measure_closed(requests, pids, ports, arguments))
                        run_figures = {
                            "closed": report_closed(
                                measured, workers=workers, failures=failures, database=arguments.database
                            )
                        }
                        saturation = measured["score"].median_rps
                        rates = [fraction * saturation for fraction in fractions]
                        if rates:
                            runs = loop.run_until_complete(
                                measure_open(requests, ports["chorus"], rates, arguments.open_seconds)
                            )
                            run_figures["open"] = report_open(runs, saturation, fractions, failures)
                        figures["runs"][str(workers)] = run_figures
            checks = recount(database_url)
    figures["checks"] = checks
    consistent = not (checks["duplicate_pairs"] or checks["designs_off"] or checks["challenges_off"])
    print(
        f"\n  checks: {checks['scores']:,} scores, {checks['duplicate_pairs']} duplicate (member, design) pairs, "
        f"{checks['designs_off']} designs and {checks['challenges_off']} challenges off a recount: "
        + ("PASS" if consistent else "FAIL")
    )
    if not consistent:
        failures.append("recount checks failed")
    figures["load_after"] = os.getloadavg()
    figures["failures"] = failures
    print(f"  load average now {os.getloadavg()}")
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(figures, indent=2))
    for failure in failures:
        print(f"MISSED: {failure}")
    print("All targets met: PASS" if not failures else f"{len(failures)} target(s) missed: FAIL")
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
