"""What the validator allows and refuses: module allowlist, forbidden names and attributes.

Kept as plain data so the rules are reviewable in one place. Every set here is
consulted by :mod:`executor.validator.checks`; hints say what to write instead.
"""

from __future__ import annotations

DEFAULT_ALLOWED_IMPORTS: frozenset[str] = frozenset(
    {
        "backtesting", "backtesting.lib", "backtesting.test", "backtesting.backtesting",
        "talib", "talib.abstract", "talib.stream",
        "pandas", "numpy", "math", "statistics", "datetime", "typing", "dataclasses",
        "functools", "itertools", "collections", "collections.abc", "enum", "warnings",
        "__future__",
    }
)

# Submodules of allowed top-level packages that may be imported or reached as attributes.
ALLOWED_SUBMODULES: frozenset[str] = frozenset(
    {
        "numpy.random", "numpy.linalg", "numpy.fft", "numpy.ma", "numpy.polynomial",
        "numpy.typing", "numpy.exceptions", "numpy.dtypes", "numpy.char", "numpy.strings",
        "numpy.rec", "numpy.emath", "numpy.lib.stride_tricks.sliding_window_view",
        "numpy.lib.stride_tricks", "numpy.lib.recfunctions", "numpy.lib.scimath",
        "numpy.lib.mixins",
        "pandas.api", "pandas.api.types", "pandas.api.indexers", "pandas.tseries",
        "pandas.tseries.offsets", "pandas.tseries.frequencies", "pandas.errors",
        "pandas.plotting", "pandas.arrays",
        "collections.abc", "talib.abstract", "talib.stream",
        "backtesting.lib", "backtesting.test", "backtesting.backtesting",
    }
)

# Dotted paths under allowed modules that must never be reached (import or attribute chain).
FORBIDDEN_MODULE_PATHS: tuple[str, ...] = (
    "numpy.ctypeslib", "numpy.f2py", "numpy.distutils", "numpy.testing", "numpy.core",
    "numpy._core", "numpy.lib.format", "numpy.lib.npyio", "numpy.lib.utils", "numpy.lib._",
    "numpy.DataSource", "numpy.lib.DataSource", "numpy.lib.stride_tricks.as_strided",
    "pandas.io", "pandas.core.computation", "pandas.compat", "pandas._libs", "pandas._testing",
    "pandas.testing", "pandas.util", "pandas.core.config_init",
    "backtesting._", "backtesting.backtesting._", "backtesting.lib._",
    "talib._", "typing.get_type_hints", "typing.ForwardRef", "typing._",
)

# Builtins that are never allowed, whether called, passed around or rebound.
FORBIDDEN_BUILTINS: dict[str, str] = {
    "eval": "compute the value directly; dynamic code is not allowed",
    "exec": "write the code directly; dynamic code is not allowed",
    "compile": "write the code directly; dynamic code is not allowed",
    "__import__": "use a top-level `import` of an allowed module",
    "globals": "keep state on `self` or in module-level constants",
    "locals": "keep state in local variables or on `self`",
    "breakpoint": "remove debugging hooks",
    "memoryview": "use numpy arrays",
    "__build_class__": "use a `class` statement",
}

# Builtins a file may legitimately reuse as its own local variable names (`open = ...`):
# only their builtin meaning is refused (see scopes.py).
SHADOWABLE_BUILTINS: dict[str, str] = {
    "open": "the harness supplies the data as self.data; write no files",
    "input": "strategies cannot read from the console; use class-level parameters",
    "vars": "access attributes by name: obj.attr",
    "help": "remove interactive helpers",
    "exit": "return from the function or raise an exception",
    "quit": "return from the function or raise an exception",
    "copyright": "remove interactive helpers",
    "credits": "remove interactive helpers",
    "license": "remove interactive helpers",
}

ATTR_BUILTINS: frozenset[str] = frozenset({"getattr", "setattr", "delattr"})

# Dunder names that may be read as plain names.
ALLOWED_DUNDER_NAMES: frozenset[str] = frozenset(
    {"__name__", "__doc__", "__file__", "__slots__", "__all__", "__version__", "__author__",
     "__module__", "__qualname__", "__annotations__"}
)
# Dunder attributes that may be read on any object.
ALLOWED_DUNDER_ATTRS: frozenset[str] = frozenset(
    {"__name__", "__qualname__", "__doc__", "__version__", "__members__"}
)

