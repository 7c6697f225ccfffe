"""What the harness imports before strategy code exists, and when.

Importing numpy + pandas + backtesting is most of a cold sandboxed run's cost; a process
that waits for its request (a warm container, the local sandbox's zygote) pays it ahead
of need (:func:`preimport`), a one-shot container pays only what every run needs
(``lean``), and what only some strategies need is imported once the request says so
(:func:`preimport_optional`).
"""

from __future__ import annotations


def preimport(lean: bool = False) -> None:
    """Import the engine before any request exists.

    ``lean`` (a one-shot container started for a request already on its way): only what
    every run needs. What a strategy may or may not use (``backtesting.test``, talib,
    RestrictedPython for restricted runs, the script-mode stats parser) is then imported
    after the request is read, where it is needed (see ``parent.serve``), or by the
    strategy itself. A process that waits for its request (warm container, zygote)
    imports everything: that is off every run's path.

    The cyclic GC is off during the imports (they allocate ~10^5 objects and never free
    them: every collection would scan them for nothing) and what they created is then
    frozen (``gc.freeze``): a forked worker's collections neither scan those objects nor
    copy the pages holding them.
    """
    import gc
    import warnings

    gc.disable()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from executor.harness import lazy_plotting

            lazy_plotting.install()
            import backtesting  # noqa: F401
            import backtesting.lib  # noqa: F401
            import numpy  # noqa: F401
            import pandas  # noqa: F401

            import executor.execution  # noqa: F401 - run_one maps the options with it
            from executor.harness import caps, child, fastrun, orderlog, parent, spare, statsjson  # noqa: F401

            if lean:
                from executor.harness import lazy_testdata

                lazy_testdata.install()  # SMA without the CSV reads
            else:
                preimport_optional(restricted=True, code="talib backtesting.test")
                from executor.harness import stdout_stats  # noqa: F401 - script mode only
    finally:
        gc.enable()
    gc.freeze()


def preimport_optional(restricted: bool, code: str) -> None:
    """What only some strategies need: RestrictedPython for a restricted run, and the
    modules ``code`` names (a cheap text test: a miss costs nothing but the strategy
    importing the module itself, in its worker)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _optional(restricted, code)


def _optional(restricted: bool, code: str) -> None:
    if restricted:
        import executor.validator.restricted  # noqa: F401 - every restricted run compiles with it
    if "backtesting.test" in code or ("backtesting" in code and " test" in code):
        import backtesting.test  # noqa: F401 - strategies import SMA from it; it reads 2 CSVs
    if "talib" in code:
        try:
            import talib  # noqa: F401
        except ImportError:
            pass
