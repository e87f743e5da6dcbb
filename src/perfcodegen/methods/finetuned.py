"""Evaluation prompts for models tuned on the conditioned formats (ECCO Table 4).

A vanilla-tuned model is evaluated with `--method instruct` (its training prompts are I_eff /
I_gen). The conditioned formats need their own prompts at evaluation:

- ``ft-exec``: the input program is judged on the public tests (as for exec-refine) and its
  execution feedback precedes I_eff, as in the execution-conditioned training data;
- ``ft-trajectory``: Fig. 14 with the input program as the only earlier iteration. ECCO does
  not say how test-time trajectories are formed (test pairs have no user history), so this
  is our reading; with a user history, build the prompt with `trajectory_prompt`.

The prompts are those of the training data (`perfcodegen.finetune.formats` builds its examples
with them), so a tuned model is asked as it was taught.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from perfcodegen.config import RunConfig
from perfcodegen.errors import PerfCodegenError
from perfcodegen.methods.base import Method, MethodInfo
from perfcodegen.methods.common import draw_samples
from perfcodegen.methods.ecco import FAMILY, last_iteration, problem_prompt
from perfcodegen.methods.ecco_execution import execute_on_public_tests, input_candidate
from perfcodegen.methods.prompts import render
from perfcodegen.methods.session import ProblemSession


def exec_prompt(edit_prompt: str, feedback: str) -> str:
    """The input program's execution feedback (Fig. 9), then I_eff."""
    return render("ft_exec_edit", feedback=feedback, edit_prompt=edit_prompt)


def trajectory_prompt(inputs: Sequence[str]) -> str:
    """Fig. 14: the earlier programs of a trajectory, slowest first."""
    return render("ft_trajectory", programs=list(inputs))


@dataclass(frozen=True)
class ConditionedPrompting:
    """One prompt in a conditioned training format; k samples, no refinement."""

    format: Literal["exec", "trajectory"]

    async def solve(self, session: ProblemSession) -> None:
        problem = session.problem
        if problem.input_program is None:
            raise PerfCodegenError(f"ft-{self.format} needs an input program; {problem.id} has none")
        if self.format == "trajectory":
            prompt = trajectory_prompt([problem.input_program])
        else:
            report = await execute_on_public_tests(session, input_candidate(problem))
            prompt = exec_prompt(problem_prompt(problem, "edit"), report.verbalise())
        await draw_samples(session, prompt=prompt)


def _factory(format: Literal["exec", "trajectory"]) -> MethodInfo:
    def build(config: RunConfig) -> Method:
        return ConditionedPrompting(format)

    return MethodInfo(
        name=f"ft-{format}",
        summary=f"Prompt of ECCO's {format}-conditioned fine-tuning data (for tuned adapters).",
        family=FAMILY,
        paradigms=("edit",),
        call_budget="k",
        factory=build,
        final_rule=last_iteration,
    )


METHODS = (_factory("exec"), _factory("trajectory"))