# Module names: an attribute with one of these names leaves the allowed world, on any object.
DANGEROUS_MODULES: frozenset[str] = frozenset(
    {
        "os", "sys", "subprocess", "builtins", "bltns", "ctypes", "importlib", "socket",
        "shutil", "pickle", "cPickle", "marshal", "pathlib", "threading", "multiprocessing",
        "gc", "inspect", "posix", "nt", "_thread", "runpy", "codeop", "pty", "urllib", "urllib2",
        "http", "requests", "ftplib", "smtplib", "telnetlib", "asyncio", "mmap", "fcntl",
        "zipimport", "pkgutil", "sysconfig", "webbrowser", "tracemalloc", "faulthandler",
        "copyreg", "sqlite3", "dill", "cloudpickle", "joblib", "numexpr", "_io", "_os", "_sys",
        "_ctypes", "_pickle", "_posixsubprocess", "socketserver", "xmlrpc", "traceback", "pdb",
        "bdb", "forkpty", "atexit", "stdlib_re", "weakref", "concurrent",
    }
)
# Names that are also ordinary words (a column called "signal", self.code): refused only
# when reached through a module (np.io, statistics.random, typing.types, ...).
MODULE_CHAIN_ONLY: frozenset[str] = frozenset(
    {
        "io", "signal", "code", "types", "site", "platform", "select", "selectors", "system",
        "environ", "email", "logging", "glob", "mock", "dis", "ast", "imp", "thread", "spawn",
        "kill", "fork", "operator", "re", "contextlib", "copy", "keyword", "numbers", "random",
        "tempfile", "dbm", "shelve", "fnmatch", "linecache", "tokenize", "posixpath", "ntpath",
        "genericpath", "getenv", "putenv", "popen", "execv", "execve", "unittest", "ssl",
        "resource", "zipfile", "tarfile", "nv", "com", "testing", "util", "compat", "core",
        "computation", "npyio", "format", "utils", "introspect", "config_init", "internals",
    }
)
# The allowed libraries' FUNCTIONS whose names are in MODULE_CHAIN_ONLY (np.copy is an
# array copy, not the copy module); tests/executor/validator/test_library_function_names.py
# derives this set from the installed libraries, so a missing or wrong entry fails there.
LIBRARY_FUNCTIONS_NAMED_LIKE_MODULES: frozenset[str] = frozenset(
    {"numpy.copy", "numpy.select", "numpy.random.random", "numpy.ma.copy",
     "backtesting.backtesting.copy", "typing.io", "typing.re"}
)
# Attributes that read/write files, run code or touch memory, on whatever object.
IO_ATTRS: frozenset[str] = frozenset(
    {
        "to_csv", "to_pickle", "to_parquet", "to_feather", "to_hdf", "to_sql", "to_excel",
        "to_json", "to_html", "to_latex", "to_markdown", "to_clipboard", "to_stata", "to_orc",
        "to_xml", "to_gbq",
        "load", "save", "savez", "savez_compressed", "fromfile", "tofile", "memmap",
        "open_memmap", "loadtxt", "savetxt", "genfromtxt", "fromregex", "dump", "dumps",
        "loads", "read_array", "write_array", "DataSource", "HDFStore", "ExcelWriter",
        "ExcelFile",
    }
)
CODE_ATTRS: dict[str, str] = {
    "eval": "compute the column with ordinary pandas/numpy expressions",
    "query": "filter with a boolean mask: df[df['Close'] > x]",
    "ctypes": "use numpy arrays directly",
    "ctypeslib": "use numpy arrays directly",
    "f2py": "use numpy",
    "distutils": "not needed in a strategy",
    "as_strided": "use numpy.lib.stride_tricks.sliding_window_view",
    "currentframe": "frame introspection is not allowed",
    "patch": "do not patch library code",
    "SharedMemoryManager": "not needed in a strategy",
    "MultiBacktest": "run one Backtest; the harness runs parameter batches",
    "get_type_hints": "annotations are not evaluated in strategies",
    "ForwardRef": "annotations are not evaluated in strategies",
    "mro": "class introspection is not allowed",
    "with_traceback": "raise exceptions normally",
    # frame / code / generator internals
    "f_back": "frame walks are not allowed", "f_globals": "frame walks are not allowed",
    "f_locals": "frame walks are not allowed", "f_builtins": "frame walks are not allowed",
    "f_code": "frame walks are not allowed", "f_trace": "frame walks are not allowed",
    "f_lasti": "frame walks are not allowed", "gi_frame": "frame walks are not allowed",
    "gi_code": "frame walks are not allowed", "gi_yieldfrom": "frame walks are not allowed",
    "cr_frame": "frame walks are not allowed", "cr_code": "frame walks are not allowed",
    "ag_frame": "frame walks are not allowed", "ag_code": "frame walks are not allowed",
    "tb_frame": "frame walks are not allowed", "tb_next": "frame walks are not allowed",
    "co_code": "code objects are not allowed", "co_consts": "code objects are not allowed",
    "co_names": "code objects are not allowed", "func_globals": "frame walks are not allowed",
    "func_code": "code objects are not allowed", "im_func": "not allowed",
}
# Library entry points to code execution, files, imports or class patching, refused on
# any object (the strategy's own methods of the same name stay allowed on self).
LIBRARY_ENTRY_POINTS: dict[str, str] = {
    "import_optional_dependency": "import only allowed modules at the top of the file",
    "get_handle": "strategies read no files; use self.data",
    "style": "format numbers with f-strings; Styler templates run jinja2",
    "measure": "time nothing inside a strategy", "add_newdoc": "library docs are read-only",
    "add_docstring": "library docs are read-only", "add_newdoc_ufunc": "library docs are read-only",
    "pyarrow": "use pandas/numpy directly", "load_library": "use numpy arrays directly",
    "register_dataframe_accessor": "write a helper function instead of patching pandas",
    "register_series_accessor": "write a helper function instead of patching pandas",
    "register_index_accessor": "write a helper function instead of patching pandas",
    "register_extension_dtype": "write a helper function instead of patching pandas",
    "show_versions": "not needed in a strategy", "show_config": "not needed in a strategy",
    "set_bokeh_output": "the harness renders plots", "import_module": "use a top-level import",
}
# ``to_*`` conversions that stay in memory; every other ``to_*`` name writes somewhere.
TO_IN_MEMORY: frozenset[str] = frozenset(
    {"to_numpy", "to_list", "to_dict", "to_frame", "to_series", "to_period", "to_timestamp",
     "to_datetime", "to_timedelta", "to_numeric", "to_offset", "to_pydatetime", "to_records",
     "to_flat_index", "to_string", "to_julian_date", "to_datetime64", "to_pytimedelta",
     "to_dense", "to_tuples"}
)
# Keyword arguments that name a file or a writable buffer.
FILE_KWARGS: frozenset[str] = frozenset(
    {"buf", "path_or_buf", "path", "filepath_or_buffer", "file", "fname", "filename",
     "output", "excel_writer", "path_or_buffer", "fh"})
