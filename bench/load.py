"""The load driver: N concurrent clients sharing one lean HTTP/1.1 client, for a set time or number of requests.

The client (``LoopbackClient``) writes each request as bytes on a keep-alive connection and reads the answer with
asyncio streams: about 0.1 ms of CPU a request. httpx spends about 3 ms, so with 32 clients on this 2-core machine
the driver saturated its core before the server did: /healthz looked limited to ~300 requests/s with the server
half idle, and every latency included the driver's own queue (bench/README.md, "The load driver").

Bounded on purpose: at most MAX_CONCURRENCY clients, MAX_DURATION seconds and MAX_REQUESTS requests per run,
and a real server may only be reached over loopback (an in-process ASGI transport is fine for tests).
"""

import asyncio
import json as json_module
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_CONCURRENCY = 64
MAX_DURATION = 60.0
MAX_REQUESTS = 100_000
REQUEST_TIMEOUT = 30.0  # seconds for one request, connection included
# The host of in-process ASGI test clients (Starlette's convention); any other host must be loopback.
IN_PROCESS_HOST = "testserver"
ERROR = -1  # the "status" counted for a request that got no response (connection error, timeout)


class Response(Protocol):
    """What senders and the benchmarks read of an answer; httpx's responses have it too (in-process tests)."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


class Client(Protocol):
    """The driver's client: ``LoopbackClient`` against a real server, httpx.AsyncClient in-process (tests)."""

    @property
    def base_url(self) -> httpx.URL: ...

    async def get(self, url: str, *, headers: Mapping[str, str] | None = None) -> Any: ...

    async def put(self, url: str, *, json: Any = None, headers: Mapping[str, str] | None = None) -> Any: ...


# Sends one request for client number i (0 to concurrency - 1): for requests other than a plain GET of ``path``.
Sender = Callable[[Client, int], Awaitable[Response]]


class ProtocolError(Exception):
    """The server's answer was not the HTTP/1.1 this client reads (counted as an error, like a dropped connection)."""


# Counted as ERROR by run_load: no usable answer.
REQUEST_ERRORS = (httpx.HTTPError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ProtocolError)


@dataclass(frozen=True)
class RawResponse:
    status_code: int
    headers: dict[str, str]  # names in lower case
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json_module.loads(self.content)


class LoopbackClient:
    """A minimal HTTP/1.1 client for load on loopback: keep-alive connections in a pool (one per concurrent client
    at most), requests written as bytes, answers read by Content-Length or chunked encoding. Nothing else: no
    redirects, TLS, proxies or compression. Loopback only."""

    def __init__(self, base_url: str, *, concurrency: int) -> None:
        check_loopback(base_url)
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.port is None or parts.path not in ("", "/"):
            raise ValueError("the load driver needs a base URL like http://127.0.0.1:8000")
        self.base_url = httpx.URL(base_url)
        self._host = parts.hostname or ""
        self._port = parts.port
        self._host_header = f"Host: {parts.netloc}\r\n".encode()
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._limit = asyncio.Semaphore(concurrency)

    async def __aenter__(self) -> "LoopbackClient":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        while self._idle:
            _reader, writer = self._idle.pop()
            writer.close()

    async def get(self, url: str, *, headers: Mapping[str, str] | None = None) -> RawResponse:
        return await self.request("GET", url, headers=headers)

    async def put(self, url: str, *, json: Any = None, headers: Mapping[str, str] | None = None) -> RawResponse:
        return await self.request("PUT", url, json=json, headers=headers)

    async def request(
        self, method: str, url: str, *, json: Any = None, headers: Mapping[str, str] | None = None
    ) -> RawResponse:
        if not url.startswith("/") or url.startswith("//"):
            raise ValueError("requests go to a path on the base URL, like /healthz")
        body = b"" if json is None else json_module.dumps(json).encode()
        head = [f"{method} {url} HTTP/1.1\r\n".encode(), self._host_header]
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}\r\n".encode())
        if json is not None:
            head.append(b"Content-Type: application/json\r\n")
        if body or method not in ("GET", "HEAD"):
            head.append(f"Content-Length: {len(body)}\r\n".encode())
        head.append(b"\r\n")
        async with self._limit:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                reader, writer = await self._connection()
                try:
                    writer.write(b"".join(head) + body)
                    response, keep_alive = await _read_response(reader, method)
                except BaseException:
                    writer.close()
                    raise
            if keep_alive:
                self._idle.append((reader, writer))
            else:
                writer.close()
            return response

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._idle:
            return self._idle.pop()
        return await asyncio.open_connection(self._host, self._port)


async def _read_response(reader: asyncio.StreamReader, method: str) -> tuple[RawResponse, bool]:
    """One answer and whether the connection may carry the next request."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
        raise ProtocolError(f"not an HTTP/1.x status line: {status_line!r}")
    status = int(rest[:3])
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        value = value.strip()
        # Repeated headers (set-cookie, vary) are joined, as the single-value view of httpx does.
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        content = b""
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        content = await _read_chunked(reader)
    elif "content-length" in headers:
        content = await reader.readexactly(int(headers["content-length"]))
    else:
        raise ProtocolError("an answer without Content-Length or chunked encoding")
    keep_alive = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
    return RawResponse(status_code=status, headers=headers, content=content), keep_alive


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, then the blank line
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


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


def make_client(base_url: str, *, concurrency: int, transport: httpx.AsyncBaseTransport | None = None) -> Any:
    """A client with one keep-alive connection per concurrent client: the lean ``LoopbackClient`` against a real
    server (loopback only), or httpx over ``transport`` (an in-process app, in tests)."""
    if transport is None:
        return LoopbackClient(base_url, concurrency=concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(
        base_url=base_url,
        limits=limits,
        timeout=httpx.Timeout(30.0),
        transport=transport,
        follow_redirects=False,
    )


async def run_load(
    client: Client,
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
            except REQUEST_ERRORS:
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
