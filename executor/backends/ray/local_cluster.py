"""Several Ray nodes (raylets) on this one machine: for tests, benchmarks and trying it out.

Each node is a real raylet with its own worker processes, so killing one is a real node
failure. ``object_store_mb`` is kept small: the datasets are a few MB.
"""

from __future__ import annotations

import os
from typing import Any

from executor.backends.ray.connect import NAMESPACE, import_ray


class LocalCluster:
    def __init__(self, nodes: int = 2, cpus_per_node: int = 1, object_store_mb: int = 80) -> None:
        ray = import_ray()
        from ray.cluster_utils import Cluster

        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        self._ray = ray
        self._store = object_store_mb * 1024 * 1024
        self._cpus = cpus_per_node
        self.cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": cpus_per_node, "include_dashboard": False,
            "object_store_memory": self._store})
        self.workers: list[Any] = []
        for _ in range(nodes - 1):
            self.add_node()
        self.cluster.wait_for_nodes()

    @property
    def address(self) -> str:
        return str(self.cluster.address)

    def add_node(self) -> Any:
        node = self.cluster.add_node(num_cpus=self._cpus, object_store_memory=self._store)
        self.workers.append(node)
        return node

    def node_id(self, node: Any) -> str:
        return str(node.node_id)

    def remove_node(self, node: Any) -> None:
        """Kill the node's raylet and its workers at once, as a crashed machine would."""
        self.workers.remove(node)
        self.cluster.remove_node(node, allow_graceful=False)

    def connect(self) -> Any:
        self._ray.init(address=self.address, namespace=NAMESPACE, include_dashboard=False,
                       log_to_driver=False, logging_level="WARNING")
        return self._ray

    def shutdown(self) -> None:
        if self._ray.is_initialized():
            self._ray.shutdown()
        self.cluster.shutdown()
