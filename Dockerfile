# newsdesk daemon image. Mount your config, state and output folders:
#   docker build -t newsdesk .
#   docker run -d --name newsdesk \
#     -v $PWD/config.yaml:/app/config.yaml:ro -v newsdesk-state:/app/state -v $PWD/feeds:/app/feeds newsdesk
#   docker exec newsdesk newsdesk status
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --system --home /app --shell /usr/sbin/nologin newsdesk

COPY pyproject.toml README.md ./
COPY src ./src
# The image carries every extra: PostgreSQL driver, /metrics, Brotli, Celery workers; no rebuild to switch them on.
RUN pip install ".[postgres,metrics,brotli,workers,enrich]" && rm -rf src

COPY config.yaml ./
COPY examples ./examples
RUN mkdir -p state feeds && chown newsdesk:newsdesk state feeds

USER newsdesk
# docker stop sends SIGTERM: in-flight refreshes finish, feeds are published, exit 0.
STOPSIGNAL SIGTERM
CMD ["newsdesk", "daemon", "--config", "/app/config.yaml", "--log-format", "json"]
