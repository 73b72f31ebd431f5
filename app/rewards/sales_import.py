"""A brand's sales file, imported in batches: checked whole first, then written in short transactions.

Why batches: one transaction for a 5,000-line file held SQLite's single writer (and on PostgreSQL the row of the
brand's expense account) for about 20 s, so every score and every other write waited behind it. Now the file is
read and checked in a transaction that only reads (a bad file writes nothing), then written ``IMPORT_BATCH_ROWS``
lines per transaction; writers wait for the lock in arrival order (``app.db.FairLock``), so a write that arrives
during a batch goes before the next one. A sale's natural key (order id and product, unique per brand) makes every
line idempotent: a file sent again, or again after an import that stopped halfway, records only what is missing.
"""

import csv
import io
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from app import rate_limits
from app.brands.models import Brand
from app.columns import id_of, utcnow
from app.config import get_settings
from app.db import ShortTransactions
from app.errors import Invalid, NotFound, ServiceUnavailable
from app.i18n import _
from app.i18n.formatting import format_number
from app.rewards import sales as rewards_sales
from app.rewards.models import SaleSource

logger = logging.getLogger("chorus.rewards.sales_import")

CSV_COLUMNS = ("order_id", "product_id", "quantity", "unit_price", "currency", "referral_code", "sold_at")
_OPTIONAL_COLUMNS = ("referral_code", "sold_at")
# A line costs 5 to 6 ms of CPU (bench/README.md, "Sales import"), and on the shared 2-core machine (load 15) a
# batch's wall time was 7 to 9 times its CPU time: batches of 10 lines kept another writer's longest wait at
# 0.86 s there (20 lines: 1.43 s, 50: 3.6 s). Smaller batches cost nothing measurable: 5,000 lines took 25 to 31 s
# of CPU in batches of 10, 20, 25 or 50.
IMPORT_BATCH_ROWS = 10


@dataclass
class SalesImport:
    """What an import did: lines recorded now, lines recorded before (skipped), and how it was written."""

    rows: int
    recorded: int = 0
    recorded_before: int = 0
    batches: int = 0
    # The longest time one batch held the writer (from its BEGIN to the end of its COMMIT).
    longest_batch_seconds: float = 0.0


class ImportInterrupted(ServiceUnavailable):
    """A batch failed: the batches before it are recorded, the rest is not; sending the file again finishes it."""

    def __init__(self, message: str, *, progress: SalesImport):
        super().__init__(message)
        self.progress = progress


