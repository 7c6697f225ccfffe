"""Zero trades: how often did each entry rule / filter of the SPEC hold on the data?

Runs on the trusted side without executing strategy code: the spec is data (TA-Lib
function names, references, numbers), so the indicators are computed here with TA-Lib
and every machine-form rule is counted. (``codefix.diagnose.entry_condition_report``
instruments the code itself, but executes it, so it belongs inside a sandbox.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.spec import PRICE_COLUMNS, SpecError, StrategySpec, parse_ref

__all__ = ["describe_entries", "rule_counts"]


def _series(spec: StrategySpec, df: Any) -> dict[str, np.ndarray]:
    import talib

    values: dict[str, Any] = {c: df[c].to_numpy(dtype=float) for c in PRICE_COLUMNS if c in df}
    defaults = spec.defaults()
    for ind in spec.indicators:
        fn = getattr(talib, ind.function, None)
        if fn is None:
            continue
        args = [values[i] for i in ind.inputs if i in values]
        kw = {k: (defaults[v] if isinstance(v, str) else v) for k, v in ind.params.items()}
        kw = {k: int(v) if float(v).is_integer() else float(v) for k, v in kw.items()}
        try:
            out = fn(*args, **kw)
        except Exception:  # noqa: BLE001 - a bad spec indicator is reported as missing
            continue
        if isinstance(out, tuple):
            for name, arr in zip(ind.outputs, out, strict=False):
                values[f"{ind.name}.{name}"] = np.asarray(arr, dtype=float)
        else:
            values[ind.name] = np.asarray(out, dtype=float)
    return values


def _ref(ref: Any, values: dict[str, np.ndarray], defaults: dict[str, Any], n: int) -> np.ndarray:
    if not isinstance(ref, str):
        return np.full(n, float(ref))
    base, out, lag = parse_ref(ref)
    if base in defaults:
        return np.full(n, float(defaults[base]))
    arr = values[f"{base}.{out}" if out else base]
    if lag:
        arr = np.concatenate([np.full(lag, np.nan), arr[:-lag]])
    return arr


def rule_counts(spec: StrategySpec, df: Any) -> list[tuple[str, str, int, int]]:
    """[(group, rule text, bars it held, bars evaluated)] for entry rules and filters."""
    values = _series(spec, df)
    defaults = spec.defaults()
    n = len(df)
    out = []
    for group in ("entry", "filters"):
        for rule in getattr(spec, group):
            if rule.kind not in ("cross_above", "cross_below", "gt", "lt"):
                continue
            try:
                a = _ref(rule.args["a"], values, defaults, n)
                b = _ref(rule.args["b"], values, defaults, n)
            except (KeyError, SpecError, ValueError):
                continue
            with np.errstate(invalid="ignore"):
                if rule.kind == "gt":
                    held = a > b
                elif rule.kind == "lt":
                    held = a < b
                else:
                    up = rule.kind == "cross_above"
                    prev = np.concatenate([[np.nan], a[:-1] - b[:-1]])
                    cur = a - b
                    held = (prev <= 0) & (cur > 0) if up else (prev >= 0) & (cur < 0)
            valid = ~(np.isnan(a) | np.isnan(b))
            out.append((group, rule.text, int(np.sum(held & valid)), int(np.sum(valid))))
    return out


def describe_entries(spec_json: str, dataset: str | None = None) -> str:
    """Prompt text: each entry rule / filter with how often it held on the dataset."""
    from executor import load_dataset

    try:
        spec = StrategySpec.from_json(spec_json)
        ds = load_dataset(dataset or spec.datasets[0])
        counts = rule_counts(spec, ds.df)
    except Exception as e:  # noqa: BLE001 - a diagnosis is a hint, never a failure
        return f"(no entry-condition diagnosis: {type(e).__name__}: {e})"
    if not counts:
        return "(no machine-form entry rules in the spec to count)"
    lines = [f"How often each spec rule held on {ds.name} ({len(ds.df)} bars; from the spec, "
             "not the code):"]
    lines += [f"- {g}: {t}: held on {h} of {e} bars" for g, t, h, e in counts]
    return "\n".join(lines)
