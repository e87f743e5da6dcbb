"""`given`: judge programs that already exist (`perfcodegen eval`), on the same engine, store
and reports as the methods that ask a model.

Each given program becomes a sample candidate; the engine's end of problem (`finalize`)
judges it on every test and times the correct ones against the references. No model is asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfcodegen.config import RunConfig
from perfcodegen.methods.base import MethodInfo
from perfcodegen.methods.session import ProblemSession
from perfcodegen.metrics.bestk import View, final_program
from perfcodegen.metrics.records import SAMPLE_PHASE, CandidateOutcome, ProblemOutcome
from perfcodegen.solutions import REFERENCE, SolutionSet


@dataclass(frozen=True)
class GivenPrograms:
    solutions: SolutionSet

    async def solve(self, session: ProblemSession) -> None:
        for index, program in enumerate(self.solutions.programs_for(session.problem)):
            session.add_program(f"s{index}", program, sample_index=index, phase=SAMPLE_PHASE)


def fastest_correct_sample(outcome: ProblemOutcome) -> CandidateOutcome | None:
    return final_program(outcome, outcome.samples_drawn, View.BASE)


def _given(config: RunConfig) -> GivenPrograms:
    method = config.method
    return GivenPrograms(SolutionSet.load(method.solutions or REFERENCE, method.solutions_join))



METHODS = (
    MethodInfo(
        name="given",
        summary="Judge existing programs (references, a samples file, a folder): `perfcodegen eval`.",
        family="judge",
        paradigms=("nl2code", "edit"),
        call_budget="0",
        factory=_given,
        needs_model=False,
        final_rule=fastest_correct_sample,
    ),
)
