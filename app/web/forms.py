"""Re-render a form with its errors, after undoing whatever the failed attempt wrote."""

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from app.errors import AppError, TooManyRequests
from app.web.templating import render


def form_error(
    request: Request,
    session: Session,
    template_name: str,
    context: dict[str, Any],
    error: AppError,
    *,
    block: str | None = None,
) -> HTMLResponse:
    """The same form again with the message and per-field errors; nothing of the attempt is kept."""
    session.rollback()
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyRequests) else None
    return render(
        request,
        template_name,
        {**context, "error": error.message, "errors": error.fields},
        block=block,
        status_code=error.status_code,
        headers=headers,
    )
