"""Which problems a comparison rests on: runs over different problem sets are refused (their
figures are not comparable), or, when asked, compared on the problems they share."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from perfcodegen.errors import PerfCodegenError
from perfcodegen.metrics.run import RunData

SHOWN_IDS = 3


def _ids(run: RunData) -> frozenset[str]:
    return frozenset(outcome.problem_id for outcome in run.outcomes)


def _sample(ids: Sequence[str]) -> str:
    shown = ", ".join(sorted(ids)[:SHOWN_IDS])
    return shown + (" ..." if len(ids) > SHOWN_IDS else "")


def shared_problems(runs: Sequence[RunData], intersect: bool) -> tuple[list[RunData], str]:
    """The runs to compare and a note saying how many problems the comparison rests on.

    Runs over the same problems are compared as they are. Otherwise, without `intersect`,
    the comparison is refused (a user error naming the counts); with it, every run keeps
    only the problems all runs have, and the note names how many were left out."""
    sets = [_ids(run) for run in runs]
    common = frozenset.intersection(*sets) if sets else frozenset()
    if all(ids == sets[0] for ids in sets):
        return list(runs), f"Every comparison rests on the same {len(common)} problem(s) per run."
    counts = ", ".join(f"{run.name}: {len(ids)}" for run, ids in zip(runs, sets, strict=True))
    if not intersect:
        raise PerfCodegenError(
            f"the runs cover different problems ({counts}; {len(common)} in common), so their "
            "figures are not comparable; pass --intersect to compare them on the problems "
            "they share"
        )
    if not common:
        raise PerfCodegenError(f"--intersect: the runs share no problem ({counts}); nothing to compare")
    left_out = sorted(frozenset.union(*sets) - common)
    kept = [
        dataclasses.replace(
            run,
            outcomes=[o for o in run.outcomes if o.problem_id in common],
            errored=[p for p in run.errored if p in common],
        )
        for run in runs
    ]
    note = (
        f"Compared on the {len(common)} problem(s) every run covers ({counts}); "
        f"{len(left_out)} left out: {_sample(left_out)}."
    )
    return kept, note
