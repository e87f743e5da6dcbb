"""Inputs for differential testing and timing: captured, doctest, hypothesis, sized, generated.

Trust: the user's module, tests and input generator are the user's own code. They run as the
user's test suite would, in a child Python process in the file's folder (never in
perfcodegen's process, and never next to a model's candidate). Candidates only ever run in
the judge's sandbox. Hypothesis inputs are built from the annotations' *source* (parsed, not
evaluated), so no user code runs for them.
"""

from __future__ import annotations

import ast
import doctest
import json
import math
import random
import string
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from perfcodegen import plain
from perfcodegen.errors import PerfCodegenError
from perfcodegen.optimize.target import Target, parse_spec

CAPTURE_TIMEOUT_S = 600.0
HYPOTHESIS_EXAMPLES = 60

_CAPTURE = r"""
import copy, functools, importlib.util, json, os, sys
from perfcodegen import plain
path, name, out = sys.argv[1:4]
tests = sys.argv[4:]
folder = os.path.dirname(os.path.abspath(path))
sys.path.insert(0, folder)
stem = os.path.splitext(os.path.basename(path))[0]
spec = importlib.util.spec_from_file_location(stem, path)
module = importlib.util.module_from_spec(spec)
sys.modules[stem] = module
spec.loader.exec_module(module)
original = getattr(module, name)
calls, depth = [], [0]

@functools.wraps(original)
def recorder(*args, **kwargs):
    if depth[0] == 0 and not kwargs and plain.is_plain(list(args)):
        calls.append(copy.deepcopy(list(args)))
    depth[0] += 1
    try:
        return original(*args, **kwargs)
    finally:
        depth[0] -= 1

setattr(module, name, recorder)
import pytest
code = pytest.main(["-q", "-p", "no:cacheprovider", *tests])
with open(out, "w", encoding="utf-8") as fh:
    json.dump({"exit": int(code), "calls": plain.encode(calls)}, fh)
"""

_GENERATE = r"""
import importlib.util, json, os, sys
from perfcodegen import plain
path, name, out = sys.argv[1:4]
sizes = [int(s) for s in sys.argv[4:]]
sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
spec = importlib.util.spec_from_file_location("_perfcodegen_input_generator", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
generate = getattr(module, name)
drawn = []
for size in sizes:
    args = generate(size)
    drawn.append(list(args) if isinstance(args, (tuple, list)) else [args])
with open(out, "w", encoding="utf-8") as fh:
    json.dump(plain.encode(drawn), fh)
"""


def _run_child(script: str, args: Sequence[str], cwd: Path, what: str) -> Any:
    with tempfile.TemporaryDirectory(prefix="perfcodegen-optimize-") as tmp:
        out = Path(tmp) / "out.json"
        command = [sys.executable, "-c", script, args[0], args[1], str(out), *args[2:]]
        try:
            proc = subprocess.run(
                command, cwd=cwd, capture_output=True, text=True, timeout=CAPTURE_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            raise PerfCodegenError(f"{what} took more than {CAPTURE_TIMEOUT_S:.0f} s") from None
        if not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no message)"]
            raise PerfCodegenError(f"{what} failed: {tail[0]}")
        return json.loads(out.read_text(encoding="utf-8"))


def captured_inputs(target: Target, tests: Sequence[Path]) -> list[list[Any]]:
    """Arguments of every top-level call the user's pytest tests make to the function."""
    if not tests:
        return []
    result = _run_child(
        _CAPTURE,
        [str(target.path.resolve()), target.function, *(str(t.resolve()) for t in tests)],
        target.path.resolve().parent,
        "running the tests with the function wrapped",
    )
    if result["exit"] not in (0, 5):  # 5: no tests collected
        raise PerfCodegenError(
            f"the tests fail with the original function (pytest exit {result['exit']}); "
            "optimize needs a passing test suite"
        )
    calls = plain.decode(result["calls"])
    return [list(c) for c in calls]


