# rbi-app: the research loop (`python -m agents.rbi run`) that docker-compose.yml runs.
# It starts sandbox containers (rbi-sandbox) as siblings through the mounted docker
# socket; strategy code goes to them over stdin, so no host path is ever needed.
#
# Python packages come from wheelhouses in the build context when they are complete
# (docker/wheelhouse from `make image`, docker/wheelhouse-app from
# docker/build-app-wheelhouse.sh): then the build needs no network at all. Otherwise
# it falls back to the package index (needs network inside `docker build`).
#
# BASE_IMAGE: any Debian-like image with CPython 3.11 and venv: python:3.11-slim, or
# rbi-base:bookworm from docker/build-base.sh when no registry is reachable.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS deps
COPY docker/requirements.txt docker/app-requirements.txt /build/
# the [x] globs make each wheelhouse optional (a fresh clone has none; a glob on the
# parent too, or BuildKit fails on the missing folder and compose may still exit 0)
COPY docker/app-requirements.txt docker/wheelhous[e] docker/wheelhouse-ap[p]/wheelhous[e] /build/wheels/
RUN set -eu; \
    PY="$(command -v python3.11 || command -v python3)"; \
    "$PY" -m venv /opt/venv; \
    pip="/opt/venv/bin/python -m pip install --no-cache-dir --disable-pip-version-check"; \
    if $pip --no-index --find-links /build/wheels -r /build/requirements.txt -r /build/app-requirements.txt; then \
        echo "installed from the wheelhouse (offline)"; \
    else \
        echo "wheelhouse incomplete: installing from the package index"; \
        $pip --find-links /build/wheels -r /build/requirements.txt -r /build/app-requirements.txt; \
    fi; \
    # pip already wrote the .pyc files; COPY --from keeps mtimes, so they stay valid
    /opt/venv/bin/python -c "import backtesting, talib, anthropic, openai, docker, rich, pydantic_settings, psutil, yaml; print('deps ok')"
# WITH_RAY=1: the cluster image (rbi-ray, `docker compose --profile cluster`) adds Ray
# from docker/wheelhouse-ray (docker/build-ray-wheelhouse.sh) on top of the same layers
ARG WITH_RAY=0
COPY docker/ray-requirements.txt docker/wheelhouse-ra[y]/wheelhous[e] /build/ray/
RUN set -eu; \
    if [ "$WITH_RAY" = 1 ]; then \
        pip="/opt/venv/bin/python -m pip install --no-cache-dir --disable-pip-version-check"; \
        if $pip --no-index --find-links /build/ray -r /build/ray/ray-requirements.txt; then \
            echo "ray installed from the wheelhouse (offline)"; \
        else \
            echo "ray wheelhouse incomplete: installing from the package index"; \
            $pip --find-links /build/ray -r /build/ray/ray-requirements.txt; \
        fi; \
        /opt/venv/bin/python -c "import ray; print('ray', ray.__version__)"; \
    fi; \
    rm -rf /build/ray

FROM ${BASE_IMAGE}
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONIOENCODING=utf-8 \
    LANG=C.UTF-8 \
    LC_ALL=C.UTF-8 \
    HOME=/tmp \
    MPLBACKEND=Agg \
    PYTHONPATH=/app \
    RBI_DATA_DIR=/app/data
COPY --from=deps /opt/venv /opt/venv
# the sandbox image's build context, for docker/compose_sandbox.py (the compose
# service that (re)builds rbi-sandbox:latest when its harness label is stale)
COPY --from=deps /build/wheels /app/docker/wheelhouse
WORKDIR /app
COPY pyproject.toml /app/
COPY docker/requirements.txt docker/sandbox.Dockerfile docker/compose_sandbox.py docker/healthcheck.py /app/docker/
COPY executor/ /app/executor/
COPY agents/ /app/agents/
RUN python -m compileall -q /app/agents /app/executor >/dev/null \
    && python -m agents.rbi --help >/dev/null && mkdir -p /app/data/ideas /app/results
# root inside the container: the docker socket needs it, and files in ./results are
# then 0644 (readable by every host user). Run as yourself instead: see docs/QUICKSTART.md.
CMD ["python", "-m", "agents.rbi", "run"]
ARG RBI_VERSION=0.0.0
LABEL org.opencontainers.image.title="rbi-app" \
      org.opencontainers.image.description="rbi research loop (Research -> Backtest -> Implement)" \
      rbi.image="app"
