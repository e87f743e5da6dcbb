"""Per-problem detail for the HTML report, read from a run's store: the final program, its
lineage (sample -> fixes -> speed-ups) and the conversation that produced it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from perfcodegen.metrics.bestk import View, final_program
from perfcodegen.metrics.records import ProblemOutcome
from perfcodegen.metrics.run import RunData
from perfcodegen.store import CallRecord, CandidateRecord, RunStore
from perfcodegen.store.run_store import CONFIG_FILE


@dataclass(frozen=True)
class Step:
    """One program in the final program's lineage, root sample first."""

    key: str
    phase: str
    verdict: str | None
    passed: int
    total: int
    time_s: float | None


@dataclass(frozen=True)
class Turn:
    role: str
    content: str
    purpose: str = ""


@dataclass(frozen=True)
class ProblemDetail:
    problem_id: str
    error: str | None = None
    reference_time_s: float | None = None
    final_time_s: float | None = None
    final_key: str | None = None
    final_code: str | None = None
    candidates: int = 0
    lineage: list[Step] = field(default_factory=list)
    conversation: list[Turn] = field(default_factory=list)

    @property
    def solved(self) -> bool:
        return self.final_key is not None

    @property
    def speedup(self) -> float | None:
        """Reference time / final program time (above 1: faster than the reference)."""
        if not self.reference_time_s or not self.final_time_s:
            return None
        return self.reference_time_s / self.final_time_s


@dataclass(frozen=True)
class RunDetails:
    started: str
    """When the run's first unit of work was recorded (UTC), or '' if unknown."""
    isolation: list[str]
    """Judge isolation levels its results record (normally one)."""
    problems: list[ProblemDetail]


def _key(candidate_id: str) -> str:
    """'s0.c1.p2' from 'humaneval/HumanEval/0#s0.c1.p2'."""
    return candidate_id.rsplit("#", 1)[-1]


def _word(value: object) -> str:
    """A phase or verdict as its plain value ('sample', 'wrong_answer'), never the enum's name
    ('Phase.SAMPLE')."""
    return str(getattr(value, "value", value) or "")


def _lineage(final: CandidateRecord, by_id: dict[str, CandidateRecord]) -> list[CandidateRecord]:
    chain = [final]
    while chain[-1].parent_id and chain[-1].parent_id in by_id and len(chain) < 100:
        chain.append(by_id[chain[-1].parent_id])
    return chain[::-1]


def _conversation(final_key: str, calls: list[CallRecord]) -> list[Turn]:
    """The turns that led to the final program: calls made for it or for its ancestors (call
    keys are '<candidate key>/<step>'); the last one holds the whole dialogue, plus its reply."""
    chain = [c for c in calls if _in_lineage(c.key.split("|", 1)[-1].split("/", 1)[0], final_key)]
    if not chain:
        return []
    last = chain[-1]
    turns = [Turn(m.role, m.content) for m in last.messages]
    return [*turns, Turn("assistant", last.output.text, last.purpose.value)]


def _in_lineage(call_key: str, final_key: str) -> bool:
    return final_key == call_key or final_key.startswith(call_key + ".")


def _detail(outcome: ProblemOutcome, store: RunStore, k: int, view: View) -> ProblemDetail:
    final = final_program(outcome, k, view)
    records = store.candidates(outcome.problem_id)
    by_id = {record.id: record for record in records}
    if final is None or final.candidate_id not in by_id:
        return ProblemDetail(
            outcome.problem_id,
            reference_time_s=outcome.reference_time_s,
            candidates=len(records),
        )
    times = {c.candidate_id: c.time_s for c in outcome.candidates}
    chain = _lineage(by_id[final.candidate_id], by_id)
    final_key = _key(final.candidate_id)
    return ProblemDetail(
        outcome.problem_id,
        reference_time_s=outcome.reference_time_s,
        final_time_s=final.time_s,
        final_key=final_key,
        final_code=by_id[final.candidate_id].code,
        candidates=len(records),
        lineage=[
            Step(
                _key(r.id), _word(r.phase), _word(r.verdict) or None, r.passed, r.total,
                times.get(r.id),
            )
            for r in chain
        ],
        conversation=_conversation(final_key, store.calls(outcome.problem_id)),
    )


def _started(run_dir: Path) -> str:
    """When the run began: its config.json is written once, at the start."""
    config = run_dir / CONFIG_FILE
    if not config.exists():
        return ""
    moment = datetime.fromtimestamp(config.stat().st_mtime, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def run_details(run: RunData) -> RunDetails:
    """Per-problem detail at the run's full budget (k = samples drawn), its method's view."""
    view = View.BASE if run.method == "base" else View.METHOD
    k = max(run.samples, 1)
    with RunStore(Path(run.path)) as store:
        problems = [
            ProblemDetail(problem_id, error=run.error_messages.get(problem_id, "error"))
            if problem_id in run.errored
            else _detail(outcome, store, k, view)
            for outcome in run.outcomes
            for problem_id in [outcome.problem_id]
        ]
        isolation = sorted({r.isolation for _, r in store.judge_results() if r.isolation})
    return RunDetails(started=_started(Path(run.path)), isolation=isolation, problems=problems)
