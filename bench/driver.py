"""A leaner load driver for `python -m bench.ratios`: raw asyncio protocols (uvloop when installed), closed and open
loop.

`bench/load.py`'s ``LoopbackClient`` (asyncio streams, ~0.1 ms of CPU a request) is fine against Chorus at a few
hundred requests a second, but the ceilings ``bench.ratios`` compares with run at 10,000 and more: there a driver at
0.1 ms a request would take a whole core and measure itself. Here a request is prebuilt bytes written on a
keep-alive connection and the answer is cut from the buffer by its Content-Length (no chunked answers: every endpoint
measured sends a length), about a quarter of that CPU.

- ``closed_loop``: ``connections`` clients, each sending its next request when the previous answer has arrived; the
  throughput is the server's capacity at that concurrency (latency there is just clients / throughput).
- ``open_loop``: requests sent at a fixed rate whatever the answers do (a new connection when none is idle), each
  latency counted from the moment the request was *due*, so a stalled server shows in the figures instead of
  slowing the driver down (no coordinated omission).

Loopback only, and bounded like bench/load.py (at most 64 closed-loop clients, 512 open-loop connections, 60 s).
"""

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.load import LOOPBACK_HOSTS, percentile

MAX_CLOSED_CONNECTIONS = 64
MAX_OPEN_CONNECTIONS = 512
MAX_SECONDS = 60.0
MAX_RATE = 50_000.0
ERROR = -1  # the status counted for a request that got no answer

# Builds the bytes of one request; the argument is the client's number (closed loop) or the request's (open loop).
RequestMaker = Callable[[int], bytes]


def request_bytes(
    method: str, path: str, *, host: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body is not None or method not in ("GET", "HEAD"):
        lines.append(f"Content-Length: {len(body or b'')}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection carrying one request at a time."""

    def __init__(self) -> None:
        self.transport: Any = None  # asyncio's or uvloop's transport
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        start = head.find(b"\r\ncontent-length:")
        if start < 0:
            waiter.set_exception(ConnectionError("an answer without Content-Length"))
            return
        stop = head.find(b"\r\n", start + 2)
        length = int(head[start + 17 : stop if stop >= 0 else len(head)])
        total = end + 4 + length
        if len(self.buffer) < total:
            return
        status = int(self.buffer[9:12])
        del self.buffer[:total]
        waiter.set_result(status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the server closed the connection"))

    async def send(self, data: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


async def _connect(host: str, port: int) -> _Connection:
    if host not in LOOPBACK_HOSTS:
        raise ValueError(f"the driver only targets loopback, not {host!r}")
    _transport, connection = await asyncio.get_running_loop().create_connection(_Connection, host, port)
    return connection


@dataclass
class Run:
    """One run against one endpoint."""

    elapsed: float  # seconds
    latencies: list[float] = field(default_factory=list)  # seconds, failed requests included
    statuses: Counter[int] = field(default_factory=Counter)
    driver_cpu: float = 0.0  # CPU seconds of this process during the run
    offered_rate: float | None = None  # open loop only

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    def errors(self, expected: int = 200) -> int:
        return sum(count for status, count in self.statuses.items() if status != expected)

    def p(self, pct: float) -> float:
        return percentile(self.latencies, pct) if self.latencies else math.nan


async def closed_loop(host: str, port: int, make_request: RequestMaker, *, connections: int, seconds: float) -> Run:
    """``connections`` clients for ``seconds``, each sending its next request when its previous answer arrived."""
    if not 1 <= connections <= MAX_CLOSED_CONNECTIONS or not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"1 to {MAX_CLOSED_CONNECTIONS} connections, at most {MAX_SECONDS:g} s")
    opened = [await _connect(host, port) for _ in range(connections)]
    run = Run(elapsed=0.0)
    cpu = time.process_time()
    start = time.perf_counter()
    deadline = start + seconds

    async def client(number: int, connection: _Connection) -> None:
        clock = time.perf_counter
        while True:
            sent = clock()
            if sent >= deadline:
                return
            try:
                status = await connection.send(make_request(number))
            except ConnectionError:
                status = ERROR
            run.latencies.append(clock() - sent)
            run.statuses[status] += 1
            if connection.closed:
                connection = await _connect(host, port)

    clients = [client(number, connection) for number, connection in enumerate(opened)]
    await asyncio.gather(*clients)
    run.elapsed = time.perf_counter() - start
    run.driver_cpu = time.process_time() - cpu
    for connection in opened:
        if connection.transport is not None:
            connection.transport.close()
    return run


async def open_loop(host: str, port: int, make_request: RequestMaker, *, rate: float, seconds: float) -> Run:
    """Requests at ``rate`` a second for ``seconds``, due at fixed times; latency counted from the due time."""
    if not 0 < rate <= MAX_RATE or not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"a rate up to {MAX_RATE:g}/s for at most {MAX_SECONDS:g} s")
    loop = asyncio.get_running_loop()
    idle: list[_Connection] = []
    every: list[_Connection] = []
    free = asyncio.Condition()
    total = max(1, round(rate * seconds))
    run = Run(elapsed=0.0, offered_rate=rate)

    async def take() -> _Connection:
        while True:
            while idle:
                connection = idle.pop()
                if not connection.closed:
                    return connection
            if len(every) < MAX_OPEN_CONNECTIONS:
                connection = await _connect(host, port)
                every.append(connection)
                return connection
            async with free:
                await free.wait()

    async def one(number: int, due: float) -> None:
        connection = await take()
        try:
            status = await connection.send(make_request(number))
        except ConnectionError:
            status = ERROR
        run.latencies.append(loop.time() - due)
        run.statuses[status] += 1
        idle.append(connection)
        async with free:
            free.notify()

    cpu = time.process_time()
    start = loop.time()
    tasks = []
    issued = 0
    while issued < total:
        due_now = min(total, int((loop.time() - start) * rate) + 1)
        while issued < due_now:
            tasks.append(asyncio.ensure_future(one(issued, start + issued / rate)))
            issued += 1
        await asyncio.sleep(max(0.0, start + issued / rate - loop.time()))
    await asyncio.gather(*tasks)
    run.elapsed = loop.time() - start
    run.driver_cpu = time.process_time() - cpu
    for connection in every:
        if connection.transport is not None:
            connection.transport.close()
    return run


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when installed (it comes with uvicorn[standard]): the driver's own overhead is smaller."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
