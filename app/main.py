"""The application: routers, static files, middleware and error handlers."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from app.accounts import api as accounts_api
from app.accounts import two_factor_views as accounts_two_factor_views
from app.accounts import views as accounts_views
from app.accounts.deps import Anyone, Public
from app.admin import api as admin_api
from app.admin import views as admin_views
from app.brands import api as brands_api
from app.brands import views as brands_views
from app.campaigns import answer_views as campaigns_answer_views
from app.campaigns import api as campaigns_api
from app.campaigns import review_views as campaigns_review_views
from app.campaigns import taking_part_views as campaigns_taking_part_views
from app.campaigns import views as campaigns_views
from app.challenges import api as challenges_api
from app.challenges import design_views as challenges_design_views
from app.challenges import search_api as challenges_search_api
from app.challenges import search_views as challenges_search_views
from app.challenges import views as challenges_views
from app.challenges import winner_views as challenges_winner_views
from app.comments import api as comments_api
from app.comments import views as comments_views
from app.communities import api as communities_api
from app.communities import views as communities_views
from app.config import check_start, get_settings
from app.db import ROOT_DIR, get_engine, pending_migrations
from app.disclosure import api as disclosure_api
from app.disclosure import views as disclosure_views
from app.follows import api as follows_api
from app.follows import views as follows_views
from app.health import Readiness, ReadinessCheck, check_readiness
from app.i18n import api as i18n_api
from app.i18n import views as i18n_views
from app.i18n.middleware import LocaleNegotiation
from app.ideas import api as ideas_api
from app.ideas import views as ideas_views
from app.insights import api as insights_api
from app.insights import campaign_api as insights_campaign_api
from app.insights import campaign_views as insights_campaign_views
from app.insights import survey_api as insights_survey_api
from app.insights import survey_views as insights_survey_views
from app.insights import views as insights_views
from app.media import views as media_views
from app.moderation import api as moderation_api
from app.moderation import appeal_views as moderation_appeal_views
from app.moderation import integrity_views as moderation_integrity_views
from app.moderation import views as moderation_views
from app.notifications import api as notifications_api
from app.notifications import views as notifications_views
from app.preorders import api as preorders_api
from app.preorders import views as preorders_views
from app.questions import api as questions_api
from app.questions import views as questions_views
from app.reviews import api as reviews_api
from app.reviews import views as reviews_views
from app.rewards import api as rewards_api
from app.rewards import shop_api as rewards_shop_api
from app.rewards import views as rewards_views
from app.surveys import api as surveys_api
from app.surveys import views as surveys_views
from app.tasks import start_in_process_worker
from app.web.csrf import install_csrf
from app.web.errors import API_ERROR_RESPONSES, install_error_handlers
from app.web.middleware import BodySizeLimit, SecurityHeaders, ServerTiming
from app.web.routing import OneStepRoute, dispatch_by_leading_segments, include_routes
from app.webhooks import api as webhooks_api
from app.webhooks import views as webhooks_views
from app.wiring import connect_domains

logger = logging.getLogger("chorus")

READINESS_FAILED = "A part failed: send this process no traffic"  # i18n: ignore (OpenAPI text)


class UnmigratedDatabase(RuntimeError):
    pass


def check_database_is_migrated() -> None:
    """Refuse to serve a database that lacks migrations: pages would fail in confusing ways."""
    engine = get_engine()
    missing = pending_migrations(engine)
    if missing:
        raise UnmigratedDatabase(
            f"The database at {engine.url.render_as_string(hide_password=True)} is not migrated "
            f"(missing: {', '.join(missing)}). Run `chorus migrate` (or `make migrate`) first."
        )


def freeze_startup_objects() -> None:
    """Take everything made at start-up (modules, the app and its routes, models, templates: most of the heap)
    out of the garbage collector's sight, as Python's documentation suggests for servers (``gc.freeze``).
    Otherwise every full collection walks all of it and stalls every request in flight for a few hundred
    milliseconds now and then; at 32 clients those stalls were the p99 (bench/README.md, "Garbage collection")."""
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    for warning in check_start(get_settings()):
        logger.warning(warning)
    check_database_is_migrated()
    consumer = start_in_process_worker()
    freeze_startup_objects()
    yield
    if consumer is not None:
        consumer.stop(graceful=True)


def create_app(*, check_migrations: bool = True) -> FastAPI:
    connect_domains()
    settings = get_settings()
    app = FastAPI(
        title="Chorus",
        version="0.1.0",
        description="Community co-creation for brands. JSON API: authenticate with a session cookie "
        "(plus the `x-csrftoken` header on writes) or `Authorization: Bearer <personal API token>`.",
        lifespan=lifespan if check_migrations else None,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.router.route_class = OneStepRoute
    install_error_handlers(app)
    install_csrf(app, settings)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(LocaleNegotiation)
    # Added last, so outermost: the CSRF and body-size refusals, answered before the app, get the headers too.
    app.add_middleware(SecurityHeaders)
    if settings.server_timing:
        app.add_middleware(ServerTiming)

    app.mount("/static", StaticFiles(directory=ROOT_DIR / "static"), name="static")

    @app.get(
        "/healthz",
        tags=["health"],
        summary="Liveness: the process answers (the database and the other parts: /readyz)",
        responses=API_ERROR_RESPONSES,
    )
    async def healthz(_anyone: Anyone) -> dict[str, str]:
        """In the event loop, with no session or worker thread: what it proves is that the loop answers, and a
        database outage should take the process out of rotation (/readyz), not have it restarted."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Readiness: the database, Redis (when configured) and media storage answer",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": READINESS_FAILED}},
    )
    def readyz(_visitor: Public) -> JSONResponse:
        """Each part is checked with a bounded wait; 503 names what failed. No database turn is taken (a busy
        process is still ready), and no session: the database check opens its own connection."""
        results = check_readiness(get_settings())
        ready = all(result.ok for result in results)
        body = Readiness(
            status="ready" if ready else "unavailable",
            checks={r.name: ReadinessCheck(ok=r.ok, detail=r.detail, milliseconds=r.milliseconds) for r in results},
        )
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    @app.get("/docs", include_in_schema=False)
    def api_docs(_visitor: Public) -> HTMLResponse:
        """Swagger UI from the vendored files: these machines reach no CDN."""
        page = get_swagger_ui_html(
            openapi_url="/api/v1/openapi.json",
            title="Chorus API",
            swagger_js_url="/static/js/swagger-ui-bundle-5.35.0.js",
            swagger_css_url="/static/css/swagger-ui-5.35.0.css",
            swagger_favicon_url="/static/img/favicon.svg",
        )
        # FastAPI's page names no language; screen readers need it to pick a voice (axe: html-has-lang).
        english = '<html lang="en">'  # i18n: ignore (Swagger UI is English)
        html = bytes(page.body).decode().replace("<html>", english, 1)
        return HTMLResponse(html)

    for module in (
        accounts_views,
        accounts_two_factor_views,
        communities_views,
        challenges_views,
        challenges_winner_views,
        challenges_design_views,
        challenges_search_views,
        comments_views,
        brands_views,
        admin_views,
        notifications_views,
        media_views,
        webhooks_views,
        ideas_views,
        insights_views,
        insights_survey_views,
        insights_campaign_views,
        surveys_views,
        campaigns_views,
        campaigns_taking_part_views,
        campaigns_review_views,
        campaigns_answer_views,
        moderation_views,
        moderation_appeal_views,
        moderation_integrity_views,
        rewards_views,
        preorders_views,
        reviews_views,
        disclosure_views,
        questions_views,
        follows_views,
        i18n_views,
    ):
        include_routes(app, module.router)
    for module in (
        accounts_api,
        communities_api,
        challenges_api,
        challenges_search_api,
        comments_api,
        brands_api,
        admin_api,
        notifications_api,
        webhooks_api,
        ideas_api,
        insights_api,
        insights_survey_api,
        insights_campaign_api,
        surveys_api,
        campaigns_api,
        moderation_api,
        rewards_api,
        preorders_api,
        reviews_api,
        disclosure_api,
        questions_api,
        rewards_shop_api,
        follows_api,
        i18n_api,
    ):
        include_routes(app, module.router, prefix="/api/v1", responses=API_ERROR_RESPONSES)
    dispatch_by_leading_segments(app)
    return app
