"""How programs are measured: a run's `Measure` (`--measure`) and a judge job's `MeasureMode`.

One vocabulary from the command line to the judge: the config holds a `Measure`, which names
the job mode that takes its figures (`Measure.mode`) and the unit they are in
(`Measure.unit`); backends list the job modes they can run (`Backend.modes`).
"""

from __future__ import annotations

from enum import Enum


class MeasureMode(str, Enum):
    """What one judge job does."""

    CHECK = "check"
    """Correctness only: each test once, no timing loop."""
    WALL = "wall"
    """Warm-up, then `repeats` timed runs per test (perf_counter) and CPU time."""
    PAIRED = "paired"
    """Several programs timed alternately (A B, B A, ...), each run its own fresh process."""
    MEMORY = "memory"
    """Peak memory per test (ru_maxrss of the run and its leftovers, minus the null program's);
    no timing. Every mode reports it; this one only skips timing."""
    INSTRUCTIONS = "instructions"
    """Deterministic per-test instruction counts (perf_event_open or callgrind)."""


class Measure(str, Enum):
    """How a run's final figures are taken (`RunConfig.measurement.measure`)."""

    PAIRED = "paired"
    """Programs timed alternately in one job (paired runs); seconds."""
    WALL = "wall"
    """Each program timed in a job of its own; seconds."""
    INSTRUCTIONS = "instructions"
    """Instruction counts (deterministic); instructions."""
    NONE = "none"
    """Verdicts only: nothing is timed."""

    @property
    def mode(self) -> MeasureMode | None:
        """The judge job mode that takes the figures; None when nothing is timed."""
        return _MODES[self]

    @property
    def unit(self) -> str:
        """The unit of the figures: 's' (seconds) or 'instructions'; '' when untimed."""
        return _UNITS[self]


_MODES = {
    Measure.PAIRED: MeasureMode.PAIRED,
    Measure.WALL: MeasureMode.WALL,
    Measure.INSTRUCTIONS: MeasureMode.INSTRUCTIONS,
    Measure.NONE: None,
}
_UNITS = {Measure.PAIRED: "s", Measure.WALL: "s", Measure.INSTRUCTIONS: "instructions", Measure.NONE: ""}


def unit_of(measure: str) -> str:
    """The unit of figures taken by `measure` (a `Measure` or its value, as records keep it)."""
    return Measure(measure).unit
