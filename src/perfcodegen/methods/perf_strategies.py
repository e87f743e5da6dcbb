"""PerfCodeGen's performance-phase alternatives (Table II) and correctness variant (Table III).

Each method is PerfCodeGen (`methods/perfcodegen.py`) with the same sampling and correctness
phase and a different `PerformanceStrategy`. Rules every strategy follows:

- the coder keeps one conversation, the one that produced the correct program; other agents
  (reviewer, leader; `perf_agents.py`) talk in conversations of their own with a system role;
- every turn is greedy, as in the paper's performance phase;
- each program the coder writes is a candidate with phase 'performance', rounds 1, 2, ...;
  turns without code (plans, analyses, reviews) are model calls with their own purpose;
- a refinement that fails the feedback tests ends the strategy for that program (Section II-B:
  "if this refinement breaks correctness, we stop"); the metrics then fall back to the
  fastest correct program.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfcodegen.config import RunConfig
from perfcodegen.judge.model import MeasureMode
from perfcodegen.llm.model import Purpose
from perfcodegen.methods.base import MethodInfo
from perfcodegen.methods.common import CorrectnessStyle
from perfcodegen.methods.perfcodegen import (
    CostliestTestFeedback,
    PerfCodeGen,
    PerformanceStrategy,
    refine_turn,
)
from perfcodegen.methods.prompts import render
from perfcodegen.methods.session import Candidate, Conversation, ProblemSession


@dataclass
class CoderChat:
    """The coder's single conversation while it refines one correct program for speed."""

    session: ProblemSession
    latest: Candidate
    """The last correct program: the one the phase started from, then each passing refinement."""
    conversation: Conversation
    rounds: int = 0

    @classmethod
    def start(cls, session: ProblemSession, candidate: Candidate) -> CoderChat:
        return cls(session=session, latest=candidate, conversation=candidate.conversation)

    @property
    def next_key(self) -> str:
        """Memo key prefix of the turns leading to the next round (e.g. 's0.p1' before round 1)."""
        return f"{self.latest.key}.p{self.rounds + 1}"

    async def discuss(self, prompt: str, *, purpose: Purpose) -> str:
        """A coder turn without code (a plan, an analysis): a model call, not a candidate."""
        conversation = self.conversation.user(prompt)
        output = await self._ask(conversation, purpose)
        self.conversation = conversation.assistant(output)
        return output

    async def refine(self, prompt: str) -> Candidate | None:
        """A coder turn that must give a faster program: the refinement, or None if it fails."""
        self.rounds += 1
        child, ok = await refine_turn(
            self.session,
            self.latest,
            self.conversation.user(prompt),
            suffix=f"p{self.rounds}",
            round=self.rounds,
        )
        self.conversation = child.conversation
        if not ok:
            return None
        self.latest = child
        return child

    async def consult(self, *, system: str, prompt: str, purpose: Purpose) -> str:
        """One turn of another agent (reviewer, leader), in its own fresh conversation."""
        return await self._ask(Conversation().user(prompt).system(system), purpose)

    async def _ask(self, conversation: Conversation, purpose: Purpose) -> str:
        output = await self.session.ask(
            conversation,
            key=f"{self.next_key}/{purpose.value}",
            purpose=purpose,
            sample_index=self.latest.sample_index,
            candidate_id=self.latest.id,
            greedy=True,
        )
        return output.text


@dataclass(frozen=True)
class Turn:
    """One coder turn of a fixed script: a template, and whether the reply is a program."""

    template: str
    purpose: Purpose | None = None
    """None: the coder answers with a program (a refinement round); else a non-code turn."""


@dataclass(frozen=True)
class ScriptedTurns:
    """A fixed sequence of coder turns (single-round prompts; plan or analyze, then refine)."""

    turns: tuple[Turn, ...]

    async def refine(self, session: ProblemSession, candidate: Candidate) -> None:
        chat = CoderChat.start(session, candidate)
        for turn in self.turns:
            prompt = render(turn.template, problem=session.problem)
            if turn.purpose is not None:
                await chat.discuss(prompt, purpose=turn.purpose)
            elif await chat.refine(prompt) is None:
                return


@dataclass(frozen=True)
class TimingComparison:
    """A refinement timed against the program it refines (PAIRED, on the feedback tests)."""

    before_s: float
    after_s: float
    tests: int
    repeats: int

    @property
    def faster(self) -> bool:
        return self.after_s < self.before_s

    def prompt_values(self) -> dict[str, object]:
        ratio = self.before_s / self.after_s if self.faster else self.after_s / self.before_s
        return {
            "faster": self.faster,
            "before": format_seconds(self.before_s),
            "after": format_seconds(self.after_s),
            "ratio": f"{ratio:.2f}",
            "tests": self.tests,
            "repeats": self.repeats,
        }


