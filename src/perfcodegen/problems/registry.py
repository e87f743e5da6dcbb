"""The benchmark registry: one loader per benchmark, listed by `perfcodegen benchmarks`.

An explicit, read-only table of every loader module's `INFO` (no registration at import, no
mutable global); :func:`load_benchmark` is the single entry point used by the CLI and the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from perfcodegen.errors import UnknownNameError
from perfcodegen.problems import apps, custom, ecco, enamel, humaneval, mbpp, pie
from perfcodegen.problems.info import BenchmarkInfo, BenchmarkTraits, Loader, LoadOptions
from perfcodegen.vocabulary import Problem

BENCHMARKS: Mapping[str, BenchmarkInfo] = MappingProxyType(
    {module.INFO.name: module.INFO for module in (apps, custom, ecco, enamel, humaneval, mbpp, pie)}
)


def benchmarks() -> list[BenchmarkInfo]:
    return [BENCHMARKS[k] for k in sorted(BENCHMARKS)]


def get_benchmark(name: str) -> BenchmarkInfo:
    if name not in BENCHMARKS:
        raise UnknownNameError("benchmark", name, list(BENCHMARKS))
    return BENCHMARKS[name]


def traits_of(name: str) -> BenchmarkTraits:
    """The benchmark's traits; the common case's for a name no loader has (problems handed
    to the API directly)."""
    info = BENCHMARKS.get(name)
    return info.traits if info is not None else BenchmarkTraits()


def load_benchmark(name: str, options: LoadOptions | None = None) -> list[Problem]:
    """Load a benchmark's problems (the split's default when options.split is None)."""
    info = get_benchmark(name)
    opts = options or LoadOptions()
    problems = info.loader(opts)
    if opts.limit is not None:
        problems = problems[: opts.limit]
    return problems


__all__ = ["BENCHMARKS", "BenchmarkInfo", "BenchmarkTraits", "LoadOptions", "Loader", "benchmarks",
           "get_benchmark", "load_benchmark", "traits_of"]  # fmt: skip
