"""perfcodegen.metrics: pure functions over run records (PerfCodeGen Best@k, ECCO, significance)."""

from perfcodegen.metrics.bestk import BestKMetrics, View, best_at_k, default_ks, final_program
from perfcodegen.metrics.correctness import pass_at_k
from perfcodegen.metrics.cost import Cost, run_cost
from perfcodegen.metrics.ecco import (
    EditMetrics,
    GenerationMetrics,
    edit_metrics,
    generation_metrics,
)
from perfcodegen.metrics.records import CandidateOutcome, ProblemOutcome
from perfcodegen.metrics.run import RunData, load_run
from perfcodegen.metrics.stats import ZTest, bootstrap_cis, two_proportion_z_test

__all__ = [
    "BestKMetrics",
    "CandidateOutcome",
    "Cost",
    "EditMetrics",
    "GenerationMetrics",
    "ProblemOutcome",
    "RunData",
    "View",
    "ZTest",
    "best_at_k",
    "bootstrap_cis",
    "default_ks",
    "edit_metrics",
    "final_program",
    "generation_metrics",
    "load_run",
    "pass_at_k",
    "run_cost",
    "two_proportion_z_test",
]
