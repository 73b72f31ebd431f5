"""The `chorus` command: migrate, seed, serve, run the task worker, create a site admin, deliver mail."""

import getpass
import logging
import time
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console

from app.config import Settings, get_settings

T = TypeVar("T")

cli = typer.Typer(help="Chorus: community co-creation for brands.", no_args_is_help=True)
console = Console()

# Commands that run no use case, so skip loading every domain: the container's frequent health check stays quick.
_UNWIRED_COMMANDS = frozenset({"healthcheck", "migrate"})


@cli.callback()
def _connect_domains(ctx: typer.Context) -> None:
    """Before any command: the domains fill the shared registries (app.wiring), as the app factory does."""
    if ctx.invoked_subcommand not in _UNWIRED_COMMANDS:
        from app.wiring import connect_domains

        connect_domains()


@cli.command()
def migrate(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Bring the database schema up to date (creates the SQLite file if needed)."""
    from app.db import migrate as run_migrations

    settings = get_settings()
    run_migrations(revision=revision)
    console.print(f"[green]Database migrated[/green] ({settings.resolved_database_url.split('@')[-1]}).")


@cli.command()
def seed(
    demo: bool = typer.Option(False, "--demo", help="Create the demo brands, communities and members"),
) -> None:
    """Load demo data through the same services as the app. Running it twice changes nothing."""
    if not demo:
        console.print("Nothing to do: pass --demo to create the demo data.")
        raise typer.Exit(0)
    from seed.demo import seed_demo

    created = seed_demo(console=console)
    console.print("[green]Demo data ready.[/green]" if created else "Demo data was there already; nothing changed.")


@cli.command()
def createsuperuser(
    email: str = typer.Option(..., prompt=True),
    handle: str = typer.Option(..., prompt=True),
) -> None:
    """Create a confirmed site administrator (asks for the password)."""
    from app.accounts import service as accounts_service
    from app.db import session_scope
    from app.errors import AppError

    password = getpass.getpass("Password: ")
    try:
        with session_scope() as session:
            accounts_service.create_user(session, email=email, handle=handle, password=password, is_site_admin=True)
    except AppError as error:
        for field, message in error.fields.items():
            console.print(f"[red]{field}[/red]: {message}")
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from error
    console.print(f"[green]Site admin @{handle} created.[/green]")


def _check_start() -> None:
    """Refuse settings a server or worker must not start with (a clear message, no traceback); print warnings."""
    from app.config import ConfigurationError, check_start

    try:
        warnings = check_start(get_settings())
    except ConfigurationError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    for warning in warnings:
        console.print(f"[yellow]{warning}[/yellow]")


@cli.command("reset-two-factor")
def reset_two_factor(email: str = typer.Argument(..., help="The account's e-mail address")) -> None:
    """Turn two-factor off for someone who lost their device and their recovery codes (check who they are first);
    every session of the account is logged out."""
    from app.accounts import service as accounts_service
    from app.accounts import two_factor
    from app.db import session_scope

    with session_scope() as session:
        user = accounts_service.find_user_by_email(session, email=email)
        if user is None:
            console.print(f"[red]No account has the address {email}.[/red]")
            raise typer.Exit(1)
        two_factor.reset_two_factor(session, user=user)
    console.print(f"[green]Two-factor is off for {email}; they log in with their password and set it up again.[/green]")


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = typer.Option(1, help="uvicorn worker processes"),
    reload: bool = False,
    migrate: bool = typer.Option(
        None,
        "--migrate/--no-migrate",
        help="Migrate first, under the migration lock (default: CHORUS_MIGRATE_ON_START, on unless set to false)",
        show_default=False,
    ),
) -> None:
    """Serve Chorus with uvicorn, migrating first unless told not to.

    Behind a reverse proxy, set CHORUS_FORWARDED_ALLOW_IPS to the proxy's address (or network) so that client
    addresses, which rate limits count by, come from its X-Forwarded-For.
    """
    import uvicorn

    from app.db import migrate as run_migrations

    settings = get_settings()
    _check_start()
    if settings.migrate_on_start if migrate is None else migrate:
        run_migrations()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


@cli.command()
def worker(
    threads: int = typer.Option(0, help="Worker threads (default: CHORUS_WORKER_THREADS)"),
    check: bool = typer.Option(
        False, "--check", help="Do not run: exit 0 if a worker here reported healthy lately, 1 if not"
    ),
) -> None:
    """Run the task queue's consumer: e-mail, webhooks, digests and the retry sweeps (stop with Ctrl-C).

    `chorus serve` runs one in its own process already; run this instead when CHORUS_WORKER_IN_PROCESS=false
    (several web processes, or a separate worker container). Run one worker per queue: its scheduler starts the
    periodic sweeps and digests, and a second would start them twice.
    """
    from app.tasks import HeartbeatConsumer, huey

    settings = get_settings()
    if check:
        raise typer.Exit(0 if _worker_is_healthy(settings) else 1)
    if huey.immediate:
        console.print("[yellow]Tasks run in the caller (CHORUS_TASKS_IMMEDIATE): no queue to consume.[/yellow]")
        raise typer.Exit(1)
    _check_start()
    where = settings.redis_url.split("@")[-1] if settings.redis_url else str(settings.data_dir / "tasks.db")
    console.print(f"Task queue worker on {where}.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    HeartbeatConsumer(
        huey,
        heartbeat_file=settings.worker_heartbeat_file,
        workers=threads or settings.worker_threads,
        worker_type="thread",
    ).run()


def _worker_is_healthy(settings: Settings) -> bool:
    from app.tasks import heartbeat_age

    age = heartbeat_age(settings.worker_heartbeat_file)
    if age is None:
        console.print(f"No worker heartbeat at {settings.worker_heartbeat_file}.")
        return False
    if age > settings.worker_heartbeat_max_age_seconds:
        console.print(f"The worker's last heartbeat is {age:.0f} s old: its threads or its queue are stuck.")
        return False
    console.print(f"Worker healthy (heartbeat {age:.0f} s ago).")
    return True


@cli.command()
def healthcheck(
    url: str = typer.Option("http://127.0.0.1:8000/healthz", help="The web server's liveness address"),
) -> None:
    """The container's health check, for web and worker containers alike: healthy when a worker in this
    container reports a fresh heartbeat, or else when the web server answers ``url``."""
    import urllib.request

    settings = get_settings()
    if settings.worker_heartbeat_file.exists():
        raise typer.Exit(0 if _worker_is_healthy(settings) else 1)
    try:
        with urllib.request.urlopen(url, timeout=4) as response:  # noqa: S310 (a fixed local address)
            healthy = response.status == 200
    except OSError as error:
        console.print(f"{url}: {error}")
        raise typer.Exit(1) from error
    raise typer.Exit(0 if healthy else 1)


@cli.command("deliver-mail")
def deliver_mail(
    watch: bool = typer.Option(False, help="Keep running, checking the outbox every few seconds"),
    interval: float = 5.0,
) -> None:
    """Send queued e-mails by SMTP (CHORUS_SMTP_HOST must be set)."""
    from app.notifications import service as notifications_service

    settings = get_settings()
    if not settings.smtp_host:
        console.print("[yellow]CHORUS_SMTP_HOST is not set: e-mails stay in the outbox (see /dev/outbox).[/yellow]")
        raise typer.Exit(1)
    while True:
        sent = notifications_service.deliver_pending(settings=settings)
        if sent:
            console.print(f"Sent {sent} e-mail(s).")
        if not watch:
            break
        time.sleep(interval)


generate = typer.Typer(help="Generate data for the benchmarks (bench/README.md).", no_args_is_help=True)
cli.add_typer(generate, name="generate")


def _with_progress(total: int, work: Callable[[Callable[[str, int], None]], T]) -> T:
    """Run a generator with a progress bar: it reports (stage, rows done) as it goes; the bar ends full, as the
    totals are estimates."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("starting", total=total)
        result = work(lambda stage, count: progress.update(task, advance=count, description=stage))
        progress.update(task, completed=total)
    return result


@generate.command("challenge")
def generate_challenge(
    designs: int = typer.Option(10_000, min=1, max=100_000),
    scores: int = typer.Option(1_000_000, min=0, max=10_000_000),
    members: int = typer.Option(20_000, min=2, max=1_000_000),
    phase: str = typer.Option("scoring", help="scoring or closed"),
    seed: int = typer.Option(1, help="Random seed"),
) -> None:
    """One challenge with many members, designs and scores, bulk-inserted, with consistent counters."""
    from app.db import get_engine
    from app.generate import generate_challenge as run

    generated = _with_progress(
        members * 2 + designs * 3 + scores,
        lambda progress: run(
            get_engine(), designs=designs, scores=scores, members=members, phase=phase, seed=seed, progress=progress
        ),
    )
    console.print(
        f"[green]Generated[/green] /c/{generated.community_slug}/challenges/{generated.challenge_slug}: "
        f"{generated.members:,} members, {generated.designs:,} designs, {generated.scores:,} scores ({phase})."
    )


@generate.command("survey")
def generate_survey(
    responses: int = typer.Option(1_000_000, min=1, max=10_000_000),
    days: int = typer.Option(90, min=1, max=3650, help="Spread the responses over this many days up to now"),
    seed: int = typer.Option(1, help="Random seed"),
) -> None:
    """One template survey of a brand with an analyst, and many responses of about ten answers, bulk-inserted."""
    from app.db import get_engine
    from app.generate import generate_survey as run

    generated = _with_progress(
        responses * 11,
        lambda progress: run(get_engine(), responses=responses, days=days, seed=seed, progress=progress),
    )
    console.print(
        f"[green]Generated[/green] /brands/{generated.brand_slug}/surveys/{generated.survey_id}/insights: "
        f"{generated.responses:,} responses, {generated.answers:,} answers (analyst user id {generated.analyst_id})."
    )


@generate.command("campaign")
def generate_campaign(
    responses: int = typer.Option(1_000_000, min=0, max=10_000_000),
    connectors: int = typer.Option(1000, min=1, max=1_000_000),
    days: int = typer.Option(30, min=1, max=3650, help="Spread the responses over this many days up to now"),
    hops: int = typer.Option(3, min=2, max=3, help="Share links pass on over this many hops"),
    network_size: int = typer.Option(25, min=1, max=1000, help="The network each connector declares"),
    seed: int = typer.Option(1, help="Random seed"),
) -> None:
    """A sampling campaign with connectors, share links over two or three hops and many responses of about ten
    answers, bulk-inserted (COPY on PostgreSQL), with consistent counters."""
    from app.db import get_engine
    from app.generate import generate_campaign as run

    # Connectors, memberships, applications, links and reach; responses, attribution, ~10 answers each; tallies.
    generated = _with_progress(
        connectors * 5 + responses * 12,
        lambda progress: run(
            get_engine(),
            responses=responses,
            connectors=connectors,
            days=days,
            hops=hops,
            network_size=network_size,
            seed=seed,
            progress=progress,
        ),
    )
    console.print(
        f"[green]Generated[/green] /c/{generated.community_slug}/campaigns/{generated.campaign_slug}/insights: "
        f"{generated.connectors:,} connectors, {generated.links:,} share links, {generated.responses:,} responses, "
        f"{generated.answers:,} answers (analyst user id {generated.analyst_id})."
    )


media = typer.Typer(help="Media files (images and their renditions).", no_args_is_help=True)
cli.add_typer(media, name="media")


@media.command("copy")
def media_copy(
    to: str = typer.Option(..., "--to", help="Where to copy the local media: s3 (the bucket of CHORUS_S3_*)"),
) -> None:
    """Copy the media kept on local disk (CHORUS_MEDIA_DIR) into the S3 bucket, skipping what is there already.

    Run it before switching a site to CHORUS_STORAGE_BACKEND=s3, and once more after the switch for uploads that
    came in meanwhile; running it again copies nothing. The local files are left in place.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from app.media.storage import LocalStorage, copy_missing, s3_storage

    if to != "s3":
        console.print(f"[red]Unknown target {to!r}: the only one is s3.[/red]")
        raise typer.Exit(2)
    settings = get_settings()
    if not settings.s3_bucket:
        console.print("[red]CHORUS_S3_BUCKET is not set: name the bucket to copy into.[/red]")
        raise typer.Exit(2)
    source = LocalStorage(settings.resolved_media_dir)
    keys = sum(1 for _ in source.stored_keys())
    target = s3_storage(settings)
    with Progress(
        TextColumn("{task.description:<8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("copying", total=keys)
        copied, skipped = copy_missing(source, target, on_key=lambda _key, _copied: progress.advance(task))
    console.print(
        f"[green]{copied:,} file(s) copied[/green] to s3://{settings.s3_bucket}, {skipped:,} already there "
        f"(from {settings.resolved_media_dir})."
    )


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
