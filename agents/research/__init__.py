"""Evaluation library for the review / optimise / promote stages (issue 6).

Small pure modules, each usable on its own:

    splits            split_frame, HoldoutLedger (append-only holdout reads)
    walkforward       wf_windows, walk_forward (OOS efficiency)
    overfitting       probabilistic_sharpe, deflated_sharpe, pbo_cscv
    lookahead_static  static_hints;  lookahead: truncation_check
    randomdata        random_data_check
    montecarlo        monte_carlo (block bootstrap of trade returns)
    regimes           regime_report
    robustness        cost_sensitivity, other_datasets, param_stability
    thresholds        load_thresholds (thresholds.yaml);  scoring: decide, Evidence
    reports           write_reports (rankings/killed/candidates JSON)
    promotion_export  export_strategy (results/strategies/<name>/ + git commit)
    config            load_config (research-loop YAML)
    runners           inprocess_runner, sandbox_runner, run_many
    evaluate          evaluate_candidate: all of the above for one candidate
"""
