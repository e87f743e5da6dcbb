"""The benchmark registry: one loader per benchmark, listed by `perfcodegen benchmarks`.

A loader is a function ``(options: LoadOptions) -> list[Problem]``. Loaders register
themselves with :func:`register` at import of their module; :func:`load_benchmark` is the
single entry point used by the CLI and the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from perfcodegen.errors import UnknownNameError
from perfcodegen.problems.model import Problem


@dataclass(frozen=True)
class LoadOptions:
    split: str | None = None
    """Benchmark-specific split ('test', 'train', 'sanitized', ...); None = the default."""
    data: Path | None = None
    """Local file or folder to read instead of the default source (offline use)."""
    variant: str | None = None
    """Benchmark-specific variant, e.g. 'plus' for HumanEval+/MBPP+ tests."""
    limit: int | None = None
    difficulty: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


Loader = Callable[[LoadOptions], list[Problem]]


@dataclass(frozen=True)
class BenchmarkInfo:
    name: str
    description: str
    loader: Loader
    splits: tuple[str, ...] = ()
    default_split: str | None = None
    source: str = ""
    """Where the data comes from by default (package, hub id) and how to get it."""


_REGISTRY: dict[str, BenchmarkInfo] = {}


def register(info: BenchmarkInfo) -> BenchmarkInfo:
    _REGISTRY[info.name] = info
    return info


def _ensure_loaded() -> None:
    # Importing the loader modules registers them (explicit list: no import magic).
    from perfcodegen.problems import loaders  # noqa: F401


def benchmarks() -> list[BenchmarkInfo]:
    _ensure_loaded()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_benchmark(name: str) -> BenchmarkInfo:
    _ensure_loaded()
    if name not in _REGISTRY:
        raise UnknownNameError("benchmark", name, list(_REGISTRY))
    return _REGISTRY[name]


def load_benchmark(name: str, options: LoadOptions | None = None) -> list[Problem]:
    """Load a benchmark's problems (the split's default when options.split is None)."""
    info = get_benchmark(name)
    opts = options or LoadOptions()
    problems = info.loader(opts)
    if opts.limit is not None:
        problems = problems[: opts.limit]
    return problems
