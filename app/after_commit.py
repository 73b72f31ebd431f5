"""Work a transaction asks for, done only once it has committed: enqueueing the e-mail and webhook deliveries whose
rows it wrote, so that the worker finds them.

Services mark their session with ``mark(session, name)``; whoever commits the transaction (``app.db.get_session``,
``session_scope``) calls ``run(session)`` after COMMIT, or ``discard(session)`` after a rollback. What each name does
is registered by the task queue (``app.wiring`` registers app.tasks' ``AFTER_COMMIT_TASKS``). This module imports
none of them, so the services that mark, the database plumbing that runs the marks and the queue whose tasks call
those services do not import one another.
"""

import logging
from collections.abc import Callable

from sqlmodel import Session

logger = logging.getLogger("chorus.tasks")
MARKS = "chorus.after_commit"
_WORK: dict[str, Callable[[], object]] = {}


def register(name: str, work: Callable[[], object]) -> None:
    """What ``name`` does once a transaction that marked it has committed."""
    _WORK[name] = work


def mark(session: Session, name: str) -> None:
    """Ask for the work registered as ``name`` once this session's transaction commits (once, however often asked)."""
    session.info.setdefault(MARKS, set()).add(name)


def run(session: Session) -> None:
    """Do what the committed transaction asked for; a queue that is down leaves the rows to the retry sweeps.

    This is how a write survives Redis being down: the write is committed and answered as usual, the e-mail or
    webhook delivery it made waits in its table, and the worker's periodic sweeps (``retry_outbox``,
    ``retry_webhooks``) send it once the queue answers again.
    """
    for name in sorted(session.info.pop(MARKS, ())):
        try:
            _WORK[name]()
        except Exception:
            logger.exception("Could not enqueue %s; the periodic sweep will pick its rows up", name)


def discard(session: Session) -> None:
    """Forget the marks of a transaction that rolled back."""
    session.info.pop(MARKS, None)