def parse_sales_csv(content: bytes) -> list[rewards_sales.SaleInput]:
    """The rows of an uploaded sales file (UTF-8, a header row naming the columns in CSV_COLUMNS)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid(_("The file is not UTF-8 text; export it from your shop as CSV (UTF-8).")) from error
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in CSV_COLUMNS if name not in _OPTIONAL_COLUMNS and name not in header]
    if missing:
        raise Invalid(
            _("The file's first row must name the columns; missing: %(columns)s.", columns=", ".join(missing))
        )
    reader.fieldnames = header
    rows = []
    try:
        for number, record in enumerate(reader, start=2):
            rows.append(
                rewards_sales.SaleInput(
                    row=number,
                    order_id=(record.get("order_id") or ""),
                    product_id=(record.get("product_id") or ""),
                    quantity=(record.get("quantity") or ""),
                    unit_price=(record.get("unit_price") or ""),
                    currency=(record.get("currency") or ""),
                    referral_code=(record.get("referral_code") or ""),
                    sold_at=(record.get("sold_at") or "").strip() or None,
                )
            )
    except csv.Error as error:
        raise Invalid(_("The file is not valid CSV: %(problem)s.", problem=error)) from error
    return rows


def import_sales_csv(
    transactions: ShortTransactions,
    *,
    brand_id: int,
    actor_id: int,
    content: bytes,
    now: datetime | None = None,
    batch_rows: int = IMPORT_BATCH_ROWS,
) -> SalesImport:
    """Record the sales of an uploaded CSV file: every row is checked before any is written (a bad row refuses
    the file, naming each bad row), then the lines are written in batches, each its own transaction."""
    rate_limits.hit(
        get_settings().sales_import_rate_per_account,
        "sales-import",
        str(actor_id),
        message=_("You are sending sales very fast; wait a minute."),
    )
    now = now or utcnow()
    rows = parse_sales_csv(content)
    with transactions.reading() as session:
        brand = session.get(Brand, brand_id)
        if brand is None:
            raise NotFound(_("There is no such brand."))
        checked = rewards_sales.check_sales(session, brand=brand, rows=rows, now=now)
    lines = [line for line in checked.lines if (line.order_id, id_of(line.product)) not in checked.recorded_before]
    progress = SalesImport(rows=len(rows), recorded_before=len(checked.lines) - len(lines))
    for start in range(0, len(lines), batch_rows):
        batch = lines[start : start + batch_rows]
        try:
            _write_batch(transactions, brand_id=brand_id, lines=batch, now=now, progress=progress)
        except Exception as error:
            logger.exception("Sales import of brand %s stopped at batch %s", brand_id, progress.batches + 1)
            raise ImportInterrupted(
                _(
                    "The import stopped at the line of order %(order)s: %(recorded)s new lines in %(batches)s "
                    "batches are recorded, the rest is not. Send the same file again to finish; lines already "
                    "recorded are skipped.",
                    order=batch[0].order_id,
                    recorded=format_number(progress.recorded),
                    batches=format_number(progress.batches),
                ),
                progress=progress,
            ) from error
    return progress


async def import_in_thread(
    request_session: Session, transactions: ShortTransactions, *, brand_id: int, actor_id: int, content: bytes
) -> SalesImport:
    """``import_sales_csv`` for a request, in a worker thread so the event loop serves other requests meanwhile.

    The answer comes when the last batch is written: at most MAX_IMPORT_ROWS lines, about 30 s of CPU for 5,000
    (bench/README.md), more on a busy machine. A task with a progress page would free the request sooner, at the
    cost of a table, a worker and a page to poll; files larger than MAX_IMPORT_ROWS would need it.

    The request's own transaction ends first: its route takes no writer's turn (``writes_in_own_transactions``)
    and only read, but signing in may have written "last seen", and on SQLite that would hold the write lock
    for the whole import.
    """
    await run_in_threadpool(request_session.commit)
    return await run_in_threadpool(
        import_sales_csv, transactions, brand_id=brand_id, actor_id=actor_id, content=content
    )


def _write_batch(
    transactions: ShortTransactions,
    *,
    brand_id: int,
    lines: list[rewards_sales.CheckedSale],
    now: datetime,
    progress: SalesImport,
) -> None:
    recorded = recorded_before = 0
    with transactions.writing() as session:
        session.connection()  # BEGIN here: on SQLite, this waits for the writer's turn
        started = time.monotonic()
        # Looked up again inside the batch: a line recorded since the check (the same file sent twice at once)
        # is skipped, not posted twice.
        existing = rewards_sales.existing_sales(
            session, brand_id=brand_id, pairs={(line.order_id, id_of(line.product)) for line in lines}
        )
        for line in lines:
            if (line.order_id, id_of(line.product)) in existing:
                recorded_before += 1
                continue
            sale = rewards_sales.record_checked_sale(
                session, brand_id=brand_id, line=line, source=SaleSource.csv, now=now
            )
            if sale is None:
                recorded_before += 1
            else:
                recorded += 1
    # Counted once the batch has committed, so an interrupted import reports only what is recorded.
    progress.longest_batch_seconds = max(progress.longest_batch_seconds, time.monotonic() - started)
    progress.recorded += recorded
    progress.recorded_before += recorded_before
    progress.batches += 1
