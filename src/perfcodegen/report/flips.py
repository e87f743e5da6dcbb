"""What changed between two runs of the same problems, task by task (`eval --against RUN`):
samples whose verdict flipped, and problems whose %Opt decision changed."""

from __future__ import annotations

from dataclasses import dataclass, field

from perfcodegen.metrics.bestk import View, score_problem
from perfcodegen.metrics.records import SAMPLE_PHASE, ProblemOutcome
from perfcodegen.metrics.run import RunData


@dataclass(frozen=True)
class Flip:
    problem_id: str
    sample: int | None
    """The sample index of a verdict flip; None for a problem's %Opt decision."""
    before: str
    now: str


@dataclass(frozen=True)
class Flips:
    shared: int
    """Problems finished in both runs: what the comparison rests on."""
    verdicts: list[Flip] = field(default_factory=list)
    decisions: list[Flip] = field(default_factory=list)

    @property
    def fixed(self) -> int:
        return sum(f.now == "passed" for f in self.verdicts)

    @property
    def broken(self) -> int:
        return sum(f.before == "passed" for f in self.verdicts)

    def line(self, against: str) -> str:
        return (
            f"against {against}: {len(self.verdicts)} sample verdict(s) flipped ({self.fixed} now "
            f"pass, {self.broken} now fail) and {len(self.decisions)} %Opt decision(s) changed, "
            f"over the {self.shared} problem(s) both runs finished"
        )


def _verdicts(outcome: ProblemOutcome) -> dict[int, str]:
    return {
        c.sample_index: str(getattr(c.verdict, "value", c.verdict) or "not judged")
        for c in outcome.candidates
        if c.phase == SAMPLE_PHASE
    }


def _decision(outcome: ProblemOutcome, k: int) -> str | None:
    """The final program's %Opt decision ('optimized', 'not optimized', ...); 'unsolved' or
    None (solved but no decision: not timed) otherwise."""
    score = score_problem(outcome, k, View.BASE)
    return score.decision if score.solved else "unsolved"


def flips(run: RunData, other: RunData) -> Flips:
    """Per-task changes from `other` (before) to `run` (now) on the problems both finished."""
    mine = {o.problem_id: o for o in run.outcomes if o.problem_id not in run.errored}
    theirs = {o.problem_id: o for o in other.outcomes if o.problem_id not in other.errored}
    shared = sorted(set(mine) & set(theirs))
    verdicts: list[Flip] = []
    decisions: list[Flip] = []
    for problem_id in shared:
        now, before = _verdicts(mine[problem_id]), _verdicts(theirs[problem_id])
        for sample in sorted(set(now) & set(before)):
            if (now[sample] == "passed") != (before[sample] == "passed"):
                verdicts.append(Flip(problem_id, sample, before[sample], now[sample]))
        k = max(1, min(mine[problem_id].samples_drawn, theirs[problem_id].samples_drawn))
        now_d, before_d = _decision(mine[problem_id], k), _decision(theirs[problem_id], k)
        if now_d != before_d and {now_d, before_d} - {None, "unsolved"}:  # a decision moved
            decisions.append(Flip(problem_id, None, before_d or "no decision", now_d or "no decision"))
    return Flips(len(shared), verdicts, decisions)
