"""A 5,000-line sales file imported while another writer posts to the same brand's ledger: total time, batches, the
longest batch (how long one transaction held the writer) and the longest wait of the other writer.

    .venv/bin/python -m bench.sales_import                       # SQLite in a temporary directory
    .venv/bin/python -m bench.sales_import --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

``--batch-rows 5000`` is the import as it was before batches: one transaction for the whole file. On PostgreSQL the
tables go to a schema of their own, dropped afterwards.
"""

import argparse
import os
import secrets
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url


def _database(base_url: str | None, directory: Path) -> tuple[str, str | None]:
    if not base_url:
        return f"sqlite:///{directory / 'bench.db'}", None
    schema = f"bench_imports_{secrets.token_hex(4)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def _drop(base_url: str, schema: str) -> None:
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _run(engine: Engine, *, rows: int, batch_rows: int) -> dict[str, float]:
    from app.db import OwnTransactions, session_scope
    from app.ledger import service as ledger_service
    from app.ledger.models import AccountKind, TransactionKind
    from app.rewards import sales_import
    from tests.factories import make_brand, make_user
    from tests.rewards.factories import make_live_product

    with session_scope(engine) as session:
        brand = make_brand(session)
        designer = make_user(session)
        product = make_live_product(session, brand, designer)
        brand_id, designer_id, product_id, actor_id = brand.id, designer.id, product.id, make_user(session).id
    assert brand_id and designer_id and product_id and actor_id
    content = (
        "order_id,product_id,quantity,unit_price,currency\n"
        + "".join(f"B-{number},{product_id},1,25.00,EUR\n" for number in range(rows))
    ).encode()
    done = threading.Event()
    waits: list[float] = []
    failures: list[str] = []

    def other_writer() -> None:
        """Every 20 ms, a posting to the brand's expense account (which every sale line updates too)."""
        number = 0
        while not done.is_set():
            asked = time.monotonic()
            try:
                _post(number)
            except Exception as error:  # the write lock not had within 30 s: a 503 for a request
                failures.append(type(error).__name__)
            waits.append(time.monotonic() - asked)
            number += 1
            time.sleep(0.02)

    def _post(number: int) -> None:
        with session_scope(engine) as session:
            session.connection()  # BEGIN: on SQLite, the writer's turn
            expense = ledger_service.get_account(
                session, brand_id=brand_id, user_id=None, kind=AccountKind.brand_expense, currency="EUR"
            )
            earnings = ledger_service.get_account(
                session, brand_id=brand_id, user_id=designer_id, kind=AccountKind.earnings, currency="EUR"
            )
            ledger_service.post_transaction(
                session,
                idempotency_key=f"bench:{brand_id}:{number}",
                brand_id=brand_id,
                kind=TransactionKind.sale,
                description="bench",
                lines=[(expense, -1), (earnings, 1)],
            )

    batch_cpu: list[float] = []
    write_batch = sales_import._write_batch

    def measured_batch(*args: Any, **kwargs: Any) -> None:
        """The CPU time of one batch: on a busy machine its wall time is mostly waiting for a core."""
        cpu = time.thread_time()
        write_batch(*args, **kwargs)
        batch_cpu.append(time.thread_time() - cpu)

    sales_import._write_batch = measured_batch  # type: ignore[assignment]
    writer = threading.Thread(target=other_writer)
    writer.start()
    started, cpu = time.monotonic(), time.thread_time()
    try:
        result = sales_import.import_sales_csv(
            OwnTransactions(engine), brand_id=brand_id, actor_id=actor_id, content=content, batch_rows=batch_rows
        )
    finally:
        sales_import._write_batch = write_batch  # type: ignore[assignment]
    total, total_cpu = time.monotonic() - started, time.thread_time() - cpu
    done.set()
    writer.join()
    return {
        "rows": result.recorded,
        "batches": result.batches,
        "total_s": total,
        "cpu_s": total_cpu,
        "longest_batch_s": result.longest_batch_seconds,
        "longest_batch_cpu_s": max(batch_cpu),
        "writer_posts": len(waits),
        "writer_longest_s": max(waits),
        "writer_failures": len(failures),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--batch-rows", type=int, nargs="+", default=[5000, 100, 50, 25])
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chorus-bench-imports-") as directory:
        os.environ.setdefault("CHORUS_DATA_DIR", directory)
        os.environ.setdefault("CHORUS_SECRET_KEY", secrets.token_hex(16))
        os.environ["CHORUS_ENVIRONMENT"] = "test"  # tasks run in place, no worker needed
        url, schema = _database(arguments.database_url, Path(directory))
        os.environ["CHORUS_DATABASE_URL"] = url
        from app.db import build_engine, migrate

        try:
            migrate(url)
            engine = build_engine(url)
            print(f"{engine.dialect.name}, {arguments.rows} lines, load {os.getloadavg()[0]:.1f}")
            print(
                "batch rows  batches  total s (CPU)  longest batch s (CPU)  other writer: posts  longest wait s  failed"
            )
            for batch_rows in arguments.batch_rows:
                figures = _run(engine, rows=arguments.rows, batch_rows=batch_rows)
                print(
                    f"{batch_rows:>10}  {figures['batches']:>7}  {figures['total_s']:>7.1f} ({figures['cpu_s']:.1f})  "
                    f"{figures['longest_batch_s']:>13.2f} ({figures['longest_batch_cpu_s']:.2f})  "
                    f"{figures['writer_posts']:>19}  "
                    f"{figures['writer_longest_s']:>14.2f}  {figures['writer_failures']:>6}"
                )
            engine.dispose()
        finally:
            if schema and arguments.database_url:
                _drop(arguments.database_url, schema)


if __name__ == "__main__":
    main()
