"""What a package says about its own callables' arguments, when ``inspect.signature`` says little.

C functions often have no signature at all, or a ``__text_signature__`` with names and no types.
Packages still describe them, in order of trust:

1. ``.pyi`` stubs: shipped beside the module (``pkg/_ext.pyi`` for ``pkg/_ext.so``, ``pkg/__init__.pyi``),
   or in an installed stubs package (``types-foo`` installs ``foo-stubs/``). Read with ``ast``, never
   imported; the first ``@overload`` of a name counts.
2. The docstring's first line when it is a signature (``compress(data: bytes, level: int = 3) -> bytes``,
   ``crc32(data[, value]) -> int``: optional brackets dropped).
3. Doctest examples: ``>>> f(b'ab', 3)`` of a public function is a ready-made argument tuple, kept
   when every argument is a literal a spec can carry.

Stub types that map to no argument kind (``Literal['fast', 'small']``, ``int | None``...) are handed
to Hypothesis (``from_type``) and a few of its values are kept as literals, so the spec, and every
repro script, still carries plain values.
"""

import ast
import inspect
import os
import re
import sys
import typing

from ftlab_probes.auto.spec import carried, literal

#: Stub files read per process (a big package has hundreds; each is parsed once).
_STUBS = {}
#: Argument tuples kept from doctests or drawn for stub types, per callable: a scenario needs few.
MAX_EXAMPLES = 6
#: Values drawn per stub type by Hypothesis (then filtered to literals).
DRAWS_PER_TYPE = 12

_SIG_LINE = re.compile(r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_.]*)\((?P<params>.*)\)\s*(->.*)?$")


def _stub_candidates(module_name):
    """Paths a stub of ``module_name`` may live at, nearest first."""
    module = sys.modules.get(module_name)
    paths = []
    origin = getattr(module, "__file__", None)
    if origin:
        base, _ = os.path.splitext(origin)
        if os.path.basename(base) == "__init__":
            paths.append(base + ".pyi")
        else:
            # pkg/_ext.cpython-314t-x86_64-linux-gnu.so -> pkg/_ext.pyi
            paths.append(os.path.join(os.path.dirname(origin), os.path.basename(origin).split(".")[0] + ".pyi"))
    parts = module_name.split(".")
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        stubs = os.path.join(entry, parts[0] + "-stubs", *parts[1:])
        paths += [stubs + ".pyi", os.path.join(stubs, "__init__.pyi")]
    return paths


def _parse_stub(path):
    if path not in _STUBS:
        try:
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read())
        except (OSError, SyntaxError, ValueError):
            tree = None
        _STUBS[path] = _index(tree) if tree is not None else None
    return _STUBS[path]


def _index(tree):
    """{"name": FunctionDef, "Class.name": FunctionDef} of a stub: the first definition of each."""
    found = {}

    def visit(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.setdefault(prefix + node.name, node)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, prefix + node.name + ".")
            elif isinstance(node, ast.If):  # sys.version_info branches
                visit(node.body, prefix)
                visit(node.orelse, prefix)

    visit(tree.body, "")
    return found


def stub_def(module_names, qualname):
    """The stub FunctionDef of ``qualname`` in the first of ``module_names`` whose stub has it, or None."""
    for module_name in dict.fromkeys(m for m in module_names if m):
        for path in _stub_candidates(module_name):
            index = _parse_stub(path) if os.path.isfile(path) else None
            if index and qualname in index:
                return index[qualname]
    return None


def _params_of_def(node, skip_self):
    """inspect.Parameters of a FunctionDef, annotations as source text."""
    args = node.args
    positional = list(args.posonlyargs) + list(args.args)
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = []
    for i, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        if i == 0 and skip_self and arg.arg in ("self", "cls"):
            continue
        kind = inspect.Parameter.POSITIONAL_ONLY if arg in args.posonlyargs or arg.arg.startswith("__") \
            else inspect.Parameter.POSITIONAL_OR_KEYWORD
        params.append(_param(arg, kind, default))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append(_param(arg, inspect.Parameter.KEYWORD_ONLY, default))
    return params


def _param(arg, kind, default):
    annotation = ast.unparse(arg.annotation) if arg.annotation is not None else inspect.Parameter.empty
    # A stub's default is "..." or a literal; either way the parameter is optional.
    value = inspect.Parameter.empty if default is None else _default_value(default)
    name = arg.arg.lstrip("_") or "arg"
    return inspect.Parameter(name if name.isidentifier() else "arg", kind, default=value, annotation=annotation)


def _default_value(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError):
        return None


