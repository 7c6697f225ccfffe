"""Read-only web dashboard and Prometheus metrics over the results database.

    python -m agents.rbi dashboard [--host 127.0.0.1] [--port 8000] [--db PATH]
"""

from agents.dashboard.app import Dashboard, Response
from agents.dashboard.metrics import render_metrics
from agents.dashboard.server import DashboardServer, make_server

__all__ = ["Dashboard", "DashboardServer", "Response", "make_server", "render_metrics"]
