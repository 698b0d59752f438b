# Sổ tay: one image for every role (api, bot, worker, migrations). Docker cannot run on the
# development machines of this project; this file is kept correct for deployments that have it.
# Pinned: the same base on every build (bump deliberately, with the lock file).
FROM python:3.11.7-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SOTAY_DATA_DIR=/data \
    SOTAY_HTTP_HOST=0.0.0.0 \
    SOTAY_HTTP_PORT=8080

# libsndfile comes inside the soundfile wheel and espeak-ng inside espeakng-loader. libopus is
# optional: with it voice notes encode ~2.5x faster (voice/ogg.py); without it libsndfile encodes.
RUN apt-get update && apt-get install -y --no-install-recommends libopus0 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml requirements.lock README.md alembic.ini ./
COPY core ./core
COPY voice ./voice
COPY bot ./bot
COPY api ./api
COPY sandbox ./sandbox
COPY sotay ./sotay
COPY bench ./bench
COPY migrations ./migrations
RUN pip install -c requirements.lock -e . && useradd --system --home /data --uid 10001 sotay && mkdir -p /data && chown sotay /data
USER sotay
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=3)" || exit 1
ENTRYPOINT ["sotay"]
CMD ["run"]
