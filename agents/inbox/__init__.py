"""Everything that enters the lab: idea texts, idea files in the watched folder and
bring-your-own backtesting.py scripts. :mod:`agents.inbox.intake` is the one API
(``submit_idea``, ``submit_code``, ``submit_item``, ``submit_configured``, ``scan``);
:mod:`agents.inbox.watcher` the folder's rules, :mod:`agents.inbox.byo` what a script is.
"""

from __future__ import annotations

from agents.inbox.config import InboxConfig
from agents.inbox.intake import (
    pending_files,
    scan,
    submit_code,
    submit_configured,
    submit_idea,
    submit_item,
    submit_script,
)
from agents.inbox.watcher import Inbox, Taken

__all__ = ["Inbox", "InboxConfig", "Taken", "pending_files", "scan", "submit_code",
           "submit_configured", "submit_idea", "submit_item", "submit_script"]
