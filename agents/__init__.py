"""rbi agents: the research loop (store, queue, runtime, CLI, LLM providers, stages).

Nothing runs at import time; the CLI is ``python -m agents.rbi``.
"""
