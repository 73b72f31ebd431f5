"""The load driver: N concurrent clients sharing one httpx.AsyncClient, for a set time or number of requests.

Bounded on purpose: at most MAX_CONCURRENCY clients, MAX_DURATION seconds and MAX_REQUESTS requests per run,
and a real server may only be reached over loopback (an in-process ASGI transport is fine for tests).
"""

import asyncio
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_CONCURRENCY = 64
MAX_DURATION = 60.0
MAX_REQUESTS = 100_000
# The host of in-process ASGI test clients (Starlette's convention); any other host must be loopback.
IN_PROCESS_HOST = "testserver"
ERROR = -1  # the "status" counted for a request that got no response (connection error, timeout)
# Sends one request for client number i (0 to concurrency - 1): for requests other than a plain GET of ``path``.
Sender = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class LoadResult:
    path: str
    concurrency: int
    elapsed: float  # seconds, from the first request sent to the last response read
    latencies: Sequence[float]  # seconds, one per request, failed ones included
    statuses: dict[int, int] = field(default_factory=dict)
    expected_status: int = 200
    driver_cpu: float = 0.0  # CPU seconds this process (the load driver) used during the run
    server_cpu: float | None = None  # CPU seconds the server used, when the caller could measure it

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status != self.expected_status)

    @property
    def throughput(self) -> float:
        """Requests per second."""
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 99)

    @property
    def server_cpu_per_request(self) -> float | None:
        """Server CPU seconds per request: other work on the machine moves it far less than latency."""
        if self.server_cpu is None or not self.requests:
            return None
        return self.server_cpu / self.requests

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "errors": self.errors,
            "elapsed_s": round(self.elapsed, 3),
            "requests_per_s": round(self.throughput, 1),
            "p50_ms": round(self.p50 * 1000, 3),
            "p99_ms": round(self.p99 * 1000, 3),
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "driver_cpu_share": round(self.driver_cpu / self.elapsed, 3) if self.elapsed else None,
            "server_cpu_ms_per_request": (
                round(self.server_cpu_per_request * 1000, 3) if self.server_cpu_per_request is not None else None
            ),
            "server_cpu_share": (
                round(self.server_cpu / self.elapsed, 3) if self.elapsed and self.server_cpu is not None else None
            ),
        }


def combine(results: Sequence[LoadResult]) -> LoadResult:
    """One result from several runs of the same path (e.g. rounds interleaved with other paths)."""
    if not results or len({result.path for result in results}) != 1:
        raise ValueError("combine needs one or more results for a single path")
    statuses: Counter[int] = Counter()
    for result in results:
        statuses.update(result.statuses)
    server_cpus = [result.server_cpu for result in results]
    return LoadResult(
        path=results[0].path,
        concurrency=results[0].concurrency,
        elapsed=sum(result.elapsed for result in results),
        latencies=[latency for result in results for latency in result.latencies],
        statuses=dict(statuses),
        expected_status=results[0].expected_status,
        driver_cpu=sum(result.driver_cpu for result in results),
        server_cpu=None if None in server_cpus else sum(cpu for cpu in server_cpus if cpu is not None),
    )


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile: the smallest value with at least pct% of the values at or below it."""
    if not values:
        return math.nan
    if not 0 < pct <= 100:
        raise ValueError("pct must be in (0, 100]")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def check_loopback(base_url: str) -> None:
    """Refuse any server but this machine's: the driver must never load someone else's host."""
    host = httpx.URL(base_url).host
    if host not in LOOPBACK_HOSTS:
        raise ValueError(f"the load driver only targets loopback (127.0.0.1), not {host!r}")


def make_client(
    base_url: str, *, concurrency: int, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """A client with one keep-alive connection per concurrent client. Without a transport, loopback only."""
    if transport is None:
        check_loopback(base_url)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(
        base_url=base_url,
        limits=limits,
        timeout=httpx.Timeout(30.0),
        transport=transport,
        follow_redirects=False,
    )


async def run_load(
    client: httpx.AsyncClient,
    path: str,
    *,
    concurrency: int = 8,
    duration: float | None = None,
    requests: int | None = None,
    expected_status: int = 200,
    send: Sender | None = None,
) -> LoadResult:
    """GET ``path`` from ``concurrency`` clients until ``duration`` seconds pass or ``requests`` were sent.

    Give at least one of the two; with both, whichever comes first ends the run. Each client sends its next
    request when the previous response has been read (a closed loop), so the server is never flooded.
    With ``send``, each client sends ``send(client, i)`` instead (``path`` then only labels the result).
    """
    if duration is None and requests is None:
        raise ValueError("give a duration or a number of requests")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency must be between 1 and {MAX_CONCURRENCY}")
    if duration is not None and not 0 < duration <= MAX_DURATION:
        raise ValueError(f"duration must be between 0 and {MAX_DURATION} seconds")
    if requests is not None and not 1 <= requests <= MAX_REQUESTS:
        raise ValueError(f"requests must be between 1 and {MAX_REQUESTS}")
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError("path must be a path on the client's base URL, like /healthz")
    if client.base_url.host != IN_PROCESS_HOST:
        check_loopback(str(client.base_url))

    budget = requests if requests is not None else MAX_REQUESTS
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    issued = 0
    cpu_start = time.process_time()
    start = time.perf_counter()
    deadline = start + duration if duration is not None else math.inf

    async def one_client(number: int) -> None:
        nonlocal issued
        while issued < budget and time.perf_counter() < deadline:
            issued += 1  # no await between the check and this line, so the budget is exact
            sent = time.perf_counter()
            try:
                response = await (send(client, number) if send is not None else client.get(path))
                status = response.status_code
            except httpx.HTTPError:
                status = ERROR
            latencies.append(time.perf_counter() - sent)
            statuses[status] += 1

    await asyncio.gather(*(one_client(number) for number in range(concurrency)))
    return LoadResult(
        path=path,
        concurrency=concurrency,
        elapsed=time.perf_counter() - start,
        latencies=latencies,
        statuses=dict(statuses),
        expected_status=expected_status,
        driver_cpu=time.process_time() - cpu_start,
    )
