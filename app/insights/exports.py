"""Streaming CSV: rows are written as they are read, so an export of a million responses starts at once and
holds one batch in memory, and every cell a spreadsheet could run as a formula is neutralised."""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection, OWASP); tab and carriage
# return too, as some programs strip them before looking.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500


def neutralise(value: object) -> object:
    """Text that would start a formula gets a leading apostrophe; numbers are left alone (-3 stays a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The CSV text of a header and rows, in chunks of a few hundred rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for written, row in enumerate(rows, start=1):
        writer.writerow([neutralise(cell) for cell in row])
        if written % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