def docstring_params(func, name):
    """Parameters from a docstring whose first line is ``name(params) [-> result]``, or None."""
    doc = inspect.getdoc(func) or ""
    first = doc.strip().splitlines()[0] if doc.strip() else ""
    m = _SIG_LINE.match(first)
    if not m or m.group("name").split(".")[-1] != name:
        return None
    text = m.group("params").replace("[", "").replace("]", "")
    text = re.sub(r"\s*,\s*(?=,|$)", "", text)  # "a, , b" left by dropped brackets
    try:
        tree = ast.parse("def f(%s): pass" % text)
    except SyntaxError:
        return None
    return _params_of_def(tree.body[0], skip_self=True)


def stub_params(func, qualname, module_names):
    """Parameters from a stub (``qualname`` ``name`` or ``Class.name``), or None."""
    node = stub_def(module_names, qualname)
    return _params_of_def(node, skip_self="." in qualname) if node is not None else None


def described_params(func, qualname, module_names):
    """(parameters, source) from what the package says: a stub, else a typed docstring; or (None, None)."""
    params = stub_params(func, qualname, module_names)
    if params is not None:
        return params, "stub"
    params = docstring_params(func, qualname.split(".")[-1])
    if params is not None:
        return params, "docstring"
    return None, None


def merge(params, described):
    """``params`` (from inspect, maybe without annotations) with annotations filled in from ``described``
    by name, or position when the names differ; ``described`` alone when ``params`` is None."""
    if params is None:
        return described
    if not described:
        return params
    by_name = {p.name: p for p in described}
    merged = []
    for i, p in enumerate(params):
        if p.annotation is not p.empty:
            merged.append(p)
            continue
        other = by_name.get(p.name) or (described[i] if i < len(described) else None)
        merged.append(p.replace(annotation=other.annotation) if other is not None else p)
    return merged


def doctest_examples(func, name, modules=()):
    """Argument tuples of calls to ``name`` (``name(...)``, ``mod.name(...)``, also on the right of an
    assignment or across ``...`` continuation lines, as the doctest module reads them) in the docstrings
    of ``func`` and ``modules``, every argument a literal a spec can carry; at most MAX_EXAMPLES."""
    found = []
    for doc in [getattr(func, "__doc__", None)] + [getattr(m, "__doc__", None) for m in modules]:
        if not isinstance(doc, str) or ">>>" not in doc:
            continue
        import doctest  # the doctest module's own reader of examples; ~0.2 s to import on 3.14t, so only here

        try:
            examples = doctest.DocTestParser().get_examples(doc)
        except ValueError:  # a docstring whose examples are malformed (indentation): none from it
            continue
        for example in examples:
            for args in _calls_of(example.source, name):
                if args not in found:
                    found.append(args)
                if len(found) >= MAX_EXAMPLES:
                    return found
    return found


def _calls_of(source, name):
    """Argument tuples of every call to ``name`` in ``source`` whose arguments are all literals."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    calls = [_literal_args(node, name) for node in ast.walk(tree) if isinstance(node, ast.Call)]
    return [args for args in calls if args is not None]


def _literal_args(call, name):
    if call.keywords:
        return None
    target = call.func
    called = target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else None
    if called != name:
        return None
    values = []
    for arg in call.args:
        try:
            value = ast.literal_eval(arg)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None
        if carried(value) is None:
            return None
        values.append(value)
    return tuple(values)


#: Names a stub's annotation may use, for evaluating it into a type Hypothesis can draw from.
_TYPE_NAMES = {name: getattr(typing, name) for name in ("Literal", "Optional", "Union")}
_TYPE_NAMES.update({"int": int, "str": str, "bytes": bytes, "float": float, "bool": bool, "None": None})


def literals_of_type(annotation):
    """A few literal values of the type a stub annotation names (drawn by Hypothesis ``from_type``,
    seeded), or () when it cannot be evaluated or gives no literal."""
    if not isinstance(annotation, str):
        return ()
    text = re.sub(r"\b(typing|typing_extensions|te)\.", "", annotation)
    try:
        tree = ast.parse(text, mode="eval")
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        if not names <= set(_TYPE_NAMES):
            return ()
        # Only the names above are in scope, no builtins: the text is a type expression or fails.
        kind = eval(compile(tree, "<stub>", "eval"), {"__builtins__": {}}, dict(_TYPE_NAMES))
        if kind is None:
            return (None,)
    except Exception:  # any failure means "not a type we can draw from": no examples
        return ()
    return tuple(draw_literals(kind))


def draw_literals(kind):
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st

    try:
        strategy = st.from_type(kind)
    except Exception:  # Hypothesis cannot resolve it: no examples
        return []
    values = []

    @seed(0)
    @settings(max_examples=DRAWS_PER_TYPE, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value):
        if literal(value) is not None and not any(value == v and type(value) is type(v) for v in values):
            values.append(value)

    try:
        collect()
    except Exception:  # a strategy that fails to draw gives no examples
        return values
    return values[:4]
