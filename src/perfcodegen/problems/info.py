"""What a benchmark loader is: `LoadOptions` in, problems out, described by a `BenchmarkInfo`.

Each loader module defines `INFO = BenchmarkInfo(...)`; `problems.registry` lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from perfcodegen.vocabulary import Problem


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
class BenchmarkTraits:
    """How a benchmark differs from the common case; the defaults are the common case (also
    for problems of no registered benchmark, handed to the API directly)."""

    paradigm_variants: Mapping[str, str] = field(default_factory=dict)
    """The default variant for each paradigm ('nl2code', 'edit'), when the benchmark keeps
    each paradigm in its own subset (ECCO: 'generate' and 'edit')."""
    demonstration_options: Mapping[str, str] = field(default_factory=dict)
    """Loader options for drawing few-shot demonstrations from the train split (programs
    are needed, tests are not)."""
    always_stress: bool = False
    """Stress tests are part of the benchmark's correctness, not only of timing (ENAMEL):
    they are always built, and verdicts use them."""
    spectrum_paradigm: str | None = None
    """The paradigm in which candidates are placed on a spectrum of human solutions' times
    (ECCO's NL-instructed generation); None: no spectrum."""
    post_run_metric: str | None = None
    """A metric computed after a run by re-timing its samples ('effk': ENAMEL's eff@k)."""

    def default_variant(self, paradigm: str) -> str | None:
        return self.paradigm_variants.get(paradigm)


@dataclass(frozen=True)
class BenchmarkInfo:
    name: str
    description: str
    loader: Loader
    splits: tuple[str, ...] = ()
    default_split: str | None = None
    source: str = ""
    """Where the data comes from by default (package, hub id) and how to get it."""
    traits: BenchmarkTraits = field(default_factory=lambda: BenchmarkTraits())
    """What the rest of perfcodegen reads instead of comparing benchmark names."""
