# Giải Trình — the image of one service; the same file builds all four.
#
#   docker build --build-arg SERVICE=intake -t giaitrinh/intake .     (intake, routing, scoring, notify)
#
# Every image carries the whole `giaitrinh` distribution (one pyproject.toml at the root); SERVICE
# only names the service whose web process is the default CMD. docker-compose.yml builds the four
# with `args: SERVICE: <name>` and runs the worker (`giaitrinh <svc> worker`) and the release
# step (`giaitrinh <svc> migrate`) as commands of the same image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN groupadd --system --gid 10001 giaitrinh \
 && useradd --system --uid 10001 --gid giaitrinh --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin giaitrinh

WORKDIR /app

# Pinned dependencies first (their own layer, rebuilt only when the lock changes),
# then the project itself without re-resolving anything.
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.lock
COPY services/ services/
RUN pip install --no-cache-dir --no-deps . \
 && rm -rf build

# gunicorn runs several workers, so prometheus_client keeps its samples in files here.
RUN mkdir -p /tmp/prometheus && chown giaitrinh:giaitrinh /tmp/prometheus

# Declared this late on purpose: every layer above is the same for the four services, so
# building the second, third and fourth image reuses them all.
ARG SERVICE
# A missing or mistyped SERVICE fails the build here, not the container at start.
RUN test -f "services/${SERVICE}/giaitrinh_${SERVICE}/entrypoints/web.py" \
 || { echo "SERVICE must be intake, routing, scoring or notify (got '${SERVICE}')" >&2; exit 1; }

LABEL org.opencontainers.image.title="giaitrinh-${SERVICE}" \
      org.opencontainers.image.description="Giải Trình — dịch vụ ${SERVICE} / the ${SERVICE} service of the accountability platform" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

# Which service this image serves; the web CMD below reads it.
ENV GIAITRINH_SERVICE=${SERVICE}

USER giaitrinh

# 8000: web (/healthz, /readyz, /metrics); 9100: the worker's metrics (<SVC>_METRICS_PORT).
EXPOSE 8000 9100

# Liveness of the web process; slim images have no curl. The worker overrides this in compose.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# The shell only puts the service's name into the app's path, then `exec` hands over to gunicorn.
# PROMETHEUS_MULTIPROC_DIR is set for the web process only: the worker is a single process and
# must not use multiprocess mode.
CMD ["sh", "-c", "exec env PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus gunicorn -c python:giaitrinh_common.gunicorn_conf --bind 0.0.0.0:8000 --workers 2 --threads 4 \"giaitrinh_${GIAITRINH_SERVICE}.entrypoints.web:create_app()\""]
