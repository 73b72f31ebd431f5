"""`make bench`: the real server (uvicorn, one worker) on a fresh demo database, loaded over loopback.

Steps: a temporary directory with a SQLite database, `chorus migrate` and `chorus seed --demo` in
subprocesses, uvicorn in a subprocess on a free 127.0.0.1 port, a short warm-up of each endpoint, then rounds:
each round loads every endpoint in turn for duration/rounds seconds. Interleaving spreads whatever else the
machine is doing over all endpoints alike. Every figure is also given as a ratio to /healthz (the trivial
endpoint) measured by the same server in the same run, which says more across machines than absolute figures.

    python -m bench.run [--duration 10] [--rounds 5] [--warmup 1] [--concurrency 8] [--json FILE]
"""

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from bench.load import MAX_CONCURRENCY, LoadResult, combine, make_client, run_load

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
BASELINE = "/healthz"
ENDPOINTS = [BASELINE, "/", "/c/northwind-design-lab", "/api/v1/communities"]
STARTUP_TIMEOUT = 120.0  # a healthy start takes seconds; several workers on a busy shared machine, far longer
SETUP_TIMEOUT = 60.0  # migrate + seed (200 members, each with a password hash): about 5 s on 2 cores
# Bounds that keep `make bench` under two minutes: 4 endpoints x (warm-up + duration) + set-up.
MAX_BENCH_DURATION = 15.0
MAX_WARMUP = 3.0

console = Console()
if not console.is_terminal:  # e.g. `make bench | tee`: rich would assume 80 columns and wrap the table
    console = Console(width=130)


