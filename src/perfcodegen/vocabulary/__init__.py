"""The vocabulary every layer shares: plain values that import nothing else of perfcodegen.

- `problem`: a `Problem` and its `TestCase`s (what the judge runs, what loaders produce);
- `stress`: how stress tests are named (their level and input size);
- `measure`: how programs are measured (`Measure`, a run's setting, with its unit, and
  `MeasureMode`, a judge job's mode).

`perfcodegen.plain` (lossless JSON of test values), `perfcodegen.errors` and
`perfcodegen.paths` sit beside it in the base layer (docs/architecture.md).
"""

from perfcodegen.vocabulary.measure import Measure, MeasureMode
from perfcodegen.vocabulary.problem import (
    PlainValue,
    Problem,
    ProblemMetadata,
    TestCase,
    TestKind,
    make_id,
)
from perfcodegen.vocabulary.stress import stress_level, stress_size, stress_test_name

__all__ = [
    "Measure",
    "MeasureMode",
    "PlainValue",
    "Problem",
    "ProblemMetadata",
    "TestCase",
    "TestKind",
    "make_id",
    "stress_level",
    "stress_size",
    "stress_test_name",
]
