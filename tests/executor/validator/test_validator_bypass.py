"""Generic validator bypasses (issue 16): each attack passed the name-chain validator.

Every attack here is refused by construction: a module may only be the left side of
``mod.attr``; names hold data or library classes through ANY binding form; match
patterns, annotations and ``.format`` are judged wherever they appear. Each benign
twin below must keep validating, so the rules cannot be "refuse everything".
"""

from __future__ import annotations

import pytest

from executor.validator import validate

HEAD = ("import numpy as np\nimport pandas as pd\nimport talib\n"
        "from backtesting import Strategy, Backtest\n")

# name -> (code, a rule that must be among the violations)
ATTACKS: dict[str, tuple[str, str]] = {
    # a module reached through something other than a bare name
    "module_in_list": ("[np][0].testing.assert_equal(1, 1)\n", "module-value"),
    "module_call_result": ("def mods():\n    return pd\nh = mods().io\n", "module-value"),
    "module_parameter": ("def walk(m):\n    return m.core.multiarray\nwalk(np)\n",
                         "module-value"),
    "module_loop_var": ("for m in (pd,):\n    m.util.hash_array\n", "module-value"),
    "module_walrus": ("(lib := np).lib\nlib.npyio\n", "module-value"),
    "module_boolop": ("(pd and pd).compat.os\n", "module-value"),
    "module_lambda": ("grab = (lambda m: m.testing)(np)\n", "module-value"),
    "module_comprehension": ("hs = {m.io for m in [pd, pd]}\n", "module-value"),
    "module_ifexp": ("(np if True else pd).core\n", "module-value"),
    "module_default_arg": ("def f(m=np):\n    return m.ctypeslib_x\n", "module-value"),
    "star_import_module": ("from numpy import *\nm = lib\nm.npyio\n", "module-value"),
    "submodule_alias": ("lib = np.lib\nlib.npyio\n", "module-value"),
    # match / case reads attributes
    "match_dunder_pattern": ("def f(fn):\n    match fn:\n        case object(__globals__=g):\n"
                             "            return g\n", "dunder-access"),
    "match_engine_pattern": ("class S(Strategy):\n    def next(self):\n        match self:\n"
                             "            case Strategy(_broker=b):\n                print(b)\n",
                             "private-engine"),
    # private / re-init
    "namedtuple_replace": ("def forge(t):\n    return t._replace(pl=1e9)\n", "private-attribute"),
    "reinit_library_class": ("class S(Strategy):\n    def next(self):\n"
                             "        Backtest.__init__(self, None, None)\n", "dunder-access"),
    # stores into library classes through any binding
    "patch_alias": ("Ser = pd.Series\nSer.bfill = lambda *a, **k: None\n", "monkeypatch"),
    "patch_loop": ("for klass in [pd.Series, pd.DataFrame]:\n    klass.bfill = len\n",
                   "monkeypatch"),
    "patch_returned": ("def k():\n    return pd.Series\nk().bfill = len\n", "monkeypatch"),
    "patch_parameter": ("def patch(c):\n    c.bfill = len\nlist(map(patch, [pd.Series]))\n",
                        "monkeypatch"),
    "patch_type_alias": ("t = type(pd.Series([1.0]))\nt.bfill = len\n", "monkeypatch"),
    "patch_walrus": ("(s := Strategy).buy = len\n", "monkeypatch"),
    "patch_via_self_attr": ("class S(Strategy):\n    def init(self):\n"
                            "        self.k = pd.Series\n    def next(self):\n"
                            "        self.k.bfill = len\n", "monkeypatch"),
    "patch_via_dict": ("reg = {}\nreg['s'] = pd.Series\nreg['s'].bfill = len\n",
                       "monkeypatch"),
    "patch_via_append": ("ks = []\nks.append(Backtest)\nks[0].run = len\n", "monkeypatch"),
    # data views through any binding
    "data_walrus": ("class S(Strategy):\n    def next(self):\n"
                    "        (c := self.data.Close)[:] = 0\n", "data-tamper"),
    "data_asarray": ("class S(Strategy):\n    def next(self):\n"
                     "        np.asarray(self.data.Close)[-1] *= 2\n", "data-tamper"),
    "data_helper_param": ("def bump(a):\n    a[-1] = a[-1] * 2\nclass S(Strategy):\n"
                          "    def next(self):\n        bump(self.data.Close)\n", "data-tamper"),
    "data_for_loop": ("class S(Strategy):\n    def next(self):\n"
                      "        for col in (self.data.Close, self.data.Open):\n"
                      "            col[-1] = 0\n", "data-tamper"),
    "data_self_attr": ("class S(Strategy):\n    def init(self):\n"
                       "        self.c = self.data.Close\n    def next(self):\n"
                       "        self.c[-1] = 0\n", "data-tamper"),
    "data_self_alias": ("class S(Strategy):\n    def next(self):\n        me = self\n"
                        "        me.data.Close[-1] = 0\n", "data-tamper"),
    "data_strategy_param": ("def hack(strat):\n    strat.data.Close[-1] = 0\n"
                            "class S(Strategy):\n    def next(self):\n        hack(self)\n",
                            "data-tamper"),
    "data_unbound_method": ("class S(Strategy):\n    def next(self):\n"
                            "        np.ndarray.fill(self.data.Close, 0)\n", "data-tamper"),
    "data_ufunc_out_positional": ("class S(Strategy):\n    def next(self):\n"
                                  "        np.multiply(self.data.Close, 2, self.data.Close)\n",
                                  "data-tamper"),
    "data_ufunc_imported_name": ("from numpy import subtract\nclass S(Strategy):\n"
                                 "    def next(self):\n"
                                 "        subtract(self.data.Low, 1, self.data.Low)\n",
                                 "data-tamper"),
    # annotations evaluated later (singledispatch, get_type_hints)
    "annotation_fstring": ("def f(x: f\"np.{'testing'}\"):\n    pass\n", "annotation"),
    "annotation_concat": ("def f(x: 'np.' + 'testing'):\n    pass\n", "annotation"),
    "annotation_nested_string": ("def f(x: \"list['np.testing']\"):\n    pass\n",
                                 "forbidden-attribute"),
    "annotation_alias": ("Hint = 'np.' 'testing'\ndef f(x: Hint):\n    pass\n",
                         "forbidden-attribute"),
    "annotation_alias_built": ("Hint = 'np.' + 'testing'\ndef f(x: Hint):\n    pass\n",
                               "annotation"),
    # unpacked arguments hide the attribute name
    "setattr_starred": ("setattr(*(pd.Series, 'bfill', len))\n", "dynamic-attribute"),
    "getattr_starred": ("def f(fn):\n    return getattr(*(fn, '__globals__'))\n",
                        "dynamic-attribute"),
    "option_setter_alias": ("so = pd.set_option\nso('plotting.backend', 'this')\n",
                            "forbidden-call"),
    "option_setter_keyword": ("pd.set_option(pat='plotting.backend', value='x')\n",
                              "forbidden-call"),
    # format templates
    "format_bound_method": ("render = '{0.x}'.format\n", "format-attribute"),
    "format_getattr": ("getattr(str, 'format')('{0}', 1)\n", "format-attribute"),
    "format_augmented": ("t = '{0'\nt += '.__globals__}'\nt.format(len)\n", "format-attribute"),
    "format_shadowed_param": ("tpl = '{0}'\ndef show(tpl, o):\n    return tpl.format(o)\n",
                              "format-attribute"),
    "format_map_by_name": ("pd.Series(['{0}']).apply('format_map')\n", "format-attribute"),
    # library entry points to code, files and imports
    "styler_jinja": ("env = pd.DataFrame().style.env\n", "forbidden-attribute"),
    "to_string_buf": ("pd.DataFrame().to_string(buf='/tmp/x.txt')\n", "io-call"),
    "to_string_positional": ("pd.DataFrame().to_string('/tmp/x.txt')\n", "io-call"),
    "info_buf": ("pd.DataFrame().info(buf=None)\n", "io-call"),
    "to_unlisted_converter": ("pd.DataFrame().to_xarray()\n", "io-call"),
    "add_newdoc": ("np.lib.add_newdoc('numpy', 'mean', 'x')\n", "forbidden-attribute"),
    "plotting_backend_option": ("pd.set_option('plotting.backend', 'antigravity')\n",
                                "forbidden-call"),
    "plotting_backend_store": ("pd.options.plotting.backend = 'this'\n", "monkeypatch"),
    "plot_backend_import": ("pd.Series([1.0]).plot(backend='antigravity')\n", "forbidden-call"),
    "series_accessor": ("pd.api.extensions.register_series_accessor('bfill')\n",
                        "forbidden-attribute"),
    "heatmap_file": ("from backtesting.lib import plot_heatmaps\n"
                     "plot_heatmaps(None, filename='/tmp/x.html')\n", "io-call"),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_bypass_refused(name: str) -> None:
    code, rule = ATTACKS[name]
    found = validate(HEAD + code, require_strategy=False)
    assert rule in {v.rule for v in found}, (name, found)
    assert all(v.hint and v.message for v in found)


BENIGN: dict[str, str] = {
    "indicator_function_value": "class S(Strategy):\n    def init(self):\n"
                                "        self.r = self.I(talib.RSI, self.data.Close, 14)\n",
    "module_calls": "rng = np.random.default_rng(0)\nx = np.random.rand(3)\n",
    "local_frame_columns": "def f(df):\n    df = df.copy()\n    df.columns = ['a']\n"
                           "    return df\n",
    "list_with_library_constants": "class S(Strategy):\n    def init(self):\n"
                                   "        self.stops = []\n    def next(self):\n"
                                   "        self.stops.append(np.nan)\n"
                                   "        self.stops[-1] = self.data.Close[-1]\n",
    "data_passed_to_math": "class S(Strategy):\n    def next(self):\n"
                           "        m = np.where(self.data.Close > 1, self.data.Close, 0)\n"
                           "        m[-1] = 0\n        s = np.sort(self.data.Close)\n"
                           "        s[0] = 1\n",
    "method_instance_named_s": "class S(Strategy):\n    def next(s):\n        s.count = 1\n",
    "copied_data": "class S(Strategy):\n    def next(self):\n"
                   "        c = np.array(self.data.Close)\n        c[-1] = 0\n",
    "format_literal": "s = '{:.2f} {}'.format(1.0, 'x')\nt = str.format('{0}', 2)\n",
    "plain_annotations": "def f(x: int | None, y: 'pd.Series', z: list[float] = None) -> "
                         "dict[str, float]:\n    return {}\n",
    "own_match_pattern": "class P:\n    __slots__ = ('x',)\n\ndef f(p):\n    match p:\n"
                         "        case P(x=1):\n            return 1\n",
    "display_option": "pd.set_option('display.width', 120)\npd.options.display.max_rows = 5\n",
    "to_in_memory": "a = pd.Series([1]).to_numpy()\nb = pd.DataFrame().to_dict()\n"
                    "s = pd.DataFrame().to_string()\n",
    "own_init": "class S(Strategy):\n    def __init__(self, *a):\n        super().__init__(*a)\n"
                "class T(S):\n    def __init__(self, *a):\n        S.__init__(self, *a)\n",
}


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_benign_twin_passes(name: str) -> None:
    assert validate(HEAD + BENIGN[name], require_strategy=False) == []


def test_alias_chains_are_followed_to_the_end_or_refused() -> None:
    """The flow analysis is incremental: a 40-long alias chain is followed in either order;
    a chain longer than it follows (MAX_PASSES) is refused (too-deep), never let through."""
    from executor.validator.flow import MAX_PASSES

    for n in (40, MAX_PASSES + 5):
        chain = [f"a{i + 1} = a{i}" for i in range(1, n + 1)]
        for lines in (chain, chain[::-1]):
            code = "\n".join(["a1 = pd.Series", *lines, f"a{n + 1}.bfill = len"]) + "\n"
            found = {v.rule for v in validate(HEAD + code, require_strategy=False)}
            if n == 40:
                assert "monkeypatch" in found, found
            else:
                assert found & {"monkeypatch", "too-deep"}, found


def test_module_questions_read_any_installed_library_without_importing_it() -> None:
    """An extra allowed library works like the built-in ones: its functions are values,
    its modules are not; nothing named by the file is imported to find out."""
    import sys

    from executor.validator import DEFAULT_ALLOWED_IMPORTS

    allowed = [*DEFAULT_ALLOWED_IMPORTS, "colorsys", "email"]
    ok = "import colorsys\nconvert = colorsys.rgb_to_hsv\nprint(convert(1, 0, 0))\n"
    assert validate(ok, require_strategy=False, allowed_imports=allowed) == []
    bad = "import email\nparsers = [email.parser]\n"
    found = validate(bad, require_strategy=False, allowed_imports=allowed)
    assert "module-value" in {v.rule for v in found}
    assert "antigravity" not in sys.modules
    validate("import antigravity\nx = [antigravity]\n", require_strategy=False)
    assert "antigravity" not in sys.modules
