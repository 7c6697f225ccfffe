"""The cluster page: the Ray cluster as the loop sees it (``--backend ray``).

No SQL and no Ray here: the loop's RaySandbox rewrites ``RBI_RESULTS_DIR/ray-cluster.json``
every two seconds (nodes, slots, batches and chunks in flight, per-node throughput, or
``connected: false`` with the reason). The dashboard only reads that file, so it needs
neither Ray nor a place on the cluster's network.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from executor.types import RAY_STATUS_FILE

STALE_S = 10.0  # the loop writes every 2 s: older than this, it is not writing any more


def cluster_page(results_dir: Path | None) -> dict[str, Any]:
    """The loop's last cluster snapshot with its age, or why there is none."""
    if results_dir is None:
        return {"present": False, "why": "the dashboard was started without a results folder"}
    path = Path(results_dir) / RAY_STATUS_FILE
    try:
        doc: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return {"present": False, "path": str(path),
                "why": "no loop has run with --backend ray on this results folder yet"}
    except (OSError, ValueError) as exc:
        return {"present": False, "path": str(path), "why": f"cannot read {path}: {exc}"}
    age = max(0.0, time.time() - float(doc.get("updated_ts") or 0))
    nodes = doc.get("per_node") or []
    return {**doc, "present": True, "path": str(path), "age_s": round(age, 1),
            "stale": age > STALE_S and not doc.get("error") == "the loop stopped",
            "live_nodes": [n for n in nodes if n.get("alive")],
            "sets_done": sum(int(n.get("sets_done") or 0) for n in nodes),
            "sets_per_s": round(sum(float(n.get("sets_per_s") or 0) for n in nodes
                                    if n.get("alive")), 2)}
