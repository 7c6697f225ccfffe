#!/usr/bin/env bash
# Wheels for the app image (docker/app.Dockerfile): docker/wheelhouse (the sandbox's,
# which the app needs too) and docker/wheelhouse-app/wheelhouse,
# so `docker compose build` installs with --no-index (no network inside the build).
#
#   bash docker/build-app-wheelhouse.sh      # idempotent: a no-op when up to date
#
# Reuses docker/build-wheelhouse.sh unchanged (same targets, stamp and checks) by running
# a copy of it next to docker/app-requirements.txt. The folder ignores itself in git.
# Without this wheelhouse the app image installs from PyPI instead (needs network).
set -euo pipefail
cd "$(dirname "$0")"
# the app image installs docker/requirements.txt too: its wheelhouse first (a no-op when
# `make image` already built it)
bash build-wheelhouse.sh 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
OUT=wheelhouse-app
mkdir -p "$OUT"
echo '*' > "$OUT/.gitignore"
cp build-wheelhouse.sh "$OUT/build-wheelhouse.sh"
cmp -s app-requirements.txt "$OUT/requirements.txt" || cp app-requirements.txt "$OUT/requirements.txt"
bash "$OUT/build-wheelhouse.sh" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
