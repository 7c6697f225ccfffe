"""The research gates as people read them: label, comparison, what the gate guards, and
the evidence behind its number.

Gates come from the review's ``gates_json["research"]["decision"]["gates"]`` (a list of
``{level, name, value, limit, passed, reason}``). Every gate in that list is shown; a
gate this module does not know (a new check) still shows its name, value, limit,
pass/fail and the reviewer's reason, so new gates need no template change.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["GATES", "gate_rows", "settings_gate_rows"]

Detail = Callable[[dict[str, Any], dict[str, Any]], str]


def _n(v: Any, digits: int = 3) -> str:
    if isinstance(v, bool) or v is None:
        return "–"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:.{digits}g}" if math.isfinite(v) else "–"
    return str(v)


def _dsr(ev: dict[str, Any], rep: dict[str, Any]) -> str:
    raw = ev.get("n_trials_raw")
    n = f"N = {_n(ev.get('n_trials'))} trial(s)"
    if raw is not None and raw != ev.get("n_trials"):
        n = f"N = {_n(ev.get('n_trials'))} effective trial(s) of {_n(raw)} tried"
    return f"{n}; PSR (SR > 0, no deflation) {_n(ev.get('psr'))}"


def _wf(ev: dict[str, Any], rep: dict[str, Any]) -> str:
    wf = rep.get("walk_forward") or {}
    if not wf.get("folds"):
        return "not run"
    parts = [f"{len(wf['folds'])} fold(s)"]
    if wf.get("oos_sharpe") is not None:
        parts.append(f"stitched OOS Sharpe {_n(wf.get('oos_sharpe'))} over {_n(wf.get('oos_bars'))} bars")
    if ev.get("oos_efficiency") is not None:
        parts.append(f"OOS efficiency {_n(ev.get('oos_efficiency'))}")
    if wf.get("pruned"):
        parts.append("stopped early (OOS mean below 0)")
    return "; ".join(parts)


def _random(ev: dict[str, Any], rep: dict[str, Any]) -> str:
    rd = rep.get("random_data") or {}
    if not rd:
        return ""
    won = rd.get("profitable")
    won = won if won is not None else round((rd.get("profitable_fraction") or 0) * (rd.get("k") or 0))
    out = f"profitable on {_n(won)} of {_n(rd.get('k'))} random walks"
    if rd.get("p_value") is not None:
        out += f" (sign test p {_n(rd.get('p_value'))})"
    return out + f"; mean return {_n(rd.get('mean_return_pct'))} %"


def _lookahead(ev: dict[str, Any], rep: dict[str, Any]) -> str:
    la = rep.get("lookahead") or {}
    if not la:
        return "not run"
    cuts = la.get("cuts") or []
    found = la.get("findings") or []
    hints = la.get("static_hints") or []
    return (f"truncated at {len(cuts)} cut(s): {len(found)} finding(s), "
            f"{len(hints)} static hint(s)")


def _holdout(ev: dict[str, Any], rep: dict[str, Any]) -> str:
    h = rep.get("holdout")
    if not h:
        return "sealed: the holdout is read once, at promotion, never at review"
    parts = [f"{_n(h.get('bars'))} bars"]
    if h.get("sharpe") is not None or ev.get("holdout_sharpe") is not None:
        parts.append(f"Sharpe {_n(h.get('sharpe', ev.get('holdout_sharpe')))}")
    if h.get("reads") is not None:
        parts.append(f"read {_n(h.get('reads'))} time(s) on this dataset")
    return "; ".join(parts)


def _pbo(ev: dict[str, Any], rep: dict[str, Any]) -> str:
    p = rep.get("pbo") or {}
    parts = []
    if ev.get("pbo") is not None:
        parts.append(f"PBO {_n(ev.get('pbo'))}")
    loss = ev.get("pbo_oos_loss", p.get("prob_oos_loss"))
    if loss is not None:
        parts.append(f"IS winner lost money OOS in {_n(loss)} of splits")
    if p.get("n_combinations") is not None:
        parts.append(f"{_n(p.get('n_combinations'))} CSCV splits")
    return "; ".join(parts) or "needs a parameter search (2+ sets)"


def _alpha(ev: dict[str, Any], rep: dict[str, Any]) -> str:
    a = rep.get("alpha") or {}
    return (f"exposure {_n(ev.get('exposure'))}, time in market {_n(a.get('time_in_market'))}, "
            f"buy-and-hold {_n(a.get('buy_hold_return_pct'))} %") if a else ""


def _mc(ev: dict[str, Any], rep: dict[str, Any]) -> str:
    m = rep.get("monte_carlo") or {}
    return (f"{_n(m.get('paths'))} paths of {_n(m.get('trades'))} trades, ruin = "
            f"{_n(m.get('ruin_drawdown'))} drawdown") if m else ""


# name -> (label, comparison of value to limit, what the gate guards, evidence detail)
GATES: dict[str, tuple[str, str, str, Detail | None]] = {
    "lookahead": ("Look-ahead (truncation test)", "findings =", "A run cut short must "
                  "trade exactly like the full run up to the cut; a difference means the "
                  "strategy reads future bars.", _lookahead),
    "dsr": ("Deflated Sharpe Ratio", "≥", "Probability the Sharpe is real after "
            "deflating by the number of variants tried (N).", _dsr),
    "walk_forward": ("Walk-forward OOS PSR", "≥", "Probability the stitched out-of-sample "
                     "test windows have a Sharpe above 0.", _wf),
    "oos_efficiency": ("Walk-forward OOS efficiency", "≥", "Mean out-of-sample metric over "
                       "mean in-sample metric of each fold's winner.", _wf),
    "pbo": ("Probability of backtest overfitting", "≤", "Share of CSCV splits where the "
            "in-sample best parameter set ranks below the median out of sample.", _pbo),
    "random_data": ("Random-data test", "vs", "Run on driftless random walks with the "
                    "data's volatility: profit there means fitting noise or peeking.", _random),
    "reality_check": ("Reality check (SPA)", "≤", "p-value that the best searched variant "
                      "beats zero only because many variants were searched.", None),
    "alpha": ("Alpha over buy-and-hold", "≥", "PSR of the return beyond holding the asset "
              "at the strategy's own exposure.", _alpha),
    "holdout": ("Sealed holdout PSR", "≥", "The untouched last part of the data, read once "
                "at promotion, must confirm the edge.", _holdout),
    "holdout_sharpe": ("Sealed holdout Sharpe", "≥", "The untouched last part of the data, "
                       "read once at promotion, must confirm the edge.", _holdout),
    "trades": ("Independent bets", "≥", "Enough independent bets for the statistics to mean "
               "anything: trades weighted by the months they are held.", None),
    "trades_floor": ("Trades", "≥", "Whole trades, whatever their holding period.", None),
    "max_drawdown": ("Max. drawdown %", "≤", "Deepest peak-to-trough loss.", None),
    "prob_ruin": ("Monte Carlo P(ruin)", "≤", "Share of trade-order bootstrap paths that "
                  "hit the ruin drawdown.", _mc),
    "stability_median": ("Parameter stability (median)", "≥", "Median neighbour's metric "
                         "over the chosen one: a spike is fragile.", None),
    "stability_min": ("Parameter stability (worst)", "≥", "Worst neighbour's metric over "
                      "the chosen one.", None),
    "cost_degradation": ("Cost sensitivity", "≤", "Share of the return lost when "
                         "commission is 1.5x.", None),
    "other_datasets": ("Other datasets", "≥", "Share of the other datasets where the same "
                       "code and parameters make money.", None),
}


def _status(passed: Any) -> str:
    return "pass" if passed is True else "fail" if passed is False else "skipped"


def gate_rows(research: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per gate of the decision, in the decision's order (kill gates first)."""
    decision = research.get("decision") or {}
    ev = research.get("evidence") or {}
    rep = research.get("report") or {}
    out = []
    for g in decision.get("gates") or []:
        if not isinstance(g, dict):
            continue
        name = str(g.get("name", "?"))
        label, cmp, why, detail = GATES.get(name, (name.replace("_", " "), "", "", None))
        if name == "random_data":  # main: a profitable share (max); stats branch: a p-value (min)
            cmp = "≥" if ev.get("random_p_value") is not None else "<"
        extra = ""
        if detail is not None:
            try:
                extra = detail(ev, rep)
            except (TypeError, ValueError, AttributeError):
                extra = ""
        value = g.get("value")
        if name == "pbo" and _pbo_forgiven(value, ev):
            # the gate read 0 (see scoring._pbo_value): show the PBO measured, and why it
            # did not count, instead of a bare 0 beside an evidence cell that says otherwise
            value = ev.get("pbo")
            extra = (f"forgiven: the in-sample winner lost money out of sample in only "
                     f"{_n(ev.get('pbo_oos_loss'))} of the splits, so a high PBO means variants "
                     f"that all carry the edge, not overfitting; {extra}")
        out.append({"name": name, "label": label, "level": g.get("level", ""),
                    "value": value, "comparison": cmp, "limit": g.get("limit"),
                    "status": _status(g.get("passed")), "explanation": why,
                    "detail": extra, "reason": g.get("reason") or ""})
    return out


def _pbo_forgiven(value: Any, ev: dict[str, Any]) -> bool:
    raw = ev.get("pbo")
    return (value == 0 and isinstance(raw, (int, float)) and raw > 0
            and ev.get("pbo_oos_loss") is not None)


def settings_gate_rows(gates: dict[str, Any]) -> list[dict[str, Any]]:
    """The review's settings gates (``{name: {value, limit, pass}}`` beside "research")."""
    out = []
    for name, g in gates.items():
        if isinstance(g, dict) and "limit" in g and ("pass" in g or "passed" in g):
            passed = g.get("pass", g.get("passed"))
            out.append({"name": name, "value": g.get("value"), "limit": g.get("limit"),
                        "status": _status(bool(passed) if passed is not None else None)})
    return out
