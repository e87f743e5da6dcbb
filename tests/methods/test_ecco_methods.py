"""ECCO's methods end to end: the scripted loopback model, the real judge, a real run store.

The problem: read n, print 1 + ... + n (stdin/stdout). Two public tests (n = 3, 10) and two
private ones (n = 4321, 200000, whose inputs never appear in a prompt); the input program for
history-based editing is a correct but slow loop.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from perfcodegen.config import RunConfig
from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge import Judge, JudgeConfig
from perfcodegen.llm.registry import get_model
from perfcodegen.methods.ecco_fix import almost_correct_inputs
from perfcodegen.methods.registry import build_method
from perfcodegen.metrics.ecco import edit_metrics, generation_metrics
from perfcodegen.metrics.records import ProblemOutcome
from perfcodegen.pipeline import run_method
from perfcodegen.problems._io import shared_data_dir
from perfcodegen.problems.model import Problem, ProblemMetadata, TestCase
from perfcodegen.problems.registry import LoadOptions, load_benchmark
from perfcodegen.store import CandidateRecord, RunStore
from support import ScriptedServer

SLOW = "n = int(input())\ntotal = 0\nfor i in range(1, n + 1):\n    total += i\nprint(total)\n"
FAST = "n = int(input())\nprint(n * (n + 1) // 2)\n"
HALF_RIGHT = "n = int(input())\nprint(n * (n + 1) // 2 if n < 5 else -1)\n"
"""Passes the first public test (n = 3), fails the second (n = 10)."""
PUBLIC_ONLY = "n = int(input())\nprint(n * (n + 1) // 2 if n < 100 else 0)\n"
"""Almost correct: passes both public tests, fails both private ones."""
PUBLIC_NS = (3, 10)
PRIVATE_NS = (4321, 200000)
ORIGIN = "p90001"


def stdio_test(n: int, public: bool) -> TestCase:
    return TestCase.stdio(f"{n}\n", f"{n * (n + 1) // 2}\n", public=public)


def sum_problem(input_program: str = SLOW, name: str = "sum") -> Problem:
    statement = "Read an integer n and print the sum 1 + 2 + ... + n."
    return Problem(
        id=f"ecco/{name}",
        benchmark="ecco",
        native_id=name,
        statement=statement,
        prompt=statement,
        input_program=input_program,
        references=[FAST, SLOW],
        tests=[stdio_test(n, True) for n in PUBLIC_NS] + [stdio_test(n, False) for n in PRIVATE_NS],
        metadata=ProblemMetadata(extra={"problem_id": ORIGIN}),
    )


def fenced(code: str) -> str:
    return f"Here you go.\n```python\n{code.rstrip()}\n```\n"


class EccoScript:
    """Answers by the kind of prompt; refinements come from a list, in order."""

    def __init__(self, first: str, refinements: list[str]) -> None:
        self.first = first
        self.refinements = refinements
        self.counts = {"refine": 0, "feedback": 0, "reflect": 0}
        self.lock = threading.Lock()

    def __call__(self, request: dict[str, Any]) -> str:
        prompt = request["messages"][-1]["content"]
        with self.lock:
            if prompt.startswith("Refine the given"):
                self.counts["refine"] += 1
                return fenced(self.refinements[self.counts["refine"] - 1])
            if prompt.startswith("Give feedback in english"):
                self.counts["feedback"] += 1
                return f"FEEDBACK-{self.counts['feedback']}: the loop is slow, use the closed form."
            if prompt.startswith("Based on the execution results"):
                self.counts["reflect"] += 1
                return f"REFLECTION-{self.counts['reflect']}: the output is wrong for larger n."
        return fenced(self.first)


@pytest.fixture
def server_for() -> Iterator[Any]:
    started: list[ScriptedServer] = []

    def start(first: str, refinements: list[str] | None = None) -> ScriptedServer:
        server = ScriptedServer(EccoScript(first, refinements or [])).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


async def run_ecco(
    run_dir: Path, server: ScriptedServer, problems: list[Problem], **overrides: Any
) -> RunStore:
    settings: dict[str, Any] = {
        "name": run_dir.name,
        "benchmark": "ecco",
        "model": "openai/scripted-model",
        "k": 1,
        "temperature": 0.7,
        "measure": "wall",
        "repeats": 3,
        "method": "instruct",
    }
    config = RunConfig(**{**settings, **overrides})
    model = get_model(config.generation.model, base_url=server.base_url, api_key="x")
    store = RunStore(run_dir)
    try:
        async with Judge(JudgeConfig(workers=1, repeats=config.measurement.repeats, pin_cpus=False)) as judge:
            summary = await run_method(
                config,
                problems,
                store,
                model=model,
                refine_model=None,
                judge=judge,
            )
    finally:
        await model.aclose()
    assert summary.errors == {}
    assert summary.done == len(problems)
    return store


def prompts(server: ScriptedServer) -> list[str]:
    """Every request is one fresh user turn (ECCO's prompts carry program and feedback)."""
    requests = server.chat_requests
    for request in requests:
        assert [m["role"] for m in request.messages] == ["user"]
    return [r.messages[0]["content"] for r in requests]


def assert_no_private_test(texts: list[str]) -> None:
    for text in texts:
        for n in PRIVATE_NS:
            assert str(n) not in text and str(n * (n + 1) // 2) not in text


def outcome_of(store: RunStore, problem: Problem) -> ProblemOutcome:
    record = store.get_problem(problem.id)
    assert record is not None and record.status == "done"
    return ProblemOutcome.model_validate(record.result)


def chain(store: RunStore, problem: Problem) -> list[CandidateRecord]:
    return sorted(store.candidates(problem.id), key=lambda c: c.round)


def assert_chain(candidates: list[CandidateRecord], rounds: int) -> None:
    assert [(c.phase, c.round) for c in candidates] == [("sample", 0)] + [
        ("refine", i) for i in range(1, rounds + 1)
    ]
    for parent, child in itertools.pairwise(candidates):
        assert child.parent_id == parent.id


# -- instruct ------------------------------------------------------------------------------------
async def test_instruct_nl2code_shows_name_description_and_public_samples_only(
    tmp_path: Path, server_for: Any
) -> None:
    server = server_for(FAST)
    problem = sum_problem()
    store = await run_ecco(tmp_path / "run", server, [problem], paradigm="nl2code")

    (prompt,) = prompts(server)
    assert prompt.startswith("Write a python code which is correct and efficient")
    assert f"##Problem Name:\n{ORIGIN}" in prompt
    assert problem.statement in prompt
    assert "## Sample Inputs:\n3\n\n10\n##Sample Outputs:\n6\n\n55" in prompt
    assert_no_private_test([prompt])
    assert server.chat_requests[0].body["temperature"] == pytest.approx(0.7)
    outcome = outcome_of(store, problem)
    assert outcome.final_candidate_id == f"{problem.id}#s0"
    assert outcome.model_calls == 1
    metrics = generation_metrics([outcome])
    assert (metrics.problems, metrics.passed) == (1, 1)


async def test_instruct_edit_is_fig8_without_examples(tmp_path: Path, server_for: Any) -> None:
    server = server_for(FAST)
    problem = sum_problem()
    store = await run_ecco(tmp_path / "run", server, [problem], paradigm="edit", memory=True)

    (prompt,) = prompts(server)
    assert prompt.startswith(
        "Optimize the python program below to be functionally equivalent but run faster"
    )
    assert "Here are a few examples" not in prompt
    assert prompt.endswith(
        f"### Program:\n{SLOW.strip()}\n### Optimized (Runtime and Space) version of Program above:"
    )
    outcome = outcome_of(store, problem)
    assert outcome.input_correct is True
    final = outcome.candidate(outcome.final_candidate_id or "")
    assert final is not None and final.correct
    # ECCO Eq. 1-2 on this pair, by hand from the recorded totals.
    assert outcome.input_time_s is not None and final.time_s is not None
    metrics = edit_metrics([outcome])
    assert metrics.pass_at_1_pct == 100.0
    assert metrics.speedup == pytest.approx(outcome.input_time_s / final.time_s)
    assert metrics.runtime_optimized_pct == (100.0 if outcome.input_time_s > final.time_s else 0.0)
    if outcome.input_memory_kb and final.memory_kb:
        assert metrics.memory_reduction == pytest.approx(outcome.input_memory_kb / final.memory_kb)


# -- few-shot ------------------------------------------------------------------------------------
def write_train_split(root: Path) -> dict[str, tuple[str, str]]:
    """An ECCO-layout folder with edit/ and generate/ train files; returns origin -> (slow, fast)."""
    pairs = {
        f"p1000{i}": (f"print(sum([{i}] * {i + 1}))\n", f"print({i * (i + 1)})\n")
        for i in range(1, 4)
    }
    pairs[ORIGIN] = ("print('own slow')\n", "print('own fast')\n")
    (root / "edit").mkdir(parents=True)
    (root / "generate").mkdir()
    with (
        (root / "edit" / "train.jsonl").open("w") as edit,
        (root / "generate" / "train.jsonl").open("w") as gen,
    ):
        for origin, (slow, fast) in pairs.items():
            edit.write(json.dumps({"problem_id": origin, "input": slow, "target": fast}) + "\n")
            description = f"Description of {origin}."
            gen.write(
                json.dumps(
                    {"problem_id": origin, "problem_description": description, "fastest_code": fast}
                )
                + "\n"
            )
            folder = root / "public_test_cases" / origin
            folder.mkdir(parents=True)
            (folder / "input.0.txt").write_text("\n")
            (folder / "output.0.txt").write_text("0\n")
    return pairs


@pytest.mark.parametrize("paradigm", ["edit", "nl2code"])
async def test_few_shot_shows_seeded_train_examples_of_other_problems(
    tmp_path: Path, server_for: Any, paradigm: str
) -> None:
    data = tmp_path / "ecco-data"
    pairs = write_train_split(data)
    problem = sum_problem()
    texts = []
    for attempt in ("a", "b"):
        server = server_for(FAST)
        await run_ecco(
            tmp_path / attempt,
            server,
            [problem],
            method="few-shot",
            paradigm=paradigm,
            data=str(data),
            few_shot=3,
            seed=5,
        )
        texts.extend(prompts(server))
    first, second = texts
    assert first == second  # same seed, same problem: same demonstrations
    assert first.count("Here are a few examples:") == 1
    own_slow, own_fast = pairs[ORIGIN]
    assert own_fast.strip() not in first and own_slow.strip() not in first
    for origin, (slow, fast) in pairs.items():
        if origin == ORIGIN:
            continue
        assert f"```python\n{fast.strip()}\n```" in first
        assert (slow.strip() if paradigm == "edit" else f"Description of {origin}.") in first
    if paradigm == "edit":
        assert first.count("### Program:") == 4
        assert first.endswith(
            f"{SLOW.strip()}\n### Optimized (Runtime and Space) version of Program above:"
        )
    else:
        assert first.count("##Problem Description:") == 4
        assert first.index(f"##Problem Name:\n{ORIGIN}") > first.rindex("##Solution:")


def test_few_shot_without_a_train_split_is_a_clear_error() -> None:
    config = RunConfig(name="x", benchmark="humaneval", model="openai/m", method="few-shot")
    with pytest.raises(PerfCodegenError, match="train split"):
        build_method(config)


@pytest.mark.parametrize("iterations", [0, 5])
def test_refinement_iterations_are_one_to_four(iterations: int) -> None:
    config = RunConfig(
        name="x", benchmark="ecco", model="openai/m", method="exec-refine", iterations=iterations
    )
    with pytest.raises(PerfCodegenError, match="between 1 and 4"):
        build_method(config)


# -- refinement ----------------------------------------------------------------------------------
async def test_self_refine_alternates_feedback_and_refine_for_each_iteration(
    tmp_path: Path, server_for: Any
) -> None:
    server = server_for(SLOW, [PUBLIC_ONLY, FAST])
    problem = sum_problem()
    store = await run_ecco(
        tmp_path / "run", server, [problem], method="self-refine", paradigm="edit", iterations=2
    )

    texts = prompts(server)
    kinds = [t.split(" ", 2)[0] for t in texts]
    assert kinds == ["Optimize", "Give", "Refine", "Give", "Refine"]
    # Feedback sees the latest program; refine sees it with the feedback (Figs. 11-12).
    assert f"## Candidate solution:\n{SLOW.strip()}\n## Feedback" in texts[1]
    assert f"### Candidate solution:\n{SLOW.strip()}\n" in texts[2]
    assert (
        "### Feedback for incorrectness/inefficiency and how it can be improved:\nFEEDBACK-1:"
        in texts[2]
    )
    assert f"## Candidate solution:\n{PUBLIC_ONLY.strip()}\n" in texts[3]
    assert "FEEDBACK-2:" in texts[4] and PUBLIC_ONLY.strip() in texts[4]
    temperatures = [r.body["temperature"] for r in server.chat_requests]
    assert temperatures == [pytest.approx(0.7)] + [0.0] * 4  # greedy after the first sample
    candidates = chain(store, problem)
    assert_chain(candidates, rounds=2)
    outcome = outcome_of(store, problem)
    assert outcome.final_candidate_id == candidates[-1].id
    assert outcome.model_calls == 5


async def test_exec_refine_feeds_public_test_results_and_keeps_the_last_iteration(
    tmp_path: Path, server_for: Any
) -> None:
    # sample: correct; iteration 1: fails public test 1; iteration 2: passes public, fails private.
    server = server_for(FAST, [HALF_RIGHT, PUBLIC_ONLY])
    problem = sum_problem()
    store = await run_ecco(
        tmp_path / "run", server, [problem], method="exec-refine", paradigm="nl2code", iterations=2
    )

    texts = prompts(server)
    assert [t.split(" ", 1)[0] for t in texts] == ["Write", "Refine", "Refine"]
    assert_no_private_test(texts)
    first_feedback, second_feedback = texts[1], texts[2]
    assert "Your solution was functionally CORRECT\n" in first_feedback
    assert (
        "Here are the run time and memory stats of your code for each test case" in first_feedback
    )
    for index in range(len(PUBLIC_NS)):
        block = first_feedback.split(f"-- Stats for test case {index} --\n", 1)[1]
        lines = block.splitlines()
        assert lines[0] == "Correct: PASSED"
        assert lines[1].startswith("Run time: ") and lines[1].endswith(" s")
        assert lines[2].startswith("Memory: ") and lines[2].endswith(" KB")
    assert "-- Stats for test case 2 --" not in first_feedback  # public tests only
    assert "error logs" not in first_feedback

    assert f"### Candidate solution:\n{HALF_RIGHT.strip()}\n" in second_feedback
    assert "Your solution was functionally INCORRECT\n" in second_feedback
    assert "-- Stats for test case 0 --\nCorrect: PASSED" in second_feedback
    assert "-- Stats for test case 1 --\nCorrect: FAILED" in second_feedback
    passed_block = second_feedback.split("-- Stats for test case 0 --\n", 1)[1].splitlines()
    assert passed_block[1].startswith("Run time: ") and passed_block[1].endswith(" s")
    log = second_feedback.split("-- Error log for failed test case 1 --\n", 1)[1]
    assert log.startswith("Wrong Answer:\n-1\nExpected Answer:\n55\n")
    assert "-- Error log for failed test case 0 --" not in second_feedback

    candidates = chain(store, problem)
    assert_chain(candidates, rounds=2)
    assert [c.correct for c in candidates] == [True, False, False]
    outcome = outcome_of(store, problem)
    # ECCO's rule: the last iteration, even though the first sample was the correct one.
    assert outcome.final_candidate_id == candidates[-1].id
    assert generation_metrics([outcome]).passed == 0
    assert outcome.model_calls == 3


async def test_nl_exec_refine_reflects_on_execution_then_refines_with_the_reflection(
    tmp_path: Path, server_for: Any
) -> None:
    server = server_for(PUBLIC_ONLY, [FAST])
    problem = sum_problem()
    store = await run_ecco(
        tmp_path / "run", server, [problem], method="nl-exec-refine", paradigm="edit", iterations=1
    )

    texts = prompts(server)
    assert [t.split(" ", 1)[0] for t in texts] == ["Optimize", "Based", "Refine"]
    assert_no_private_test(texts)
    reflect, refine = texts[1], texts[2]
    assert reflect.startswith(
        f"Based on the execution results, reflect on why the code solution below was incorrect or inefficient and how the program can be fixed.\n{PUBLIC_ONLY.strip()}\n## Execution Results:\nYour solution was functionally CORRECT"
    )
    assert reflect.count("Correct: PASSED") == len(PUBLIC_NS)
    assert (
        "### Feedback for incorrectness/inefficiency and how it can be improved:\nREFLECTION-1:"
        in refine
    )
    assert "Stats for test case" not in refine  # the reflection, not the raw results
    candidates = chain(store, problem)
    assert_chain(candidates, rounds=1)
    assert [c.correct for c in candidates] == [False, True]
    outcome = outcome_of(store, problem)
    assert outcome.final_candidate_id == candidates[-1].id
    assert edit_metrics([outcome]).passed == 1


# -- ECCO-FIX ------------------------------------------------------------------------------------
async def test_ecco_fix_keeps_only_almost_correct_input_programs() -> None:
    problems = [
        sum_problem(SLOW, "correct"),
        sum_problem(PUBLIC_ONLY, "almost"),
        sum_problem(HALF_RIGHT, "public-failure"),
    ]
    async with Judge(JudgeConfig(workers=1, pin_cpus=False)) as judge:
        kept = await almost_correct_inputs(problems, judge)
    assert [p.native_id for p in kept] == ["almost"]


# -- PIE pairs (shared data) ---------------------------------------------------------------------
@pytest.mark.shared_data
async def test_exec_refine_edits_a_pie_pair(tmp_path: Path, server_for: Any) -> None:
    shared = shared_data_dir()
    if shared is None or not (shared / "pie" / "py_reference.jsonl").is_file():
        pytest.skip("../shared/data/pie is not available")
    options = LoadOptions(
        data=shared / "pie" / "py_reference.jsonl",
        extra={"descriptions": str(shared / "codenet" / "problem_descriptions.tar.gz")},
        limit=1,
    )
    (problem,) = load_benchmark("pie", options)
    assert problem.input_program is not None and problem.public_tests
    server = server_for(problem.references[0], [problem.references[0]])
    store = await run_ecco(
        tmp_path / "run",
        server,
        [problem],
        benchmark="pie",
        method="exec-refine",
        paradigm="edit",
        iterations=1,
    )
    opening, refine = prompts(server)
    assert problem.input_program.strip() in opening
    assert refine.count("Correct: PASSED") == len(problem.public_tests)
    assert f"-- Stats for test case {len(problem.public_tests)} --" not in refine
    outcome = outcome_of(store, problem)
    assert outcome.input_correct is True
    assert outcome.final_candidate_id == f"{problem.id}#s0.r1"
    with pytest.raises(PerfCodegenError, match="train split"):
        build_method(
            RunConfig(
                name="x", benchmark="pie", model="openai/m", method="few-shot", paradigm="edit"
            )
        )
