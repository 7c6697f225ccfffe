"""The loop's stages: one handler per event type (``handle(ctx, payload) -> None``).

    research -> backtest -> package -> validate -> execute -> review -> promote -> paper
                               debug <-(rejected / failed / degenerate)
                               optimise <-(needs work)  -> validate (child version)

``PIPELINE`` maps every event type to its handler and the payload keys it needs;
it is the ``pipeline`` setting's default (``RBI_PIPELINE=agents.stages:PIPELINE``).
"""

from __future__ import annotations

from agents.pipeline import Stage

__all__ = ["PIPELINE"]

_V = ("strategy_id", "version_id")

PIPELINE: dict[str, str | Stage] = {
    "research": Stage("agents.stages.research:handle", ("idea_id",)),
    "backtest": Stage("agents.stages.backtest:handle", ("strategy_id",)),
    "package": Stage("agents.stages.package:handle", _V),
    "validate": Stage("agents.stages.execution:handle_validate", _V),
    "execute": Stage("agents.stages.execution:handle_execute", _V),
    "debug": Stage("agents.stages.debug:handle", (*_V, "problem")),
    "review": Stage("agents.stages.review:handle", _V),
    "optimise": Stage("agents.stages.optimise:handle", _V),
    "promote": Stage("agents.stages.promote:handle", _V),
    "paper": Stage("agents.stages.paper:handle", _V),
}
