"""What a benchmark loader is: `LoadOptions` in, problems out, described by a `BenchmarkInfo`.

Each loader module defines `INFO = BenchmarkInfo(...)`; `problems.registry` lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

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
