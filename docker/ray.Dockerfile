# rbi-ray: the app image (docker/app.Dockerfile) plus Ray, for the Ray head, the Ray
# workers and the loop of `docker compose --profile cluster`. Workers keep starting
# strategy runs in sibling rbi-sandbox containers (--network none) through the docker
# socket, or in the local sandbox inside themselves (RBI_RAY_NODE_BACKEND=local).
#
# APP_IMAGE is the app image. docker-compose.yml passes it as the named build context
# `app` (additional_contexts: app: service:sandbox-image; needs BuildKit/buildx, the
# default builder since Docker 23). By hand, with any builder, once rbi-app:latest exists:
#   docker build --build-arg APP_IMAGE=rbi-app:latest -t rbi-ray:latest -f docker/ray.Dockerfile .
# Ray comes from docker/wheelhouse-ray (docker/build-ray-wheelhouse.sh) when present,
# else from the package index.
ARG APP_IMAGE=app
FROM ${APP_IMAGE}
COPY docker/ray-requirements.txt docker/wheelhouse-ray/wheelhous[e] /build/ray/
RUN set -eu; \
    pip="python -m pip install --no-cache-dir --disable-pip-version-check"; \
    if $pip --no-index --find-links /build/ray -r /build/ray/ray-requirements.txt; then \
        echo "ray installed from the wheelhouse (offline)"; \
    else \
        echo "ray wheelhouse incomplete: installing from the package index"; \
        $pip --find-links /build/ray -r /build/ray/ray-requirements.txt; \
    fi; \
    rm -rf /build/ray; \
    python -c "import ray, executor.backends.ray; print('ray', ray.__version__)"
ENV RAY_USAGE_STATS_ENABLED=0
LABEL org.opencontainers.image.title="rbi-ray" \
      org.opencontainers.image.description="rbi app image plus Ray (cluster profile)" \
      rbi.image="ray"
