"""Imports every method module so that each registers itself (explicit list, in listing order)."""

# ruff: noqa: I001  (the import order is the listing order)
from __future__ import annotations

from perfcodegen.methods import perfcodegen  # noqa: F401  (base, perfcodegen)
from perfcodegen.methods import perf_strategies  # noqa: F401  (PerfCodeGen Table II / III variants)
from perfcodegen.methods import perf_agents  # noqa: F401  (PerfCodeGen Table II multi-agent)
from perfcodegen.methods import ecco  # noqa: F401  (ECCO: instruct, few-shot, *-refine)
from perfcodegen.methods import given  # noqa: F401  (judge existing programs: `eval`)
from perfcodegen.finetune import methods as finetune_methods  # noqa: F401  (ECCO ft-exec, ft-trajectory)
