"""Code that runs inside the sandbox. Imports only stdlib + numpy/pandas/backtesting."""
