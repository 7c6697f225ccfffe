"""validate + execute: the executor's validator, then the sandbox on the spec's datasets.

Runs see only the research part of each dataset (in-sample + validation, see
:mod:`agents.stages.evaluation`): the sealed holdout is for the promote stage alone.

``validate``: violations -> a ``rejected`` result row per dataset and ``debug``;
clean -> ``execute``, carrying the validator's token so the run does not validate the
same source again. ``execute``: one sandboxed run per dataset (bounded by the
runtime's sandbox slots), one ``backtest_results`` row per (version, dataset, params,
seed); a failure, a rejection or a degenerate result (zero trades, NaN stats) ->
``debug``, otherwise ``review``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agents.stages import runcache
from agents.stages.common import label_model, load_job, options_for, sandbox
from executor.types import RunRequest, RunResult

if TYPE_CHECKING:
    from agents.runtime.context import HandlerContext

__all__ = ["handle_execute", "handle_validate", "problem_of", "run_version"]


def problem_of(result: RunResult) -> dict[str, Any] | None:
    """What debug needs to know about a bad result, or None when it is usable."""
    if result.status != "ok":
        err = dict(result.error or {"type": result.status, "message": result.status})
        return {"status": result.status, "error": err, "violations": result.violations}
    if result.degenerate:
        return {"status": "degenerate", "error": {"type": result.degenerate,
                "message": f"the run finished but is degenerate: {result.degenerate}"},
                "violations": []}
    return None


def handle_validate(ctx: HandlerContext, payload: dict[str, Any]) -> None:
    from executor import validated

    job = load_job(ctx, payload, stats=False)
    if job is None:
        return
    v, spec, params = job.version, job.spec, job.params
    rejected, token = validated(RunRequest(code=v.code, data=None, params=params), "validator")
    with ctx.write() as s:
        base = {"strategy_id": v.strategy_id, "version_id": v.id}
        if rejected is None:  # execute runs this source without validating it again
            s.set_version_status(v.id, "valid")
            ctx.emit("execute", {**base, "validated": token}, key=f"execute:v{v.id}")
            return
        for ds in spec.datasets:
            s.record_result(v.id, rejected, ds, params=params, seed=ctx.settings.seed,
                            backend="validator", event_id=ctx.event.id)
        s.set_version_status(v.id, "rejected")
        ctx.emit("debug", {**base, "problem": problem_of(rejected)}, key=f"debug:v{v.id}")


def run_version(ctx: HandlerContext, code: str, params: dict[str, Any], datasets: list[str],
                validated: str = "") -> list[tuple[str, str, RunResult]]:
    """Run ``code`` on the research part of each dataset in the sandbox
    -> [(dataset, data_sha256, result)]. ``validated``: the validate stage's token for
    ``code`` (see :func:`executor.sandbox.validated`), so it is not validated twice. A
    run made before with the same request (the optimiser's logic change, now a child
    version) is not made again (:mod:`agents.stages.runcache`)."""
    from agents.stages.evaluation import frames
    from executor import frame_sha256, run

    box = sandbox(ctx.settings)
    out = []
    for name in datasets:
        ctx.check_cancelled()
        fr = frames(ctx.settings, name)
        opts = options_for(ctx.settings, fr.name)
        req = RunRequest(code=code, data=fr.research, params=params, options=opts,
                         seed=ctx.settings.seed, data_name=fr.name,
                         run_id=f"e{ctx.event.id}-{fr.name}", validated=validated)
        [key] = runcache.keys(req, [params])
        res = runcache.get(key, req.run_id)  # the optimiser ran this exact logic change
        if res is None:
            with ctx.sandbox_slot():
                res = run(req, box)
            runcache.put(key, res)
        label_model([res], opts)
        if not res.data_sha256:
            res.data_sha256 = frame_sha256(fr.research)
        out.append((fr.name, res.data_sha256, res))
    return out


def handle_execute(ctx: HandlerContext, payload: dict[str, Any]) -> None:
    job = load_job(ctx, payload, stats=False)
    if job is None:
        return
    v, spec, params = job.version, job.spec, job.params
    runs = run_version(ctx, v.code, params, spec.datasets, str(payload.get("validated", "")))
    problems = [(ds, p) for ds, _, r in runs if (p := problem_of(r)) is not None]
    failed = [(ds, p) for ds, p in problems if p["status"] != "degenerate"]
    with ctx.write() as s:
        for ds, _, res in runs:
            s.record_result(v.id, res, ds, params=params, seed=ctx.settings.seed,
                            backend=res.backend, event_id=ctx.event.id)
        base = {"strategy_id": v.strategy_id, "version_id": v.id}
        if failed or (problems and len(problems) == len(runs)):
            ds, problem = (failed or problems)[0]
            s.set_version_status(v.id, "error" if failed else "degenerate")
            ctx.emit("debug", {**base, "dataset": ds, "problem": problem}, key=f"debug:v{v.id}")
        else:
            s.set_version_status(v.id, "ran")
            ctx.emit("review", base, key=f"review:v{v.id}")
