"""Steps shared by methods: draw samples, and the PerfCodeGen correctness phase."""

from __future__ import annotations

import asyncio
from typing import Literal

from perfcodegen.judge.model import ProgramResult, Verdict
from perfcodegen.llm.model import Purpose
from perfcodegen.methods.feedback import describe_error, failing_test
from perfcodegen.methods.prompts import render
from perfcodegen.methods.session import Candidate, Conversation, ProblemSession

CorrectnessStyle = Literal["reflect", "direct", "none"]


def first_prompt(session: ProblemSession, template: str | None = None) -> str:
    """The opening user turn: NL-to-code, or history-based editing of the input program."""
    problem = session.problem
    if session.config.selection.paradigm == "edit":
        return render(template or "edit_instruct", problem=problem, program=problem.input_program or "")
    return render(template or "generate", problem=problem)


async def draw_samples(
    session: ProblemSession, *, prompt: str | None = None, system: str | None = None
) -> list[Candidate]:
    """Sample k candidates (nucleus sampling), one memoized call per sample index."""
    opening = Conversation().user(prompt or first_prompt(session))
    if system:
        opening = opening.system(system)

    async def one(index: int) -> Candidate:
        key = f"s{index}"
        output = await session.ask(opening, key=f"{key}/sample", purpose=Purpose.SAMPLE, sample_index=index)
        return session.add_candidate(
            key, output.text, opening.assistant(output.text), sample_index=index, phase="sample"
        )

    return list(await asyncio.gather(*(one(i) for i in range(session.config.generation.k))))


async def ensure_correct(
    session: ProblemSession, candidate: Candidate, style: CorrectnessStyle
) -> Candidate | None:
    """PerfCodeGen's correctness phase (Section II-A, Fig. 2): one round of test feedback.

    Returns the candidate itself when it already passes the feedback tests, its refinement
    when that passes, else None.
    """
    result = await session.check(candidate)
    if result.ok:
        return candidate
    if style == "none":
        return None
    conversation = feedback_turn(session, candidate, result, style)
    key = f"{candidate.key}.c1"
    if style == "reflect":
        reflection = await session.ask(
            conversation, key=f"{key}/reflect", purpose=Purpose.CORRECTNESS_REFLECT,
            sample_index=candidate.sample_index, candidate_id=candidate.id,
        )
        conversation = conversation.assistant(reflection.text).user(render("correctness_refine"))
    output = await session.ask(
        conversation, key=f"{key}/refine", purpose=Purpose.CORRECTNESS_REFINE,
        sample_index=candidate.sample_index, candidate_id=candidate.id,
    )
    fixed = session.add_candidate(
        key, output.text, conversation.assistant(output.text),
        sample_index=candidate.sample_index, phase="correctness", round=1, parent=candidate,
    )
    return fixed if (await session.check(fixed)).ok else None


def feedback_turn(
    session: ProblemSession, candidate: Candidate, result: ProgramResult, style: CorrectnessStyle
) -> Conversation:
    tests = session.check_tests  # the tests `session.check` ran, in its order
    test = failing_test(session.problem, tests, result)
    template = "correctness_reflect" if style == "reflect" else "correctness_direct"
    text = render(
        template,
        testcase=test.describe(session.problem.entry_point),
        error=describe_error(result),
        failure_kind=failure_kind(result)
        if session.config.method.correctness_prompts == "by-failure"
        else "paper",
    )
    return candidate.conversation.user(text)


def failure_kind(result: ProgramResult) -> str:
    """Which of the released PerfCodeGen code's three correctness prompts fits a failure:
    'wrong' (a wrong answer: the test only), 'crashed' (the test and the error), 'unparsed'
    (a syntax error or a timeout: neither)."""
    failure = result.first_failure
    verdict = failure.verdict if failure is not None else result.verdict
    if failure is None or verdict in (Verdict.SYNTAX_ERROR, Verdict.TIMEOUT):
        return "unparsed"
    return "wrong" if verdict is Verdict.WRONG_ANSWER else "crashed"

