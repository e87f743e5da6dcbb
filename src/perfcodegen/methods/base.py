"""The method protocol and what describes a method (`methods.registry` lists them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from perfcodegen.config import RunConfig
from perfcodegen.methods.session import ProblemSession
from perfcodegen.metrics.records import CandidateOutcome, ProblemOutcome

FinalRule = Callable[[ProblemOutcome], CandidateOutcome | None]
"""Picks a problem's final program from its judged candidates (None: no final program)."""


class Method(Protocol):
    """A way of producing candidates for one problem. Methods never run code themselves."""

    async def solve(self, session: ProblemSession) -> None: ...


@dataclass(frozen=True)
class MethodInfo:
    name: str
    summary: str
    family: str
    """'perfcodegen' (Table I-III) or 'ecco' (ECCO Tables 2-3, 7-8)."""
    paradigms: tuple[str, ...]
    call_budget: str
    """Model calls per problem, as a formula (k = samples)."""
    factory: Callable[[RunConfig], Method]
    needs_model: bool = True
    """False for methods that judge given programs: no model is opened for them."""
    final_rule: FinalRule | None = None
    """How the final program is chosen; None = PerfCodeGen's rule (the fastest correct refinement,
    metrics.bestk.final_program, method view). ECCO's methods return their last iteration."""
