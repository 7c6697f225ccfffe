"""Run-time guards for strategy modules executed under RestrictedPython.

RestrictedPython rewrites ``a.b`` into ``_getattr_(a, "b")``, ``a[b] = c`` into
``_write_(a)[b] = c`` and so on; the functions here decide at run time. They refuse
attribute walks into modules outside the allowlist, dunder/frame/I/O attributes, engine
internals, monkeypatching imported classes and writes into the data being scored.
Imports: stdlib, RestrictedPython and the pure-data :mod:`policy` only (runs in the sandbox).
"""

from __future__ import annotations

import builtins
import operator
import string
import types
from typing import Any

from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
)

from executor.validator import policy as P

RUNTIME_DUNDERS = frozenset({"__name__", "__qualname__", "__doc__", "__init__", "__class__",
                             "__version__", "__members__", "__module__"})
# Names refused on any object (the module's own classes excepted), checked before getattr.
_NAMED = frozenset(P.DANGEROUS_MODULES | P.CODE_ATTRS.keys() | P.IO_ATTRS
                   | P.LIBRARY_ENTRY_POINTS.keys())
_FORMAT = ("format", "format_map")
_FORMATTER = string.Formatter()
_UNSAFE_TYPES = (types.ModuleType, types.FrameType, types.CodeType, types.TracebackType)
_FORBIDDEN_OBJECTS = {id(getattr(builtins, n)) for n in (
    "eval", "exec", "compile", "open", "__import__", "globals", "locals", "vars", "input",
    "breakpoint", "memoryview", "getattr", "setattr", "delattr")}
_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
            "/=": operator.itruediv, "//=": operator.ifloordiv, "%=": operator.imod,
            "**=": operator.ipow, "<<=": operator.ilshift, ">>=": operator.irshift,
            "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
            "@=": operator.imatmul}
_SCALARS = (int, float, str)  # an item of these is never a module nor data to protect
# module attributes refused on some modules only (pd.test runs pytest with any arguments;
# backtesting.test is the SMA/GOOG module): never on the fast path's name cache
_TEST_RUNNER_MODULES = frozenset({"pandas", "numpy"})
_MODULE_SPECIFIC = frozenset({"test"})
_BUILTIN_CALL = type(len)  # the type of every object in _FORBIDDEN_OBJECTS
_PROTECT_VIA = frozenset({"df", "loc", "iloc", "at", "iat", "values", "Close", "Open", "High",
                          "Low", "Volume", "index", "array"})


