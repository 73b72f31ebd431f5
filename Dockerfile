# Chorus in a container: migrates the database (under a lock), then serves with uvicorn on port 8000.
#
#   docker build -t chorus .
#   docker run -p 8000:8000 -v chorus-data:/data -e CHORUS_SECRET_KEY=... chorus
#   docker run --rm -v chorus-data:/data chorus chorus seed --demo      # optional demo data
#
# The whole production topology (PostgreSQL, Redis, an S3 bucket, two web replicas behind a proxy, a worker) is
# compose.yaml; README.md, "Production", says the same by hand.
#
# Settings are environment variables (CHORUS_*, see app/config.py). By default the SQLite database, media and the
# generated secret live in the /data volume; set CHORUS_DATABASE_URL=postgresql+psycopg://user:pass@host/db to use
# PostgreSQL instead (then /data holds only media) and CHORUS_STORAGE_BACKEND=s3 for a bucket (the image has the
# s3 extra). The image sets CHORUS_ENVIRONMENT=production: it refuses to start without CHORUS_SECRET_KEY (replicas
# must share it), has no /dev/outbox (configure CHORUS_SMTP_HOST, or pass -e CHORUS_ENVIRONMENT=development to try
# the demo); behind HTTPS also set CHORUS_COOKIE_SECURE=true.
#
# Layout: Chorus finds alembic.ini, migrations/, templates/ and static/ next to its `app` package (app/db.py,
# ROOT_DIR = parent of app/). A regular wheel would put `app` in site-packages without those directories, so the
# source tree is kept whole at /srv/chorus and installed *editable* into the virtualenv /opt/venv: `import app`
# resolves to /srv/chorus/app and the `chorus` command exists. The editable install records the absolute path
# /srv/chorus, so the builder uses the same path and the runtime stage copies both directories unchanged.

ARG PYTHON_VERSION=3.11

# ---- builder: dependencies into a virtualenv, then the project (editable, no dependencies) ----
FROM python:${PYTHON_VERSION}-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /srv/chorus

# Dependencies first, from pyproject.toml alone, so this layer is rebuilt only when they change: the project's and
# its s3 extra's (boto3, for CHORUS_STORAGE_BACKEND=s3: replicas must share their media). Every one of them ships
# wheels for linux/amd64 and linux/arm64 (the pure-Python ones are built by pip), so no compiler is needed.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['s3']))" \
        > /tmp/requirements.txt \
    && pip install --upgrade pip \
    && pip install -r /tmp/requirements.txt

# The project itself. README.md is read by the build (pyproject's `readme`).
COPY README.md alembic.ini ./
COPY app/ app/
COPY seed/ seed/
COPY migrations/ migrations/
COPY templates/ templates/
COPY static/ static/
RUN pip install --no-deps -e . \
    && pybabel compile --domain messages --directory app/locales --use-fuzzy --statistics \
    && python -m compileall -q app seed migrations

# ---- runtime: the virtualenv and the source tree, a non-root user, nothing else ----
# The same base image as the builder: the virtualenv's python is a link to its /usr/local/bin/python3.
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CHORUS_ENVIRONMENT=production \
    CHORUS_DATA_DIR=/data
# Belt and braces: /srv/chorus on the path too, so `import app` finds the same tree without the editable hook.
ENV PYTHONPATH=/srv/chorus

RUN groupadd --system --gid 10001 chorus \
    && useradd --system --uid 10001 --gid chorus --home-dir /srv/chorus --shell /usr/sbin/nologin chorus \
    && mkdir -p /data \
    && chown chorus:chorus /data

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /srv/chorus /srv/chorus

# The code stays owned by root and read-only for the app; it writes only to /data (a new named volume takes
# this directory's owner, so the non-root user can write to it).
VOLUME ["/data"]
WORKDIR /srv/chorus
USER chorus

EXPOSE 8000
# One check for web and worker containers: a worker's fresh heartbeat (`chorus worker` writes one in this
# container's /tmp), or else the web server's /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["chorus", "healthcheck"]

# `chorus serve` migrates (under the migration lock: replicas starting together migrate once) and then runs uvicorn
# in this process (PID 1, so it receives SIGTERM and shuts down gracefully). With a migrate job of its own, set
# CHORUS_MIGRATE_ON_START=false on the replicas. Behind a reverse proxy on another host or container, set
# CHORUS_FORWARDED_ALLOW_IPS to its address so that its X-Forwarded-For/-Proto are believed (only 127.0.0.1 is by
# default): rate limits count by client address. For more processes add e.g. --workers 4 (with CHORUS_REDIS_URL).
# The task queue's worker threads (e-mail, webhooks, digests) run inside the server process; with several workers or
# replicas set CHORUS_WORKER_IN_PROCESS=false and run one more container with the command `chorus worker`.
CMD ["chorus", "serve", "--host", "0.0.0.0", "--port", "8000"]