def doctest_inputs(target: Target) -> list[list[Any]]:
    """Arguments of the docstring's `>>> function(literal, ...)` examples (parsed, not run)."""
    inputs = []
    for example in doctest.DocTestParser().get_examples(target.docstring):
        try:
            node = ast.parse(example.source.strip(), mode="eval").body
        except SyntaxError:
            continue
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == target.function
            and not node.keywords
        ):
            try:
                inputs.append([ast.literal_eval(arg) for arg in node.args])
            except ValueError:
                continue
    return inputs


def generated_inputs(spec: str, sizes: Sequence[int]) -> list[list[Any]]:
    """`--input-generator FILE::FUNCTION`: FUNCTION(size) returns one argument tuple."""
    path, name = parse_spec(spec)
    if not path.exists():
        raise PerfCodegenError(f"--input-generator: {path} does not exist")
    drawn = _run_child(
        _GENERATE,
        [str(path.resolve()), name, *(str(s) for s in sizes)],
        path.resolve().parent,
        "the input generator",
    )
    return [list(args) for args in plain.decode(drawn)]


# --- from annotations -------------------------------------------------------------------------

_COLLECTIONS = {"list", "List", "set", "Set", "frozenset", "FrozenSet", "tuple", "Tuple", "dict", "Dict", "Sequence"}  # fmt: skip


def _parts(annotation: str) -> tuple[str, list[str]]:
    """'list[int]' -> ('list', ['int']); 'int | None' -> ('Optional', ['int'])."""
    node = ast.parse(annotation, mode="eval").body
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        sides = [ast.unparse(node.left), ast.unparse(node.right)]
        kept = [s for s in sides if s != "None"]
        return ("Optional", kept) if len(kept) == 1 else ("Union", sides)
    if isinstance(node, ast.Subscript):
        head = ast.unparse(node.value).rsplit(".", 1)[-1]
        inner = node.slice
        items = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        return head, [ast.unparse(item) for item in items]
    return ast.unparse(node).rsplit(".", 1)[-1], []


Domain = tuple[float, float]
"""The closed range a numeric parameter's hypothesis values are drawn from."""
NUMBERS = ("int", "float")


def parse_domain(text: str) -> tuple[str, Domain]:
    """`--domain NAME=LOW..HIGH` (e.g. 'n=0..30') -> (name, (low, high))."""
    name, sep, bounds = text.partition("=")
    low_text, dots, high_text = bounds.partition("..")
    try:
        if not sep or not dots or not name.strip().isidentifier():
            raise ValueError
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise PerfCodegenError(f"--domain takes NAME=LOW..HIGH, e.g. n=0..30 (got {text!r})") from None
    if low > high:
        raise PerfCodegenError(f"--domain {text}: LOW is above HIGH")
    return name.strip(), (low, high)


def observed_domain(values: Sequence[Any]) -> Domain | None:
    """Where a numeric parameter lives, from the values the function was seen with (captured
    calls, doctests): never negative if none was, up to twice the largest seen. None when
    nothing numeric was seen (then hypothesis keeps its default range)."""
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers or len(numbers) < len(values) or not all(math.isfinite(v) for v in numbers):
        return None
    low, high = min(numbers), max(numbers)
    return (0 if low >= 0 else 2 * low, 2 * high if high > 0 else 0)


def hypothesis_strategy(annotation: str | None, domain: Domain | None = None) -> Any:
    """A hypothesis strategy for an annotation's source, or None when it is not supported;
    `domain` bounds an `int` or `float` parameter."""
    if annotation is None:
        return None
    from hypothesis import strategies as st

    head, args = _parts(annotation)
    ints = (math.ceil(domain[0]), math.floor(domain[1])) if domain else (-50, 50)  # small: collisions
    floats = domain or (-1e6, 1e6)
    scalars: dict[str, Callable[[], Any]] = {
        "int": lambda: st.integers(*ints),
        "float": lambda: st.floats(*floats, allow_nan=False),
        "str": lambda: st.text(max_size=20),
        "bool": st.booleans,
        "bytes": lambda: st.binary(max_size=20),
        "None": st.none,
    }
    if head in scalars and not args:
        return scalars[head]()
    inner = [hypothesis_strategy(a) for a in args if a != "..."]
    if any(s is None for s in inner):
        return None
    if head in ("list", "List", "Sequence") and len(inner) == 1:
        return st.lists(inner[0], max_size=20)
    if head in ("set", "Set", "frozenset", "FrozenSet") and len(inner) == 1:
        return (
            st.sets(inner[0], max_size=20)
            if head.lower() == "set"
            else st.frozensets(inner[0], max_size=20)
        )
    if head in ("tuple", "Tuple") and inner:
        return st.lists(inner[0], max_size=10).map(tuple) if "..." in args else st.tuples(*inner)
    if head in ("dict", "Dict") and len(inner) == 2:
        return st.dictionaries(inner[0], inner[1], max_size=20)
    if head == "Optional" and len(inner) == 1:
        return st.one_of(st.none(), inner[0])
    if head == "Union" and inner:
        return st.one_of(*inner)
    return None


