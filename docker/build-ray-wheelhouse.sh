#!/usr/bin/env bash
# Wheels for the cluster image (docker/app.Dockerfile with WITH_RAY=1): docker/wheelhouse-ray/wheelhouse,
# so `docker compose --profile cluster build` installs Ray with --no-index.
#
#   bash docker/build-ray-wheelhouse.sh      # idempotent: a no-op when up to date
#
# Reuses docker/build-wheelhouse.sh unchanged by running a copy of it next to
# docker/ray-requirements.txt (as docker/build-app-wheelhouse.sh does for the app).
# Without this wheelhouse the image installs Ray from PyPI instead (needs network).
set -euo pipefail
cd "$(dirname "$0")"
OUT=wheelhouse-ray
mkdir -p "$OUT"
echo '*' > "$OUT/.gitignore"
cp build-wheelhouse.sh "$OUT/build-wheelhouse.sh"
cmp -s ray-requirements.txt "$OUT/requirements.txt" || cp ray-requirements.txt "$OUT/requirements.txt"
bash "$OUT/build-wheelhouse.sh" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
