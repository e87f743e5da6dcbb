"""PerfCodeGen's Table II / III method variants, end to end: scripted model over loopback HTTP,
the real openai client, the real judge and a real run store.

The model is scripted by the kind of turn it is asked for (a marker in the last user message,
or the system role of another agent), so each test states exactly what the model answers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from perfcodegen.config import RunConfig
from perfcodegen.judge import Judge, JudgeConfig
from perfcodegen.judge.model import MeasureMode
from perfcodegen.llm.registry import get_model
from perfcodegen.methods.perf_strategies import format_seconds
from perfcodegen.methods.prompts import render
from perfcodegen.methods.registry import get_method_info
from perfcodegen.pipeline import run_method
from perfcodegen.problems.model import Problem, TestCase
from perfcodegen.store import CallRecord, CandidateRecord, RunStore
from support.scripted_server import Script, ScriptedServer, scripted_server  # noqa: F401

PROMPT = 'def sum_below(n):\n    """Return 0 + 1 + ... + (n - 1)."""\n'


def program(body: str) -> str:
    return f"```python\ndef sum_below(n):\n{body}\n```"


SLOW = program("    total = 0\n    for i in range(n):\n        total += i\n    return total")
SLOWER = program("    return sum(int(repr(float(i))[:-2]) for i in range(n))")
FAST = program("    return n * (n - 1) // 2")
MEDIUM = program("    return sum(range(n))")
BROKEN = program("    return n * (n + 1) // 2")
WRONG = program("    return n")
PLAN = "PLAN: replace the loop by the closed form n * (n - 1) / 2."
ANALYSIS = "ANALYSIS: the loop is O(n); a formula is O(1)."
REVIEW = "REVIEW: use integer arithmetic only."
LEADER_PLAN = "LEADER PLAN: 1. drop the loop. 2. use Gauss's formula."

# Markers of each kind of coder turn, most specific first.
SAMPLE = "Please write a correct Python solution"
PLAN_TURN = "propose a plan to refine it"
ANALYZE_TURN = "analyze the time complexity"
IMPLEMENT_PLAN = "according to your plan"
IMPLEMENT_ANALYSIS = "Based on your time complexity analysis"
LEADER_TURN = "Our team leader wrote"
REVISE = "A reviewer reviewed your optimized program"
EXEC_FEEDBACK = "We tested your optimized program against your previous"
COSTLIEST = "costs the most time in execution"
FIX = "is not correct and cannot pass"
IMPROVE = "Good job!"


def script(turns: dict[str, str]) -> Script:
    """Answer each coder turn by the first marker (in `turns` order) its last user message has;
    the reviewer and the leader answer by their system role."""

    def answer(request: dict[str, Any]) -> str:
        messages = request["messages"]
        if messages[0]["role"] == "system":
            return REVIEW if "code reviewer" in messages[0]["content"] else LEADER_PLAN
        last = messages[-1]["content"]
        for marker, reply in turns.items():
            if marker in last:
                return reply
        raise AssertionError(f"unscripted turn: {last[:120]!r}")

    return answer


def make_problem(input_program: str | None = None) -> Problem:
    tests = [TestCase.call([n], n * (n - 1) // 2) for n in (10, 3_000, 40_000)]
    return Problem(
        id="tiny/sum_below",
        benchmark="tiny",
        native_id="sum_below",
        statement="Return the sum of the integers below n.",
        prompt=PROMPT,
        entry_point="sum_below",
        tests=tests,
        references=[source(MEDIUM)],
        input_program=input_program,
    )


def source(reply: str) -> str:
    return reply.removeprefix("```python\n").removesuffix("\n```")


class Run:
    """One method run on the tiny problem, and what it left behind."""

    def __init__(self, server: ScriptedServer, store: RunStore, problem: Problem) -> None:
        self.server, self.store, self.problem = server, store, problem

    @property
    def calls(self) -> list[CallRecord]:
        return self.store.calls(self.problem.id)

    @property
    def purposes(self) -> list[str]:
        return [c.purpose for c in self.calls]

    @property
    def candidates(self) -> dict[str, CandidateRecord]:
        return {c.id.rsplit("#", 1)[1]: c for c in self.store.candidates(self.problem.id)}

    def shape(self) -> dict[str, tuple[str, int, bool]]:
        """Candidate key -> (phase, round, correct on all tests)."""
        return {key: (c.phase, c.round, c.correct) for key, c in self.candidates.items()}

    @property
    def final(self) -> str | None:
        record = self.store.get_problem(self.problem.id)
        assert record is not None and record.status == "done", record
        final_id = record.result["final_candidate_id"]
        return None if final_id is None else str(final_id).rsplit("#", 1)[1]

    def requests(self) -> list[list[dict[str, Any]]]:
        return [r.messages for r in self.server.chat_requests]


@pytest.fixture
def run_tiny(tmp_path: Path, scripted_server: Any) -> Iterator[Any]:  # noqa: F811
    run_numbers = itertools.count()

    async def run(method: str, turns: dict[str, str], **overrides: Any) -> Run:
        server = scripted_server(script(turns))
        settings: dict[str, Any] = {"k": 1, "repeats": 3, **overrides}
        config = RunConfig(
            name="t", benchmark="tiny", model="openai/scripted-model", method=method, **settings
        )
        problem = make_problem(source(SLOW) if settings.get("paradigm") == "edit" else None)
        store = RunStore(tmp_path / f"run{next(run_numbers)}")
        model = get_model(config.generation.model, base_url=server.base_url, api_key="x")
        try:
            async with Judge(JudgeConfig(workers=2)) as judge:
                summary = await run_method(
                    config,
                    [problem],
                    store,
                    model=model,
                    refine_model=None,
                    judge=judge,
                )
        finally:
            await model.aclose()
        assert summary.errors == {}, summary.errors
        assert server.script_errors == []
        return Run(server, store, problem)

    yield run


def roles(messages: list[dict[str, Any]]) -> list[str]:
    return [m["role"] for m in messages]


def user_turns(messages: list[dict[str, Any]]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "user"]


# -- single-round and two-turn scripts -------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "turn_templates", "purposes"),
    [
        ("perf-prompt", ["perf_improve"], ["performance"]),
        ("perf-icl", ["perf_icl"], ["performance"]),
        ("perf-strategies", ["perf_strategies"], ["performance"]),
        (
            "perf-plan-refine",
            ["perf_plan", "perf_plan_implement"],
            ["performance-plan", "performance"],
        ),
        (
            "perf-analyze-refine",
            ["perf_analyze", "perf_analyze_refine"],
            ["performance-analysis", "performance"],
        ),
    ],
)
async def test_scripted_turns_continue_the_coder_chat(
    run_tiny: Any, method: str, turn_templates: list[str], purposes: list[str]
) -> None:
    turns = {
        SAMPLE: SLOW,
        PLAN_TURN: PLAN,
        ANALYZE_TURN: ANALYSIS,
        IMPLEMENT_PLAN: FAST,
        IMPLEMENT_ANALYSIS: FAST,
        IMPROVE: FAST,
    }
    run = await run_tiny(method, turns)
    assert run.purposes == ["sample", *purposes]
    requests = run.requests()
    assert len(requests) == 1 + len(turn_templates)
    last = requests[-1]
    # One conversation: the sample prompt, then each turn of the method, answered in order.
    assert roles(last) == ["user", "assistant"] * len(turn_templates) + ["user"]
    assert user_turns(last)[1:] == [render(t, problem=run.problem) for t in turn_templates]
    assert last[1] == {"role": "assistant", "content": SLOW}
    if len(turn_templates) == 2:
        assert last[3]["content"] in (PLAN, ANALYSIS)
    assert run.shape() == {"s0": ("sample", 0, True), "s0.p1": ("performance", 1, True)}
    assert run.candidates["s0.p1"].parent_id == run.candidates["s0"].id
    assert run.final == "s0.p1"


async def test_each_correct_sample_gets_its_own_refinement_chain(run_tiny: Any) -> None:
    turns = {SAMPLE: SLOW, ANALYZE_TURN: ANALYSIS, IMPLEMENT_ANALYSIS: FAST}
    run = await run_tiny("perf-analyze-refine", turns, k=2)
    assert sorted(run.purposes) == sorted(["sample", "performance-analysis", "performance"] * 2)
    refinement_calls = sorted((c.candidate_id, c.purpose) for c in run.calls if c.candidate_id)
    assert refinement_calls == [
        (run.candidates[key].id, purpose)
        for key in ("s0", "s1")
        for purpose in ("performance", "performance-analysis")
    ]
    assert {key: c.parent_id for key, c in run.candidates.items()} == {
        "s0": None,
        "s1": None,
        "s0.p1": run.candidates["s0"].id,
        "s1.p1": run.candidates["s1"].id,
    }
    # Per sample: the sample prompt, then the analysis turn, then the refine turn, one chat each.
    assert sorted(len(r) for r in run.requests()) == [1, 1, 3, 3, 5, 5]


def test_prompt_contents_carry_the_instruction_and_the_extras() -> None:
    improve = render("perf_improve")
    icl, strategies = render("perf_icl"), render("perf_strategies")
    assert icl.startswith(improve) and strategies.startswith(improve)
    assert len(re.findall(r"^Example \d", icl, re.MULTILINE)) == 3
    assert "sets or dicts for membership" in strategies and "lru_cache" in strategies


def test_icl_demonstrations_are_correct_speedups() -> None:
    """Each demo pair of perf_icl.j2 is functionally equivalent on the inputs it allows."""
    blocks = re.findall(r"```python\n(.*?)```", render("perf_icl"), re.DOTALL)
    assert len(blocks) == 6
    inputs: dict[str, list[tuple[Any, ...]]] = {
        "common_elements": [([1, 2, 2, 5, 7], [2, 7, 9]), ([], [1]), (["a", "b", "a"], ["a"])],
        "sum_of_multiples": [(n, k) for n in (0, 1, 2, 10, 31) for k in (1, 3, 7)],
        "fib": [(n,) for n in range(15)],
    }
    for slow_source, fast_source in zip(blocks[::2], blocks[1::2], strict=True):
        slow_ns: dict[str, Any] = {}
        fast_ns: dict[str, Any] = {}
        exec(slow_source, slow_ns)
        exec(fast_source, fast_ns)
        (name,) = [n for n in inputs if n in slow_ns]
        assert name in fast_ns
        for args in inputs[name]:
            assert fast_ns[name](*args) == slow_ns[name](*args), (name, args)


# -- a refinement that breaks correctness ----------------------------------------------------


async def test_broken_refinement_is_dropped_and_ends_the_strategy(run_tiny: Any) -> None:
    run = await run_tiny(
        "perf-plan-refine", {SAMPLE: SLOW, PLAN_TURN: PLAN, IMPLEMENT_PLAN: BROKEN}
    )
    assert run.purposes == ["sample", "performance-plan", "performance"]
    assert run.shape() == {"s0": ("sample", 0, True), "s0.p1": ("performance", 1, False)}
    assert run.final == "s0"


async def test_reviewer_is_not_asked_about_a_broken_refinement(run_tiny: Any) -> None:
    run = await run_tiny("perf-agents-reviewer", {SAMPLE: SLOW, IMPROVE: BROKEN})
    assert run.purposes == ["sample", "performance"]
    assert run.final == "s0"


# -- multi-agent ----------------------------------------------------------------------------


async def test_coder_and_reviewer(run_tiny: Any) -> None:
    run = await run_tiny("perf-agents-reviewer", {SAMPLE: SLOW, REVISE: BROKEN, IMPROVE: FAST})
    assert run.purposes == ["sample", "performance", "agent-review", "performance"]
    _, refine, review, revise = run.requests()
    assert user_turns(refine)[-1] == render("perf_improve")
    # The reviewer has its own conversation: a system role and one user turn with the code.
    assert roles(review) == ["system", "user"]
    assert review[0]["content"] == render("agent_reviewer_system")
    assert "return n * (n - 1) // 2" in review[1]["content"]
    assert "total += i" not in review[1]["content"]
    # The coder revises in its own, continued conversation, with the review in its turn.
    assert roles(revise) == ["user", "assistant", "user", "assistant", "user"]
    assert revise[:4] == [*refine, {"role": "assistant", "content": FAST}]
    assert revise[-1]["content"] == render("agent_coder_revise", review=REVIEW)
    assert run.shape() == {
        "s0": ("sample", 0, True),
        "s0.p1": ("performance", 1, True),
        "s0.p1.p2": ("performance", 2, False),
    }
    assert run.final == "s0.p1"


async def test_leader_coder_reviewer(run_tiny: Any) -> None:
    run = await run_tiny("perf-agents-team", {SAMPLE: SLOW, REVISE: FAST, LEADER_TURN: BROKEN})
    assert run.purposes == ["sample", "agent-plan", "performance"]
    assert run.final == "s0"

    run = await run_tiny("perf-agents-team", {SAMPLE: SLOW, REVISE: MEDIUM, LEADER_TURN: FAST})
    assert run.purposes == ["sample", "agent-plan", "performance", "agent-review", "performance"]
    _, lead, implement, review, revise = run.requests()
    assert roles(lead) == ["system", "user"]
    assert lead[0]["content"] == render("agent_leader_system")
    assert "total += i" in lead[1]["content"]  # the leader plans for the correct program
    assert roles(implement) == ["user", "assistant", "user"]
    assert implement[-1]["content"] == render("agent_coder_plan", plan=LEADER_PLAN)
    assert roles(review) == ["system", "user"] and "return n * (n - 1) // 2" in review[1]["content"]
    assert revise[:4] == [*implement, {"role": "assistant", "content": FAST}]
    assert revise[-1]["content"] == render("agent_coder_revise", review=REVIEW)
    assert run.shape() == {
        "s0": ("sample", 0, True),
        "s0.p1": ("performance", 1, True),
        "s0.p1.p2": ("performance", 2, True),
    }
    assert run.final in ("s0.p1", "s0.p1.p2")  # both refinements are correct: timing decides


# -- direct execution feedback --------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "faster"), [(FAST, True), (SLOWER, False)], ids=["faster", "slower"]
)
async def test_exec_feedback_verbalises_the_paired_times(
    run_tiny: Any, first: str, faster: bool
) -> None:
    run = await run_tiny(
        "perf-exec-feedback", {SAMPLE: SLOW, EXEC_FEEDBACK: BROKEN, IMPROVE: first}
    )
    assert run.purposes == ["sample", "performance", "performance"]
    *_, feedback = run.requests()
    assert roles(feedback) == ["user", "assistant"] * 2 + ["user"]
    paired = [r for _, r in run.store.judge_results(run.problem.id) if r.mode is MeasureMode.PAIRED]
    # The session's own paired timing on the feedback tests (the final measurement is separate).
    timing = next(r for r in paired if len(r.programs) == 2 and len(r.programs[0].tests) == 3)
    before, after = (p.total_time_s for p in timing.programs)
    assert before is not None and after is not None
    assert (after < before) is faster
    expected = render(
        "perf_exec_feedback",
        faster=faster,
        before=format_seconds(before),
        after=format_seconds(after),
        ratio=f"{max(before, after) / min(before, after):.2f}",
        tests=3,
        repeats=3,
    )
    assert feedback[-1]["content"] == expected, expected
    assert ("is faster than before" in expected) is faster
    assert run.shape() == {
        "s0": ("sample", 0, True),
        "s0.p1": ("performance", 1, True),
        "s0.p1.p2": ("performance", 2, False),
    }
    assert run.final == "s0.p1"


# -- Table III: direct test-case feedback in the correctness phase ---------------------------


async def test_perfcodegen_direct_skips_the_planning_turn(run_tiny: Any) -> None:
    turns = {SAMPLE: WRONG, FIX: MEDIUM, COSTLIEST: BROKEN, IMPROVE: FAST}
    run = await run_tiny("perfcodegen-direct", turns, correctness_feedback="reflect")
    assert run.purposes == ["sample", "correctness-refine", "performance", "performance"]
    _, fix, improve, costliest = run.requests()
    assert roles(fix) == ["user", "assistant", "user"]
    assert "Could you please modify your solution so that it can fulfill" in fix[-1]["content"]
    assert "analyze the reason of failure" not in fix[-1]["content"]
    assert improve[:4] == [*fix, {"role": "assistant", "content": MEDIUM}]
    assert COSTLIEST in costliest[-1]["content"]
    assert run.shape() == {
        "s0": ("sample", 0, False),
        "s0.c1": ("correctness", 1, True),
        "s0.c1.p1": ("performance", 1, True),
        "s0.c1.p1.p2": ("performance", 2, False),
    }
    assert run.final == "s0.c1.p1"


async def test_correctness_style_follows_the_config(run_tiny: Any) -> None:
    turns = {SAMPLE: WRONG, FIX: "The loop is wrong.", "modify your solution": FAST, IMPROVE: FAST}
    run = await run_tiny("perf-prompt", turns, correctness_feedback="reflect")
    assert run.purposes == ["sample", "correctness-reflect", "correctness-refine", "performance"]
    assert run.final == "s0.c1.p1"


async def test_edit_paradigm_refines_the_edited_program(run_tiny: Any) -> None:
    turns = {"Optimize the python program below": FAST, IMPROVE: MEDIUM}
    run = await run_tiny("perf-strategies", turns, paradigm="edit")
    sample, refine = run.requests()
    assert "total += i" in sample[0]["content"]  # the input program to edit
    assert refine[-1]["content"] == render("perf_strategies")
    assert run.shape() == {"s0": ("sample", 0, True), "s0.p1": ("performance", 1, True)}
    # PerfCodeGen's rule: a correct refinement is final even when its parent was faster.
    assert run.final == "s0.p1"


# -- registry -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "per_correct"),
    [
        ("perf-prompt", "1"),
        ("perf-icl", "1"),
        ("perf-strategies", "1"),
        ("perf-plan-refine", "2"),
        ("perf-analyze-refine", "2"),
        ("perf-agents-reviewer", "up to 3"),
        ("perf-agents-team", "up to 4"),
        ("perf-exec-feedback", "up to 2"),
        ("perfcodegen-direct", "up to 2"),
    ],
)
def test_registered_with_family_paradigms_and_budget(name: str, per_correct: str) -> None:
    info = get_method_info(name)
    assert info.family == "perfcodegen"
    assert info.paradigms == ("nl2code", "edit")
    assert info.call_budget.endswith(f"+ {per_correct} per correct program")
    assert info.call_budget.startswith("k + ")
