"""ECCO's methods (§4): instruct, few-shot, self-refine, exec-refine and NL+exec-refine.

Every method opens with one prompt per sample: I_gen (Fig. 10) for NL-instructed generation
or I_eff (Fig. 8) for history-based editing, with train-split demonstrations for few-shot.
The refinement methods then run `--iterations` rounds (1-4) on each sample's chain:

- self-refine: NL feedback on the latest program (Fig. 11), then refine (Fig. 12);
- exec-refine: raw execution feedback on the public tests (Fig. 9), then refine (Fig. 12);
- nl-exec-refine: the execution feedback, a reflection on it (Fig. 13), then refine with the
  reflection as the feedback (Fig. 12).

As in ECCO's released code every turn is a fresh single-message chat (the prompts carry the
program and the feedback), the first sample uses the run's temperature and all later turns
are greedy, or decode at ``refine_temperature`` when the run sets one (ECCO's protocols: 0.4). Iteration i's program is a candidate of phase 'refine', round i, child of the
previous one. The final program is the last iteration's output of the first sample's chain,
whatever its correctness (ECCO scores pass@1 of what the method returns).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from perfcodegen.config import RunConfig
from perfcodegen.errors import PerfCodegenError
from perfcodegen.llm.model import Purpose
from perfcodegen.methods.base import Method, MethodInfo
from perfcodegen.methods.common import draw_samples
from perfcodegen.methods.ecco_examples import Example, choose_examples, load_examples, origin_of
from perfcodegen.methods.ecco_execution import execute_on_public_tests
from perfcodegen.methods.prompts import render
from perfcodegen.methods.session import Candidate, Conversation, ProblemSession
from perfcodegen.metrics.records import CandidateOutcome, ProblemOutcome
from perfcodegen.vocabulary import Problem, TestCase

FAMILY = "ecco"
PARADIGMS = ("nl2code", "edit")
REFINE_PHASE = "refine"
MAX_ITERATIONS = 4


# -- the opening prompt -------------------------------------------------------------------------
def opening_prompt(session: ProblemSession, examples: list[Example]) -> str:
    """I_eff (edit) or I_gen (nl2code), with demonstrations when given."""
    return problem_prompt(session.problem, session.config.selection.paradigm, examples)


def problem_prompt(problem: Problem, paradigm: str, examples: Sequence[Example] = ()) -> str:
    """The opening prompt of a problem, without a session (fine-tuning data uses it too)."""
    if paradigm == "edit":
        if problem.input_program is None:
            raise PerfCodegenError(
                f"--paradigm edit needs an input program, and {problem.id} has none "
                "(use the ECCO edit variant or PIE pairs)"
            )
        return render("ecco_edit", program=problem.input_program, examples=list(examples))
    samples = [_sample(problem, t) for t in problem.public_tests]
    return render(
        "ecco_generate",
        name=origin_of(problem),
        description=problem.statement if problem.is_stdio else problem.prompt,
        inputs="\n\n".join(s.input for s in samples),
        outputs="\n\n".join(s.output for s in samples),
        examples=list(examples),
    )


@dataclass(frozen=True)
class _Sample:
    input: str
    output: str


def _sample(problem: Problem, test: TestCase) -> _Sample:
    if test.stdin is not None or test.expected_stdout is not None:
        return _Sample(
            input=(test.stdin or "").rstrip("\n"), output=(test.expected_stdout or "").rstrip("\n")
        )
    return _Sample(input=test.describe(problem.entry_point), output=repr(test.expected))


# -- feedback sources for the refinement loop ---------------------------------------------------
class FeedbackSource(Protocol):
    """Produces the feedback text that the refine prompt (Fig. 12) carries."""

    async def feedback(self, session: ProblemSession, candidate: Candidate, key: str) -> str: ...


def program_text(candidate: Candidate) -> str:
    """The latest attempt as shown to the model: its program, else its raw reply."""
    return candidate.code if candidate.code is not None else candidate.conversation.last


@dataclass(frozen=True)
class SelfFeedback:
    """Self-refine: the model's own NL feedback (Fig. 11)."""

    async def feedback(self, session: ProblemSession, candidate: Candidate, key: str) -> str:
        description = session.problem.statement if session.config.selection.paradigm == "nl2code" else ""
        prompt = render("ecco_feedback", program=program_text(candidate), description=description)
        return await _ask_greedy(
            session, candidate, prompt, key=f"{key}/feedback", purpose=Purpose.ECCO_FEEDBACK
        )


@dataclass(frozen=True)
class ExecutionFeedback:
    """Exec-refine: raw execution results on the public tests (Fig. 9)."""

    async def feedback(self, session: ProblemSession, candidate: Candidate, key: str) -> str:
        return (await execute_on_public_tests(session, candidate)).verbalise()


