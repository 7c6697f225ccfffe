#!/usr/bin/env bash
# Build the sandbox image rbi-sandbox:<version> and :latest (what `make image` runs).
#
#   bash docker/build.sh                       # offline-capable, idempotent
#   BASE_IMAGE=python:3.11-slim bash docker/build.sh
#
# 1. wheelhouse: docker/build-wheelhouse.sh (skipped when requirements.txt is unchanged)
# 2. base image: $BASE_IMAGE if set; else python:3.11-slim if present locally; else
#    rbi-base:bookworm if present; else a quick `docker pull python:3.11-slim` (short
#    timeout); else docker/build-base.sh builds rbi-base:bookworm with debootstrap.
# 3. docker build from a small staged context (executor/*.py, the wheelhouse, the
#    requirements), so the layer cache makes an unchanged re-run take seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
IMAGE="${IMAGE:-rbi-sandbox}"
PULL_TIMEOUT="${PULL_TIMEOUT:-10}"
die() { echo "build: $*" >&2; exit 1; }
t0=$(date +%s)

docker info >/dev/null 2>&1 || die "the Docker daemon is not reachable: start it (sudo systemctl start docker, or bash .ci/install-docker.sh)"

VERSION="$(sed -n 's/^version *= *"\(.*\)"/\1/p' pyproject.toml | head -n1)"
[[ -n "$VERSION" ]] || die "no version in pyproject.toml"

bash docker/build-wheelhouse.sh 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)

have() { docker image inspect "$1" >/dev/null 2>&1; }
if [[ -z "${BASE_IMAGE:-}" ]]; then
    if have python:3.11-slim; then
        BASE_IMAGE=python:3.11-slim
    elif have rbi-base:bookworm; then
        BASE_IMAGE=rbi-base:bookworm
    elif timeout "$PULL_TIMEOUT" docker pull -q python:3.11-slim >/dev/null 2>&1; then
        BASE_IMAGE=python:3.11-slim
    else
        echo "build: no registry reachable within ${PULL_TIMEOUT} s: building a local base image"
        bash docker/build-base.sh rbi-base:bookworm
        BASE_IMAGE=rbi-base:bookworm
    fi
fi
have "$BASE_IMAGE" || timeout 120 docker pull -q "$BASE_IMAGE" >/dev/null \
    || die "base image $BASE_IMAGE is neither present nor pullable (unset BASE_IMAGE to build a local one)"

HARNESS_SHA256="$(python3 -m executor.backends.docker.image)"

# staged build context: only what the Dockerfile copies (hard links, mtimes kept)
CTX="$ROOT/build/sandbox-context"
rm -rf "$CTX"
mkdir -p "$CTX/docker" "$CTX/executor"
cp -al docker/wheelhouse "$CTX/docker/wheelhouse" 2>/dev/null || cp -a docker/wheelhouse "$CTX/docker/wheelhouse"
cp -a docker/requirements.txt docker/sandbox.Dockerfile "$CTX/docker/"
tar -C executor --exclude=__pycache__ --exclude='*.pyc' -cf - . | tar -C "$CTX/executor" -xf -

builder_env=()
docker buildx version >/dev/null 2>&1 || builder_env=(env DOCKER_BUILDKIT=0)
echo "build: $IMAGE:$VERSION from $BASE_IMAGE (harness ${HARNESS_SHA256:0:12})"
"${builder_env[@]}" docker build --network host \
    -f "$CTX/docker/sandbox.Dockerfile" \
    --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    --build-arg "RBI_VERSION=$VERSION" \
    --build-arg "HARNESS_SHA256=$HARNESS_SHA256" \
    -t "$IMAGE:$VERSION" -t "$IMAGE:latest" \
    "$CTX" >"$ROOT/build/sandbox-build.log" 2>&1 \
    || { tail -n 40 "$ROOT/build/sandbox-build.log" >&2; die "docker build failed (full log: build/sandbox-build.log)"; }
cached=$(grep -c 'Using cache' "$ROOT/build/sandbox-build.log" || true)
steps=$(grep -c '^Step ' "$ROOT/build/sandbox-build.log" || true)
[[ "$steps" == 0 ]] || echo "build: $cached of $steps steps from the layer cache"
rm -rf "$CTX"
docker image prune -f --filter "label=rbi.image=sandbox" --filter dangling=true >/dev/null 2>&1 || true
size=$(docker image inspect -f '{{.Size}}' "$IMAGE:latest")
echo "build: $IMAGE:$VERSION and $IMAGE:latest ready ($(( size / 1024 / 1024 )) MB) in $(( $(date +%s) - t0 )) s"
