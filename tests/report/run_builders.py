"""Write small run directories with the real RunStore, as the pipeline would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from perfcodegen.metrics.records import ProblemOutcome
from perfcodegen.store import ProblemRecord, RunStore
from support.outcomes import cand


def write_run(
    run_dir: Path,
    outcomes: list[ProblemOutcome],
    errored: tuple[str, ...] = (),
    **config: Any,
) -> Path:
    settings = {
        "name": run_dir.name,
        "benchmark": "humaneval",
        "split": "test",
        "model": "openai/scripted",
        "method": "perfcodegen",
        "k": 2,
        "paradigm": "nl2code",
        "measure": "paired",
    }
    settings.update(config)
    with RunStore(run_dir) as store:
        store.save_config(settings)
        for outcome in outcomes:
            store.put_problem(
                ProblemRecord(
                    problem_id=outcome.problem_id,
                    status="done",
                    result=outcome.model_dump(mode="json"),
                )
            )
        for problem_id in errored:
            store.put_problem(ProblemRecord(problem_id=problem_id, status="error", error="boom"))
    return run_dir


def perfcodegen_outcomes() -> list[ProblemOutcome]:
    """P1 (ref 10): samples 8 and 12, refinement of sample 0 at 9 (the method returns it).
    P2 (ref 4): sample 0 wrong, fixed at 5; sample 1 correct at 2. P3 (ref 6): unsolved."""
    return [
        ProblemOutcome(
            problem_id="P1",
            reference_time_s=10.0,
            candidates=[
                cand("p1s0", 0, "sample", True, 8.0),
                cand("p1s1", 1, "sample", True, 12.0),
                cand("p1s0p", 0, "performance", True, 9.0),
            ],
            model_calls=3,
            prompt_tokens=300,
            completion_tokens=90,
        ),
        ProblemOutcome(
            problem_id="P2",
            reference_time_s=4.0,
            candidates=[
                cand("p2s0", 0, "sample", False),
                cand("p2s1", 1, "sample", True, 2.0),
                cand("p2s0c", 0, "correctness", True, 5.0),
            ],
            model_calls=4,
            prompt_tokens=400,
            completion_tokens=120,
        ),
        ProblemOutcome(
            problem_id="P3",
            reference_time_s=6.0,
            candidates=[cand("p3s0", 0, "sample", False), cand("p3s1", 1, "sample", False)],
            model_calls=2,
            prompt_tokens=200,
            completion_tokens=60,
        ),
    ]


SLOW = "def add(a, b):\n    total = a\n    for _ in range(b):\n        total += 1\n    return total\n"
FAST = "def add(a, b):\n    return a + b\n"


def write_detailed_run(run_dir: Path, **config: Any) -> Path:
    """A run with everything the HTML report's per-problem sections read: P1 solved by a
    sample (s0, 12 ms) refined to 8 ms (s0.p1), reference 10 ms; P2 unsolved; P3 errored.
    Candidates and model calls are stored under the pipeline's id scheme."""
    from perfcodegen.llm.model import ChatMessage, ModelOutput, Usage
    from perfcodegen.store import CallRecord, CandidateRecord

    outcomes = [
        ProblemOutcome(
            problem_id="P1",
            reference_time_s=0.010,
            candidates=[
                cand("P1#s0", 0, "sample", True, 0.012),
                cand("P1#s0.p1", 0, "performance", True, 0.008),
            ],
            final_candidate_id="P1#s0.p1",
            model_calls=2,
        ),
        ProblemOutcome(
            problem_id="P2",
            reference_time_s=0.004,
            candidates=[cand("P2#s0", 0, "sample", False)],
            model_calls=1,
        ),
    ]
    write_run(run_dir, outcomes, errored=("P3",), k=1, **config)
    ask = ChatMessage(role="user", content="Write add(a, b) <fast please>.")
    with RunStore(run_dir) as store:
        for cid, parent, phase, code in (
            ("P1#s0", None, "sample", SLOW),
            ("P1#s0.p1", "P1#s0", "performance", FAST),
        ):
            store.put_candidate(
                CandidateRecord(
                    id=cid, problem_id="P1", sample_index=0, parent_id=parent, phase=phase,
                    method="perfcodegen", code=code, verdict="passed", passed=3, total=3,
                )
            )
        store.put_call(
            CallRecord(
                key="P1|s0/sample", problem_id="P1", purpose="sample", model="openai/scripted",
                messages=[ask], output=ModelOutput(text=f"```python\n{SLOW}```", usage=Usage()),
            )
        )
        store.put_call(
            CallRecord(
                key="P1|s0.p1/optimize", problem_id="P1", candidate_id="P1#s0",
                purpose="performance", model="openai/scripted",
                messages=[
                    ask,
                    ChatMessage(role="assistant", content=f"```python\n{SLOW}```"),
                    ChatMessage(role="user", content="Make it faster."),
                ],
                output=ModelOutput(text=f"```python\n{FAST}```"),
            )
        )
    return run_dir
