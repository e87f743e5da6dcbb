"""perfcodegen.judge: run untrusted candidates against tests, fast, and measure them honestly.

The fork server loads `perfcodegen.judge.child`, `runproc`, `sandbox` and `wire` without this
file (see `client._BOOTSTRAP`), so importing heavier modules here costs it nothing.
"""

from perfcodegen.judge.judge import Judge, JudgeConfig
from perfcodegen.judge.model import (
    CompareOptions,
    JudgeJob,
    JudgeResult,
    Limits,
    MeasureMode,
    ProgramResult,
    TestOutcome,
    Verdict,
)
from perfcodegen.judge.pool import execute_job

__all__ = [
    "CompareOptions",
    "Judge",
    "JudgeConfig",
    "JudgeJob",
    "JudgeResult",
    "Limits",
    "MeasureMode",
    "ProgramResult",
    "TestOutcome",
    "Verdict",
    "execute_job",
]
