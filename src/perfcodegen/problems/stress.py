"""Stress inputs: generated tests at increasing size levels, large enough to time.

A problem with a stress generator (ENAMEL's expert generators; see `problems/enamel.py`) gets
extra CALL tests named ``stress/L<level>/C<case>/n=<size>``:

- the generator runs in the judge's sandbox, one fresh process per input, with a seed fixed
  by (spec seed, problem stream, level, case), so the same spec gives the same inputs on
  every run and machine (same Python version);
- the expected value comes from the problem's first reference, run in the sandbox too, in a
  process of its own per input;
- the tests are cached on disk under a key made of everything that determines them.

`timing_tests` picks the tests that timing uses (`--timing-tests given|stress|both`);
correctness always uses every test, the stress tests included.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from perfcodegen.judge.model import Limits
from perfcodegen.judge.observe import ValueObserver
from perfcodegen.paths import user_cache_dir
from perfcodegen.problems.stress_helpers import GENERATOR_PRELUDE
from perfcodegen.vocabulary import Problem, TestCase
from perfcodegen.vocabulary.stress import (
    DEFAULT_CASES_PER_LEVEL,
    stress_level,
    stress_test_name,
)

log = logging.getLogger(__name__)

ENAMEL_SEED = 998244353
"""ENAMEL's default seed; each case's seed is ENAMEL_SEED ^ stream ^ (level offset + case)."""
STRESS_VERSION = 1
"""Bump when the way stress tests are built changes (invalidates the cache)."""
EXACT_CHECKER = "type(output) == type(answer) and output == answer"
TOLERANCE_CHECKERS = (
    "abs(answer - output) < 1e-4",
    "max(abs(a - b) for a, b in zip(answer, output)) < 1e-4",
)
TOLERANCE = 1e-4
_INPUT_FUNCTION = "_perfcodegen_stress_input"
STRESS_OUTPUT_BYTES = 64 << 20
"""Outputs on stress inputs can be large (HumanEval/143 returns a million characters)."""
BUILD_LIMITS = Limits(output_bytes=STRESS_OUTPUT_BYTES, wall_time_s=30.0, cpu_time_s=30.0)
"""Drawing inputs and expected values: large values come back, slow references finish."""



@dataclass(frozen=True)
class StressSpec:
    """How to generate a problem's stress inputs (kept in `Problem.metadata.extra['stress']`)."""

    generator: str
    """Source defining ``generate_input(size, lid, cid)`` returning the argument tuple."""
    sizes: tuple[int, ...]
    """The size of each level."""
    cases: tuple[int, ...] = DEFAULT_CASES_PER_LEVEL
    """Inputs per level."""
    stream: int = 0
    """Distinguishes problems sharing a seed (ENAMEL: the problem's index)."""
    seed: int = ENAMEL_SEED
    context: str = ""
    """Source run before the generator (the problem's prompt: its imports and helpers)."""
    checker: str = ""
    """ENAMEL's ``__check(input, answer, output)`` source; empty means exact equality."""
    oracle: str = ""
    """The program whose outputs are the expected values; empty: the problem's first reference.
    (HumanEval borrows ENAMEL's expert solution: its canonical ones can take minutes at the
    largest levels.)"""

    def case_seed(self, level: int, case: int) -> int:
        return self.seed ^ self.stream ^ (sum(self.cases[:level]) + case)

    def to_extra(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_extra(cls, extra: dict[str, Any]) -> StressSpec:
        values = dict(extra)
        values["sizes"] = tuple(values["sizes"])
        values["cases"] = tuple(values.get("cases") or DEFAULT_CASES_PER_LEVEL)
        return cls(**values)


def spec_of(problem: Problem) -> StressSpec | None:
    extra = problem.metadata.extra.get("stress")
    return StressSpec.from_extra(extra) if isinstance(extra, dict) else None


def generator_program(spec: StressSpec) -> str:
    """The program run in the sandbox to draw one input (its function takes seed and level)."""
    return (
        f"{GENERATOR_PRELUDE}\n{spec.context}\n\n{spec.generator}\n\n"
        f"def {_INPUT_FUNCTION}(seed, size, lid, cid):\n"
        "    random.seed(seed)\n"
        "    drawn = generate_input(size=size, lid=lid, cid=cid)\n"
        "    return list(drawn) if isinstance(drawn, (tuple, list)) else [drawn]\n"
    )


@dataclass(frozen=True)
class StressInput:
    level: int
    case: int
    size: int
    args: list[Any]

    @property
    def name(self) -> str:
        return stress_test_name(self.level, self.case, self.size)


def draw_inputs(
    spec: StressSpec, observer: ValueObserver, limits: Limits | None = None
) -> list[StressInput]:
    """Every level's inputs, drawn in the sandbox. A generator error is the data's fault."""
    slots = [
        (level, case, size)
        for level, (size, count) in enumerate(zip(spec.sizes, spec.cases, strict=False))
        for case in range(count)
    ]
    calls = [[spec.case_seed(level, case), size, level, case] for level, case, size in slots]
    observed = observer.call(
        generator_program(spec), _INPUT_FUNCTION, calls, limits or BUILD_LIMITS
    )
    inputs = []
    for (level, case, size), result in zip(slots, observed, strict=True):
        if not result.ok or not isinstance(result.value, list):
            log.warning(
                "stress input L%d/C%d: the generator failed (%s)", level, case, result.error
            )
            continue
        inputs.append(StressInput(level, case, size, result.value))
    return inputs


def _test_for(spec: StressSpec, item: StressInput, expected: Any) -> TestCase:
    checker = spec.checker.strip()
    if not checker or EXACT_CHECKER in checker:
        return TestCase.call(item.args, expected, name=item.name)
    if any(rule in checker for rule in TOLERANCE_CHECKERS):
        return TestCase.call(item.args, expected, name=item.name, atol=TOLERANCE)
    assertion = (
        f"{checker}\n_input = {item.args!r}\n"
        f"assert __check(_input, {expected!r}, candidate(*_input))\n"
    )
    return TestCase.assert_(assertion, name=item.name)


def build_stress_tests(
    problem: Problem, spec: StressSpec, observer: ValueObserver, limits: Limits | None = None
) -> list[TestCase]:
    """Draw the inputs and compute the expected values with the oracle (see `StressSpec`)."""
    oracle = spec.oracle or (problem.references[0] if problem.references else "")
    if not oracle or problem.entry_point is None:
        raise ValueError(f"{problem.id}: stress tests need a reference and an entry point")
    inputs = draw_inputs(spec, observer, limits)
    expected = observer.call(
        oracle, problem.entry_point, [i.args for i in inputs], limits or BUILD_LIMITS
    )
    tests = []
    for item, result in zip(inputs, expected, strict=True):
        if not result.ok:
            log.warning("%s %s: the reference failed (%s)", problem.id, item.name, result.error)
            continue
        tests.append(_test_for(spec, item, result.value))
    return tests


def cache_key(problem: Problem, spec: StressSpec) -> str:
    payload = [STRESS_VERSION, spec.to_extra(), problem.references[:1], problem.entry_point]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def cached_stress_tests(
    problem: Problem,
    spec: StressSpec,
    observer: ValueObserver,
    cache_dir: Path | None = None,
    limits: Limits | None = None,
) -> list[TestCase]:
    """`build_stress_tests`, read from (or written to) ``<cache>/stress/<key>.json``."""
    folder = (cache_dir or user_cache_dir()) / "stress"
    path = folder / f"{cache_key(problem, spec)}.json"
    if path.exists():
        try:
            return [TestCase.model_validate(t) for t in json.loads(path.read_text("utf-8"))]
        except ValueError:
            pass  # a damaged entry is rebuilt
    tests = build_stress_tests(problem, spec, observer, limits)
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps([t.model_dump(mode="json") for t in tests]), "utf-8")
    partial.replace(path)
    return tests


def attach_stress_tests(
    problems: Sequence[Problem],
    *,
    isolation: str = "full",
    cache_dir: Path | None = None,
    limits: Limits | None = None,
) -> list[Problem]:
    """Each problem with a stress spec, its stress tests appended (others unchanged)."""
    out: list[Problem] = []
    with ValueObserver(isolation) as observer:
        for problem in problems:
            spec = spec_of(problem)
            if spec is None or any(stress_level(t) is not None for t in problem.tests):
                out.append(problem)
                continue
            extra = cached_stress_tests(problem, spec, observer, cache_dir, limits)
            out.append(problem.model_copy(update={"tests": [*problem.tests, *extra]}))
    return out


async def attach_stress_tests_async(
    problems: Sequence[Problem], *, isolation: str = "full", cache_dir: Path | None = None
) -> list[Problem]:
    return await asyncio.to_thread(
        attach_stress_tests, problems, isolation=isolation, cache_dir=cache_dir
    )

