#!/usr/bin/env bash
# Build a local Python 3.11 base image (Debian 12 "bookworm", minbase) without any
# container registry: debootstrap into a temp rootfs, then `docker import`.
#
#   bash docker/build-base.sh [IMAGE]        # default IMAGE: rbi-base:bookworm
#
# The Debian mirror is READ from this machine's apt sources (deb822 *.sources first,
# then sources.list); override with DEBIAN_MIRROR=http://... . Needs root and
# debootstrap (`apt-get install debootstrap`). Skips the work when IMAGE exists,
# unless FORCE=1.
set -euo pipefail

IMAGE="${1:-rbi-base:bookworm}"
SUITE="${SUITE:-bookworm}"

die() { echo "build-base: $*" >&2; exit 1; }

if [[ "${FORCE:-0}" != 1 ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "build-base: $IMAGE already present (FORCE=1 rebuilds it)"
    exit 0
fi
command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install -y debootstrap"
[[ $(id -u) == 0 ]] || die "debootstrap needs root: run as root (or sudo bash docker/build-base.sh)"

mirror_from_apt() {
    # first http(s) Debian URI that is not the security archive
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -e "$f" ]] || continue
        while read -r uri; do
            [[ "$uri" == *security* ]] && continue
            echo "$uri"; return 0
        done < <(awk 'tolower($1)=="uris:" {for (i=2;i<=NF;i++) print $i}' "$f")
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -e "$f" ]] || continue
        while read -r uri; do
            [[ "$uri" == *security* ]] && continue
            echo "$uri"; return 0
        done < <(awk '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^https?:\/\//) {print $i; break}}' "$f")
    done
    return 1
}

MIRROR="${DEBIAN_MIRROR:-$(mirror_from_apt || true)}"
[[ -n "$MIRROR" ]] || die "no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list; set DEBIAN_MIRROR=http://your.mirror/debian"

ROOTFS="$(mktemp -d /tmp/rbi-base-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT
echo "build-base: debootstrap $SUITE from $MIRROR into $ROOTFS"
t0=$(date +%s)
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 \
    || { tail -n 30 "$ROOTFS.log" >&2; rm -f "$ROOTFS.log"; die "debootstrap failed (log above)"; }
rm -f "$ROOTFS.log"
# trim what a sandbox never needs
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
       "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/locale/*
"$ROOTFS/usr/bin/python3" --version >/dev/null 2>&1 || chroot "$ROOTFS" python3 --version >/dev/null \
    || die "the rootfs has no working python3"
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/usr/bin/python3"]' \
    --message "rbi base: debian $SUITE minbase + python3 from $MIRROR" \
    - "$IMAGE" >/dev/null
echo "build-base: $IMAGE built in $(( $(date +%s) - t0 )) s"
