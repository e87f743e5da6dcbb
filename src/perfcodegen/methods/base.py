"""The method protocol and registry (`perfcodegen methods` lists them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from perfcodegen.config import RunConfig
from perfcodegen.errors import UnknownNameError
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


_METHODS: dict[str, MethodInfo] = {}


def register_method(info: MethodInfo) -> MethodInfo:
    _METHODS[info.name] = info
    return info


def _ensure_loaded() -> None:
    from perfcodegen.methods import catalog  # noqa: F401


def method_infos() -> list[MethodInfo]:
    _ensure_loaded()
    return list(_METHODS.values())


def get_method_info(name: str) -> MethodInfo:
    _ensure_loaded()
    if name not in _METHODS:
        raise UnknownNameError("method", name, list(_METHODS))
    return _METHODS[name]


def build_method(config: RunConfig) -> Method:
    info = get_method_info(config.method)
    if config.paradigm not in info.paradigms:
        from perfcodegen.errors import PerfCodegenError

        raise PerfCodegenError(
            f"method {info.name!r} supports paradigm(s) {', '.join(info.paradigms)}, "
            f"not {config.paradigm!r}"
        )
    return info.factory(config)
