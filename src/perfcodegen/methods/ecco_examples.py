"""ECCO's few-shot demonstrations (§4.1), drawn from the benchmark's train split.

NL-instructed generation shows (NL description, fastest program) pairs; history-based editing
shows (slow program, fast program) pairs. ECCO samples examples at random for each prompt;
here the draw is seeded by the run's seed and the problem id, so a rerun shows the same
examples, and a problem never sees a demonstration of itself.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from perfcodegen.config import RunConfig
from perfcodegen.errors import DataError, PerfCodegenError
from perfcodegen.problems.registry import LoadOptions, get_benchmark, load_benchmark
from perfcodegen.vocabulary import Problem

TRAIN_SPLIT = "train"


@dataclass(frozen=True)
class Example:
    source: str
    """The NL description (nl2code) or the slow program (edit)."""
    target: str
    """The fastest known program (the first reference solution)."""
    origin: str
    """The underlying problem, so that a problem is never its own demonstration."""


def origin_of(problem: Problem) -> str:
    """The underlying problem: ECCO/PIE edit pairs of one CodeNet problem share it."""
    return str(problem.metadata.extra.get("problem_id") or problem.native_id)


def load_examples(config: RunConfig) -> tuple[Example, ...]:
    """All usable demonstrations of the benchmark's train split for the run's paradigm."""
    info = get_benchmark(config.selection.benchmark)
    if TRAIN_SPLIT not in info.splits:
        raise PerfCodegenError(
            f"few-shot draws its examples from a train split, and benchmark {config.selection.benchmark!r} "
            f"has none (splits: {', '.join(info.splits) or 'none'})"
        )
    variant = config.selection.variant or info.traits.default_variant(config.selection.paradigm)
    extra = {**config.selection.load_options, **info.traits.demonstration_options}
    options = LoadOptions(
        split=TRAIN_SPLIT,
        data=Path(config.selection.data) if config.selection.data else None,
        variant=variant,
        extra=extra,
    )
    problems = load_benchmark(config.selection.benchmark, options)
    examples = tuple(e for p in problems if (e := to_example(p, config.selection.paradigm)) is not None)
    if problems and not examples and config.selection.paradigm == "nl2code":
        raise DataError(
            f"few-shot: none of the {len(problems)} train problems of {config.selection.benchmark!r} has a "
            "solution program to show (ECCO's generate config lacks `fastest_code`, a column its "
            "released code marks as not yet on the hub). Use --paradigm edit, another method, or "
            "--data with a generate/train split that has `fastest_code`"
        )
    origins = {e.origin for e in examples}
    if len(origins) < config.method.few_shot + 1:
        raise DataError(
            f"few-shot needs examples from at least {config.method.few_shot + 1} train problems of "
            f"{config.selection.benchmark!r} ({config.method.few_shot} shown, one left out for the problem itself); "
            f"the train split has {len(origins)} usable ones"
        )
    return examples


def to_example(problem: Problem, paradigm: str) -> Example | None:
    """A demonstration from a train problem, or None when it lacks the needed programs."""
    if not problem.references:
        return None
    source = problem.input_program if paradigm == "edit" else problem.statement
    if not source:
        return None
    return Example(source=source, target=problem.references[0], origin=origin_of(problem))


def choose_examples(
    examples: Sequence[Example], problem: Problem, count: int, seed: int
) -> list[Example]:
    """`count` demonstrations from other problems, the same ones for the same seed and problem."""
    own = origin_of(problem)
    pool = [e for e in examples if e.origin != own]
    rng = random.Random(f"{seed}|{problem.id}")
    return rng.sample(pool, min(count, len(pool)))