class Guards:
    """The guard functions for one restricted module (they need its name and allowlist)."""

    def __init__(self, module_name: str, allowed_imports: frozenset[str]) -> None:
        self.module_name = module_name
        self.allowed = allowed_imports | P.ALLOWED_SUBMODULES
        self._protected: dict[int, Any] = {}
        self._verdicts: dict[tuple[Any, str], str | None] = {}

    # -- helpers -----------------------------------------------------------------------
    def _own(self, obj: Any) -> bool:
        cls = obj if isinstance(obj, type) else type(obj)
        return getattr(cls, "__module__", None) == self.module_name or isinstance(obj, super)

    def _is_data(self, obj: Any) -> bool:
        name = type(obj).__name__
        return (id(obj) in self._protected or name in ("_Array", "_Data")
                or id(getattr(obj, "obj", None)) in self._protected)

    def _module_ok(self, mod: types.ModuleType) -> bool:
        name = mod.__name__
        return name in self.allowed and not any(p.startswith("_") for p in name.split("."))

    def refuse_cached(self, obj: Any, name: Any) -> str | None:
        """:meth:`refuse` depends only on the object's class (or the class itself) and name."""
        if type(name) is not str:
            return self.refuse(obj, name)
        key = (obj if isinstance(obj, type) else type(obj), name)
        try:
            return self._verdicts[key]
        except (KeyError, TypeError):
            why = self.refuse(obj, name)
            if len(self._verdicts) < 50_000:
                try:
                    self._verdicts[key] = why
                except TypeError:  # an unhashable class
                    pass
            return why

    def refuse(self, obj: Any, name: str) -> str | None:
        """Why ``obj.name`` is refused, or None."""
        if not isinstance(name, str):
            return "attribute names must be strings"
        if name.startswith("__") and name.endswith("__"):
            if name == "__init__" and not self._own(obj):
                return "__init__ of a library object"  # re-initialising Broker/Backtest
            return None if name in RUNTIME_DUNDERS else f"dunder attribute {name!r}"
        if name.startswith("_") and name != "_":
            engine = name in P.ENGINE_PRIVATE or name.startswith(P.ENGINE_PRIVATE_PREFIXES)
            if self._own(obj) and not engine:
                return None
            if name in P.PUBLIC_PRIVATE_ATTRS and not isinstance(obj, types.ModuleType):
                return None
            return f"private attribute {name!r}"
        if name in _NAMED and not self._own(obj):
            return f"attribute {name!r}"
        if name.startswith("to_") and name not in P.TO_IN_MEMORY:
            return f"writer {name!r}"
        if name.startswith(P.READER_PREFIX) and isinstance(obj, types.ModuleType):
            return f"file reader {name!r}"
        return None

    # -- the guards --------------------------------------------------------------------
    def getattr(self, obj: Any, name: str, *default: Any) -> Any:
        if (type(name) is str and name in _MODULE_SPECIFIC and isinstance(obj, types.ModuleType)
                and obj.__name__ in _TEST_RUNNER_MODULES):
            raise AttributeError(f"restricted: {obj.__name__}.{name} (the library's test "
                                 "runner) is not accessible")
        # fast path first: most names are public, not listed, not read_/to_ (bench_restricted)
        if type(name) is not str or name[:1] == "_" or name in _NAMED or name[:3] in (
                "rea", "to_"):
            why = self.refuse_cached(obj, name)
            if why:
                raise AttributeError(f"restricted: {why} is not accessible")
        value = getattr(obj, name, *default)
        if isinstance(value, _UNSAFE_TYPES):
            if not isinstance(value, types.ModuleType):
                raise AttributeError(f"restricted: {name!r} is not accessible")
            if not self._module_ok(value):
                raise AttributeError(f"restricted: module {value.__name__!r} is not accessible")
        elif id(value) in _FORBIDDEN_OBJECTS:
            raise AttributeError(f"restricted: {name!r} is not accessible")
        if name in _PROTECT_VIA and self._is_data(obj):
            self._protected[id(value)] = value
        elif name in _FORMAT and isinstance(obj, str):
            return _checked_format(value, obj)
        elif name in _FORMAT and obj is str:
            return _checked_format(value, None)
        return value

    def fast_getattr(self) -> Any:
        """:meth:`getattr` with a fast path for names already seen to need no special
        handling (public, unlisted, not data/format related): one set lookup, the real
        getattr and the value checks. About a third of the guard's cost per access.

        A value whose exact type was seen to be neither an unsafe type nor a builtin
        function (the forbidden objects' type) needs no value check; the data columns
        (``self.data.Close``: their name needs no verdict, only the protection of what
        they return) skip the name checks."""
        plain: set[str] = set()
        slow, unsafe, forbidden = self.getattr, _UNSAFE_TYPES, _FORBIDDEN_OBJECTS
        special = _PROTECT_VIA | set(_FORMAT) | _MODULE_SPECIFIC
        via = _PROTECT_VIA - _NAMED
        protected, is_data = self._protected, self._is_data
        safe_types: set[type] = set()  # exact types of values seen to need no value check

        pairs: set[tuple[Any, str]] = set()  # (class, name): private names of own classes

        def checked(obj: Any, name: str, value: Any, default: tuple[Any, ...]) -> Any:
            t = type(value)
            if t in safe_types:
                return value
            if isinstance(value, unsafe) or id(value) in forbidden:
                return slow(obj, name, *default)
            if t is not _BUILTIN_CALL and len(safe_types) < 10_000:
                safe_types.add(t)
            return value

        def _getattr_(obj: Any, name: str, *default: Any) -> Any:
            if name in plain or (type(obj), name) in pairs:
                value = getattr(obj, name, *default)
                return value if type(value) in safe_types else checked(obj, name, value, default)
            if type(name) is str and name in via:
                value = checked(obj, name, getattr(obj, name, *default), default)
                if is_data(obj):
                    protected[id(value)] = value
                return value
            value = slow(obj, name, *default)  # raises when refused
            if type(name) is not str or name in special or len(plain) + len(pairs) > 20_000:
                return value
            if name[:1] != "_" and name not in _NAMED and name[:3] not in ("rea", "to_"):
                plain.add(name)
            elif name[:2] != "__" and not isinstance(obj, type):
                pairs.add((type(obj), name))  # cleared for this class: same verdict again
            return value
        return _getattr_

    def getitem(self, obj: Any, key: Any) -> Any:
        value = obj[key]
        if isinstance(value, _SCALARS):  # self.data.Close[-1], self.rsi[-1]: most items
            return value
        if isinstance(value, types.ModuleType) and not self._module_ok(value):
            raise KeyError("restricted: modules are not accessible")
        if self._is_data(obj):
            self._protected[id(value)] = value
        return value

    def write(self, obj: Any) -> Any:
        if isinstance(obj, types.ModuleType):
            raise TypeError("restricted: modules cannot be modified")
        if isinstance(obj, type) and not self._own(obj):
            raise TypeError(f"restricted: class {obj.__name__!r} cannot be modified")
        if self._is_data(obj):
            raise TypeError("restricted: the strategy must not modify the data it is scored on")
        return obj

    def inplacevar(self, op: str, x: Any, y: Any) -> Any:
        if self._is_data(x):
            raise TypeError("restricted: the strategy must not modify the data it is scored on")
        return _INPLACE[op](x, y)

    def setattr(self, obj: Any, name: str, value: Any) -> None:
        why = self.refuse(obj, name)
        if why:
            raise AttributeError(f"restricted: {why} cannot be set")
        setattr(self.write(obj), name, value)

    def delattr(self, obj: Any, name: str) -> None:
        why = self.refuse(obj, name)
        if why:
            raise AttributeError(f"restricted: {why} cannot be deleted")
        delattr(self.write(obj), name)

    def hasattr(self, obj: Any, name: str) -> bool:
        try:
            self.getattr(obj, name)
        except AttributeError:
            return False
        return True

    def import_(self, name: str, globals: Any = None, locals: Any = None,
                fromlist: Any = (), level: int = 0) -> types.ModuleType:
        top = name.split(".")[0]
        ok = level == 0 and (name in self.allowed and top in self.allowed | {"__future__"}
                             or name == "__future__")
        if not ok or any(p.startswith("_") for p in name.split(".") if p != "__future__"):
            raise ImportError(f"restricted: import of {name!r} is not allowed")
        module = builtins.__import__(name, globals, locals, fromlist, level)
        for item in fromlist or ():
            if item != "*" and f"{name}.{item}" not in self.allowed:
                self.getattr(module, item, None)  # raises when refused
        return module

    def builtins(self) -> dict[str, Any]:
        b = dict(safe_builtins)
        for n in ("super", "property", "classmethod", "staticmethod", "object", "type", "list",
                  "dict", "tuple", "set", "frozenset", "enumerate", "zip", "map", "filter",
                  "sum", "min", "max", "sorted", "reversed", "any", "all", "iter", "next",
                  "format", "bytes", "bytearray", "NotImplemented", "StopIteration",
                  "ArithmeticError", "Exception", "print", "dir", "isinstance", "issubclass",
                  "callable", "hash", "ascii", "bin"):
            b[n] = getattr(builtins, n)
        b.update(getattr=self.getattr, setattr=self.setattr, delattr=self.delattr,
                 hasattr=self.hasattr, __import__=self.import_)
        return b

    def namespace(self) -> dict[str, Any]:
        return {
            "__builtins__": self.builtins(), "__name__": self.module_name,
            "__metaclass__": type, "_getattr_": self.fast_getattr(), "_getitem_": self.getitem,
            "_getiter_": iter, "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence, "_write_": self.write,
            "_inplacevar_": self.inplacevar, "_apply_": _apply, "_print_": _Print,
        }