async def compare_times(
    session: ProblemSession, before: Candidate, after: Candidate
) -> TimingComparison | None:
    """Time `after` against `before` in one paired session; None if either fails or is untimed."""
    if before.code is None or after.code is None:
        return None
    tests = session.feedback_tests
    result = await session.run_job(
        [before.code, after.code], tests, MeasureMode.PAIRED, candidate_id=after.id
    )
    old, new = result.programs[0], result.programs[1]
    if not (old.ok and new.ok) or old.total_time_s is None or new.total_time_s is None:
        return None
    if old.total_time_s <= 0 or new.total_time_s <= 0:
        return None
    return TimingComparison(old.total_time_s, new.total_time_s, len(tests), session.config.measurement.repeats)


def format_seconds(seconds: float) -> str:
    """A duration as people write it: '3.21 s', '45.6 ms', '789 µs'."""
    if seconds >= 1.0:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


@dataclass(frozen=True)
class DirectExecutionFeedback:
    """Table II 'Direct Execution Feedback': optimize; faster or slower than before, try again."""

    async def refine(self, session: ProblemSession, candidate: Candidate) -> None:
        chat = CoderChat.start(session, candidate)
        first = await chat.refine(render("perf_improve"))
        if first is None:
            return
        timing = await compare_times(session, candidate, first)
        if timing is not None:
            await chat.refine(render("perf_exec_feedback", **timing.prompt_values()))


def variant(
    name: str,
    summary: str,
    strategy: PerformanceStrategy,
    *,
    calls_per_correct: str,
    correctness: CorrectnessStyle | None = None,
) -> MethodInfo:
    """PerfCodeGen with another performance phase (and optionally a fixed correctness
    phase; None follows `config.method.correctness_feedback`)."""
    if correctness is None:
        fixing = "2 per failing sample (1 direct, 0 none)"
    else:
        fixing = f"{('none', 'direct', 'reflect').index(correctness)} per failing sample"

    def factory(config: RunConfig) -> PerfCodeGen:
        style = correctness if correctness is not None else config.method.correctness_feedback
        return PerfCodeGen(correctness=style, performance=strategy)

    return MethodInfo(
        name=name,
        summary=summary,
        family="perfcodegen",
        paradigms=("nl2code", "edit"),
        call_budget=f"k + {fixing} + {calls_per_correct} per correct program",
        factory=factory,
    )


METHODS = (    variant(
        "perf-prompt",
        "PerfCodeGen with the Perf Improvement Prompt only (Table II; one greedy round).",
        ScriptedTurns((Turn("perf_improve"),)),
        calls_per_correct="1",
    ),
    variant(
        "perf-icl",
        "PerfCodeGen with 3-shot in-context learning: optimize, shown three slow->fast demos (Table II).",
        ScriptedTurns((Turn("perf_icl"),)),
        calls_per_correct="1",
    ),
    variant(
        "perf-strategies",
        "PerfCodeGen with pre-defined strategies: optimize, given common Python speed-ups (Table II).",
        ScriptedTurns((Turn("perf_strategies"),)),
        calls_per_correct="1",
    ),
    variant(
        "perf-plan-refine",
        "PerfCodeGen with Plan and Refine: plan the optimization, then implement it (Table II).",
        ScriptedTurns((Turn("perf_plan", Purpose.PERFORMANCE_PLAN), Turn("perf_plan_implement"))),
        calls_per_correct="2",
    ),
    variant(
        "perf-analyze-refine",
        "PerfCodeGen with Analyze and Refine: analyze the time complexity, then refine (Table II).",
        ScriptedTurns((Turn("perf_analyze", Purpose.PERFORMANCE_ANALYSIS), Turn("perf_analyze_refine"))),
        calls_per_correct="2",
    ),
    variant(
        "perf-exec-feedback",
        "PerfCodeGen with direct execution feedback: optimize, told faster/slower with times, retry (Table II).",
        DirectExecutionFeedback(),
        calls_per_correct="up to 2",
    ),
    variant(
        "perfcodegen-direct",
        "PerfCodeGen with direct test-case feedback (no planning turn) for correctness (Table III).",
        CostliestTestFeedback(),
        calls_per_correct="up to 2",
        correctness="direct",
    ),
)
