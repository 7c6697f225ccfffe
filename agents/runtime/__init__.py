"""The stage runtime: workers, handler context, dispatch, the runner lock."""

from agents.runtime.context import HandlerContext, LeaseLost
from agents.runtime.dispatch import dispatch
from agents.runtime.lock import AlreadyRunning, RunnerLock, lock_info
from agents.runtime.loop import Runtime

__all__ = [
    "AlreadyRunning", "HandlerContext", "LeaseLost", "RunnerLock", "Runtime", "dispatch", "lock_info",
]
