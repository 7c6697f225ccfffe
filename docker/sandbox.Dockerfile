# rbi-sandbox: runs untrusted backtesting.py strategies through the rbi harness.
# Build with `make image` (bash docker/build.sh). The build needs no network: Python
# packages come from docker/wheelhouse/ (bash docker/build-wheelhouse.sh).
#
# BASE_IMAGE is any Debian-like image with CPython 3.11 and the venv module: the public
# python:3.11-slim, or rbi-base:bookworm from docker/build-base.sh when no registry is
# reachable (Debian's /usr/bin/python3). Everything is installed into /opt/venv, so
# both look the same from here on.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS deps
COPY docker/requirements.txt /build/requirements.txt
COPY docker/wheelhouse/ /build/wheelhouse/
RUN set -eu; \
    PY="$(command -v python3.11 || command -v python3)"; \
    "$PY" -m venv /opt/venv; \
    /opt/venv/bin/python -m pip install --no-cache-dir --no-index --find-links /build/wheelhouse \
        --disable-pip-version-check -r /build/requirements.txt; \
    /opt/venv/bin/python -m pip uninstall -y -q pip setuptools wheel 2>/dev/null || true; \
    rm -rf /opt/venv/lib/python3.11/site-packages/pip* /opt/venv/lib/python3.11/site-packages/setuptools* \
        /opt/venv/bin/pip* /opt/venv/bin/activate* /opt/venv/bin/Activate.ps1; \
    find /opt/venv -name '__pycache__' -type d -prune -exec rm -rf {} +; \
    # .pyc checked by hash, never by mtime: valid after COPY --from, and the root is
    # read-only at run time so nothing could be cached then
    /opt/venv/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/venv/lib >/dev/null; \
    /opt/venv/bin/python -c "import backtesting, pandas, numpy, talib, RestrictedPython; print('deps ok')"

FROM ${BASE_IMAGE}
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONPATH=/opt/rbi \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONHASHSEED=0 \
    PYTHONIOENCODING=utf-8 \
    LANG=C.UTF-8 \
    LC_ALL=C.UTF-8 \
    HOME=/tmp \
    TMPDIR=/tmp \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    MKL_NUM_THREADS=1 \
    NUMEXPR_NUM_THREADS=1 \
    MPLBACKEND=Agg \
    TQDM_DISABLE=1
# a non-root user that owns nothing (uid 10001); everything below is root-owned
RUN set -eu; \
    grep -q '^sandbox:' /etc/group || echo 'sandbox:x:10001:' >> /etc/group; \
    grep -q '^sandbox:' /etc/passwd || echo 'sandbox:x:10001:10001:rbi sandbox:/tmp:/usr/sbin/nologin' >> /etc/passwd
COPY --from=deps /opt/venv /opt/venv
# the harness last: it changes most often. Its .pyc too (hash-checked, see above).
COPY executor/ /opt/rbi/executor/
RUN python -m compileall -q --invalidation-mode unchecked-hash /opt/rbi >/dev/null \
    && python -c "import executor.harness.parent, backtesting, talib; print('image ok')"
USER 10001:10001
WORKDIR /tmp
CMD ["python", "-m", "executor.harness"]
ARG RBI_VERSION=0.0.0
ARG HARNESS_SHA256=unknown
LABEL org.opencontainers.image.title="rbi-sandbox" \
      org.opencontainers.image.description="Sandbox for untrusted backtesting.py strategies (rbi executor harness)" \
      org.opencontainers.image.version="${RBI_VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      rbi.image="sandbox" \
      rbi.version="${RBI_VERSION}" \
      rbi.harness_sha256="${HARNESS_SHA256}"
