"""perfcodegen: make LLM-written code correct first, then fast, and measure both honestly.

    import perfcodegen
    problems = perfcodegen.load("humaneval", limit=3)
    summary = perfcodegen.evaluate("humaneval", "samples.jsonl")       # judge given programs
    summary = perfcodegen.run("humaneval", model="openai/gpt-4o", k=4)  # a method with a model
    perfcodegen.export(summary.run_dir)                                # samples.jsonl, ...
    print(perfcodegen.report(summary.run_dir))                         # RunMetrics: pass@k, %Opt

Heavier modules load on first use, so `import perfcodegen` stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from perfcodegen.errors import PerfCodegenError
from perfcodegen.vocabulary import Problem, TestCase, TestKind

__version__ = "0.1.0"

if TYPE_CHECKING:
    from perfcodegen.api import aevaluate, arun, evaluate, load, run
    from perfcodegen.config import RunConfig, RuntimeOptions
    from perfcodegen.export import export_run as export
    from perfcodegen.judge import Judge, JudgeConfig, JudgeJob, JudgeResult, MeasureMode, Verdict
    from perfcodegen.llm.mock import MockModel
    from perfcodegen.pipeline import RunSummary
    from perfcodegen.report.results import RunMetrics

_LAZY = {
    "run": "perfcodegen.api",
    "arun": "perfcodegen.api",
    "evaluate": "perfcodegen.api",
    "aevaluate": "perfcodegen.api",
    "load": "perfcodegen.api",
    "export": ("perfcodegen.export", "export_run"),
    "report": ("perfcodegen.report", ""),  # the package is callable (`perfcodegen.report`)
    "RunMetrics": "perfcodegen.report.results",
    "RunConfig": "perfcodegen.config",
    "RuntimeOptions": "perfcodegen.config",
    "RunSummary": "perfcodegen.pipeline",
    "Judge": "perfcodegen.judge",
    "JudgeConfig": "perfcodegen.judge",
    "JudgeJob": "perfcodegen.judge",
    "JudgeResult": "perfcodegen.judge",
    "MeasureMode": "perfcodegen.judge",
    "Verdict": "perfcodegen.judge",
    "MockModel": "perfcodegen.llm.mock",
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'perfcodegen' has no attribute {name!r}")
    import importlib

    module_name, attribute = target if isinstance(target, tuple) else (target, name)
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


__all__ = [
    "Judge",
    "JudgeConfig",
    "JudgeJob",
    "JudgeResult",
    "MeasureMode",
    "MockModel",
    "PerfCodegenError",
    "Problem",
    "RunConfig",
    "RunMetrics",
    "RunSummary",
    "RuntimeOptions",
    "TestCase",
    "TestKind",
    "Verdict",
    "__version__",
    "aevaluate",
    "arun",
    "evaluate",
    "export",
    "load",
    "report",
    "run",
]
