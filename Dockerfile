FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite:////data/clanactors.db

WORKDIR /src
COPY setup.cfg pyproject.toml README.md alembic.ini ./
COPY clanactors ./clanactors
COPY migrations ./migrations
COPY web ./web
RUN pip install . && rm -rf /src

RUN useradd --create-home --uid 10001 clanactors && mkdir /data && chown clanactors /data
USER clanactors
WORKDIR /data
VOLUME ["/data"]

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"

CMD ["clanactors", "serve", "--host", "0.0.0.0"]
