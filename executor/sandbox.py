"""Backend registry and the validate-then-run entry point.

Backends are imported only when chosen, so the docker SDK stays optional::

    get_sandbox("local") / get_sandbox("docker") / get_sandbox("ray") / get_sandbox("auto")

Code is validated once: :func:`validated` returns, for clean code, a token (an HMAC with
a key this process drew at start over the source's SHA-256 and its script/restricted
flags). A request carrying it (``RunRequest.validated``) is not validated again by
:func:`run` / :func:`run_batch`; any other byte of source, another flag, a token from
another process or a made-up one, and the validator runs as usual.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import secrets
from dataclasses import replace
from typing import Any

from executor.errors import ConfigError, SandboxUnavailable
from executor.types import RunRequest, RunResult, Sandbox, Violation

BACKENDS = {
    "local": "executor.backends.local.sandbox:LocalSandbox",
    "docker": "executor.backends.docker.sandbox:DockerSandbox",
    "ray": "executor.backends.ray:RaySandbox",
}


def _load(name: str) -> Any:
    try:
        path = BACKENDS[name]
    except KeyError:
        raise ConfigError(
            f"unknown sandbox backend {name!r}: choose one of {', '.join([*BACKENDS, 'auto'])}"
        ) from None
    module, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except ImportError as exc:
        raise SandboxUnavailable(f"backend {name!r} is not available here: {exc}") from exc


def get_sandbox(name: str = "auto", **kwargs: Any) -> Sandbox:
    """Return a backend instance. ``auto`` picks docker when usable, else local.

    The instance of ``auto`` has ``chosen_because`` set, a sentence for the user.
    """
    if name != "auto":
        sandbox: Sandbox = _load(name)(**kwargs)
        return sandbox
    try:
        sandbox = _load("docker")(**kwargs)
        reason = "the Docker daemon and the sandbox image are available"
    except SandboxUnavailable as exc:
        sandbox = _load("local")()
        reason = f"Docker is not usable ({_first_line(exc)})"
    sandbox.chosen_because = reason  # type: ignore[attr-defined]
    return sandbox


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def run(request: RunRequest, backend: str | Sandbox = "auto", *, validate: bool = True,
        **kwargs: Any) -> RunResult:
    """Validate, then run one parameter set. Strategy faults come back as the result."""
    results = run_batch(replace(request, param_sets=None), backend, validate=validate, **kwargs)
    return results[0]


def run_batch(request: RunRequest, backend: str | Sandbox = "auto", *, validate: bool = True,
              **kwargs: Any) -> list[RunResult]:
    """Validate ONE code version once, then run all of ``request.param_sets`` with it."""
    sandbox = get_sandbox(backend, **kwargs) if isinstance(backend, str) else backend
    if validate and not vouched(request):
        rejected = rejection(request, sandbox.name)
        if rejected is not None:
            return [replace(rejected, params=p) for p in request.all_param_sets()]
    if request.param_sets and len(request.param_sets) > 1:
        return sandbox.run_batch(request)
    return [sandbox.run(replace(request, params=request.all_param_sets()[0], param_sets=None))]


def rejection(request: RunRequest, backend: str) -> RunResult | None:
    """Validate ``request.code``; the ``rejected`` result, or None when it may run."""
    return validated(request, backend)[0]


def validated(request: RunRequest, backend: str) -> tuple[RunResult | None, str]:
    """Validate ``request.code`` -> (the ``rejected`` result, "") or (None, a token that
    lets :func:`run` skip validating this exact source again; see the module doc)."""
    from executor.validator import validate as _validate

    violations = _validate(request.code, script=request.script,
                           restricted=request.restricted and not request.script)
    if violations:
        return rejected_result(request, violations, backend), ""
    return None, _token(request)


_KEY = secrets.token_bytes(32)


def _token(request: RunRequest) -> str:
    msg = f"{request.code_sha256}:{int(request.script)}:{int(request.restricted)}"
    return hmac.new(_KEY, msg.encode(), hashlib.sha256).hexdigest()


def vouched(request: RunRequest) -> bool:
    """True when ``request.validated`` is this process's token for exactly this source."""
    return bool(request.validated) and hmac.compare_digest(request.validated, _token(request))


def rejected_result(request: RunRequest, violations: list[Violation], backend: str) -> RunResult:
    first = violations[0]
    return RunResult(
        status="rejected",
        violations=[v.to_dict() for v in violations],
        error={"type": "Rejected", "class": "rejected", "line": first.line, "traceback": "",
               "message": f"{len(violations)} validator violation(s); first: {first}"},
        backend=backend,
        code_sha256=request.code_sha256,
        params=request.params,
        run_id=request.run_id,
    )
