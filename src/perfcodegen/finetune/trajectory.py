"""Trajectories for ECCO's trajectory-conditioned fine-tuning (§4.3, Fig. 14).

A trajectory is every program one user submitted for one problem (PIE pairs carry `user_id`,
submission ids and CodeNet CPU times; each pair gives two submissions). Problems with at least
three distinct submissions by the user qualify. The programs are ordered slowest first (CPU
time, ties in submission order), the fastest is the target, and the inputs are the programs
at the 0th, 33rd and 66th percentile positions of that order: position round(p/100 x (n - 1)),
halves rounded up, for n programs. With n = 3 the picks are positions 0, 1, 1; with n = 4
they are 0, 1, 2; with n = 7, 0, 2, 4. The target (position n - 1) is never an input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from perfcodegen.methods.ecco_examples import origin_of
from perfcodegen.vocabulary import Problem

PERCENTILES = (0, 33, 66)
MIN_PROGRAMS = 3


@dataclass(frozen=True)
class Submission:
    submission_id: str
    code: str
    cpu_time: float


@dataclass(frozen=True)
class Trajectory:
    user_id: str
    problem_id: str
    programs: tuple[Submission, ...]
    """Slowest first; the last one is the fastest (the target)."""

    @property
    def target(self) -> Submission:
        return self.programs[-1]

    @property
    def inputs(self) -> tuple[Submission, ...]:
        return tuple(self.programs[i] for i in percentile_positions(len(self.programs)))


def percentile_positions(count: int, percentiles: Iterable[int] = PERCENTILES) -> list[int]:
    """round(p/100 x (count - 1)), halves up, in integers (no float rounding surprises)."""
    return [(2 * p * (count - 1) + 100) // 200 for p in percentiles]


def trajectories(problems: Iterable[Problem]) -> list[Trajectory]:
    """Every qualifying (user, problem) trajectory among PIE-style pair problems."""
    by_user: dict[tuple[str, str], dict[str, Submission]] = {}
    for problem in problems:
        for submission, user in _submissions(problem):
            by_user.setdefault((user, origin_of(problem)), {})[submission.submission_id] = (
                submission
            )
    found = []
    for (user, problem_id), submissions in sorted(by_user.items()):
        if len(submissions) < MIN_PROGRAMS:
            continue
        in_order = sorted(submissions.values(), key=lambda s: _submission_order(s.submission_id))
        slowest_first = sorted(in_order, key=lambda s: -s.cpu_time)  # stable: ties keep order
        found.append(Trajectory(user, problem_id, tuple(slowest_first)))
    return found


def _submissions(problem: Problem) -> list[tuple[Submission, str]]:
    """The pair's two submissions with their user, when the row carries ids and CPU times."""
    row = problem.metadata.extra.get("codenet") or {}
    user = row.get("user_id")
    if not user or problem.input_program is None or not problem.references:
        return []
    found = []
    for code, version in ((problem.input_program, "v0"), (problem.references[0], "v1")):
        submission_id = row.get(f"submission_id_{version}")
        cpu_time = row.get(f"cpu_time_{version}")
        if submission_id and isinstance(cpu_time, (int, float)):
            found.append((Submission(str(submission_id), code, float(cpu_time)), str(user)))
    return found


def _submission_order(submission_id: str) -> tuple[int, str]:
    """CodeNet ids are 's' + a number that grows with time; compare the numbers."""
    digits = re.sub(r"\D", "", submission_id)
    return (int(digits) if digits else -1, submission_id)