@dataclasses.dataclass(frozen=True)
class Measured:
    """One endpoint: its rounds, all of them combined, and each round's throughput ratio to the baseline's."""

    rounds: list[LoadResult]
    result: LoadResult
    round_ratios: list[float]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_environment(data_dir: Path) -> dict[str, str]:
    """This process's environment, with Chorus's settings replaced to use the temporary directory."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CHORUS_")}
    environment.update(
        {
            "CHORUS_DATA_DIR": str(data_dir),
            "CHORUS_DATABASE_URL": f"sqlite:///{(data_dir / 'bench.db').as_posix()}",
            "CHORUS_SECRET_KEY": "bench-" + secrets.token_hex(16),
            "CHORUS_ENVIRONMENT": "production",
            "CHORUS_BASE_URL": f"http://{HOST}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return environment


def chorus(*arguments: str, environment: dict[str, str]) -> None:
    """Run the `chorus` command with this interpreter (so it works without the venv's bin/ on PATH)."""
    completed = subprocess.run(  # noqa: S603  (fixed arguments)
        [sys.executable, "-c", "from app.cli import main; main()", *arguments],
        cwd=ROOT,
        env=environment,
        timeout=SETUP_TIMEOUT,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise SystemExit(f"chorus {' '.join(arguments)} failed:\n{completed.stdout}{completed.stderr}")


@contextmanager
def serve(
    environment: dict[str, str], port: int, log_path: Path, *, workers: int = 1
) -> Iterator[subprocess.Popen[bytes]]:
    """uvicorn, no access log; stopped on exit. One worker: the server is this process (no supervisor); several: a
    supervisor and its worker processes sharing the socket (count their CPU with ``tree_cpu_seconds``)."""
    command = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", HOST, "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"uvicorn exited with status {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(base_url + BASELINE, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"uvicorn did not answer {BASELINE} within {STARTUP_TIMEOUT:.0f} s:\n{log_path.read_text()}")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process, from /proc (None where there is no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime and stime are fields 14 and 15 (proc(5)).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """The process's direct children (e.g. uvicorn's worker processes), from /proc; empty where there is none."""
    try:
        return [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except OSError:
        return []


def worker_pids(pid: int) -> list[int]:
    """uvicorn's worker processes under its supervisor: the children started by multiprocessing's spawn (not its
    resource tracker)."""
    workers = []
    for child in child_pids(pid):
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                workers.append(child)
        except OSError:
            continue
    return workers


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU time of a process and its children (uvicorn's supervisor and its workers), from /proc."""
    own = cpu_seconds(pid)
    if own is None:
        return None
    return own + sum(tree_cpu_seconds(child) or 0.0 for child in child_pids(pid))


async def measure(
    base_url: str, *, server_pid: int, concurrency: int, duration: float, rounds: int, warmup: float
) -> dict[str, Measured]:
    """Warm every endpoint up, then `rounds` rounds of every endpoint in turn."""
    runs: dict[str, list[LoadResult]] = {path: [] for path in ENDPOINTS}
    async with make_client(base_url, concurrency=concurrency) as client:
        for path in ENDPOINTS:
            check = await client.get(path)
            if check.status_code != 200:
                raise SystemExit(f"GET {path} answered {check.status_code}, expected 200: {check.text[:300]}")
            if warmup:
                await run_load(client, path, concurrency=concurrency, duration=warmup)
        for number in range(1, rounds + 1):
            for path in ENDPOINTS:
                server_before = cpu_seconds(server_pid)
                result = await run_load(client, path, concurrency=concurrency, duration=duration / rounds)
                server_after = cpu_seconds(server_pid)
                if server_before is not None and server_after is not None:
                    result = dataclasses.replace(result, server_cpu=server_after - server_before)
                runs[path].append(result)
            figures = ", ".join(f"{path} {runs[path][-1].throughput:,.0f}" for path in ENDPOINTS)
            console.print(f"  round {number}/{rounds}, requests/s: {figures}", style="dim")
    return {
        path: Measured(
            rounds=results,
            result=combine(results),
            round_ratios=[
                result.throughput / base.throughput for result, base in zip(results, runs[BASELINE], strict=True)
            ],
        )
        for path, results in runs.items()
    }


def report(measured: dict[str, Measured], *, concurrency: int, duration: float, rounds: int) -> Table:
    baseline = measured[BASELINE].result
    base_rounds = [result.throughput for result in measured[BASELINE].rounds]
    table = Table(
        title=f"uvicorn, 1 worker, {concurrency} clients, {duration:g} s per endpoint in {rounds} rounds; "
        f"x = ratio to {BASELINE}",
        caption=f"{BASELINE} per round: {min(base_rounds):,.0f} to {max(base_rounds):,.0f} requests/s. "
        "x range: the lowest and highest round. CPU ms/req: the server's CPU time per request (the "
        "steadiest figure on a busy machine). CPU use: share of one core, server / load driver.",
    )
    headers = (
        "GET",
        "req/s",
        "x",
        "x range",
        "p50 ms",
        "x",
        "p99 ms",
        "x",
        "CPU ms/req",
        "x",
        "CPU use",
        "errors",
    )
    for header in headers:
        table.add_column(header, justify="left" if header == "GET" else "right", no_wrap=True)
    for path, figures in measured.items():
        result = figures.result
        cpu, base_cpu = result.server_cpu_per_request, baseline.server_cpu_per_request
        server_use = f"{result.server_cpu / result.elapsed:.0%}" if result.server_cpu is not None else "?"
        table.add_row(
            path,
            f"{result.throughput:,.0f}",
            f"{result.throughput / baseline.throughput:.2f}",
            f"{min(figures.round_ratios):.2f}-{max(figures.round_ratios):.2f}",
            f"{result.p50 * 1000:.1f}",
            f"{result.p50 / baseline.p50:.2f}",
            f"{result.p99 * 1000:.1f}",
            f"{result.p99 / baseline.p99:.2f}",
            f"{cpu * 1000:.2f}" if cpu is not None else "?",
            f"{cpu / base_cpu:.2f}" if cpu is not None and base_cpu else "?",
            f"{server_use} / {result.driver_cpu / result.elapsed:.0%}",
            str(result.errors),
        )
    return table


def as_json(measured: dict[str, Measured], arguments: argparse.Namespace) -> dict[str, Any]:
    baseline = measured[BASELINE].result
    return {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "settings": {
            "concurrency": arguments.concurrency,
            "duration_s": arguments.duration,
            "rounds": arguments.rounds,
            "warmup_s": arguments.warmup,
            "workers": 1,
        },
        "baseline": BASELINE,
        "results": [
            {
                **figures.result.as_dict(),
                "throughput_ratio": round(figures.result.throughput / baseline.throughput, 3),
                "throughput_ratio_by_round": [round(ratio, 3) for ratio in figures.round_ratios],
                "throughput_ratio_median_round": round(statistics.median(figures.round_ratios), 3),
                "p50_ratio": round(figures.result.p50 / baseline.p50, 3),
                "p99_ratio": round(figures.result.p99 / baseline.p99, 3),
                "server_cpu_per_request_ratio": (
                    round(figures.result.server_cpu_per_request / baseline.server_cpu_per_request, 3)
                    if figures.result.server_cpu_per_request and baseline.server_cpu_per_request
                    else None
                ),
            }
            for figures in measured.values()
        ],
    }


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per endpoint (10)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds the duration is split into (5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds per endpoint first (1)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--json", type=Path, help="also write the results here (bench/results/ is ignored by git)")
    arguments = parser.parse_args(argv)
    if not 0 < arguments.duration <= MAX_BENCH_DURATION:
        parser.error(f"--duration must be more than 0 and at most {MAX_BENCH_DURATION:g} seconds")
    if not 0 <= arguments.warmup <= MAX_WARMUP:
        parser.error(f"--warmup must be between 0 and {MAX_WARMUP:g} seconds")
    if not 1 <= arguments.rounds <= 10 or arguments.duration / arguments.rounds < 0.2:
        parser.error("--rounds must be between 1 and 10, with at least 0.2 s per round")
    if not 1 <= arguments.concurrency <= MAX_CONCURRENCY:
        parser.error(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    return arguments


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chorus-bench-") as directory:
        data_dir = Path(directory)
        environment = server_environment(data_dir)
        with console.status("Migrating and seeding the demo into a temporary SQLite database..."):
            chorus("migrate", environment=environment)
            chorus("seed", "--demo", environment=environment)
        console.print(f"Set-up (migrate, seed the demo) took {time.monotonic() - started:.1f} s.", style="dim")

        port = free_port()
        base_url = f"http://{HOST}:{port}"
        log_path = data_dir / "uvicorn.log"
        with serve(environment, port, log_path) as process:
            wait_until_ready(process, base_url, log_path)
            console.print(f"uvicorn (1 worker) on {base_url}; warming up, then {arguments.rounds} rounds.", style="dim")
            load = measure(
                base_url,
                server_pid=process.pid,
                concurrency=arguments.concurrency,
                duration=arguments.duration,
                rounds=arguments.rounds,
                warmup=arguments.warmup,
            )
            measured = asyncio.run(load)

    console.print(
        report(measured, concurrency=arguments.concurrency, duration=arguments.duration, rounds=arguments.rounds)
    )
    console.print(
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; the load driver shares the machine "
        f"with the server. Whole run: {time.monotonic() - started:.0f} s.",
        style="dim",
    )
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(as_json(measured, arguments), indent=2) + "\n")
        console.print(f"Results written to {arguments.json}.")
    if any(figures.result.errors for figures in measured.values()):
        raise SystemExit("Some requests failed (see the errors column).")


if __name__ == "__main__":
    main()
