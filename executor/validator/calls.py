"""Call rules: attribute builtins, format calls, file and option arguments, plots and
calls that write into the scored data."""

from __future__ import annotations

import ast

from executor.validator import policy as P
from executor.validator.attrs import module_path
from executor.validator.base import RuleBase
from executor.validator.modules import canonical_path, is_class_path, ufunc_inputs
from executor.validator.strings import dynamic_string, format_receiver_ok

FORMAT_NAMES = ("format", "format_map")
PLOTTERS = ("plot", "plot_heatmaps")
OPTION_SETTERS = ("set_option", "option_context")


class CallRules(RuleBase):
    # -- calls ---------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in P.ATTR_BUILTINS:
            self.attr_builtin(node, func.id)
            return
        if isinstance(func, ast.Name):
            self.file_kwargs(node, func.id)
            if self.ufunc_out(node, func):
                self.add(node, "data-tamper", "a ufunc writes its result into the data",
                         "let the ufunc return a new array: y = np.add(a, b)")
            if func.id in PLOTTERS:
                self.plot_target(node)
        if not isinstance(func, ast.Attribute):
            return
        name = func.attr
        self.file_kwargs(node, name)
        if name in P.STRING_DISPATCH_METHODS:
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                for lit in ([arg] if not isinstance(arg, (ast.List, ast.Tuple, ast.Dict))
                            else [*getattr(arg, "elts", []), *getattr(arg, "values", [])]):
                    if isinstance(lit, ast.Constant) and isinstance(lit.value, str):
                        self.attr(lit, lit.value, None)
                        if lit.value in FORMAT_NAMES:
                            self.add(lit, "format-attribute", f"{lit.value!r} passed by name",
                                     "use an f-string with plain expressions")
                    elif lit is not None and dynamic_string(lit):
                        self.add(lit, "dynamic-attribute",
                                 f"a string built at run time is passed to .{name}()",
                                 "pass a function or a literal method name")
        if name in PLOTTERS:
            self.plot_target(node)
        if self.mutates_data(node, func):
            self.add(node, "data-tamper", "in-place change of the data the strategy is scored on",
                     "copy first: arr = self.data.Close.copy(); df = self.data.df.copy()")

    def format_call_ok(self, node: ast.Attribute, parent: ast.AST | None) -> bool:
        """``"lit".format(...)`` / ``str.format("lit", ...)``: the template is known."""
        if not (isinstance(parent, ast.Call) and parent.func is node):
            return False
        recv = node.value
        if isinstance(recv, ast.Name) and recv.id == "str" and recv.id not in self.f.bound:
            if not parent.args or isinstance(parent.args[0], ast.Starred):
                return False
            recv = parent.args[0]
        return format_receiver_ok(recv, self.f.str_values)

    def file_kwargs(self, node: ast.Call, name: str) -> None:
        """Keyword arguments naming a file or buffer; ``pd.set_option`` of engine options."""
        for k in node.keywords:
            if k.arg in P.FILE_KWARGS and not (name in PLOTTERS and k.arg == "filename"):
                self.add(k.value, "io-call", f"{name}({k.arg}=...) writes or reads a file",
                         "keep results in memory; the harness records stats and plots")
        for k in node.keywords:
            if k.arg == "backend" and not (isinstance(k.value, ast.Constant)
                                           and k.value.value in (None, "matplotlib")):
                self.add(k.value, "forbidden-call", f"{name}(backend=...) imports a module by "
                         "name", "leave the plotting backend at its default")
        if name == "to_string" and node.args:
            self.add(node, "io-call", "to_string(buf) writes to a file or buffer",
                     "call to_string() without arguments and print the result")
        if name in OPTION_SETTERS:
            keys = node.args[0::2] or [node]
            if node.keywords:
                keys.append(node)
            for key in keys:
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)
                        and key.value.startswith(P.SAFE_OPTION_PREFIXES)):
                    self.add(key, "forbidden-call", "only display.*/mode.*/future.* pandas "
                             "options may be set", "write pd.set_option('display.width', 120)")

    def plot_target(self, node: ast.Call) -> None:
        """``bt.plot(filename=...)`` writes a file: only a plain relative name is accepted."""
        for k in node.keywords:
            if k.arg != "filename":
                continue
            v = k.value
            ok = (isinstance(v, ast.Constant) and (v.value is None or isinstance(v.value, str)
                  and not v.value.startswith(("/", "~", "\\")) and ".." not in v.value
                  and ":" not in v.value))
            if not ok:
                self.add(k.value, "io-call", "plot() writes outside the working directory",
                         "call bt.plot() without filename, or with a plain name like 'plot.html'")

    def mutates_data(self, node: ast.Call, func: ast.Attribute) -> bool:
        assert self.f.data is not None
        holds = self.f.data.holds
        if func.attr in P.INPLACE_METHODS and holds(func.value):
            return True
        for k in node.keywords:
            if k.arg == "inplace" and holds(func.value):
                return True
            if k.arg == "out" and holds(k.value):
                return True
        if func.attr in P.NP_OUT_FUNCS and node.args and holds(node.args[0]):
            return True
        owner = module_path(func.value, self.f.module_alias)
        if func.attr in P.INPLACE_METHODS and owner and is_class_path(canonical_path(owner)):
            return bool(node.args) and holds(node.args[0])  # np.ndarray.fill(data, 0)
        return self.ufunc_out(node, func)

    def ufunc_out(self, node: ast.Call, func: ast.expr) -> bool:
        """``np.add(a, b, data)`` / ``add(a, b, data)``: positions after a ufunc's inputs
        are its outputs."""
        assert self.f.data is not None
        holds = self.f.data.holds
        if not any(holds(a) for a in node.args[1:]):
            return False
        path = module_path(func, self.f.module_alias)
        nin = ufunc_inputs(canonical_path(path)) if path else None
        return nin is not None and any(holds(a) for a in node.args[nin:])

    def attr_builtin(self, node: ast.Call, fn: str) -> None:
        if any(isinstance(a, ast.Starred) for a in node.args) or node.keywords:
            self.add(node, "dynamic-attribute", f"{fn}() with unpacked arguments",
                     "write obj.attr directly")
            return
        if len(node.args) < 2:
            return
        name = node.args[1]
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            self.add(node, "dynamic-attribute", f"{fn}() with a name computed at run time",
                     "write obj.attr directly")
            return
        load = fn == "getattr"
        if name.value in FORMAT_NAMES:
            self.add(node, "format-attribute", f"{fn}(..., {name.value!r}) hides a format call",
                     "use an f-string with plain expressions")
        self.attr(node, name.value, node.args[0], load=load)
        if not load:
            fake = ast.Attribute(value=node.args[0], attr=name.value, ctx=ast.Store())
            ast.copy_location(fake, node)
            self.store_target(fake, node.args[0])
