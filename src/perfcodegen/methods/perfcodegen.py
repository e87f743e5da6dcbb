"""PerfCodeGen (Section II, Figs. 2-3): sample, fix with test feedback, speed up with the
costliest test as feedback.

1. Sample k candidates.
2. Correctness phase: each failing candidate gets one round of feedback (a failing test and its
   error); the model reflects and plans, then refines (`--correctness-feedback direct` skips
   the planning turn, Table III). C_correct = passing samples + passing refinements.
3. Performance phase (greedy): each correct program is asked to be made faster; if that
   refinement passes, the judge finds its costliest test (Eq. 1-2) and the model is asked to
   optimize for it. Refinements that break correctness are dropped.
4. The final answer (chosen by the metrics from the final paired timing): the fastest correct
   refinement, else the fastest of C_correct. Both performance rounds count as refinements
   (the paper's text names only the second; counting the first too never loses a correct,
   measured program).
The conversation continues in one chat, as in the paper. Other performance-phase strategies
(Table II) plug in as `PerformanceStrategy`s.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from perfcodegen.config import RunConfig
from perfcodegen.llm.model import Purpose
from perfcodegen.methods.base import MethodInfo
from perfcodegen.methods.common import CorrectnessStyle, draw_samples, ensure_correct
from perfcodegen.methods.prompts import render
from perfcodegen.methods.session import Candidate, Conversation, ProblemSession


class PerformanceStrategy(Protocol):
    """Refines one correct candidate for speed, adding candidates to the session."""

    async def refine(self, session: ProblemSession, candidate: Candidate) -> None: ...


async def refine_turn(
    session: ProblemSession,
    parent: Candidate,
    conversation: Conversation,
    *,
    suffix: str,
    round: int,
    purpose: Purpose = Purpose.PERFORMANCE,
) -> tuple[Candidate, bool]:
    """Ask (greedy) for a faster program, record it and check it on the feedback tests."""
    key = f"{parent.key}.{suffix}"
    output = await session.ask(
        conversation, key=f"{key}/{purpose.value}", purpose=purpose,
        sample_index=parent.sample_index, candidate_id=parent.id, greedy=True,
    )
    child = session.add_candidate(
        key, output.text, conversation.assistant(output.text),
        sample_index=parent.sample_index, phase="performance", round=round, parent=parent,
    )
    return child, (await session.check(child)).ok


@dataclass(frozen=True)
class CostliestTestFeedback:
    """PerfCodeGen's performance phase (Fig. 3)."""

    async def refine(self, session: ProblemSession, candidate: Candidate) -> None:
        first, ok = await refine_turn(
            session, candidate, candidate.conversation.user(render("perf_improve")),
            suffix="p1", round=1,
        )
        if not ok:
            return
        costliest = await session.costliest_test(first)
        if costliest is None:
            return
        test, _ = costliest
        prompt = render("perf_costliest_test", testcase=test.describe(session.problem.entry_point))
        await refine_turn(session, first, first.conversation.user(prompt), suffix="p2", round=2)


@dataclass(frozen=True)
class PerfCodeGen:
    correctness: CorrectnessStyle
    performance: PerformanceStrategy | None

    async def solve(self, session: ProblemSession) -> None:
        samples = await draw_samples(session)
        fixed = await asyncio.gather(*(ensure_correct(session, s, self.correctness) for s in samples))
        correct = [c for c in fixed if c is not None]
        if self.performance is not None:
            strategy = self.performance
            await asyncio.gather(*(strategy.refine(session, c) for c in correct))


def _perfcodegen(config: RunConfig) -> PerfCodeGen:
    return PerfCodeGen(correctness=config.method.correctness_feedback, performance=CostliestTestFeedback())


def _base(config: RunConfig) -> PerfCodeGen:
    return PerfCodeGen(correctness="none", performance=None)


METHODS = (
    MethodInfo(
        name="base",
        summary="Generation alone: k samples, no feedback (Table I 'Base').",
        family="perfcodegen",
        paradigms=("nl2code", "edit"),
        call_budget="k",
        factory=_base,
    ),
    MethodInfo(
        name="perfcodegen",
        summary="PerfCodeGen: test-feedback fixing (reflect+plan), then costliest-test speed-up feedback.",
        family="perfcodegen",
        paradigms=("nl2code", "edit"),
        call_budget="k + 2 per failing sample + 2 per correct program",
        factory=_perfcodegen,
    ),
)