@dataclass(frozen=True)
class ReflectedExecutionFeedback:
    """NL+exec-refine: a reflection (Fig. 13) on the raw execution results."""

    async def feedback(self, session: ProblemSession, candidate: Candidate, key: str) -> str:
        execution = (await execute_on_public_tests(session, candidate)).verbalise()
        prompt = render("ecco_reflect", program=program_text(candidate), execution=execution)
        return await _ask_greedy(
            session, candidate, prompt, key=f"{key}/reflect", purpose=Purpose.ECCO_REFLECT
        )


async def _ask_greedy(
    session: ProblemSession, candidate: Candidate, prompt: str, *, key: str, purpose: Purpose
) -> str:
    output = await session.ask(
        Conversation().user(prompt),
        key=key,
        purpose=purpose,
        sample_index=candidate.sample_index,
        candidate_id=candidate.id,
        greedy=True,
    )
    return output.text


# -- the method --------------------------------------------------------------------------------
@dataclass(frozen=True)
class EccoMethod:
    examples: tuple[Example, ...] = ()
    """The train-split pool for few-shot (empty: instruction prompting)."""
    shots: int = 0
    seed: int = 0
    feedback: FeedbackSource | None = None
    iterations: int = 0

    async def solve(self, session: ProblemSession) -> None:
        shown = (
            choose_examples(self.examples, session.problem, self.shots, self.seed)
            if self.shots
            else []
        )
        samples = await draw_samples(session, prompt=opening_prompt(session, shown))
        await asyncio.gather(*(self.refine_chain(session, sample) for sample in samples))

    async def refine_chain(self, session: ProblemSession, sample: Candidate) -> Candidate:
        """`iterations` rounds of feedback then refine; returns the last program."""
        current = sample
        if self.feedback is None:
            return current
        for iteration in range(1, self.iterations + 1):
            key = f"{current.key}.r{iteration}"
            feedback = await self.feedback.feedback(session, current, key)
            conversation = Conversation().user(
                render("ecco_refine", program=program_text(current), feedback=feedback)
            )
            output = await session.ask(
                conversation,
                key=f"{key}/refine",
                purpose=Purpose.ECCO_REFINE,
                sample_index=current.sample_index,
                candidate_id=current.id,
                greedy=True,
            )
            current = session.add_candidate(
                key,
                output.text,
                conversation.assistant(output.text),
                sample_index=current.sample_index,
                phase=REFINE_PHASE,
                round=iteration,
                parent=current,
            )
        return current


def last_iteration(outcome: ProblemOutcome) -> CandidateOutcome | None:
    """ECCO's final program: the latest round of the first sample's chain, correct or not."""
    chain = [c for c in outcome.candidates if c.sample_index == 0]
    return max(reversed(chain), key=lambda c: c.round, default=None)


# -- factories and registration ----------------------------------------------------------------
def _checked_iterations(config: RunConfig) -> int:
    if not 1 <= config.method.iterations <= MAX_ITERATIONS:
        raise PerfCodegenError(
            f"--iterations must be between 1 and {MAX_ITERATIONS} for ECCO's refinement methods "
            f"(got {config.method.iterations})"
        )
    return config.method.iterations


def _instruct(config: RunConfig) -> Method:
    return EccoMethod()


def _few_shot(config: RunConfig) -> Method:
    if config.method.few_shot < 1:
        raise PerfCodegenError(
            f"--few-shot must be at least 1 for few-shot (got {config.method.few_shot})"
        )
    return EccoMethod(examples=load_examples(config), shots=config.method.few_shot, seed=config.generation.seed or 0)


def _refining(source: FeedbackSource) -> Callable[[RunConfig], Method]:
    def factory(config: RunConfig) -> Method:
        return EccoMethod(feedback=source, iterations=_checked_iterations(config))

    return factory


def _info(name: str, summary: str, budget: str, factory: Callable[[RunConfig], Method]) -> MethodInfo:
    return MethodInfo(
        name=name,
        summary=summary,
        family=FAMILY,
        paradigms=PARADIGMS,
        call_budget=budget,
        factory=factory,
        final_rule=last_iteration,
    )


METHODS = (
    _info(
        "instruct",
        "ECCO instruction prompting: I_gen (NL) or I_eff (edit), one program.",
        "k",
        _instruct,
    ),
    _info(
        "few-shot",
        "ECCO few-shot: --few-shot seeded train-split examples before I_gen / I_eff.",
        "k",
        _few_shot,
    ),
    _info(
        "self-refine",
        "ECCO self-refine: NL self-feedback, then refine; --iterations rounds.",
        "k x (1 + 2 x iterations)",
        _refining(SelfFeedback()),
    ),
    _info(
        "exec-refine",
        "ECCO exec-refine: raw public-test results (pass/fail, time, memory), then refine.",
        "k x (1 + iterations)",
        _refining(ExecutionFeedback()),
    ),
    _info(
        "nl-exec-refine",
        "ECCO NL+exec-refine: reflect on public-test results, then refine.",
        "k x (1 + 2 x iterations)",
        _refining(ReflectedExecutionFeedback()),
    ),
)
