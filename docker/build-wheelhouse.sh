#!/usr/bin/env bash
# Download binary wheels for docker/requirements.txt into docker/wheelhouse/ so that
# `docker build` installs with --no-index (no network inside the build).
#
#   bash docker/build-wheelhouse.sh
#
# Targets the image's interpreter (CPython 3.11, manylinux x86_64 / aarch64 by
# `uname -m`), whatever Python runs this script. A stamp file holding the sha256 of
# requirements.txt makes a re-run a no-op; FORCE=1 re-downloads.
set -euo pipefail
cd "$(dirname "$0")"
REQ=requirements.txt
OUT=wheelhouse
STAMP="$OUT/.requirements.sha256"
PY="${PYTHON:-python3}"
if ! "$PY" -m pip --version >/dev/null 2>&1; then
    # no pip for this interpreter (e.g. Debian's python3 without python3-pip): a venv has one
    PIPVENV="../build/pip-venv"
    [[ -x "$PIPVENV/bin/python" ]] || "$PY" -m venv "$PIPVENV" >/dev/null 2>&1 \
        || { echo "build-wheelhouse: $PY has no pip and no venv module: apt-get install python3-pip (or python3-venv), or set PYTHON=" >&2; exit 1; }
    PY="$PIPVENV/bin/python"
fi
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [[ "${FORCE:-0}" != 1 && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
    echo "build-wheelhouse: up to date ($OUT, requirements sha256 ${want:0:12})"
    exit 0
fi
case "$(uname -m)" in
    x86_64) arch=x86_64 ;;
    aarch64|arm64) arch=aarch64 ;;
    *) echo "build-wheelhouse: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
tmp="$(mktemp -d "${OUT}.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
platforms=()
for tag in manylinux_2_28 manylinux_2_17 manylinux2014 manylinux_2_27 manylinux_2_24 manylinux_2_5 manylinux1; do
    platforms+=(--platform "${tag}_${arch}")
done
t0=$(date +%s)
"$PY" -m pip download --quiet --dest "$tmp" --only-binary=:all: --no-deps \
    --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none \
    "${platforms[@]}" --platform any -r "$REQ" \
    || { echo "build-wheelhouse: pip download failed (is PyPI reachable? see pip's message above)" >&2; exit 1; }
# every pinned name must have exactly one wheel
missing=0
while read -r line; do
    line="${line%%#*}"; line="${line// /}"
    [[ -z "$line" ]] && continue
    name="${line%%==*}"; norm=$(echo "$name" | tr 'A-Z-' 'a-z_')
    if ! ls "$tmp" | tr 'A-Z-' 'a-z_' | grep -q "^${norm}_"; then
        echo "build-wheelhouse: no wheel for $line" >&2; missing=1
    fi
done < "$REQ"
[[ $missing == 0 ]] || exit 1
rm -rf "$OUT"
mv "$tmp" "$OUT"
trap - EXIT
echo "$want" > "$STAMP"
echo "build-wheelhouse: $(ls "$OUT"/*.whl | wc -l) wheels in $OUT ($(du -sh "$OUT" | cut -f1)) in $(( $(date +%s) - t0 )) s"
