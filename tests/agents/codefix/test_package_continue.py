"""A file cut off inside the strategy, with a real provider: the package stage asks the
model to continue it (its partial file as the model's own turn, then "continue") and
packages the joined file; the version's note says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.offline import idea_to_spec
from agents.pipeline import Stage
from agents.store import Store
from agents.store.queue import Queue
from tests.helpers import LoopbackLLM, Scripted, anthropic_message, run_once, stage_settings

PACKAGE_ONLY = {"package": Stage("agents.stages.package:handle", ("strategy_id", "version_id"))}

HEAD = '''Here is the strategy:

```python
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import SMA


class Cross(Strategy):
    n1 = 10
    n2 = 30

    def init(self):
        self.fast = self.I(SMA, self.data.Close, self.n1)
        self.slow = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if crossover(self.fast, self.slow):
'''
REST = '''            self.buy()
        elif crossover(self.slow, self.fast):
            self.position.close()
```
'''


def test_a_truncated_file_is_continued_by_the_provider(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with LoopbackLLM() as srv:
        srv.push(Scripted(200, anthropic_message(REST)),
                 Scripted(200, anthropic_message("```python\n# nothing else\n```")))
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", srv.url)
        settings = stage_settings(tmp_path, provider="anthropic",
                                  pipeline="tests.agents.codefix.test_package_continue:PACKAGE_ONLY")
        spec = idea_to_spec("SMA crossover on GOOG", 0).to_dict()
        with Store(settings.db) as store:
            sid, _ = store.add_strategy(None, "Cross", spec)
            vid, _ = store.add_version(sid, HEAD, spec=spec, agent="user")
            Queue(store).enqueue("package", {"strategy_id": sid, "version_id": vid},
                                 idempotency_key="t:package", strategy_id=sid)
        run_once(settings)
        sent = [r.body for r in srv.requests]
    assert sent, "the provider was never asked to continue the file"
    turns = sent[0]["messages"]
    assert turns[-2]["role"] == "assistant" and "def next(self):" in str(turns[-2]["content"])
    assert turns[-1]["role"] == "user"
    with Store(settings.db) as store:
        child = store.one("SELECT code, note FROM strategy_versions WHERE parent_id = ?", (vid,))
    assert child is not None and "the provider continued it" in child["note"]
    compile(child["code"], "packaged.py", "exec")
    assert "self.position.close()" in child["code"] and "self.buy()" in child["code"]
    assert json.dumps(turns).count("crossover(self.fast, self.slow)") >= 1
