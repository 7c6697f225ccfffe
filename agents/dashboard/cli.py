"""``python -m agents.rbi dashboard``: serve the dashboard until Ctrl-C / SIGTERM."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from agents.dashboard.app import Dashboard
from agents.dashboard.logs import event_logger, log_event
from agents.dashboard.server import make_server
from agents.errors import ConfigError

if TYPE_CHECKING:
    from agents.settings import Settings

__all__ = ["cmd_dashboard"]


def cmd_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    fmt = "json" if getattr(args, "json", False) else settings.log_format
    log = event_logger(fmt)
    app = Dashboard(settings.db, results_dir=settings.results_dir,
                    token_budget=settings.daily_token_budget,
                    cost_budget=settings.daily_cost_budget,
                    refresh_seconds=getattr(args, "refresh", None) or 3.0)
    try:
        server = make_server(app, args.host, args.port, log=log)
    except OSError as e:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {e.strerror}") from e
    doc: dict[str, Any] = {"url": server.url, "db": str(app.db.path), "read_only": True,
           "db_exists": app.db.exists(), "metrics": server.url + "/metrics"}
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(doc) + "\n")
    else:
        note = "" if doc["db_exists"] else " (not there yet: pages say so until it is)"
        print(f"rbi dashboard on {server.url}  database {doc['db']}{note}, read-only; "
              "Ctrl-C stops", flush=True)
    sys.stdout.flush()
    log_event(log, "dashboard_started", **doc)

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        log_event(log, "dashboard_stopped", url=doc["url"])
    return 0
