"""Evaluation library for the review / optimise / promote stages.

Small pure modules, each usable on its own:

    splits            split_frame (the holdout ledger is agents.store.holdout)
    windowstats       window_stats, window_returns (score a window of a warm run)
    walkforward       wf_windows, walk_forward (warm windows, stitched OOS PSR)
    holdout           score_holdout (history + holdout, PSR deflated by reads)
    overfitting       probabilistic_sharpe, deflated_sharpe, pbo_cscv
    trials            effective_trials (correlated trials clustered, DSR's N)
    realitycheck      spa_pvalue (Hansen's SPA over a searched grid)
    benchmark         alpha_report (alpha over exposure-matched buy-and-hold)
    lookahead_static  static_hints;  lookahead: truncation_check, probe (its full run kept)
    randomdata        random_data_check (30 driftless walks, sign test)
    montecarlo        monte_carlo (block bootstrap of PnL as a share of equity)
    regimes           regime_report
    robustness        cost_sensitivity, other_datasets, param_stability
    thresholds        load_thresholds (thresholds.yaml);  scoring: decide, Evidence
    reports           write_reports (rankings/killed/candidates JSON)
    promotion_export  export_strategy (results/strategies/<name>/ + git commit)
    config            load_config (research-loop YAML)
    runners           inprocess_runner, sandbox_runner, run_many
    evaluate          evaluate_candidate: all of the above for one candidate
"""
