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