def format_fields(template: str) -> list[str] | None:
    """Every replacement field of a format template, nested format specs included;
    None when the template does not parse (``str.format`` would raise too)."""
    stack, fields, seen = [template], [], 0
    while stack and seen < 1000:
        seen += 1
        try:
            parsed = list(_FORMATTER.parse(stack.pop()))
        except (ValueError, IndexError):
            return None
        for _lit, field, spec, _conv in parsed:
            if field:
                fields.append(field)
            if spec and "{" in spec:
                stack.append(spec)
    return fields


def _unsafe_template(template: Any) -> bool:
    """A format template whose fields walk attributes/items into private names."""
    if not isinstance(template, str):
        return False
    fields = format_fields(template)
    return fields is None or any(
        part.lstrip("[").startswith("_")
        for field in fields for part in field.replace("[", ".[").split(".")[1:])


def _checked_format(method: Any, template: str | None) -> Any:
    """``s.format`` / ``str.format`` that refuses templates reaching private attributes."""
    def call(*args: Any, **kwargs: Any) -> Any:
        text = template if template is not None else (args[0] if args else None)
        if _unsafe_template(text):
            raise AttributeError("restricted: format fields may not reach private attributes")
        return method(*args, **kwargs)
    return call


def _apply(f: Any, *args: Any, **kwargs: Any) -> Any:
    return f(*args, **kwargs)


class _Print:
    """RestrictedPython's ``print`` hook: writes to the real stdout (the harness captures it)."""

    def __init__(self, _getattr_: Any = None) -> None:
        self.parts: list[str] = []

    def _call_print(self, *objects: Any, sep: str | None = " ", end: str | None = "\n",
                    file: Any = None, flush: bool = False) -> None:
        if file is not None:
            raise TypeError("restricted: print(file=...) is not allowed")
        print(*objects, sep=sep, end=end, flush=flush)

    def __call__(self) -> str:
        return ""