# pandas option prefixes a strategy may set (others select engines/backends to import).
SAFE_OPTION_PREFIXES: tuple[str, ...] = ("display.", "mode.", "future.")
READER_PREFIX = "read_"
SCRIPT_READERS: frozenset[str] = frozenset({"read_csv", "read_parquet"})

# Private engine internals: never read or written, even on self.
ENGINE_PRIVATE: frozenset[str] = frozenset(
    {
        "_broker", "_data", "_params", "_indicators", "_results", "_strategy", "_equity",
        "_trades", "_orders", "_position", "_stats", "_i", "_cash", "_leverage", "_hedging",
        "_exclusive_orders", "_trade_on_close", "_spread", "_commission", "_copy",
        "_FULL_EQUITY", "_process_orders", "_open_trade", "_close_trade", "_reduce_trade",
        "_adjusted_price", "_check_params", "_commission_func", "_finalize_trades",
        "_trades_cache_clear", "_mp_task", "_sl_order", "_tp_order", "_position_size",
        "_position_unrealized_pl", "_position_initial_value", "_closed_trades",
        "_commission_fixed", "_commission_relative", "_commissions", "_margin",
        "_mp_task_run", "_bt_kwargs", "_dfs", "_fractional_unit", "_Array", "_Data",
        "_Indicator", "_Broker", "_Backtest", "_abc_impl",
    }
)
ENGINE_PRIVATE_PREFIXES: tuple[str, ...] = (
    "_Strategy__", "_Data__", "_Array__", "_Broker__", "_Backtest__", "_Trade__", "_Order__",
    "_Position__", "_SignalStrategy__", "_TrailingStrategy__", "_Indicator__",
)
# Private names that are public conventions on objects the strategy does not own.
PUBLIC_PRIVATE_ATTRS: frozenset[str] = frozenset(
    {"_trades", "_equity_curve", "_strategy", "_asdict", "_fields", "_make",
     "_field_defaults", "_append", "_value_", "_name_"}
)

# Method names through which pandas resolves a *string* argument to an attribute.
STRING_DISPATCH_METHODS: frozenset[str] = frozenset(
    {"apply", "agg", "aggregate", "transform", "pipe", "map", "applymap", "resample",
     "rolling", "expanding", "ewm", "groupby", "attrgetter", "methodcaller", "hasattr"}
)

# Strategy base classes that count as "a Strategy subclass".
STRATEGY_BASES: frozenset[str] = frozenset({"Strategy", "SignalStrategy", "TrailingStrategy"})

# In-place mutators: called on self.data... they change the data the strategy is scored on.
INPLACE_METHODS: frozenset[str] = frozenset(
    {"fill", "put", "itemset", "setflags", "resize", "sort", "partition", "__setitem__",
     "update", "clip_", "fillna_", "setfield", "byteswap"}
)
NP_OUT_FUNCS: frozenset[str] = frozenset({"copyto", "put", "place", "putmask", "put_along_axis"})
