"""The method registry: an explicit, read-only table of every method module's `METHODS`, in
the order `perfcodegen methods` lists them (no registration at import, no mutable global)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from perfcodegen.config import RunConfig
from perfcodegen.errors import PerfCodegenError, UnknownNameError
from perfcodegen.methods import ecco, finetuned, given, perf_agents, perf_strategies, perfcodegen
from perfcodegen.methods.base import Method, MethodInfo

_MODULES = (perfcodegen, perf_strategies, perf_agents, ecco, given, finetuned)

METHODS: Mapping[str, MethodInfo] = MappingProxyType(
    {info.name: info for module in _MODULES for info in module.METHODS}
)


def method_infos() -> list[MethodInfo]:
    return list(METHODS.values())


def get_method_info(name: str) -> MethodInfo:
    if name not in METHODS:
        raise UnknownNameError("method", name, list(METHODS))
    return METHODS[name]


def build_method(config: RunConfig) -> Method:
    info = get_method_info(config.method.name)
    if config.selection.paradigm not in info.paradigms:
        raise PerfCodegenError(
            f"method {info.name!r} supports paradigm(s) {', '.join(info.paradigms)}, "
            f"not {config.selection.paradigm!r}"
        )
    return info.factory(config)
