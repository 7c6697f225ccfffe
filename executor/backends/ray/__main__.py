"""``python -m executor.backends.ray status``: the Ray cluster the ray backend uses."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from executor.errors import RbiError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m executor.backends.ray",
        description="Show the Ray cluster that `--backend ray` runs on: live nodes, CPUs, "
                    "each loop's node actors (slots, chunks running, runs done, throughput).",
        epilog="Ray's ports are unauthenticated: keep the head on a private network "
               "(docs/CLUSTER.md).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    st = sub.add_parser("status", help="nodes, slots, chunks running, per-node throughput",
                        description="Join the cluster and print its state.")
    st.add_argument("--address", help="head host:port (default RBI_RAY_ADDRESS; unset: none "
                                      "running here is an error, not a new instance)")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    import os

    from executor.backends.ray.status import cluster_status, format_status

    address = args.address or os.environ.get("RBI_RAY_ADDRESS") or "auto"
    try:
        doc = cluster_status(address)
    except RbiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print("\n".join(format_status(doc)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