def hypothesis_inputs(
    target: Target,
    examples: int = HYPOTHESIS_EXAMPLES,
    seen: Sequence[Sequence[Any]] = (),
    domains: Sequence[tuple[str, Domain]] = (),
) -> list[list[Any]]:
    """Deterministic (derandomised) hypothesis examples for the parameters' annotations;
    empty when any parameter has no annotation the mapping supports. A numeric parameter is
    drawn from its `domains` entry (the user's `--domain`), else from the range its `seen`
    values (captured calls, doctests) imply (`observed_domain`): `fib(n)` seen with n >= 0
    is never called with a negative n."""
    chosen = dict(domains)
    unknown = sorted(set(chosen) - set(target.names))
    if unknown:
        raise PerfCodegenError(
            f"--domain: {target.function} has no parameter {unknown[0]!r} "
            f"(its parameters: {', '.join(target.names) or 'none'})"
        )
    strategies = []
    for index, annotation in enumerate(target.annotations):
        name = target.names[index] if index < len(target.names) else ""
        numeric = annotation in NUMBERS
        domain = chosen.get(name) or observed_domain([a[index] for a in seen if index < len(a)])
        strategies.append(hypothesis_strategy(annotation, domain if numeric else None))
    if not strategies or any(s is None for s in strategies):
        return []
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    drawn: list[list[Any]] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(st.tuples(*strategies))
    def collect(args: tuple[Any, ...]) -> None:
        drawn.append(list(args))

    collect()
    unique: dict[str, list[Any]] = {}
    for args in drawn:
        unique.setdefault(json.dumps(plain.encode(args), sort_keys=True), args)
    return list(unique.values())


def _sized_value(annotation: str | None, size: int, rng: random.Random) -> Any:
    head, args = _parts(annotation) if annotation else ("", [])
    element = args[0] if args else "int"
    if head in _COLLECTIONS and head not in ("dict", "Dict"):
        items = [_scalar(element, size, rng) for _ in range(size)]
        if head.lower() in ("set", "frozenset"):
            return set(items) if head.lower() == "set" else frozenset(items)
        return tuple(items) if head.lower() == "tuple" else items
    if head in ("dict", "Dict"):
        return {_scalar(args[0] if args else "int", size, rng): _scalar(args[1] if len(args) > 1 else "int", size, rng) for _ in range(size)}  # fmt: skip
    if head == "str":
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(size))
    return None


def _scalar(annotation: str, size: int, rng: random.Random) -> Any:
    if annotation == "float":
        return rng.uniform(-size, size)
    if annotation == "str":
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 8)))
    if annotation == "bool":
        return rng.random() < 0.5
    return rng.randint(-size, size)


def sized_inputs(
    target: Target, sizes: Sequence[int], like: Sequence[Any] | None, seed: int = 0
) -> list[list[Any]]:
    """One input per size from the annotations: collections (and str) get `size` random
    elements; other parameters keep the value of a captured call (`like`), or, when no
    parameter is a collection, an int parameter is the size itself. Empty when unsupported."""
    rng = random.Random(seed)
    inputs = []
    for size in sizes:
        values = [_sized_value(a, size, rng) for a in target.annotations]
        if all(v is None for v in values):
            if any(a != "int" for a in target.annotations):
                return []
            values = [size for _ in target.annotations]
        for index, value in enumerate(values):
            if value is None:
                if like is None or index >= len(like):
                    return []
                values[index] = like[index]
        inputs.append(values)
    return inputs
