FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CLANACTORS_HOST=0.0.0.0 \
    CLANACTORS_PORT=8000

WORKDIR /src
# Dependencies first, in a layer of their own: a code change does not reinstall them.
COPY setup.cfg ./
RUN python -c "import configparser; c = configparser.ConfigParser(); c.read('setup.cfg'); \
print(c['options']['install_requires'])" > requirements.txt \
    && pip install -r requirements.txt

COPY pyproject.toml README.md alembic.ini ./
COPY clanactors ./clanactors
COPY migrations ./migrations
COPY web ./web
RUN pip install --no-deps . && rm -rf /src

RUN useradd --create-home --uid 10001 clanactors && mkdir /data && chown clanactors /data
USER clanactors
# The databases are the defaults, in the current folder: /data/clanactors.db for the clan,
# /data/clanactors-demo.db for the demo (no API key), so the demo never claims the clan's.
# PostgreSQL users set DATABASE_URL (see compose.yaml).
WORKDIR /data
VOLUME ["/data"]

EXPOSE 8000
# Follows CLANACTORS_PORT; 200 while serving (503 while the database is down).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, sys, urllib.request; port = os.environ.get('CLANACTORS_PORT', '8000'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status == 200 else 1)"

CMD ["clanactors", "serve"]
