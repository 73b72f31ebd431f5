"""Where a score's time goes: cProfile over scoring requests served in this process.

    python -m bench.profile_scoring [--requests 2000] [--top 40] [--designs 500] [--scores 20000] [--endpoint me]

A generated challenge in its scoring phase (``chorus generate challenge`` in a temporary SQLite database), the app
built in this process and driven through httpx's ASGI transport (no sockets, no uvicorn), one member's bearer token
per request in turn; half the requests re-score a design (the update path). It prints the functions by their own
time and by their cumulative time, restricted to Chorus's code (``app/``) and SQLAlchemy, and the count of
statements a score runs. The profile covers the whole request path (middleware, dependencies, the thread hop), not
only the service, so each layer's share shows. cProfile sees one thread only, so the work FastAPI hands to its
thread pool (sync dependencies and routes) is run inline here instead: the profile has no thread hop in it.
"""

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy import event

from bench.challenges import generate, member_tokens


async def drive(
    app: object, tokens: list[str], design_ids: list[int], requests: int, *, endpoint: str = "score"
) -> int:
    """Send the requests one after another; how many did not answer 200. ``endpoint`` "me" reads ``/api/v1/me``."""
    import httpx

    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    rng = random.Random(7)
    scored: list[list[int]] = [[] for _ in tokens]
    failures = 0
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for number in range(requests):
            member = number % len(tokens)
            if endpoint == "me":
                response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[member]}"})
                failures += response.status_code != 200
                continue
            if scored[member] and rng.random() < 0.5:
                design_id = rng.choice(scored[member])
            else:
                design_id = rng.choice(design_ids)
                scored[member].append(design_id)
            response = await client.put(
                f"/api/v1/designs/{design_id}/score",
                json={"value": rng.randint(0, 5), "would_buy": rng.random() < 0.3},
                headers={"Authorization": f"Bearer {tokens[member]}"},
            )
            failures += response.status_code != 200
    return failures


_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="profiled-step")
_worker_profile = cProfile.Profile()


async def _profiled_hand_off(func: Any, *args: Any, **_options: Any) -> Any:
    """anyio.to_thread.run_sync on one worker thread with its own profile (cProfile sees one thread each; a
    request's one step, app.web.routing, runs its own event loop there, so it cannot run in the server's)."""

    def profiled() -> Any:
        _worker_profile.enable()
        try:
            return func(*args)
        finally:
            _worker_profile.disable()

    return await asyncio.get_running_loop().run_in_executor(_worker, profiled)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_scoring", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--designs", type=int, default=500)
    parser.add_argument("--scores", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument(
        "--cpu-only",
        action="store_true",
        help="no profile: CPU time per request",
    )
    parser.add_argument("--endpoint", choices=("score", "me"), default="score", help="what to request")
    parser.add_argument("--save", type=Path, help="also write the raw profile here (for pstats or snakeviz)")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="chorus-profile-scoring-") as directory:
        environment = generate(
            Path(directory),
            f"sqlite:///{Path(directory) / 'profile.db'}",
            "profile.db",
            designs=arguments.designs,
            scores=arguments.scores,
            members=arguments.members,
        )
        tokens, design_ids = member_tokens(environment, 16)
        os.environ.update({key: value for key, value in environment.items() if key.startswith("CHORUS_")})
        from app.config import get_settings
        from app.db import get_engine
        from app.main import create_app

        get_settings.cache_clear()
        app = create_app()
        asyncio.run(
            drive(app, tokens, design_ids, 50, endpoint=arguments.endpoint)
        )  # warm-up: caches, compiled statements, pools
        statements: list[str] = []
        event.listen(get_engine(), "before_cursor_execute", lambda *args: statements.append(args[2]))
        asyncio.run(drive(app, tokens, design_ids, 20, endpoint=arguments.endpoint))
        print(f"Statements per request (mean of 20 requests): {len(statements) / 20:.1f}")
        for statement in dict.fromkeys(statements):
            print("  ", " ".join(statement.split())[:160])
        if arguments.cpu_only:
            for attempt in range(3):
                started = time.process_time()
                failures = asyncio.run(drive(app, tokens, design_ids, arguments.requests, endpoint=arguments.endpoint))
                spent = time.process_time() - started
                print(f"run {attempt + 1}: {spent / arguments.requests * 1000:.3f} ms CPU/request, {failures} not 200")
            return
        anyio.to_thread.run_sync = _profiled_hand_off  # type: ignore[assignment]
        profiler = cProfile.Profile()
        profiler.enable()
        failures = asyncio.run(drive(app, tokens, design_ids, arguments.requests, endpoint=arguments.endpoint))
        profiler.disable()
        print(f"{arguments.requests} {arguments.endpoint} requests, {failures} not 200")
        if arguments.save:
            saved = pstats.Stats(profiler)
            saved.add(_worker_profile)
            saved.dump_stats(arguments.save)
        for order in ("tottime", "cumulative"):
            text = io.StringIO()
            stats = pstats.Stats(profiler, stream=text)
            stats.add(_worker_profile)
            stats.sort_stats(order).print_stats(arguments.top)
            print(text.getvalue())


if __name__ == "__main__":
    main()
