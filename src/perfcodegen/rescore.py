"""Re-scoring a run from its store, running nothing (like SWE-bench's report regeneration).

Every judge job of a run is stored under its content address, so the end of each problem
(`finalize`) can be computed again from the stored candidates and judge results alone, on the
run's own plan (its problems with their stress tests, its judge configuration): after
a change to how outcomes are summarised, or to check that a run's outcomes follow from its
raw results. A job that is not in the store is an error, never a new execution.
"""

from __future__ import annotations

from pathlib import Path

from perfcodegen.errors import PerfCodegenError
from perfcodegen.finalize import finalize_problem
from perfcodegen.judge import Judge, JudgeConfig
from perfcodegen.judge.model import JudgeJob, JudgeResult
from perfcodegen.llm.mock import MockModel
from perfcodegen.methods.session import Candidate, Conversation, ProblemSession, job_key
from perfcodegen.plan import stored_plan
from perfcodegen.store import ProblemRecord, RunStore


class StoredResults:
    """A judge that only answers from a run's store."""

    def __init__(self, store: RunStore, judge_config: JudgeConfig) -> None:
        self._store = store
        # The run's own job factory and judge configuration: the same content keys.
        self.make_job = Judge(judge_config).make_job

    async def run(self, job: JudgeJob) -> JudgeResult:
        stored = self._store.get_judge(job_key(job))
        if stored is None:
            raise PerfCodegenError(
                f"{self._store.run_dir} has no stored result for a {job.mode.value} job of "
                "this run: it cannot be re-scored without running the judge (resume it instead)"
            )
        return stored


async def rescore(run_dir: Path) -> int:
    """Recompute and store every finished problem's outcome; returns how many."""
    with RunStore(Path(run_dir)) as store:
        plan = stored_plan(store, run_dir)
        config = plan.config
        problems = {p.id: p for p in plan.problems}
        judge = StoredResults(store, plan.judge_config)
        done = 0
        for record in store.problems():
            if record.status != "done" or record.problem_id not in problems:
                continue
            session = ProblemSession(
                problem=problems[record.problem_id], config=config, store=store,
                model=MockModel([]), refine_model=MockModel([]), judge=judge, method=config.method.name,
            )  # fmt: skip
            # The store keeps candidates in the order the run last saved them: the session's.
            session.candidates = [
                Candidate(record=c, conversation=Conversation())
                for c in store.candidates(record.problem_id)
            ]
            outcome = await finalize_problem(session)
            store.put_problem(ProblemRecord(
                problem_id=record.problem_id, status="done", result=outcome.model_dump(mode="json")
            ))  # fmt: skip
            done += 1
        return done
