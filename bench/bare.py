"""The ceilings for `python -m bench.ratios`: a bare FastAPI app on the same uvicorn, in the same run as Chorus.

    uvicorn bench.bare:create_app --factory     (BENCH_BARE_DATABASE names the SQLite file; made if missing)

- ``GET /async``: an ``async def`` returning a dict: the framework's own cost, no thread hop;
- ``GET /sync``: the same as a plain ``def``: one hop through the thread pool;
- ``PUT /designs/{design_id}/score``: a score's storage work in plain SQLite (``sqlite3``, WAL, ``synchronous=NORMAL``)
  inside an ``async def``: the JSON body parsed by the same Pydantic model shape as Chorus's, the voter from a header,
  the previous score read, an UPSERT of the score, the design's counters moved by the difference, a commit. No ORM,
  no session, no authentication: the least a scoring request must do.
"""

import os
import sqlite3
from pathlib import Path

from fastapi import FastAPI, Header
from pydantic import BaseModel, Field

DESIGNS = 1000

SCHEMA = """
CREATE TABLE IF NOT EXISTS designs (
    id INTEGER PRIMARY KEY,
    score_count INTEGER NOT NULL DEFAULT 0,
    score_sum INTEGER NOT NULL DEFAULT 0,
    buy_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS scores (
    id INTEGER PRIMARY KEY,
    design_id INTEGER NOT NULL REFERENCES designs (id),
    voter_id INTEGER NOT NULL,
    value INTEGER NOT NULL,
    would_buy INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (design_id, voter_id)
);
"""


class ScoreCast(BaseModel):
    value: int = Field(ge=0, le=5)
    would_buy: bool = False


def open_database(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=30000")
    connection.executescript(SCHEMA)
    if connection.execute("SELECT count(*) FROM designs").fetchone()[0] == 0:
        connection.executemany("INSERT INTO designs (id) VALUES (?)", [(number,) for number in range(1, DESIGNS + 1)])
    return connection


def create_app() -> FastAPI:
    app = FastAPI()
    database = open_database(Path(os.environ.get("BENCH_BARE_DATABASE", "bare.db")))

    @app.get("/async")
    async def trivial_async() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/sync")
    def trivial_sync() -> dict[str, str]:
        return {"status": "ok"}

    @app.put("/designs/{design_id}/score")
    async def score(design_id: int, body: ScoreCast, x_voter: int = Header()) -> dict[str, object]:
        # One statement at a time in the event loop: no other request runs in between, so no lock is needed.
        database.execute("BEGIN IMMEDIATE")
        try:
            previous = database.execute(
                "SELECT value, would_buy FROM scores WHERE design_id = ? AND voter_id = ?", (design_id, x_voter)
            ).fetchone()
            database.execute(
                "INSERT INTO scores (design_id, voter_id, value, would_buy, updated_at) "
                "VALUES (?, ?, ?, ?, datetime('now')) ON CONFLICT (design_id, voter_id) "
                "DO UPDATE SET value = excluded.value, would_buy = excluded.would_buy, "
                "updated_at = excluded.updated_at",
                (design_id, x_voter, body.value, body.would_buy),
            )
            old_value, old_buy = previous if previous else (0, 0)
            database.execute(
                "UPDATE designs SET score_count = score_count + ?, score_sum = score_sum + ?, "
                "buy_count = buy_count + ? WHERE id = ?",
                (0 if previous else 1, body.value - old_value, int(body.would_buy) - old_buy, design_id),
            )
            database.execute("COMMIT")
        except BaseException:
            database.execute("ROLLBACK")
            raise
        return {"value": body.value, "would_buy": body.would_buy}

    return app
