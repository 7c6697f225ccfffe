"""The offline research engine: a seeded grammar of strategy building blocks.

    idea_to_spec(text, seed) -> StrategySpec
    spec_to_code(spec) -> str                      # backtesting.py source
    mutate(spec, op, seed) -> StrategySpec         # ops: list_mutations()

Deterministic: same inputs + seed -> same output, byte for byte. No network.
"""

from agents.offline.codegen import spec_to_code
from agents.offline.idea import idea_blueprint, idea_hash, idea_to_spec
from agents.offline.mutate import list_mutations, mutate

__all__ = ["idea_blueprint", "idea_hash", "idea_to_spec", "list_mutations", "mutate",
           "spec_to_code"]
