"""The ``ray`` backend: many machines run sandboxed backtests for one loop.

The loop (the Ray *driver*) splits a batch into chunks and sends them to one
long-lived :class:`~executor.backends.ray.node_runner.NodeRunner` actor per node. Each
actor is a *client* of its node's own sandbox (``local`` or ``docker``, warm): strategy
code never runs inside a Ray worker process. Datasets travel once per node through the
object store, keyed by content hash. Results come back to the loop, which alone writes
the results database.

    RBI_BACKEND=ray RBI_RAY_ADDRESS=head:6379 python -m agents.rbi run

Settings (environment): ``RBI_RAY_ADDRESS`` (unset: start a local Ray instance),
``RBI_RAY_NODE_BACKEND`` (the sandbox each node uses: ``auto``/``local``/``docker``),
``RBI_RAY_SLOTS_PER_NODE`` (default: the node's CPUs). ``python -m executor.backends.ray
status`` shows the cluster. See docs/CLUSTER.md.
"""

from executor.backends.ray.sandbox import RaySandbox

__all__ = ["RaySandbox"]
