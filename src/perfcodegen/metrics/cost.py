"""What a run cost: model calls and tokens, in total and per problem."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from perfcodegen.metrics.records import ProblemOutcome


@dataclass(frozen=True)
class Cost:
    problems: int
    model_calls: int
    prompt_tokens: int
    completion_tokens: int
    calls_per_problem: float
    tokens_per_problem: float


def run_cost(outcomes: Sequence[ProblemOutcome]) -> Cost:
    problems = len(outcomes)
    calls = sum(o.model_calls for o in outcomes)
    prompt = sum(o.prompt_tokens for o in outcomes)
    completion = sum(o.completion_tokens for o in outcomes)
    return Cost(
        problems=problems,
        model_calls=calls,
        prompt_tokens=prompt,
        completion_tokens=completion,
        calls_per_problem=calls / problems if problems else 0.0,
        tokens_per_problem=(prompt + completion) / problems if problems else 0.0,
    )
