"""Code/JSON extraction from LLM replies, prompt files, retry-after parsing, prices."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agents.errors import ConfigError
from agents.llm import (
    ExtractError,
    PriceTable,
    extract_code,
    extract_json,
    get_provider,
    list_prompts,
    load_prompt,
    parse_retry_after,
)
from agents.llm.prompts import parse_prompt

CLASS = "class A(Strategy):\n    n = 3\n\n    def next(self):\n        pass\n"


def test_single_fenced_block_with_prose() -> None:
    got = extract_code(f"Here it is:\n```python\nimport talib\n{CLASS}```\nEnjoy.")
    assert got.code == f"import talib\n{CLASS}" and got.blocks == 1 and not got.truncated


def test_choose_the_strategy_block_among_examples() -> None:
    text = ("Install first:\n```bash\npip install talib\n```\nA helper example:\n"
            "```python\nprint('x')\n```\nThe file:\n```python\nimport talib\n"
            f"{CLASS}```\n")
    got = extract_code(text)
    assert got.code.startswith("import talib") and "print('x')" not in got.code


def test_unclosed_fence_means_truncated() -> None:
    got = extract_code("Sure:\n```python\nimport talib\nclass A(Strategy):\n    def next(se")
    assert got.truncated and "class A" in got.code


def test_bare_code_with_prose_after() -> None:
    got = extract_code(f"Sure, here you go.\nimport talib\n{CLASS}\nThis buys dips.\n")
    assert got.blocks == 0 and got.code == f"import talib\n{CLASS}"
    compile(got.code, "<x>", "exec")


def test_no_code_at_all() -> None:
    assert extract_code("I cannot help with that.").empty


def test_extract_json_variants() -> None:
    assert extract_json('```json\n{"a": 1}\n```') == {"a": 1}
    assert extract_json('Result: {"verdict": "kill", "x": [1]} done') == {"verdict": "kill",
                                                                         "x": [1]}
    assert extract_json('```\n{"b": 2}\n```') == {"b": 2}
    with pytest.raises(ExtractError):
        extract_json("no json here {oops")


def test_prompt_files_have_versions_and_render() -> None:
    names = list_prompts()
    assert {"research", "backtest", "package", "debug", "optimise", "review"} <= set(names)
    for name in names:
        p = load_prompt(name)
        assert p.version.startswith(f"{name}-v") and p.system and p.fields
    text = load_prompt("research").render(idea="RSI $5 {x}", knowledge="none")
    assert "RSI $5 {x}" in text
    assert "self.I" in load_prompt("backtest").system and "optimize()" in load_prompt(
        "backtest").system
    with pytest.raises(ConfigError, match="needs field"):
        load_prompt("research").render(idea="x")
    with pytest.raises(ConfigError, match="version"):
        parse_prompt("bad", "no header\n<!-- user -->\nx")
    with pytest.raises(ConfigError, match="known prompts"):
        load_prompt("nope")


def test_parse_retry_after() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0 and parse_retry_after("0.5") == 0.5
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:10 GMT", now=now) == 10.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_prices_prefix_match_and_unknown(caplog: pytest.LogCaptureFixture) -> None:
    table = PriceTable({"my-local-model": (1.0, 2.0)})
    assert table.cost("claude-sonnet-4-5-20250929", 10**6, 10**6) == 18.0
    assert table.cost("gpt-4.1-mini-2025", 10**6, 0) == 0.4
    assert table.cost("my-local-model", 10**6, 10**6) == 3.0
    assert table.cost("mystery", 10**6, 10**6) == 0.0
    table.cost("mystery", 1, 1)
    assert sum("mystery" in r.message for r in caplog.records) == 1


def test_registry_errors_and_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="unknown LLM provider"):
        get_provider("gemini")
    for var in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    assert get_provider("auto").name == "offline"


# A real Python 3.11 traceback: its ``~~~^^^`` marker lines start with three tildes.
TRACEBACK_311 = '''Traceback (most recent call last):
  File "/tmp/strategy.py", line 14, in next
    if self.data.Close[-1] > sma.rolling(20).mean()[-1]:
                             ~~~~~~~~~~~~~~~~~~~~~~^^^^
  File "/usr/lib/python3.11/site-packages/pandas/core/series.py", line 1040, in __getitem__
    return self._get_value(key)
           ^^^^^^^^^^^^^^^^^^^^
  File "/tmp/strategy.py", line 9, in init
    x = d["Close"][n]
        ~^^^^^^^^^
KeyError: -1'''


def test_traceback_markers_are_not_tilde_fences() -> None:
    from agents.llm.extract import fenced_blocks

    reply = f"The fix:\n```python\nimport talib\n{CLASS}```\n\nIt failed with:\n{TRACEBACK_311}\n"
    blocks = fenced_blocks(reply)
    assert [b.code for b in blocks] == [f"import talib\n{CLASS}"]
    got = extract_code(reply)
    assert got.code == f"import talib\n{CLASS}" and not got.truncated
    # real fences with an info string still open blocks
    assert fenced_blocks("~~~ python title=x\nx = 1\n~~~\n")[0].lang == "python"


def test_offline_debug_with_a_311_traceback_returns_the_module_not_the_traceback() -> None:
    code = f"import talib\n{CLASS}"
    debug = load_prompt("debug").messages(spec_json="{}", code=code.rstrip("\n"),
                                          error_class="runtime", error=TRACEBACK_311)
    reply = get_provider("offline").complete(debug, purpose="debug").text
    fixed = extract_code(reply).code
    assert "Traceback" not in fixed and "KeyError" not in fixed
    assert fixed == code
