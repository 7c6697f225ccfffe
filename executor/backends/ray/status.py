"""The cluster as any process sees it: nodes, slots, and each loop's node actors.

``RaySandbox.status()`` is the loop's own view (batches in flight); this one works from
another process (``python -m agents.rbi status``, ``python -m executor.backends.ray
status``): it joins the cluster and asks every rbi node actor for its counters.
"""

from __future__ import annotations

from typing import Any

from executor.backends.ray.connect import ACTOR_PREFIX, connect

ASK_TIMEOUT_S = 10.0


def cluster_status(address: str | None = None) -> dict[str, Any]:
    ray = connect(address)
    nodes = [{"node_id": n["NodeID"], "address": n.get("NodeManagerAddress", "?"),
              "alive": bool(n.get("Alive")), "cpus": int(n.get("Resources", {}).get("CPU", 0)),
              "runners": []} for n in ray.nodes()]
    by_id = {n["node_id"]: n for n in nodes}
    asked = []
    for a in ray.util.list_named_actors(all_namespaces=True):
        if a["name"].startswith(ACTOR_PREFIX):
            try:
                asked.append(ray.get_actor(a["name"], namespace=a["namespace"]).stats.remote())
            except ValueError:
                continue  # it died between the listing and the lookup
    runners = []
    for ref in asked:
        try:
            runners.append(ray.get(ref, timeout=ASK_TIMEOUT_S))
        except Exception:
            continue  # busy past the timeout, or its node just died: leave it out
    for r in runners:
        if r["node_id"] in by_id:
            by_id[r["node_id"]]["runners"].append(r)
    live = [n for n in nodes if n["alive"]]
    return {
        "nodes": len(live), "cpus": sum(n["cpus"] for n in live),
        "slots": sum(r["slots"] for r in runners),
        "chunks_running": sum(r["in_flight"] for r in runners),
        "batches_running": len({b for r in runners for b in r.get("batches", [])}),
        "per_node": [{**{k: n[k] for k in ("node_id", "address", "alive", "cpus")},
                      "slots": sum(r["slots"] for r in n["runners"]),
                      "running": sum(r["in_flight"] for r in n["runners"]),
                      "sets_done": sum(r["sets_done"] for r in n["runners"]),
                      "sets_per_busy_s": _rate(n["runners"]),
                      "datasets_cached": sum(r["datasets_cached"] for r in n["runners"])}
                     for n in nodes],
    }


def _rate(runners: list[dict[str, Any]]) -> float:
    """Runs per second of sandbox time on the node (each chunk's wall time, summed)."""
    busy = sum(r["busy_s"] for r in runners)
    return round(sum(r["sets_done"] for r in runners) / busy, 2) if busy else 0.0


def format_status(doc: dict[str, Any]) -> list[str]:
    lines = [f"ray cluster: {doc['nodes']} live node(s), {doc['cpus']} CPUs, {doc['slots']} "
             f"sandbox slot(s), {doc.get('batches_running', 0)} batch(es) and "
             f"{doc['chunks_running']} chunk(s) running"]
    for n in doc["per_node"]:
        state = "alive" if n["alive"] else "dead"
        lines.append(f"  {n['node_id'][:12]} {n['address']:<15} {state:<5} cpus {n['cpus']} "
                     f"slots {n['slots']} running {n['running']} done {n['sets_done']} "
                     f"({n['sets_per_busy_s']} runs/s busy)")
    return lines
