"""How many trader ideas the offline engine reads as written (prints, never asserts).

    python bench/bench_offline_ideas.py [--trades] [--seed 0]
    PYTHONPATH=/path/to/other/checkout python bench/bench_offline_ideas.py   # score that one

Scores every idea in tests/fixtures/trader_ideas.json with the checker the tests use
(tests/agents/offline/test_offline_ideas.py: entry family, numbers as defaults inside their ranges, no
unrequested stop/target/filter, exits, side, dataset, timeframe) and lists what differs.
``--trades`` also runs each idea's v1 code on its dataset in-process and counts those that
trade. Target: every idea read as written.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _checker() -> object:
    spec = importlib.util.spec_from_file_location("ideas_checker",
                                                  ROOT / "tests" / "test_offline_ideas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _trades(idea: str, seed: int) -> int:
    from backtesting import Backtest, Strategy

    from agents.offline import idea_to_spec, spec_to_code
    from executor.datasets import load_dataset

    spec = idea_to_spec(idea, seed)
    namespace: dict[str, object] = {}
    exec(compile(spec_to_code(spec), "<v1>", "exec"), namespace)  # noqa: S102 - our own output
    cls = next(v for v in namespace.values()
               if isinstance(v, type) and issubclass(v, Strategy) and v is not Strategy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = Backtest(load_dataset(spec.datasets[0]).df, cls, cash=100_000,
                         commission=0.001, finalize_trades=True).run()
    return int(stats["# Trades"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="engine seed (default 0)")
    parser.add_argument("--trades", action="store_true",
                        help="also run each v1 on its dataset and count the ideas that trade")
    args = parser.parse_args(argv)
    checker = _checker()
    from agents.offline import idea_to_spec

    good = traded = 0
    ideas = checker.IDEAS  # type: ignore[attr-defined]
    for case in ideas:
        try:
            problems = checker.mismatches(idea_to_spec(case["idea"], args.seed), case)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - another checkout may lack a feature
            problems = [f"raised {type(exc).__name__}: {exc}"]
        good += not problems
        print(("ok   " if not problems else "FAIL ") + case["idea"])
        for p in problems:
            print("       - " + p)
        if args.trades and not problems:
            traded += _trades(case["idea"], args.seed) > 0
    import agents.offline

    print(f"{good}/{len(ideas)} ideas read as written (engine: "
          f"{Path(agents.offline.__file__).parent})")
    if args.trades:
        print(f"{traded}/{good} of those trade on their dataset")
    return 0


if __name__ == "__main__":
    sys.exit(main())
